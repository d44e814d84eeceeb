"""Several training sources drawn by ratio, as PaddleOCR's ``ratio_list`` and MMOCR's weighted
concatenation do.

An epoch is ``num_samples`` draws: part ``j`` contributes ``round(ratio_j * num_samples)`` of them.
Each part is read in order of a seeded permutation that continues across epochs (a part smaller
than its share is repeated, reshuffled each pass; a larger one is read further each epoch), so every
sample of a small real set is seen before any is repeated. Draw ``k`` of epoch ``e`` is a pure
function of ``(seed, e, k)``, augmentation included, so resumed runs are exact.
"""
import numpy as np

from sceneocr.data.augment import augment_word_crop


def shares(ratios, total):
    """Integer counts proportional to ``ratios`` that add up to ``total`` (largest remainders)."""
    ratios = np.asarray(ratios, dtype=np.float64)
    if ratios.size == 0 or np.any(ratios < 0) or ratios.sum() <= 0:
        raise ValueError(f"sampling ratios must be >= 0 with a positive sum, got {ratios.tolist()}")
    exact = ratios / ratios.sum() * total
    counts = np.floor(exact).astype(np.int64)
    for j in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[j] += 1
    return counts


class MixedWordDataset:
    """``parts``: :class:`WordDataset` objects; ``augment[j]``: augment part j's crops (real data);
    ``crop_jitter``: (outward, inward) crop-edge moves of the augmentation, fractions of the height."""

    takes_epoch = True

    def __init__(self, parts, ratios, num_samples, seed=0, augment=None, crop_jitter=(0.08, 0.08)):
        self.parts = list(parts)
        self.ratios = [float(r) for r in ratios]
        self.augment = list(augment) if augment is not None else [False] * len(self.parts)
        if not (len(self.parts) == len(self.ratios) == len(self.augment)):
            raise ValueError("parts, ratios and augment flags must have the same length")
        for part, ratio in zip(self.parts, self.ratios):
            if ratio > 0 and len(part) == 0:
                raise ValueError(f"{part.source.name}: no usable samples for a sampling ratio of {ratio}")
        self.seed = int(seed)
        self.crop_jitter = tuple(float(v) for v in crop_jitter)
        self.counts = shares(self.ratios, int(num_samples))
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])
        self._permutations = {}
        # The loader and evaluation read these like a WordDataset's.
        first = self.parts[0]
        self.charset, self.height, self.width, self.channels = first.charset, first.height, first.width, first.channels
        self.widths = first.widths

    def __len__(self):
        return int(self.offsets[-1])

    def _permutation(self, j, cycle):
        key = (j, cycle)
        if key not in self._permutations:
            if len(self._permutations) > 16:
                self._permutations.clear()
            self._permutations[key] = np.random.default_rng([self.seed, j, cycle]).permutation(len(self.parts[j]))
        return self._permutations[key]

    def locate(self, k, epoch=0):
        """(part index, sample index within the part) of draw ``k`` in ``epoch``."""
        j = int(np.searchsorted(self.offsets, k, side="right") - 1)
        position = epoch * int(self.counts[j]) + (k - int(self.offsets[j]))
        size = len(self.parts[j])
        return j, int(self._permutation(j, position // size)[position % size])

    def load(self, k, epoch=0):
        j, i = self.locate(k, epoch)
        part = self.parts[j]
        rgb = part.source.image(int(part.indices[i]))
        if self.augment[j]:
            rgb = augment_word_crop(rgb, np.random.default_rng([self.seed, epoch, k, 7]), self.crop_jitter)
        return part.preprocess(rgb), part.label(i)

    def label(self, k, epoch=0):
        j, i = self.locate(k, epoch)
        return self.parts[j].label(i)

    def lexicon(self, k):
        return None

    def summary(self):
        lines = [f"{len(self)} draws per epoch from {len(self.parts)} sources:"]
        for part, ratio, count, aug in zip(self.parts, self.ratios, self.counts, self.augment):
            lines.append(f"  ratio {ratio:g} ({count} draws{', augmented' if aug else ''}): {part.summary()}")
        return "\n".join(lines)
