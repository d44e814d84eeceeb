"""Batched recognition: a CRNN (checkpoint or exported MINDIR) + charset -> text and confidence."""
import numpy as np

from src.crnn.decode import greedy_decode, lexicon_decode, prior_decode


class Recognizer:
    """Wraps any callable mapping images (N, C, 32, W) to log-probabilities (N, T, C): the
    :class:`~src.crnn.model.CRNNInference` cell, or an ``nn.GraphCell`` loaded from MINDIR.

    ``word_prior`` (a :class:`~src.crnn.word_prior.WordPrior`) rescores each greedy reading against the
    vocabulary words up to ``prior_max_edits`` edits away, its log-probability weighted by ``prior_weight``;
    the greedy reading is then kept as ``greedy_text``."""

    def __init__(self, predict_cell, charset, lexicon_max_distance=3, word_prior=None, prior_weight=0.7,
                 prior_max_edits=2):
        self.predict_cell = predict_cell
        self.charset = charset
        self.lexicon_max_distance = lexicon_max_distance
        self.word_prior, self.prior_weight, self.prior_max_edits = word_prior, prior_weight, prior_max_edits
        self.keep_log_probs = False  # True: each result carries its (T, C) log-probabilities (tuning scripts)

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
            if self.word_prior is not None:
                fused, fused_confidence = prior_decode(log_probs[k], text, self.word_prior, self.charset,
                                                       self.prior_weight, self.prior_max_edits)
                item = {"text": fused, "confidence": confidence if fused_confidence is None else fused_confidence,
                        "greedy_text": text}
            if self.keep_log_probs:
                item["log_probs"] = log_probs[k]
            lexicon = lexicons[k] if lexicons is not None else None
            if lexicon:
                item["lexicon_text"], item["lexicon_confidence"] = lexicon_decode(
                    log_probs[k], lexicon, self.charset, text, self.lexicon_max_distance)
            results.append(item)
        return results
