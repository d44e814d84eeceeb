"""Recognition datasets: word images with labels from LMDB, a folder or the synthetic generator.

Every source offers ``len``, ``label(i)``, ``image(i)`` (RGB uint8, raises on undecodable data) and
``lexicon(i)``. :class:`WordDataset` filters labels against the charset, reports what it dropped,
and turns samples into normalised CHW arrays for the model.
"""
import collections
import os

import cv2
import numpy as np

from sceneocr.data.images import UnreadableImage, decode_image  # noqa: F401  (decode_image: used by readers)
from sceneocr.data.lmdb_store import LmdbReader, is_lmdb
from sceneocr.data.paths import RootGuard

SYNTHETIC = "synthetic"


CorruptImage = UnreadableImage  # the name the data code uses: a sample that is skipped and counted


class SkipCounter:
    """What a source skipped while reading its annotations: counts per reason and a first example
    (file:line or file[record]) for :meth:`WordDataset.summary` to report."""

    def __init__(self):
        self.skipped = collections.Counter()
        self.skip_examples = {}

    def skip(self, reason, where):
        self.skipped[reason] += 1
        self.skip_examples.setdefault(reason, where)


class LmdbWords(SkipCounter):
    """Labels that are not UTF-8 read as None: :class:`WordDataset` drops them, this source counts them."""

    trusted_labels = False

    def __init__(self, path):
        super().__init__()
        self.reader = LmdbReader(path)
        self.name = path

    def __len__(self):
        return len(self.reader)

    def label(self, i):
        return self.reader.label(i)

    def labels(self):
        labels = self.reader.labels()
        self.skipped.clear()
        for i, label in enumerate(labels):
            if label is None:
                self.skip("label is not UTF-8", f"{self.name}[label-{i + 1:09d}]")
        return labels

    def image(self, i):
        return decode_image(self.reader.image_bytes(i), f"{self.name}[image-{i + 1:09d}]")

    def lexicon(self, i):
        return self.reader.lexicon(i)


class FolderWords(SkipCounter):
    """A folder with ``labels.tsv`` (or a given .tsv file): ``relative/path<TAB>label[<TAB>lexicon]`` with a
    comma-separated lexicon. A first line whose second field is ``label`` is a header naming the columns;
    then only a column called ``lexicon`` is read as one (e.g. ``crop<TAB>label<TAB>word_xml_entry``).

    Records end at LF (or CRLF). Lines that are not UTF-8, lines with more fields than the columns (the header's,
    else path, label and lexicon), and paths that resolve outside the folder of the .tsv file (``..``, absolute
    paths, symlinks), are skipped and counted."""

    trusted_labels = False

    def __init__(self, path):
        super().__init__()
        index = path if os.path.isfile(path) else os.path.join(path, "labels.tsv")
        self.root = os.path.dirname(index)
        self.name = path
        if not os.path.isfile(index):
            raise FileNotFoundError(f"{path}: no labels.tsv (expected relative/path<TAB>label lines)")
        self.items = []
        lexicon_column, columns = 2, 3
        guard = RootGuard(self.root or ".")
        with open(index, "rb") as handle:
            raw = handle.read().removeprefix(b"\xef\xbb\xbf")
        for number, data in enumerate(raw.split(b"\n"), 1):
            try:
                line = data.decode("utf-8").removesuffix("\r")
            except UnicodeDecodeError:
                self.skip("line is not UTF-8", f"{index}:{number}")
                continue
            if not line:
                continue
            fields = line.split("\t")
            if number == 1 and len(fields) >= 2 and fields[1].strip().lower() == "label":
                names = [f.strip().lower() for f in fields]
                lexicon_column = names.index("lexicon") if "lexicon" in names else None
                columns = len(names)
                continue
            if len(fields) < 2:
                raise ValueError(f"{index}:{number}: expected 'path<TAB>label', got {line!r}")
            if len(fields) > columns:  # a tab inside a label, or a shifted line: its label cannot be trusted
                self.skip(f"more fields than the {columns} columns", f"{index}:{number}")
                continue
            image_path = guard.resolve(fields[0])
            if image_path is None:
                self.skip("image path outside the dataset folder", f"{index}:{number}")
                continue
            lexicon = None
            if lexicon_column is not None and len(fields) > lexicon_column and fields[lexicon_column]:
                lexicon = fields[lexicon_column].split(",")
            self.items.append((image_path, fields[1], lexicon))

    def __len__(self):
        return len(self.items)

    def label(self, i):
        return self.items[i][1]

    def labels(self):
        return [item[1] for item in self.items]

    def image(self, i):
        path = self.items[i][0]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CorruptImage(f"{path}: {exc.strerror}") from None
        return decode_image(data, path)

    def lexicon(self, i):
        return self.items[i][2]


class SyntheticWordSource:
    trusted_labels = True

    def __init__(self, num_samples, seed, charset, max_length, font_dirs=(), background_dirs=(), margins=None,
                 degradation=None, rotation=None):
        from sceneocr.data.synth_words import SyntheticWords

        self.generator = SyntheticWords(num_samples, seed, charset, max_length, font_dirs,
                                        background_dirs=background_dirs, margins=margins, degradation=degradation,
                                        rotation=rotation)
        self.name = f"synthetic(seed={seed}, n={num_samples}; {self.generator.describe()})"

    def __len__(self):
        return len(self.generator)

    def label(self, i):
        return self.generator.label(i)

    def labels(self):
        return [self.generator.label(i) for i in range(len(self))]

    def image(self, i):
        return self.generator[i][0]

    def lexicon(self, i):
        return None


def open_word_source(spec, charset="0123456789abcdefghijklmnopqrstuvwxyz", max_length=23,
                     num_samples=100000, seed=0, font_dirs=(), background_dirs=(), synth_margins=None,
                     synth_degradation=None, synth_rotation=None):
    """``spec`` is an LMDB folder, a folder with labels.tsv, a .tsv file, or ``synthetic`` (whose word
    margins, camera degradations and rotations ``synth_margins``, ``synth_degradation`` and ``synth_rotation``
    set, see :data:`sceneocr.data.synth_words.DEFAULT_MARGINS`, ``DEFAULT_DEGRADATION`` and ``DEFAULT_ROTATION``)."""
    if spec == SYNTHETIC:
        return SyntheticWordSource(num_samples, seed, charset, max_length, font_dirs, background_dirs, synth_margins,
                                   synth_degradation, synth_rotation)
    if not os.path.exists(spec):
        raise FileNotFoundError(f"{spec}: dataset path does not exist")
    if is_lmdb(spec):
        return LmdbWords(spec)
    return FolderWords(spec)


def pick_width(aspect, widths, height=32):
    """The narrowest of ``widths`` (ascending) that holds a crop of ``aspect`` (its width / height) at ``height``
    px without squeezing it, else the widest: long words keep more time steps per character."""
    wanted = aspect * height
    return next((w for w in widths if wanted <= w), widths[-1])


def prepare_word(rgb, height=32, width=100, channels=3):
    """An RGB word image as the recogniser's input: resized to height x width, CHW float32 in [-1, 1]."""
    img = rgb if channels == 3 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None]
    interp = cv2.INTER_AREA if img.shape[0] > height else cv2.INTER_LINEAR
    img = cv2.resize(img, (width, height), interpolation=interp)
    img = img.reshape(height, width, channels).astype(np.float32)
    return (img.transpose(2, 0, 1) - 127.5) / 127.5


class WordDataset:
    """Valid samples of a source, preprocessed to ``channels x height x width`` float32 in [-1, 1].

    ``widths`` (training at the widths the recogniser reads at): each crop is resized to the width its
    aspect picks from them (:func:`pick_width`) instead of ``width``, so samples differ in width; a
    :class:`sceneocr.data.loader.BatchLoader` batches such a dataset by width."""

    def __init__(self, source, charset, height=32, width=100, channels=3, widths=None):
        self.source = source
        self.charset = charset
        self.height, self.width, self.channels = height, width, channels
        self.widths = sorted(int(w) for w in widths) if widths else None
        self.dropped = collections.Counter()
        self.unknown_chars = collections.Counter()
        if source.trusted_labels:
            self.indices = np.arange(len(source))
            self._labels = None
        else:
            self.indices, self._labels = self._filter(source.labels())

    def _filter(self, raw_labels):
        keep, labels = [], []
        for i, raw in enumerate(raw_labels):
            if raw is None:  # unreadable label: the source counted it (see SkipCounter)
                continue
            label, problem = self.charset.check(raw)
            if problem:
                self.dropped[problem] += 1
                if problem == "charset":
                    self.unknown_chars.update(self.charset.unknown_chars(raw))
                continue
            keep.append(i)
            labels.append(raw)
        return np.asarray(keep, dtype=np.int64), labels

    def summary(self):
        text = f"{self.source.name}: {len(self)} samples"
        for reason, count in getattr(self.source, "skipped", {}).items():
            text += f", {count} skipped ({reason}; first: {self.source.skip_examples[reason]})"
        if self.dropped["empty"]:
            text += f", {self.dropped['empty']} dropped for an empty label"
        if self.dropped["charset"]:
            chars = "".join(c for c, _ in self.unknown_chars.most_common(20))
            text += f", {self.dropped['charset']} dropped for characters outside the alphabet ({chars!r})"
        if self.dropped["length"]:
            text += (f", {self.dropped['length']} dropped for labels longer than "
                     f"{self.charset.max_length}")
        return text

    def __len__(self):
        return len(self.indices)

    def label(self, k):
        """The label as stored (case preserved); the charset normalises it when encoding."""
        if self._labels is not None:
            return self._labels[k]
        return self.source.label(int(self.indices[k]))

    def lexicon(self, k):
        return self.source.lexicon(int(self.indices[k]))

    def preprocess(self, rgb):
        width = self.width
        if self.widths:
            width = pick_width(rgb.shape[1] / max(rgb.shape[0], 1), self.widths, self.height)
        return prepare_word(rgb, self.height, width, self.channels)

    def load(self, k):
        """(chw image, label); raises CorruptImage for undecodable data."""
        return self.preprocess(self.source.image(int(self.indices[k]))), self.label(k)


class WordsAtWidth:
    """Samples ``ks`` of a :class:`WordDataset` preprocessed at input width ``width`` (a recogniser fed several
    widths reads each crop at the width its aspect ratio picks, :func:`pick_width`), each crop first turned by
    ``turn`` quarter turns (``np.rot90``: 1 anticlockwise, -1 clockwise)."""

    def __init__(self, dataset, ks, width, turn=0):
        self.dataset, self.ks, self.width, self.turn = dataset, np.asarray(ks, np.int64), int(width), int(turn)
        self.charset, self.height, self.channels = dataset.charset, dataset.height, dataset.channels

    def __len__(self):
        return len(self.ks)

    def label(self, j):
        return self.dataset.label(int(self.ks[j]))

    def lexicon(self, j):
        return self.dataset.lexicon(int(self.ks[j]))

    def load(self, j):
        k = int(self.ks[j])
        rgb = turned(self.dataset.source.image(int(self.dataset.indices[k])), self.turn)
        return prepare_word(rgb, self.height, self.width, self.channels), self.dataset.label(k)


# A crop at least this many times as tall as it is wide may hold a word written downwards or upwards; the
# reader also reads it turned a quarter either way and keeps the most confident reading (eval.tall_crop_ratio).
QUARTER_TURNS = (1, -1)


def is_tall(shape, ratio):
    """Whether an image of ``shape`` (height, width, ...) is read turned as well (``ratio`` 0: never)."""
    return bool(ratio) and shape[0] >= ratio * max(shape[1], 1)


def turned(rgb, turn):
    """``rgb`` turned by ``turn`` quarter turns (1 anticlockwise, -1 clockwise), contiguous for OpenCV."""
    return np.ascontiguousarray(np.rot90(rgb, turn)) if turn else rgb


def more_confident(reading, other):
    """Whether ``reading`` beats ``other``, two readings of one crop in different turns (``turn``: quarter turns,
    absent when upright): the more confident, the upright one on a tie."""
    return (reading["confidence"], not reading.get("turn")) > (other["confidence"], not other.get("turn"))


def split_by_width(dataset, widths, tall_ratio=0):
    """``dataset`` as one :class:`WordsAtWidth` per width used, each crop at the width its aspect picks. An
    unreadable crop goes with the first width (its loader counts it there). With ``tall_ratio``, the crops at
    least that many times as tall as wide (:func:`is_tall`) come again in parts turned each way of
    :data:`QUARTER_TURNS`, at the widths their turned aspect picks."""
    widths = sorted(int(w) for w in widths)
    groups = {}
    for k in range(len(dataset)):
        try:
            shape = dataset.source.image(int(dataset.indices[k])).shape
        except ValueError:  # CorruptImage and decoder errors
            groups.setdefault((0, widths[0]), []).append(k)
            continue
        groups.setdefault((0, pick_width(shape[1] / max(shape[0], 1), widths, dataset.height)), []).append(k)
        if is_tall(shape, tall_ratio):
            width = pick_width(shape[0] / max(shape[1], 1), widths, dataset.height)
            for turn in QUARTER_TURNS:
                groups.setdefault((turn, width), []).append(k)
    # Upright first, then the turns in QUARTER_TURNS' order: readings that tie keep the first (the predictor's order).
    order = {0: 0, **{turn: rank for rank, turn in enumerate(QUARTER_TURNS, 1)}}
    return [WordsAtWidth(dataset, ks, width, turn)
            for (turn, width), ks in sorted(groups.items(), key=lambda item: (order[item[0][0]], item[0][1]))]
