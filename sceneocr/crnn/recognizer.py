"""Batched recognition: a CRNN (checkpoint or exported MINDIR) + charset -> text and confidence."""
import numpy as np

from sceneocr.crnn.decode import greedy_decode, lexicon_decode, prior_decode


class Recognizer:
    """Decodes what a runner (:mod:`sceneocr.runners`: a :class:`~sceneocr.crnn.model.CRNNInference` cell, an
    exported MINDIR or ONNX file) gives for preprocessed images (N, C, 32, W): log-probabilities (N, T, C).
    Any MindSpore cell works too (wrapped in a runner).

    ``word_prior`` (a :class:`~sceneocr.crnn.word_prior.WordPrior`) rescores each greedy reading against the
    vocabulary words up to ``prior_max_edits`` edits away, its log-probability weighted by ``prior_weight``;
    the greedy reading is then kept as ``greedy_text``."""

    def __init__(self, runner, charset, lexicon_max_distance=3, word_prior=None, prior_weight=0.7,
                 prior_max_edits=2):
        from sceneocr.runners import as_runner

        self.runner = as_runner(runner)
        self.charset = charset
        self.lexicon_max_distance = lexicon_max_distance
        self.word_prior, self.prior_weight, self.prior_max_edits = word_prior, prior_weight, prior_max_edits
        self.keep_log_probs = False  # True: each result carries its (T, C) log-probabilities (tuning scripts)

    @property
    def backend(self):
        return self.runner.backend

    @property
    def batch_size(self):
        """The batch the runner's graph takes (None: any)."""
        return self.runner.batch_size

    @property
    def exported(self):
        """A file of one input width: eval.rec_widths cannot apply."""
        return self.runner.one_width

    @property
    def decoding(self):
        """How readings are decoded, for logs (an exported file carries no release settings: this says which)."""
        if self.word_prior is None:
            return "greedy readings, no word prior"
        return f"word prior of {len(self.word_prior)} words"

    def log_probs(self, images):
        return np.asarray(self.runner(images))

    def recognize(self, images, lexicons=None, count=None):
        """images: preprocessed batch. Returns a list of dicts with text, confidence and, when a
        lexicon is given for a sample, the lexicon-constrained text. ``count``: only the first ``count``
        rows are crops (the rest pad a fixed-size batch): those alone get the word prior and lexicons.

        Confidence: greedy, the probability of the best path's kept steps; with the word prior, the CTC
        probability of the text read (summed over its alignments), for whichever text wins."""
        log_probs = self.log_probs(images)
        count = len(log_probs) if count is None else count
        results = []
        for k, (text, confidence) in enumerate(greedy_decode(log_probs, self.charset)):
            item = {"text": text, "confidence": confidence}
            if self.word_prior is not None and k < count:
                fused, fused_confidence = prior_decode(log_probs[k], text, self.word_prior, self.charset,
                                                       self.prior_weight, self.prior_max_edits)
                item = {"text": fused, "confidence": fused_confidence, "greedy_text": text}
            if self.keep_log_probs:
                item["log_probs"] = log_probs[k]
            lexicon = lexicons[k] if lexicons is not None and k < count else None
            if lexicon:
                item["lexicon_text"], item["lexicon_confidence"] = lexicon_decode(
                    log_probs[k], lexicon, self.charset, text, self.lexicon_max_distance)
            results.append(item)
        return results
