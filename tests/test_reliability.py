"""Reliability round 2 (issue 30): the inference path, concurrent runs and the model cache. Each test names the
defect it holds fixed."""
import io
import json
import os
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from sceneocr.data.images import DEFAULT_MAX_PIXELS, UnreadableImage, decode_image, read_image, to_rgb
from sceneocr.e2e import OCRPredictor, Page
from sceneocr.e2e.outputs import LineWriter, OutputExists, write_file
from sceneocr.e2e.predictor import RecognitionPredictor
from sceneocr.data.charset import Charset

CRNN_TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")


def png_bytes(array):
    ok, data = cv2.imencode(".png", array)
    assert ok
    return data.tobytes()


class OneWordDetector:
    """Finds one word in the middle of any image, for tests of what comes before and after the networks."""

    backend = "stand-in"

    def detect(self, images, batch_size=1):
        out = []
        for image in images:
            h, w = image.shape[:2]
            out.append({"boxes": np.array([[w * 0.25, h * 0.25, w * 0.75, h * 0.75]], np.float32),
                        "scores": np.array([0.9], np.float32), "classes": np.ones(1, np.int32)})
        return out


class EchoRecognizer:
    """Reads every crop as 'word' (or the first lexicon word), as a recogniser's ``recognize`` would report it."""

    backend, batch_size, exported, decoding = "stand-in", None, False, "greedy"
    charset = Charset()

    def recognize(self, images, lexicons=None, count=None):
        assert images.dtype == np.float32 and np.isfinite(images).all()
        return [{"text": "word", "confidence": 0.5, **({"lexicon_text": lexicons[k][0], "lexicon_confidence": 0.4}
                                                       if lexicons else {})} for k in range(len(images))]


@pytest.fixture
def predictor():
    return OCRPredictor(OneWordDetector(), EchoRecognizer(), rec_widths=(100,), rec_batch_size=4)


# --- 1: huge images are refused before they are decoded; a folder run goes on --------------------------------

def test_an_image_over_the_pixel_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    data = png_bytes(np.zeros((100, 120, 3), np.uint8))
    monkeypatch.setattr(cv2, "imdecode", lambda *a: pytest.fail("decoded an image over the limit"))
    with pytest.raises(UnreadableImage, match=r"huge.png: 120x100 = 12,000 pixels is over the limit of 11,999 "
                                              r"\(SCENEOCR_MAX_IMAGE_PIXELS\)"):
        decode_image(data, "huge.png", max_pixels=11_999)
    monkeypatch.setenv("SCENEOCR_MAX_IMAGE_PIXELS", "5000")
    with pytest.raises(UnreadableImage, match="over the limit of 5,000"):
        decode_image(data, "huge.png")
    monkeypatch.setenv("SCENEOCR_MAX_IMAGE_PIXELS", "lots")
    with pytest.raises(UnreadableImage, match="SCENEOCR_MAX_IMAGE_PIXELS='lots': expected a whole number"):
        decode_image(data, "huge.png")
    monkeypatch.delenv("SCENEOCR_MAX_IMAGE_PIXELS")
    # The header is what is read: a 60000x60000 PNG header with no pixels behind it is refused just the same.
    header = Image.new("L", (1, 1))
    buffer = io.BytesIO()
    header.save(buffer, "PNG")
    big = bytearray(buffer.getvalue())
    big[16:24] = (60000).to_bytes(4, "big") + (60000).to_bytes(4, "big")  # IHDR width and height
    big[29:33] = zlib.crc32(bytes(big[12:29])).to_bytes(4, "big")  # and the chunk's checksum
    assert DEFAULT_MAX_PIXELS < 60000 * 60000
    with pytest.raises(UnreadableImage, match="60000x60000 = 3,600,000,000 pixels is over the limit"):
        decode_image(bytes(big), "bomb.png")


def run_read(args, monkeypatch, predictor):
    from sceneocr.cli import read

    monkeypatch.setattr(read, "build_predictor", lambda parsed: predictor)
    monkeypatch.setattr(read, "setup_run", lambda *a, **k: None)
    return read.run(read.parse_args(args))


def test_a_folder_run_skips_and_counts_what_it_cannot_read_and_reads_the_rest(tmp_path, monkeypatch, predictor,
                                                                              capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.jpg", "c.jpg"):
        cv2.imwrite(str(folder / name), np.full((40, 60, 3), 128, np.uint8))
    cv2.imwrite(str(folder / "b_huge.png"), np.full((200, 300, 3), 128, np.uint8))
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    monkeypatch.setenv("SCENEOCR_MAX_IMAGE_PIXELS", "10000")
    done, skipped = run_read(["--image", str(folder), "--jsonl", str(tmp_path / "o.jsonl")], monkeypatch, predictor)
    assert done == 2 and [os.path.basename(p) for p in skipped] == ["b_huge.png"]
    lines = (tmp_path / "o.jsonl").read_text().splitlines()
    assert [os.path.basename(json.loads(line)["source"]) for line in lines] == ["a.jpg", "c.jpg"]
    err = capsys.readouterr().err
    assert "skipped 1 file(s) of other types" in err and "b_huge.png: 300x200 = 60,000 pixels is over" in err


# --- 18: a single file that cannot be read fails the run ------------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"GIF89a\x01\x00\x01\x00", b"%PDF-1.4 not an image"])
def test_an_unreadable_single_file_exits_non_zero(tmp_path, monkeypatch, predictor, content):
    path = tmp_path / "image.jpg"
    path.write_bytes(content)
    with pytest.raises(UnreadableImage, match=f"{path}: no image could be read"):
        run_read(["--image", str(path), "--output", str(tmp_path / "out")], monkeypatch, predictor)
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


# --- 9, 10, 11: what the predictor takes besides paths -------------------------------------------------------

def test_float_images_are_read_in_either_range_and_other_values_refused(predictor):
    image = np.full((40, 60, 3), 200, np.uint8)
    as_uint8 = to_rgb(image)
    np.testing.assert_array_equal(to_rgb(image.astype(np.float32) / 255), as_uint8)
    np.testing.assert_array_equal(to_rgb(image.astype(np.float64)), as_uint8)
    assert len(predictor(image.astype(np.float32) / 255).words) == 1  # was: 0 words, no error
    for bad, message in ((image.astype(np.float32) * 4, r"values must lie in \[0, 1\] or \[0, 255\]"),
                         (np.full((4, 4), np.nan, np.float32), "NaN"),
                         (image.astype(np.int32) - 300, r"must lie in \[0, 255\]"),
                         (image.astype(np.complex64), "unsupported image dtype")):
        with pytest.raises(UnreadableImage, match=message):
            predictor(bad)


def test_pil_images_of_every_mode_read_as_their_file_does(tmp_path, predictor):
    grey16 = (np.arange(40 * 60, dtype=np.uint16).reshape(40, 60) * 27).astype(np.uint16)
    path = str(tmp_path / "grey16.png")
    cv2.imwrite(path, grey16)
    from_file = read_image(path)
    with Image.open(path) as pil:
        assert pil.mode.startswith("I")
        np.testing.assert_array_equal(to_rgb(pil), from_file)  # was: an I;16 image read as nothing
        assert len(predictor(pil).words) == len(predictor(path).words) == 1
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "YCbCr", "I", "F", "I;16"):
        image = Image.new(mode, (30, 20))
        assert to_rgb(image).shape == (20, 30, 3) and to_rgb(image).dtype == np.uint8, mode


def test_empty_and_one_pixel_images_give_an_empty_page(predictor):
    for shape in ((0, 0, 3), (0, 10, 3), (1, 1, 3), (1, 50), (30, 1, 3)):
        page = predictor(np.zeros(shape, np.uint8))
        assert isinstance(page, Page) and page.words == [], shape
        assert (page.width, page.height) == (shape[1], shape[0])


def test_fuzzed_inputs_give_a_page_or_one_clear_error(predictor):
    """dtypes, shapes, channel counts, PIL modes and sizes up to the pixel limit: a page, or one line."""
    rng = np.random.default_rng(0)
    dtypes = (np.uint8, np.uint16, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64, bool)
    cases = []
    for _ in range(60):
        ndim = int(rng.integers(0, 5))
        shape = tuple(int(rng.choice([0, 1, 2, 3, 4, 5, 17, 64])) for _ in range(ndim))
        dtype = dtypes[int(rng.integers(len(dtypes)))]
        scale = float(rng.choice([1, 255, 300, 70000]))
        with np.errstate(all="ignore"):  # float16 cannot hold 70000: inf, which must be refused too
            cases.append((rng.random(shape) * scale).astype(dtype) if shape else np.array(scale, dtype))
    cases += [Image.new(mode, (int(w), int(h))) for mode in ("1", "L", "P", "RGBA", "I;16", "F")
              for w, h in ((1, 1), (33, 7), (64, 48))]
    cases += [None, "", 3.5, [[1, 2], [3]], {"image": 1}, np.zeros((2, 2, 3), object)]
    pages = errors = 0
    for case in cases:
        try:
            page = predictor(case)
        except UnreadableImage as exc:
            assert "\n" not in str(exc) and str(exc)
            errors += 1
            continue
        assert isinstance(page, Page) and all(len(w.box) == 4 for w in page.words)
        pages += 1
    assert pages > 20 and errors > 10
    with pytest.raises(UnreadableImage, match="over the limit"):  # a PIL image over the limit is not converted
        to_rgb(Image.new("L", (200, 100)), max_pixels=19_999)


# --- 8: a lexicon with words the alphabet cannot spell ---------------------------------------------------------

def test_lexicon_words_outside_the_alphabet_are_left_out_and_counted():
    reader = RecognitionPredictor(EchoRecognizer(), widths=(100,), batch_size=2)
    kept, dropped = reader.normalize_lexicon(["SORRY", "sörry€", "字", "exit", ""])
    assert kept == ["sorry", "exit"] and dropped == ["sörry€", "字", ""]
    reader = RecognitionPredictor(EchoRecognizer(), widths=(100,), batch_size=2, lexicon=["Toilet", "é"])
    assert reader.lexicon == ["toilet"]
    assert reader([np.zeros((20, 60, 3), np.uint8)]) == [("toilet", 0.4)]  # never a word outside the lexicon
    with pytest.raises(ValueError, match="none of its 2 words can be spelled"):
        reader.normalize_lexicon(["字", "é"])


# --- 3, 16: outputs ----------------------------------------------------------------------------------------------

def test_a_second_writer_of_one_output_fails_and_overwrite_replaces_links_not_their_targets(tmp_path):
    path = str(tmp_path / "out" / "a.jpg.json")
    write_file(path, "first")
    with pytest.raises(OutputExists, match="a.jpg.json: already exists"):
        write_file(path, "second")
    assert open(path).read() == "first"
    target = tmp_path / "unrelated.txt"
    target.write_text("keep me")
    link = tmp_path / "out" / "b.jpg.json"
    os.symlink(target, link)
    write_file(str(link), "result", overwrite=True)
    assert target.read_text() == "keep me" and not os.path.islink(link) and link.read_text() == "result"
    assert sorted(os.listdir(tmp_path / "out")) == ["a.jpg.json", "b.jpg.json"]  # no temporary file left
    lines = LineWriter(str(tmp_path / "o.jsonl"))
    lines.write("{}")
    lines.close()
    again = LineWriter(str(tmp_path / "o.jsonl"))
    again.write("{}")
    with pytest.raises(OutputExists):
        again.close()


def test_read_cannot_lose_a_result_to_a_concurrent_run(tmp_path, monkeypatch, predictor):
    image = tmp_path / "a.jpg"
    cv2.imwrite(str(image), np.full((40, 60, 3), 128, np.uint8))
    from sceneocr.e2e import outputs

    real = outputs.place_new

    def other_run_first(tmp, path):  # another run writes the same output between the check and the write
        with open(path, "w") as handle:
            handle.write("the other run's text")
        real(tmp, path)

    monkeypatch.setattr(outputs, "place_new", other_run_first)
    with pytest.raises(OutputExists, match="a.jpg.json: already exists"):
        run_read(["--image", str(image), "--output", str(tmp_path / "out")], monkeypatch, predictor)
    assert (tmp_path / "out" / "a.jpg.json").read_text() == "the other run's text"


# --- 13: files that are not UTF-8 -------------------------------------------------------------------------------

def test_configs_and_lexicons_that_are_not_utf8_are_named(tmp_path):
    from sceneocr.config import ConfigError, load_config
    from sceneocr.e2e.predictor import read_lexicon

    config = tmp_path / "latin1.yaml"
    config.write_bytes("_base_: x.yaml\n# café\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=f"{config}: not UTF-8 text"):
        load_config(str(config))
    lexicon = tmp_path / "words.txt"
    lexicon.write_bytes("café\n".encode("latin-1"))
    with pytest.raises(ValueError, match=f"{lexicon}: lexicon is not UTF-8 text"):
        read_lexicon(str(lexicon))


# --- 7, 14: argument checks before anything runs, hints that name real flags ------------------------------------

def test_recogniser_widths_are_checked_before_any_graph_is_built(tmp_path):
    from sceneocr import ocr_predictor

    for widths in ([0], [3], [100, 5000]):
        with pytest.raises(ValueError, match=r"recogniser widths .*: must be a list of widths in pixels, each 32-1024"):
            ocr_predictor(rec_widths=widths, pretrained=False)
    for ratio in (0.5, -1, "2", True):
        with pytest.raises(ValueError, match=r"tall_crop_ratio .*: must be 0 \(off\) or a number of at least 1"):
            ocr_predictor(tall_crop_ratio=ratio, pretrained=False)
    image = tmp_path / "a.jpg"
    cv2.imwrite(str(image), np.full((40, 60, 3), 128, np.uint8))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "infer.py"), "--image", str(image), "--rec_widths", "3",
                          "--output", "out"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert [line for line in out.stderr.splitlines() if line.startswith("error:")] == [
        "error: recogniser widths [3]: must be a list of widths in pixels, each 32-1024"]
    assert sorted(os.listdir(tmp_path)) == ["a.jpg"]  # no rank_0/ graph dump, no output folder


def test_eval_read_flags_set_the_crnn_eval_settings_and_are_checked(monkeypatch):
    from sceneocr.cli import evaluate as eval_cli

    seen = {}

    def fake_load_recognizer(cfg, *args, **kwargs):
        seen["eval"] = cfg["eval"]
        raise RuntimeError("stop here")

    monkeypatch.setattr("sceneocr.backends.load_recognizer", fake_load_recognizer)
    with pytest.raises(RuntimeError, match="stop here"):
        eval_cli.main(["--model", "crnn", "--dataset", "synthetic", "--rec_widths", "100", "148",
                       "--tall_crop_ratio", "2"])
    assert seen["eval"]["rec_widths"] == [100, 148] and seen["eval"]["tall_crop_ratio"] == 2
    with pytest.raises(ValueError, match=r"--rec_widths \[100, 3\]: must be a list of widths in pixels"):
        eval_cli.main(["--model", "crnn", "--dataset", "synthetic", "--rec_widths", "100", "3"])
    with pytest.raises(ValueError, match=r"--tall_crop_ratio 0.5: must be 0 \(off\)"):
        eval_cli.main(["--model", "crnn", "--dataset", "synthetic", "--tall_crop_ratio", "0.5"])


def test_missing_shipped_weights_name_no_flag_the_command_lacks(tmp_path):
    from sceneocr.weights import WeightsUnavailable, shipped_checkpoint

    with pytest.raises(WeightsUnavailable) as error:
        shipped_checkpoint("crnn", folder=str(tmp_path))
    assert "--ckpt" not in str(error.value) and "pass your own checkpoint" in str(error.value)


# --- 4, 5, 6, 20: the model cache ---------------------------------------------------------------------------------

def test_cache_folder_problems_name_the_setting(tmp_path, monkeypatch, capsys):
    from sceneocr import backends

    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", str(afile))
    with pytest.raises(ValueError, match=f"OCR_ONNX_CACHE_DIR={afile}: is a file, not a folder"):
        backends.cache_folder()
    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", "/proc/self/nope")
    with pytest.raises(ValueError, match="OCR_ONNX_CACHE_DIR=/proc/self/nope: cannot make the folder"):
        backends.cache_folder()
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", str(readonly))
    real_access = os.access
    monkeypatch.setattr(backends.os, "access", lambda p, mode: False if str(p) == str(readonly) else real_access(p, mode))
    fallback = backends.cache_folder()
    assert fallback != str(readonly) and os.access(fallback, os.W_OK)
    assert f"OCR_ONNX_CACHE_DIR={readonly}: not writable; exported models are cached in {fallback}" in \
        capsys.readouterr().err


def test_a_damaged_cached_model_is_made_again(tmp_path, monkeypatch, capsys):
    import mindspore as ms

    from sceneocr import backends
    from sceneocr.config import load_config
    from sceneocr.crnn import task as crnn_task

    monkeypatch.setenv("OCR_ONNX_CACHE_DIR", str(tmp_path / "cache"))
    cfg = load_config(CRNN_TINY)
    ckpt = str(tmp_path / "crnn.ckpt")
    ms.save_checkpoint(crnn_task.build_network(cfg, crnn_task.build_charset(cfg)), ckpt)
    path = backends.exported_onnx("crnn", cfg, ckpt, 2)
    whole = open(path, "rb").read()
    with open(path, "r+b") as handle:  # truncated, as a full disk or a killed copy would leave it
        handle.truncate(len(whole) // 2)
    again = backends.exported_onnx("crnn", cfg, ckpt, 2)
    assert again == path and backends._cached(path)  # whole again, its SHA-256 beside it
    assert "cached model damaged or unverifiable; making it again" in capsys.readouterr().err
    batch = np.zeros((2, 3, cfg["image"]["height"], cfg["image"]["width"]), np.float32)
    from sceneocr.runners import OnnxRunner

    assert OnnxRunner(again)(batch).shape[0] == 2


# --- 17: half-built conversions -----------------------------------------------------------------------------------

def test_half_built_folders_of_killed_conversions_are_removed(tmp_path, capsys):
    from sceneocr.data.convert import RecognitionWriter

    dead = tmp_path / ".words.999999999.abcd.partial"
    alive = tmp_path / f".words.{os.getpid()}.efgh.partial"
    old_style = tmp_path / ".words.ijkl.partial"
    for folder in (dead, alive, old_style):
        folder.mkdir()
        (folder / "data.mdb").write_bytes(b"x" * 100)
    with RecognitionWriter(str(tmp_path / "words"), "folder") as writer:
        writer.add(png_bytes(np.zeros((8, 8, 3), np.uint8)), "ab", ext=".png")
    assert not dead.exists() and alive.exists() and old_style.exists()
    err = capsys.readouterr().err
    assert f"removed 1 half-built folder(s) of killed conversions, e.g. {dead}" in err
    assert f"{old_style}: remove them if no conversion is running" in err


# --- 21: launchers ---------------------------------------------------------------------------------------------

def test_launchers_quote_folder_names_for_yaml(tmp_path):
    import yaml

    folder = tmp_path / "it's"
    folder.mkdir()
    (folder / "gt").mkdir()
    out = subprocess.run(["bash", "-c", f'source {ROOT}/scripts/common.sh; detection_spec "$1" "$2"', "_",
                          str(folder), str(folder / "gt")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout) == [{"format": "ic13", "images": str(folder), "annotations": str(folder / "gt")}]


# --- 22: labels.tsv lines with more fields than columns -----------------------------------------------------------

def test_labels_tsv_lines_with_extra_fields_are_counted_and_named(tmp_path):
    from sceneocr.data.words import FolderWords

    for name in ("a.png", "b.png"):
        cv2.imwrite(str(tmp_path / name), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "labels.tsv").write_text("crop\tlabel\tnote\na.png\tab\tok\nb.png\tc\td\textra\n")
    words = FolderWords(str(tmp_path))
    assert words.labels() == ["ab"]
    assert dict(words.skipped) == {"more fields than the 3 columns": 1}
    assert words.skip_examples["more fields than the 3 columns"].endswith("labels.tsv:3")


# --- 2, 12, 23: training runs ------------------------------------------------------------------------------------

DEEPTEXT_TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")


def train_tiny(output_dir, *overrides):
    from sceneocr.cli import train

    return train.main(["--model", "crnn", "--config", CRNN_TINY, "--output_dir", str(output_dir),
                       "--max_steps", "2", "--save_every", "2", "--val", "", *overrides])


def snapshot(folder):
    return {os.path.relpath(os.path.join(root, name), folder): open(os.path.join(root, name), "rb").read()
            for root, _, files in os.walk(folder) for name in files}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run") / "run"
    train_tiny(folder)
    return folder


def test_a_second_training_on_a_locked_run_folder_stops_and_changes_nothing(tiny_run, tmp_path):
    import shutil

    from sceneocr.engine.trainer import RunFolderLock

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    before = snapshot(run)
    first = RunFolderLock(str(run))
    first.acquire()  # a training that is still running
    try:
        with pytest.raises(ValueError, match=f"{run}: another training is using this run folder"):
            train_tiny(run, "--train.resume", "auto", "--max_steps", "3")
        assert snapshot(run) == before  # no duplicated log lines, no half-written checkpoint
        with pytest.raises(ValueError, match="another training is using this run folder"):
            RunFolderLock(str(run)).acquire()
    finally:
        first.release()
    train_tiny(run, "--train.resume", "auto", "--max_steps", "3")  # released: the resume runs
    assert open(run / "train.log").read().count("training:") == 2


def test_a_checkpoint_of_the_other_model_is_refused_even_when_its_step_is_past_the_end(tiny_run, tmp_path):
    from sceneocr.cli import train
    from sceneocr.engine.checkpoint import CheckpointManager

    crnn_ckpt = CheckpointManager(str(tiny_run / "checkpoints"), "crnn").latest()
    with pytest.raises(ValueError, match=r"does not fit this model \(a checkpoint of crnn_vgg_tiny\): \d+ model "
                                         r"parameters missing"):
        train.main(["--model", "deeptext", "--config", DEEPTEXT_TINY, "--output_dir", str(tmp_path / "det"),
                    "--train.resume", crnn_ckpt, "--train.max_steps", "2", "--val", ""])
    assert not (tmp_path / "det").exists()


def test_a_run_that_stops_before_its_first_checkpoint_can_be_run_again(tmp_path):
    broken = tmp_path / "broken_words"
    broken.mkdir()
    for k in range(40):
        (broken / f"w{k}.png").write_bytes(b"not an image")
    (broken / "labels.tsv").write_text("".join(f"w{k}.png\tword\n" for k in range(40)))
    run = tmp_path / "run"
    with pytest.raises(ValueError, match="unreadable"):
        train_tiny(run, "--data.train", str(broken))
    assert not (run / "config.yaml").exists()  # nothing trained: the folder holds no run
    train_tiny(run)  # the corrected rerun, same folder, no --train.overwrite
    assert (run / "config.yaml").exists() and "stopped before the first checkpoint" in open(run / "train.log").read()


# --- 15, 16: export ---------------------------------------------------------------------------------------------

def test_export_never_replaces_a_file_without_overwrite_and_replaces_links_not_targets(tmp_path, monkeypatch):
    from sceneocr.cli import export

    monkeypatch.chdir(tmp_path)
    args = ["--model", "crnn", "--config", CRNN_TINY, "--random_weights", "--file_format", "ONNX", "--file_name", "m"]
    path = export.main(args)
    first = open(path, "rb").read()
    with pytest.raises(ValueError, match="m.onnx: exists; choose another --file_name or pass --overwrite"):
        export.main(args)
    assert open(path, "rb").read() == first
    target = tmp_path / "unrelated.bin"
    target.write_bytes(b"keep me")
    os.remove(path)
    os.symlink(target, path)
    export.main(args + ["--overwrite"])
    assert target.read_bytes() == b"keep me" and not os.path.islink(path) and os.path.getsize(path) > 1000
    assert sorted(os.listdir(tmp_path)) == ["m.onnx", "unrelated.bin"]  # no temporary folder left
