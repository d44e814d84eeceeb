"""Alphabet handling for CTC recognition: label normalisation, encoding and decoding tables."""
import numpy as np

DEFAULT_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


class Charset:
    """Maps characters to class ids. Class 0 is the CTC blank; characters are 1..len(alphabet).

    ``case_fold`` lower-cases labels before checking them (the standard setting for the 36-class
    case-insensitive alphabet); characters still outside the alphabet make the label invalid.
    """

    blank = 0

    def __init__(self, alphabet=DEFAULT_ALPHABET, case_fold=True, max_length=23):
        if len(set(alphabet)) != len(alphabet):
            raise ValueError("alphabet has repeated characters")
        self.alphabet = alphabet
        self.case_fold = case_fold
        self.max_length = max_length
        self.index = {c: i + 1 for i, c in enumerate(alphabet)}
        # Lookup table from class id to character; blank maps to ''.
        self.table = np.array([""] + list(alphabet), dtype=object)

    @property
    def num_classes(self):
        return len(self.alphabet) + 1

    def normalize(self, label):
        return label.lower() if self.case_fold else label

    def check(self, label):
        """Return (normalised label, problem) where problem is None, 'empty', 'charset' or 'length'."""
        label = self.normalize(label)
        if not label:  # reported as an empty label, not as "characters outside the alphabet ('')"
            return label, "empty"
        if any(c not in self.index for c in label):
            return label, "charset"
        if len(label) > self.max_length:
            return label, "length"
        return label, None

    def unknown_chars(self, label):
        return sorted({c for c in self.normalize(label) if c not in self.index})

    def encode(self, label):
        return np.array([self.index[c] for c in self.normalize(label)], dtype=np.int32)

    def encode_batch(self, labels):
        """Pad encoded labels to ``max_length``. The padding value is irrelevant: the CTC loss reads
        exactly ``lengths[i]`` targets of row i."""
        targets = np.zeros((len(labels), self.max_length), dtype=np.int32)
        lengths = np.zeros((len(labels),), dtype=np.int32)
        for row, label in enumerate(labels):
            ids = self.encode(label)
            targets[row, : len(ids)] = ids
            lengths[row] = len(ids)
        return targets, lengths
