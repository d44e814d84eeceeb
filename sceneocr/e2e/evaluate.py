"""End-to-end word spotting: a predicted word counts when its box matches a ground-truth word at
IoU >= 0.5 (one-to-one, in score order) and its text equals the word under the standard normalisation
(lower-case, only [0-9a-z]). Do-not-care regions and words with no alphanumeric character are ignored."""
import numpy as np

from sceneocr.metrics.detection import f_score, match_standard
from sceneocr.metrics.text import standard_normalize


class WordSpotting:
    def __init__(self, iou_threshold=0.5):
        self.iou_threshold = iou_threshold
        self.correct = self.predictions = self.words = 0

    def update(self, page, gt_boxes, gt_texts, gt_ignore):
        texts = [standard_normalize(t) for t in gt_texts]
        ignore = np.array([bool(i) or not t for i, t in zip(gt_ignore, texts)], bool)
        words = [w for w in page.words if standard_normalize(w.text)]
        boxes = np.array([w.box for w in words], np.float64).reshape(-1, 4)
        scores = [w.det_score for w in words]
        matches, counted, n_gt = match_standard(boxes, scores, np.asarray(gt_boxes).reshape(-1, 4), ignore,
                                                self.iou_threshold)
        correct = sum(standard_normalize(words[p].text) == texts[g] for p, g in matches)
        self.correct += correct
        self.predictions += len(counted)
        self.words += n_gt
        return correct

    def merge(self, other):
        """Adds another accumulator's counts: one result over several datasets (pooled, not averaged)."""
        self.correct += other.correct
        self.predictions += other.predictions
        self.words += other.words

    def result(self):
        p = self.correct / self.predictions if self.predictions else 0.0
        r = self.correct / self.words if self.words else 0.0
        return {"precision": p, "recall": r, "f": f_score(p, r), "correct": self.correct,
                "predictions": self.predictions, "words": self.words}


def evaluate(predictor, samples, logger=print, pooled=None):
    """Word spotting on samples; returns (result, pages). ``pooled``: a WordSpotting that also gets the counts."""
    from sceneocr.data.detection_pipeline import load_rgb

    metric = WordSpotting()
    pages = []
    for i in range(len(samples)):
        sample = samples[i]
        page = predictor(load_rgb(sample), source=sample.image_path)
        metric.update(page, sample.boxes, sample.texts, sample.ignore)
        pages.append(page.to_dict())
    if pooled is not None:
        pooled.merge(metric)
    result = metric.result()
    log_spotting(result, logger)
    return result, pages


def log_spotting(result, logger=print, name="word spotting"):
    logger(f"{name}: precision {result['precision']:.4f} recall {result['recall']:.4f} f {result['f']:.4f} "
           f"({result['correct']} of {result['words']} words)")
