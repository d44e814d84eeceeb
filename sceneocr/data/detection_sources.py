"""Detection data named by a config (``data.train`` / ``data.val``): generated scenes, real datasets, and
several of them mixed by ratio.

A value is a name (``synthetic``: procedural scenes; ``photo_synth``: text painted on photographs), or a
list of names and mappings::

    train:
      - {format: photo_synth, ratio: 0.5}
      - {format: ic03, images: .../SceneTrialTrain, annotations: .../words.xml, holdout: exclude, ratio: 0.3}
      - {format: svt, images: .../svt_train, annotations: .../train.xml, holdout: exclude, ratio: 0.2}

Without ratios the sources are read one after the other (each generated source with ``num_samples``
scenes). With a ratio on any of them (the others count as 1), an epoch is ``num_samples`` draws and
source ``j`` gets ``round(ratio_j * num_samples)`` of them, as PaddleOCR's ``ratio_list`` does: each
source is read in a seeded order that continues across epochs (a real set smaller than its share is
repeated, reshuffled each pass; a generated one renders as many scenes as its share needs over all
epochs, so none repeats). Draw ``k`` of epoch ``e`` is a pure function of ``(seed, e, k)``.
"""
import numpy as np

from sceneocr.data.concat import Concat
from sceneocr.data.detection import AnnotationError, describe_box_counts, read_detection_dataset
from sceneocr.data.mixed import shares

GENERATED = ("synthetic", "photo_synth")


def source_entries(spec):
    """``spec`` as a list of source mappings, each with ``format`` (names become ``{format: name}``)."""
    if spec is None or spec == "":
        return []
    entries = []
    for item in spec if isinstance(spec, list) else [spec]:
        if isinstance(item, str):
            if item not in GENERATED:
                raise AnnotationError(f"detection data source '{item}': use {' or '.join(GENERATED)}, or a mapping "
                                      "{format, images, annotations}")
            item = {"format": item}
        if not isinstance(item, dict) or "format" not in item:
            raise AnnotationError(f"detection data source {item!r}: needs a format")
        if item["format"] in GENERATED and set(item) - {"format", "ratio"}:
            raise AnnotationError(f"detection data source {item!r}: a generated source takes format and ratio only "
                                  "(its settings are data.scene_height, scene_width, max_words, fonts, backgrounds)")
        ratio = item.get("ratio")
        if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not ratio >= 0):
            raise AnnotationError(f"detection data source {item!r}: ratio must be a number >= 0")
        entries.append(dict(item))
    return entries


class MixedSamples:
    """``num_samples`` draws per epoch from ``parts`` in proportion to ``ratios`` (see the module docstring)."""

    def __init__(self, parts, ratios, num_samples, seed=0, names=None):
        self.parts = list(parts)
        self.ratios = [float(r) for r in ratios]
        self.names = list(names) if names else [getattr(p, "name", f"{len(p)} images") for p in self.parts]
        for part, ratio, name in zip(self.parts, self.ratios, self.names):
            if ratio > 0 and len(part) == 0:
                raise AnnotationError(f"{name}: no samples for a sampling ratio of {ratio:g}")
        self.seed = int(seed)
        self.counts = shares(self.ratios, int(num_samples))
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])
        self._orders = {}
        lines = [f"{len(self)} draws per epoch from {len(self.parts)} sources:"]
        lines += [f"  ratio {r:g} ({c} draws): {n}" for r, c, n in zip(self.ratios, self.counts, self.names)]
        self.name = "\n".join(lines)

    def __len__(self):
        return int(self.offsets[-1])

    def _order(self, j, cycle):
        if (j, cycle) not in self._orders:
            if len(self._orders) > 16:
                self._orders.clear()
            self._orders[(j, cycle)] = np.random.default_rng([self.seed, j, cycle]).permutation(len(self.parts[j]))
        return self._orders[(j, cycle)]

    def locate(self, k, epoch=0):
        """(part, index within the part) of draw ``k`` in ``epoch``."""
        j = int(np.searchsorted(self.offsets, k, side="right") - 1)
        position = epoch * int(self.counts[j]) + (k - int(self.offsets[j]))
        size = len(self.parts[j])
        return j, int(self._order(j, position // size)[position % size])

    def draw(self, k, epoch=0):
        j, i = self.locate(k, epoch)
        return self.parts[j][i]

    def __getitem__(self, k):
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self.draw(k, 0)


def open_generated(fmt, num_samples, seed, scene):
    """A generated source; ``scene``: height, width, max_words, font_dirs, backgrounds."""
    if fmt == "synthetic":
        from sceneocr.data.synth_scenes import SyntheticScenes

        scenes = SyntheticScenes(num_samples, seed, scene["height"], scene["width"], scene["max_words"],
                                 font_dirs=scene["font_dirs"])
        scenes.name = f"synthetic scenes(seed={seed}, n={num_samples})"
        return scenes
    from sceneocr.data.photo_scenes import PhotoScenes

    return PhotoScenes(num_samples, seed, scene["height"], scene["width"], scene["max_words"],
                       backgrounds=scene["backgrounds"], font_dirs=scene["font_dirs"])


def build_detection_samples(spec, num_samples, seed, scene, epochs=1, log=print):
    """The samples of ``spec`` (see the module docstring): a :class:`Concat` or :class:`MixedSamples`
    with ``name`` and ``box_counts`` (ground-truth cleaning counts of the real datasets)."""
    entries = source_entries(spec)
    if not entries:
        raise AnnotationError("no detection data source given")
    mixed = any(e.get("ratio") is not None for e in entries)
    ratios = [1.0 if e.get("ratio") is None else float(e["ratio"]) for e in entries]
    draws = shares(ratios, int(num_samples)) if mixed else [int(num_samples)] * len(entries)
    parts, names, box_counts = [], [], {}
    for entry, count in zip(entries, draws):
        fmt = entry["format"]
        if fmt in GENERATED:
            size = max(1, int(count)) * max(1, int(epochs)) if mixed else int(num_samples)
            part = open_generated(fmt, size, seed, scene)
            parts.append(part)
            names.append(part.name)
            continue
        counts = {}
        samples, missing = read_detection_dataset({k: v for k, v in entry.items() if k != "ratio"}, counts)
        where = entry.get("annotations") or entry.get("path")
        if missing:
            log(f"{where}: {len(missing)} annotated images not found, e.g. {missing[0]}")
        if counts.get("outside the dataset folder"):
            log(f"{where}: {counts['outside the dataset folder']} image names outside {entry.get('images')} skipped")
        if counts.get("unreadable images"):
            log(f"{where}: {counts['unreadable images']} annotated files are not readable images, skipped")
        held = f", holdout {entry['holdout']}" if entry.get("holdout") not in (None, "", "none") else ""
        names.append(f"{fmt}:{entry.get('images')} ({len(samples)} images{held}; {describe_box_counts(counts)})")
        for key, value in counts.items():
            box_counts[key] = box_counts.get(key, 0) + value
        parts.append(samples)
    result = MixedSamples(parts, ratios, num_samples, seed, names) if mixed else Concat(parts, " + ".join(names))
    result.box_counts = box_counts
    return result
