"""Recognition metrics: word accuracy under the standard protocol, case-sensitive accuracy, 1-NED."""
import re

_NON_ALNUM = re.compile(r"[^0-9a-z]")


def standard_normalize(text):
    """The standard scene-text protocol: lower-case, keep only [0-9a-z]."""
    return _NON_ALNUM.sub("", text.lower())


def edit_distance(a, b):
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def normalized_edit_similarity(prediction, target):
    """1 - NED, with NED = edit distance / max(len): 1.0 for identical strings."""
    longest = max(len(prediction), len(target))
    return 1.0 if longest == 0 else 1.0 - edit_distance(prediction, target) / longest


class RecognitionMetrics:
    """Accumulates predictions; ``result()`` gives word accuracy (standard protocol), case-sensitive
    accuracy, mean 1-NED (standard protocol) and, where lexicons were used, lexicon accuracy."""

    def __init__(self):
        self.count = 0
        self.correct = 0
        self.correct_case = 0
        self.similarity = 0.0
        self.lexicon_count = 0
        self.lexicon_correct = 0

    def update(self, predictions, targets, lexicon_predictions=None):
        for k, (pred, target) in enumerate(zip(predictions, targets)):
            p, t = standard_normalize(pred), standard_normalize(target)
            self.count += 1
            self.correct += p == t
            self.correct_case += pred == target
            self.similarity += normalized_edit_similarity(p, t)
            if lexicon_predictions is not None and lexicon_predictions[k] is not None:
                self.lexicon_count += 1
                self.lexicon_correct += standard_normalize(lexicon_predictions[k]) == t

    def merge(self, other):
        """Adds another accumulator's counts: one result over several datasets (pooled, not averaged)."""
        for name in ("count", "correct", "correct_case", "similarity", "lexicon_count", "lexicon_correct"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def result(self):
        n = max(self.count, 1)
        out = {"samples": self.count, "word_accuracy": self.correct / n,
               "case_sensitive_accuracy": self.correct_case / n, "one_minus_ned": self.similarity / n}
        if self.lexicon_count:
            out["lexicon_accuracy"] = self.lexicon_correct / self.lexicon_count
        return out
