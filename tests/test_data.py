import importlib
import os

import cv2
import numpy as np
import pytest

from conftest import ROOT
from sceneocr.config import load_config
from sceneocr.data.charset import Charset
from sceneocr.data.lmdb_store import LmdbReader, LmdbWriter
from sceneocr.data.loader import BatchLoader, group_by_width
from sceneocr.data.synth_words import SyntheticWords
from sceneocr.data.words import FolderWords, LmdbWords, WordDataset, open_word_source, prepare_word


def png(value, size=(20, 60)):
    img = np.full(size + (3,), value, np.uint8)
    return cv2.imencode(".png", img)[1].tobytes()


def make_lmdb(path, samples):
    with LmdbWriter(str(path)) as writer:
        for data, label in samples:
            writer.add(data, label, ["foo", "bar"] if label == "Hello" else None)
    return str(path)


def test_lmdb_round_trip_with_corrupt_image_and_bad_labels(tmp_path):
    path = make_lmdb(tmp_path / "db", [(png(10), "Hello"), (b"not an image", "world"), (png(30), "caf\u00e9"),
                                       (png(40), "x" * 30), (png(50), "ok")])
    reader = LmdbReader(path)
    assert len(reader) == 5 and reader.label(0) == "Hello" and reader.lexicon(0) == ["foo", "bar"]
    dataset = WordDataset(LmdbWords(path), Charset(max_length=23), 32, 100, 3)
    assert len(dataset) == 3  # "café" (character) and the 30-character label (length) are dropped
    assert dataset.dropped == {"charset": 1, "length": 1}
    assert "outside the alphabet ('é')" in dataset.summary() and "longer than 23" in dataset.summary()
    loader = BatchLoader(dataset, batch_size=3, shuffle=False, workers=0)
    (images, labels, count), = list(loader.epoch(0))
    assert images.shape == (3, 3, 32, 100) and count == 3
    assert len(loader.corrupt) == 1 and "cannot decode image" in loader.corrupt[0]
    assert sorted(labels) == ["Hello", "Hello", "ok"]  # the corrupt sample is replaced, shape kept
    assert images.min() >= -1 and images.max() <= 1


def test_lmdb_is_opened_read_only(tmp_path):
    path = make_lmdb(tmp_path / "db", [(png(10), "a")])
    reader = LmdbReader(path)
    with pytest.raises(Exception):
        with reader._open().begin(write=True) as txn:
            txn.put(b"x", b"y")


def test_interrupted_lmdb_is_rejected(tmp_path):
    writer = LmdbWriter(str(tmp_path / "db"), commit_every=1)
    writer.add(png(1), "a")
    writer.env.close()  # no close(): num-samples was never written
    with pytest.raises(ValueError, match="no 'num-samples'"):
        LmdbReader(str(tmp_path / "db"))


def test_folder_dataset_and_errors(tmp_path):
    (tmp_path / "a.png").write_bytes(png(200))
    (tmp_path / "labels.tsv").write_text("a.png\tHi\tHi,Ho\nmissing.png\tyo\n")
    source = open_word_source(str(tmp_path))
    assert isinstance(source, FolderWords) and source.lexicon(0) == ["Hi", "Ho"]
    with pytest.raises(ValueError, match="missing.png"):
        source.image(1)
    (tmp_path / "labels.tsv").write_text("only-one-field\n")
    with pytest.raises(ValueError, match=r"labels.tsv:1: expected 'path<TAB>label'"):
        FolderWords(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_word_source(str(tmp_path / "nowhere"))


def test_synthetic_words_are_reproducible_and_varied():
    a, b = SyntheticWords(50, seed=3), SyntheticWords(50, seed=3)
    img1, text1 = a[7]
    img2, text2 = b[7]
    assert text1 == text2 and np.array_equal(img1, img2)
    assert img1.dtype == np.uint8 and img1.ndim == 3 and img1.shape[2] == 3
    texts = {a[i][1] for i in range(30)}
    assert len(texts) > 20
    assert all(c.lower() in "0123456789abcdefghijklmnopqrstuvwxyz" for t in texts for c in t)
    assert SyntheticWords(50, seed=4)[7][1] != text1 or not np.array_equal(SyntheticWords(50, seed=4)[7][0], img1)


def test_loader_shards_are_disjoint_and_resume_exactly():
    class Numbers:
        def __len__(self):
            return 40

        def load(self, k):
            return np.full((1, 2, 2), k, np.float32), str(k)

    shards = [BatchLoader(Numbers(), 4, seed=5, rank=r, world_size=2, workers=0) for r in range(2)]
    seen = [set(int(l) for _, labels, _ in s.epoch(1) for l in labels) for s in shards]
    assert not seen[0] & seen[1] and len(seen[0] | seen[1]) == 40
    loader = BatchLoader(Numbers(), 4, seed=5, workers=0)
    full = [labels for _, labels, _ in loader.epoch(2)]
    assert [labels for _, labels, _ in loader.epoch(2, start_step=3)] == full[3:]
    assert full != [labels for _, labels, _ in loader.epoch(3)]  # a new order each epoch


def test_loader_with_worker_processes_matches_in_process():
    dataset = WordDataset(open_word_source("synthetic", num_samples=24, seed=2), Charset(), 32, 100, 3)
    inline = list(BatchLoader(dataset, 8, seed=1, workers=0).epoch(0))
    loader = BatchLoader(dataset, 8, seed=1, workers=2)
    pooled = list(loader.epoch(0))
    loader.close()
    assert [b[1] for b in inline] == [b[1] for b in pooled]
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(inline, pooled))


class WordsOfSeveralWidths:
    """Sample k: a 1 x 2 x width image filled with k, its width cycling through 100, 148, 200, 124."""

    widths = (100, 148, 200, 124)

    def __len__(self):
        return 36

    def load(self, k):
        return np.full((1, 2, self.widths[k % 4]), k, np.float32), str(k)


def test_group_by_width_makes_batches_of_one_width():
    images = [np.full((1, 2, w), k, np.float32) for k, w in enumerate([100, 148, 100, 200, 148, 100, 148])]
    batches = group_by_width(images, [str(k) for k in range(7)], list(range(7)), 3, np.random.default_rng(0))
    by_rows = {tuple(rows): (batch.shape, labels) for batch, labels, rows in batches}
    # Sorted by width (stable): 100 (0, 2, 5), 148 (1, 4, 6), 200 (3): each batch at its middle sample's width.
    assert by_rows == {(0, 2, 5): ((3, 1, 2, 100), ["0", "2", "5"]), (1, 4, 6): ((3, 1, 2, 148), ["1", "4", "6"]),
                       (3,): ((1, 1, 2, 200), ["3"])}
    mixed, = group_by_width(images[:2] + images[3:4], ["0", "1", "3"], [0, 1, 3], 3, np.random.default_rng(0))
    assert mixed[0].shape == (3, 1, 2, 148)  # 100, 148, 200: the 100 and 200 px samples resized to 148
    assert np.allclose(mixed[0][0], 0) and np.allclose(mixed[0][2], 3)


def test_loader_by_width_batches_one_width_and_resumes_exactly():
    loader = BatchLoader(WordsOfSeveralWidths(), 3, seed=4, workers=0, by_width=True, pool_steps=4)
    full = list(loader.epoch(1))
    assert len(full) == 12 and {len(labels) for _, labels, _ in full} == {3}
    assert sorted(int(l) for _, labels, _ in full for l in labels) == list(range(36))  # each sample once
    own = [WordsOfSeveralWidths.widths[int(l) % 4] == images.shape[-1] for images, labels, _ in full for l in labels]
    # Each batch is at one of its samples' widths; only batches that straddle two widths in a pool of 12 samples
    # (4 widths) resize some samples.
    assert all(images.shape[-1] in {WordsOfSeveralWidths.widths[int(l) % 4] for l in labels}
               for images, labels, _ in full)
    assert sum(own) >= 24, sum(own)
    for start in (3, 4, 6):  # inside a pool, at a pool's start, in a later pool
        resumed = list(loader.epoch(1, start_step=start))
        assert [b[1] for b in resumed] == [b[1] for b in full[start:]]
        assert all(np.array_equal(x[0], y[0]) for x, y in zip(resumed, full[start:]))
    assert [b[1] for b in full] != [b[1] for b in loader.epoch(2)]
    pooled = BatchLoader(WordsOfSeveralWidths(), 3, seed=4, workers=1, by_width=True, pool_steps=4)
    try:  # worker processes load the next pool ahead: the same batches
        from_workers = list(pooled.epoch(1, start_step=3))
    finally:
        pooled.close()
    assert [b[1] for b in from_workers] == [b[1] for b in full[3:]]
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(from_workers, full[3:]))
    with pytest.raises(ValueError, match="for training"):
        BatchLoader(WordsOfSeveralWidths(), 3, workers=0, by_width=True, refill=False)


def test_word_dataset_reads_each_crop_at_the_width_its_aspect_picks(tmp_path):
    # Aspects 4/3, 4 and 5: 43, 128 and 160 px wide at a height of 32.
    for name, width in (("short", 40), ("middle", 120), ("long", 150)):
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.full((30, width, 3), 90, np.uint8))
    (tmp_path / "labels.tsv").write_text("short.png\tab\nmiddle.png\tabcd\nlong.png\tabcdef\n")
    fixed = WordDataset(open_word_source(str(tmp_path)), Charset(), 32, 100, 3)
    several = WordDataset(open_word_source(str(tmp_path)), Charset(), 32, 100, 3, widths=[148, 100, 200])
    assert [fixed.load(k)[0].shape[-1] for k in range(3)] == [100, 100, 100]
    assert [several.load(k)[0].shape[-1] for k in range(3)] == [100, 148, 200]


def test_last_batch_is_padded_to_the_static_size():
    dataset = WordDataset(open_word_source("synthetic", num_samples=10, seed=2), Charset(), 32, 100, 3)
    batches = list(BatchLoader(dataset, 4, shuffle=False, drop_last=False, workers=0).epoch(0))
    assert [b[2] for b in batches] == [4, 4, 2]
    assert all(b[0].shape[0] == 4 and len(b[1]) == 4 for b in batches)


def test_rendered_lmdb_equals_on_the_fly_samples(tmp_path):
    module = importlib.import_module("sceneocr.cli.render_words")
    assert module.render(str(tmp_path / "db"), 6, seed=4) == 6
    stored = LmdbWords(str(tmp_path / "db"))
    live = SyntheticWords(6, seed=4)
    for i in range(6):
        assert stored.label(i) == live.label(i)
        assert np.array_equal(stored.image(i), live[i][0])  # PNG is lossless


def test_missing_font_folder_is_a_clear_error(tmp_path):
    from sceneocr.data.render import font_dirs_from_config

    assert font_dirs_from_config(None) == () and font_dirs_from_config(str(tmp_path)) == (str(tmp_path),)
    with pytest.raises(FileNotFoundError, match="nope: font folder not found"):
        font_dirs_from_config([str(tmp_path), str(tmp_path / "nope")])


def test_fonts_must_draw_the_whole_alphabet_in_both_cases(tmp_path):
    from sceneocr.data.render import _ALPHABET_CASES, _renders_latin, covers_alphabet, discover_fonts

    chars = set("".join(_ALPHABET_CASES))
    distinct = {ch: bytes([i + 1]) for i, ch in enumerate(sorted(chars))}
    assert covers_alphabet(distinct)
    # Two look-alikes per case (O / 0, l / 1) are a font's design; ten placeholder boxes are missing digits.
    assert covers_alphabet({**distinct, "0": distinct["o"], "1": distinct["l"]})
    assert not covers_alphabet({**distinct, "0": distinct["o"], "1": distinct["l"], "5": distinct["s"]})
    assert not covers_alphabet({**distinct, **{d: b"\x07" for d in "0123456789"}})
    assert not covers_alphabet({**distinct, "q": b"\x00\x00"})           # drawn empty
    assert not covers_alphabet({ch: m for ch, m in distinct.items() if ch != "Q"})
    # One missing glyph drawn as the font's placeholder box matches no other character, only the placeholder.
    assert covers_alphabet({**distinct, "q": b"\x09"}) and not covers_alphabet({**distinct, "q": b"\x09"}, b"\x09")
    # A file that is not a font is left out, not fatal.
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    assert not _renders_latin(str(tmp_path / "broken.ttf"))
    assert str(tmp_path / "broken.ttf") not in discover_fonts((str(tmp_path),))


def test_tsv_with_a_header_names_its_columns(tmp_path):
    (tmp_path / "a.png").write_bytes(png(100))
    (tmp_path / "gt.tsv").write_text("crop\tlabel\tword_xml_entry\na.png\tHELLO\tword/1/1.jpg\n")
    source = open_word_source(str(tmp_path / "gt.tsv"))
    assert len(source) == 1 and source.label(0) == "HELLO" and source.lexicon(0) is None
    assert source.image(0).shape == (20, 60, 3)


@pytest.mark.skipif(not __import__("os").path.isdir(__import__("conftest").SHARED + "/dev/ic03_860"),
                    reason="../shared/dev not present")
def test_real_development_set_reads_860_words():
    from conftest import SHARED

    dataset = WordDataset(open_word_source(f"{SHARED}/dev/ic03_860/gt.tsv"), Charset(), 32, 100, 3)
    assert len(dataset) == 860 and not dataset.dropped
    assert dataset.load(0)[1] == "311"


# --- issue 9: bad records are named and counted; evaluation never scores a sample twice ------------

def put_raw(path, key, value):
    import lmdb

    env = lmdb.open(str(path))
    with env.begin(write=True) as txn:
        txn.put(key, value)
    env.close()


def test_lmdb_num_samples_beyond_its_records_is_refused_at_open(tmp_path):
    path = make_lmdb(tmp_path / "db", [(png(10), "a"), (png(20), "b")])
    put_raw(path, b"num-samples", b"5")
    with pytest.raises(ValueError, match=r"db: LMDB says num-samples 5 but record 000000005 .* is missing"):
        WordDataset(LmdbWords(path), Charset(), 32, 100, 3)


def test_lmdb_labels_that_are_not_utf8_are_skipped_and_named(tmp_path):
    path = make_lmdb(tmp_path / "db", [(png(10), "a"), (png(20), "b"), (png(30), "c")])
    put_raw(path, b"label-000000002", b"caf\xe9")
    dataset = WordDataset(LmdbWords(path), Charset(), 32, 100, 3)
    assert [dataset.label(k) for k in range(len(dataset))] == ["a", "c"]
    assert "1 skipped (label is not UTF-8; first: " in dataset.summary()
    assert "db[label-000000002]" in dataset.summary()


def test_labels_tsv_lines_that_are_not_utf8_or_leave_the_folder_are_skipped(tmp_path):
    (tmp_path / "secret.png").write_bytes(png(5))
    root = tmp_path / "set"
    root.mkdir()
    (root / "a.png").write_bytes(png(200))
    __import__("os").symlink(tmp_path / "secret.png", root / "link.png")
    (root / "labels.tsv").write_bytes(b"a.png\tgood\nb.png\tcaf\xe9\n../secret.png\tup\n/etc/passwd\troot\n"
                                      b"link.png\tlink\n")
    source = open_word_source(str(root))
    assert source.labels() == ["good"]
    dataset = WordDataset(source, Charset(), 32, 100, 3)
    summary = dataset.summary()
    assert "1 skipped (line is not UTF-8; first: " in summary and "labels.tsv:2" in summary
    assert "3 skipped (image path outside the dataset folder; first: " in summary and "labels.tsv:3" in summary


def test_a_carriage_return_inside_a_tsv_label_does_not_split_the_record(tmp_path):
    (tmp_path / "a.png").write_bytes(png(200))
    (tmp_path / "labels.tsv").write_bytes(b"a.png\tA\rB\na.png\tok\r\n")
    assert FolderWords(str(tmp_path)).labels() == ["A\rB", "ok"]


def test_an_empty_label_is_reported_as_empty(tmp_path):
    path = make_lmdb(tmp_path / "db", [(png(10), ""), (png(20), "b")])
    dataset = WordDataset(LmdbWords(path), Charset(), 32, 100, 3)
    assert len(dataset) == 1 and dataset.dropped["empty"] == 1
    assert "1 dropped for an empty label" in dataset.summary() and "outside the alphabet" not in dataset.summary()


def test_training_replaces_a_wholly_unreadable_batch_and_fails_on_unreadable_data(tmp_path):
    from sceneocr.data.loader import UnreadableData

    path = make_lmdb(tmp_path / "db", [(b"bad", "a"), (b"bad", "b"), (png(30), "c"), (png(40), "d")])
    dataset = WordDataset(LmdbWords(path), Charset(), 32, 100, 3)
    batches = list(BatchLoader(dataset, 2, shuffle=False, workers=0).epoch(0))
    assert [b[1] for b in batches] == [["c", "c"], ["c", "d"]]  # the next readable sample stands in
    broken = make_lmdb(tmp_path / "broken", [(b"bad", "a")] * 4)
    loader = BatchLoader(WordDataset(LmdbWords(broken), Charset(), 32, 100, 3), 2, workers=0)
    with pytest.raises(UnreadableData, match=r"broken: 4 consecutive images are unreadable \(first: .*broken\["):
        list(loader.epoch(0))
    assert isinstance(UnreadableData("x"), ValueError)  # the scripts print it as one line


class _LexiconReader:
    """Stands in for the CRNN: answers each sample's first lexicon word and records its batches."""

    def __init__(self):
        self.batches = []

    def recognize(self, images, lexicons=None, count=None):
        self.batches.append((len(images), lexicons))
        return [{"text": (lexicons[k] or [""])[0] if lexicons else ""} for k in range(len(images))]


@pytest.mark.parametrize("workers", [0, 1])
def test_evaluation_skips_unreadable_images_and_keeps_lexicons_paired(tmp_path, workers):
    from sceneocr.crnn.task import evaluate_dataset

    samples = [(png(10), "one"), (b"bad", "two"), (png(30), "three"), (png(40), "four"), (b"bad", "five"),
               (b"bad", "six"), (png(50), "seven")]
    with LmdbWriter(str(tmp_path / "db")) as writer:
        for data, label in samples:
            writer.add(data, label, [label, "other"])
    dataset = WordDataset(LmdbWords(str(tmp_path / "db")), Charset(), 32, 100, 3)
    reader = _LexiconReader()
    metrics, predictions = evaluate_dataset(reader, dataset, batch_size=2, workers=workers)
    assert [p["label"] for p in predictions] == ["one", "three", "four", "seven"]
    assert [p["sample"] for p in predictions] == [0, 2, 3, 6]  # each crop's index in the LMDB, skips included
    assert metrics["samples"] == 4 and metrics["skipped_unreadable"] == 3
    assert metrics["word_accuracy"] == 1.0  # every sample met its own lexicon
    assert all(size == 2 for size, _ in reader.batches)  # static batch shape, padding not scored


def test_pick_width_takes_the_narrowest_that_fits():
    from sceneocr.data.words import pick_width

    assert pick_width(1.0, (40, 100, 160)) == 40     # 32 px wide at height 32
    assert pick_width(3.0, (40, 100, 160)) == 100    # 96 px
    assert pick_width(3.2, (40, 100, 160)) == 160    # 102.4 px: the next width up
    assert pick_width(9.0, (40, 100, 160)) == 160    # wider than all: the widest
    assert pick_width(9.0, (100,)) == 100


class _WidthReader:
    """Stands in for the CRNN: answers the input width it was given, and each sample's first lexicon word."""

    def recognize(self, images, lexicons=None, count=None):
        return [{"text": str(images.shape[3]), "lexicon_text": (lexicons[k] or [""])[0] if lexicons else None}
                for k in range(len(images))]


def test_evaluation_reads_each_crop_at_the_width_its_aspect_picks(tmp_path):
    from sceneocr.crnn.task import evaluate_dataset

    # Aspect ratios 1, 3, 5, 2 and an unreadable crop, at height 20; read at widths 40 / 100 / 160 (height 32).
    samples = [(png(10, (20, 20)), "a"), (png(20, (20, 60)), "b"), (b"bad", "x"), (png(30, (20, 100)), "c"),
               (png(40, (20, 40)), "d")]
    with LmdbWriter(str(tmp_path / "db")) as writer:
        for data, label in samples:
            writer.add(data, label, [label, "other"])  # each sample's lexicon leads with its own label
    dataset = WordDataset(LmdbWords(str(tmp_path / "db")), Charset(), 32, 100, 3)
    metrics, predictions = evaluate_dataset(_WidthReader(), dataset, batch_size=2, widths=[160, 40, 100])
    # In the dataset's order, whatever order the widths were read in; lexicons stay with their crops.
    assert [(p["label"], p["text"]) for p in predictions] == [("a", "40"), ("b", "100"), ("c", "160"), ("d", "100")]
    assert [p["lexicon_text"] for p in predictions] == ["a", "b", "c", "d"]
    assert metrics["samples"] == 4 and metrics["skipped_unreadable"] == 1 and metrics["lexicon_accuracy"] == 1.0
    _, single = evaluate_dataset(_WidthReader(), dataset, batch_size=2, widths=[124])
    assert {p["text"] for p in single} == {"124"}  # one width given: every crop at it
    _, fixed = evaluate_dataset(_WidthReader(), dataset, batch_size=2)
    assert {p["text"] for p in fixed} == {"100"}  # without widths: the dataset's own width


def bright_top(height, width):
    """A crop whose top half is white and bottom half black: turned anticlockwise, its left half is the bright one."""
    image = np.zeros((height, width, 3), np.uint8)
    image[: height // 2] = 255
    return image


class _LeftBrightReader:
    """Stands in for the CRNN: reads the input width, as confident as its left half is brighter than its right."""

    def recognize(self, images, lexicons=None, count=None):
        half = images.shape[3] // 2
        return [{"text": str(images.shape[3]),
                 "confidence": float(np.clip(image[..., :half].mean() - image[..., half:].mean(), 0, 2) / 2)}
                for image in images]


def test_tall_crops_are_read_turned_too_and_the_most_confident_reading_counts(tmp_path):
    from sceneocr.crnn.task import evaluate_dataset
    from sceneocr.data.words import split_by_width
    from sceneocr.e2e import RecognitionPredictor

    # 60 x 20 (ratio 3): turned anticlockwise it reads left-bright at width 100; 24 x 20 (1.2): below the ratio;
    # 20 x 60: wide, never turned. Upright, each reads 0 confidence (its halves are alike side by side).
    crops = [bright_top(60, 20), bright_top(24, 20), bright_top(20, 60)]
    labels = ["100", "40", "100", "bad"]  # what the reader answers when it reads each the best way
    with LmdbWriter(str(tmp_path / "db")) as writer:
        for crop, label in zip(crops, labels):
            writer.add(cv2.imencode(".png", crop)[1].tobytes(), label)
        writer.add(b"not an image", labels[3])  # unreadable: skipped and counted once, turned or not
    dataset = WordDataset(LmdbWords(str(tmp_path / "db")), Charset(), 32, 100, 3)
    parts = split_by_width(dataset, [40, 100], tall_ratio=1.5)
    assert [(part.turn, part.width, list(part.ks)) for part in parts] == [
        (0, 40, [0, 1, 3]), (0, 100, [2]), (1, 100, [0]), (-1, 100, [0])]
    expected = prepare_word(np.rot90(crops[0], 1), 32, 100, 3)
    assert np.array_equal(parts[2].load(0)[0], expected)

    metrics, predictions = evaluate_dataset(_LeftBrightReader(), dataset, batch_size=2, widths=[40, 100],
                                            tall_ratio=1.5)
    assert [(p["label"], p["text"], p.get("turn")) for p in predictions] == [
        ("100", "100", 1), ("40", "40", None), ("100", "100", None)]
    assert [p["sample"] for p in predictions] == [0, 1, 2]
    assert predictions[0]["confidence"] > 0.95  # the resize blurs the edge between the halves a little
    assert (metrics["samples"], metrics["word_accuracy"], metrics["skipped_unreadable"]) == (3, 1.0, 1)
    metrics, upright = evaluate_dataset(_LeftBrightReader(), dataset, batch_size=2, widths=[40, 100])
    assert [(p["text"], p.get("turn")) for p in upright] == [("40", None), ("40", None), ("100", None)]
    assert (metrics["samples"], metrics["word_accuracy"], metrics["skipped_unreadable"]) == (3, 2 / 3, 1)

    class EvenReader(_LeftBrightReader):  # every reading as confident as any other: the upright one stays
        def recognize(self, images, lexicons=None, count=None):
            return [{**item, "confidence": 0.5} for item in super().recognize(images, lexicons, count)]

    _, even = evaluate_dataset(EvenReader(), dataset, batch_size=2, widths=[40, 100], tall_ratio=1.5)
    assert [(p["text"], p.get("turn")) for p in even] == [("40", None), ("40", None), ("100", None)]

    # The predictor, given the same crops, reads them as the evaluation does.
    reader = RecognitionPredictor(_LeftBrightReader(), widths=(40, 100), batch_size=2, tall_crop_ratio=1.5)
    assert [text for text, _ in reader(crops)] == [p["text"] for p in predictions]
    assert reader([np.ascontiguousarray(crops[0][::-1])]) == reader([crops[0]])  # bright bottom: turned clockwise
    reader.tall_crop_ratio = 0
    assert [text for text, _ in reader(crops)] == [p["text"] for p in upright]
    assert [text for text, _ in RecognitionPredictor(EvenReader(), widths=(40, 100), tall_crop_ratio=1.5)(crops)] == [
        p["text"] for p in even]


def test_evaluation_over_two_datasets_adds_a_pooled_result(tmp_path, monkeypatch):
    from sceneocr.crnn import task

    class Reader:
        charset = Charset()

        def recognize(self, images, lexicons=None, count=None):
            return [{"text": "cat"} for _ in images]

    folders = []
    for name, labels in (("a", ["cat"]), ("b", ["dog", "dog", "dog"])):
        folder = tmp_path / name
        folder.mkdir()
        for k, label in enumerate(labels):
            (folder / f"w{k}.png").write_bytes(png(20 + k))
        (folder / "labels.tsv").write_text("".join(f"w{k}.png\t{label}\n" for k, label in enumerate(labels)))
        folders.append(str(folder))
    monkeypatch.setattr(task, "load_recognizer", lambda *args: Reader())
    cfg = load_config(os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml"))
    logged = []
    results = task.evaluate(cfg, folders, ckpt="unused", logger=logged.append)
    assert results[folders[0]]["word_accuracy"] == 1.0 and results[folders[1]]["word_accuracy"] == 0.0
    assert results["pooled"]["samples"] == 4
    assert results["pooled"]["word_accuracy"] == pytest.approx(1 / 4)   # counts, not the mean 1/2
    assert any(line.startswith("all 2 datasets pooled: samples 4, word_accuracy 0.2500") for line in logged)
