"""Batched recognition: a CRNN (checkpoint or exported MINDIR) + charset -> text and confidence."""
import numpy as np

from src.crnn.decode import greedy_decode, lexicon_decode


class Recognizer:
    """Wraps any callable mapping images (N, C, 32, W) to log-probabilities (N, T, C): the
    :class:`~src.crnn.model.CRNNInference` cell, or an ``nn.GraphCell`` loaded from MINDIR."""

    def __init__(self, predict_cell, charset, lexicon_max_distance=3):
        self.predict_cell = predict_cell
        self.charset = charset
        self.lexicon_max_distance = lexicon_max_distance

    def log_probs(self, images):
        import mindspore as ms

        out = self.predict_cell(ms.Tensor(np.ascontiguousarray(images, dtype=np.float32)))
        return out.asnumpy()

    def recognize(self, images, lexicons=None):
        """images: preprocessed batch. Returns a list of dicts with text, confidence and, when a
        lexicon is given for a sample, the lexicon-constrained text."""
        log_probs = self.log_probs(images)
        results = []
        for k, (text, confidence) in enumerate(greedy_decode(log_probs, self.charset)):
            item = {"text": text, "confidence": confidence}
            lexicon = lexicons[k] if lexicons is not None else None
            if lexicon:
                item["lexicon_text"], item["lexicon_confidence"] = lexicon_decode(
                    log_probs[k], lexicon, self.charset, text, self.lexicon_max_distance)
            results.append(item)
        return results
