"""Converters on the genuine samples in ../shared/fixtures and on malformed input."""
import os

import numpy as np
import pytest
import scipy.io

from sceneocr.cli import convert_ic03, convert_ic13, convert_iiit5k, convert_svt
from conftest import FIXTURES, requires_shared
from sceneocr.data.convert import ConversionError
from sceneocr.data.words import open_word_source


def png_bytes(value=128, size=(20, 60)):
    import cv2

    return cv2.imencode(".png", np.full(size + (3,), value, np.uint8))[1].tobytes()


def read_all(path):
    source = open_word_source(str(path))
    return [source.label(i) for i in range(len(source))], source


@requires_shared
def test_svt_fixture(tmp_path):
    summary = convert_svt.convert(os.path.join(FIXTURES, "svt"), os.path.join(FIXTURES, "svt", "test.xml"),
                                  str(tmp_path / "svt"))
    labels, source = read_all(tmp_path / "svt")
    assert summary.written == len(labels) > 0
    # 647 words in test.xml; those of the 246 absent images are skipped and counted, not fatal.
    assert summary.written + summary.skipped["image missing or unreadable"] == 647
    assert all(label.isupper() for label in labels)
    assert len(source.lexicon(0)) == 50 and labels[0] in source.lexicon(0)
    assert source.image(0).ndim == 3


@requires_shared
def test_ic03_fixture_standard_filter_gives_860_words(tmp_path):
    root = os.path.join(FIXTURES, "ic03", "SceneTrialTest")
    summary = convert_ic03.convert(root, os.path.join(root, "words.xml"), str(tmp_path / "ic03"), "folder")
    labels, source = read_all(tmp_path / "ic03")
    assert summary.written == len(labels) > 0
    assert summary.written + summary.skipped["image missing or unreadable"] == 860
    assert all(len(label) >= 3 and label.isalnum() for label in labels)
    image = source.image(0)
    assert image.shape[0] > 5 and image.shape[1] > 5


@requires_shared
def test_iiit5k_charbound_fixture(tmp_path):
    root = os.path.join(FIXTURES, "iiit5k")
    summary = convert_iiit5k.convert(root, os.path.join(root, "testCharBound.mat"), str(tmp_path / "i"))
    labels, source = read_all(tmp_path / "i")
    assert summary.written == 20 and labels[0] == "PRIVATE" and source.lexicon(0) is None


def test_iiit5k_testdata_layout_keeps_lexicons(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "1_1.png"), np.full((30, 80, 3), 128, np.uint8))
    entry = np.empty((1, 2), dtype=[("ImgName", "O"), ("GroundTruth", "O"), ("smallLexi", "O"), ("mediumLexi", "O")])
    small = np.array([np.array(["WORD"]), np.array(["OTHER"])], dtype=object).reshape(1, 2)
    entry[0, 0] = (np.array(["1_1.png"]), np.array(["WORD"]), small, small)
    entry[0, 1] = (np.array(["missing.png"]), np.array(["GONE"]), small, small)
    scipy.io.savemat(str(tmp_path / "testdata.mat"), {"testdata": entry})
    summary = convert_iiit5k.convert(str(tmp_path), str(tmp_path / "testdata.mat"), str(tmp_path / "out"))
    labels, source = read_all(tmp_path / "out")
    assert labels == ["WORD"] and source.lexicon(0) == ["WORD", "OTHER"]
    assert summary.skipped["image missing"] == 1


def test_iiit5k_wrong_fields_is_a_clear_error(tmp_path):
    scipy.io.savemat(str(tmp_path / "bad.mat"), {"data": np.zeros((1, 2), dtype=[("name", "O"), ("x", "O")])})
    with pytest.raises(ConversionError, match=r"bad.mat: expected fields ImgName and GroundTruth"):
        convert_iiit5k.convert(str(tmp_path), str(tmp_path / "bad.mat"), str(tmp_path / "out"))
    (tmp_path / "junk.mat").write_bytes(b"this is not matlab")
    with pytest.raises(ConversionError, match="junk.mat"):
        convert_iiit5k.convert(str(tmp_path), str(tmp_path / "junk.mat"), str(tmp_path / "out2"))


def test_truncated_xml_is_a_clear_error(tmp_path):
    (tmp_path / "test.xml").write_text("<tagset><image><imageName>img/a.jpg</imageName>")
    with pytest.raises(ConversionError, match=r"test.xml: malformed XML"):
        convert_svt.convert(str(tmp_path), str(tmp_path / "test.xml"), str(tmp_path / "out"))
    with pytest.raises(ConversionError, match=r"words.xml: file not found"):
        convert_ic03.convert(str(tmp_path), str(tmp_path / "words.xml"), str(tmp_path / "out2"))


def test_xml_entity_expansion_is_refused(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<tagset><image><imageName>&b;</imageName></image></tagset>")
    (tmp_path / "words.xml").write_text(bomb)
    with pytest.raises(Exception, match="(?i)entit"):
        convert_ic03.convert(str(tmp_path), str(tmp_path / "words.xml"), str(tmp_path / "out"))


def test_ic03_clamps_boxes_outside_the_image(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "s.jpg"), np.full((50, 100, 3), 200, np.uint8))
    (tmp_path / "words.xml").write_text(
        '<?xml version="1.0" encoding="ISO-8859-1"?><tagset><image><imageName>s.jpg</imageName>'
        '<taggedRectangles><taggedRectangle x="-5.5" y="10" width="60" height="80" offset="0" rotation="0">'
        "<tag>Caf\xe9s</tag></taggedRectangle>"
        '<taggedRectangle x="10" y="10" width="40" height="20"><tag>EXIT</tag></taggedRectangle>'
        '<taggedRectangle x="500" y="10" width="40" height="20"><tag>GONE</tag></taggedRectangle>'
        "</taggedRectangles></image></tagset>", encoding="latin-1")
    summary = convert_ic03.convert(str(tmp_path), str(tmp_path / "words.xml"), str(tmp_path / "o"), "folder",
                                   "none")
    labels, source = read_all(tmp_path / "o")
    assert labels == ["Caf\xe9s", "EXIT"] and summary.skipped["box outside the image"] == 1
    assert source.image(0).shape[:2] == (40, 55)  # clamped to x 0..55, y 10..50


def test_ic13_quotes_and_commas_inside_labels(tmp_path):
    for name in ("word_1.png", "word_2.png", "word_3.png", "word_4.png"):
        (tmp_path / name).write_bytes(png_bytes())
    (tmp_path / "gt.txt").write_bytes(b'word_1.png, "Tiredness"\r\nword_2.png, "say ""hi"", ok"\r\n'
                                      b'word_3.png, "A"\r\nword_4.png, "a,b"\r\n')
    entries = convert_ic13.parse_gt(str(tmp_path / "gt.txt"))
    assert entries == [("word_1.png", "Tiredness"), ("word_2.png", 'say ""hi"", ok'), ("word_3.png", "A"),
                       ("word_4.png", "a,b")]
    s1015 = convert_ic13.convert(str(tmp_path), str(tmp_path / "gt.txt"), str(tmp_path / "a"), "folder", "ic13_1015")
    s857 = convert_ic13.convert(str(tmp_path), str(tmp_path / "gt.txt"), str(tmp_path / "b"), "folder", "ic13_857")
    assert (s1015.written, s857.written) == (2, 1)


@requires_shared
def test_ic13_fixture(tmp_path):
    root = os.path.join(FIXTURES, "ic13_rec")
    summary = convert_ic13.convert(os.path.join(root, "Challenge2_Test_Task3_Images"),
                                   os.path.join(root, "Challenge2_Test_Task3_GT.txt"), str(tmp_path / "o"),
                                   word_filter="none")
    labels, _ = read_all(tmp_path / "o")
    assert summary.written == 20 and labels[:2] == ["Tiredness", "kills"]


# --- issue 9: outputs are never mixed, annotation files cannot reach outside the dataset -----------

def write_ic13(root, words):
    """An IC13-style folder: decodable crops and a gt.txt naming them."""
    root.mkdir(exist_ok=True)
    for name, _ in words:
        (root / name).write_bytes(png_bytes())
    (root / "gt.txt").write_text("".join(f'{name}, "{label}"\r\n' for name, label in words))
    return str(root), str(root / "gt.txt")


@pytest.mark.parametrize("fmt", ["lmdb", "folder"])
def test_non_empty_output_is_refused_without_overwrite(tmp_path, fmt):
    root, gt = write_ic13(tmp_path / "ic13", [("w1.png", "HELLO")])
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.txt").write_text("mine")
    with pytest.raises(ConversionError, match=r"user: --output exists and is not empty; pass --overwrite"):
        convert_ic13.convert(root, gt, str(user), fmt, "none")
    assert sorted(os.listdir(user)) == ["notes.txt"]  # no data.mdb, no images/
    assert sorted(os.listdir(tmp_path)) == ["ic13", "user"]  # no temporary folder left behind


def test_overwrite_replaces_the_whole_output(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "1_1.png"), np.full((30, 80, 3), 128, np.uint8))
    cv2.imwrite(str(tmp_path / "1_2.png"), np.full((30, 80, 3), 99, np.uint8))
    entry = np.empty((1, 2), dtype=[("ImgName", "O"), ("GroundTruth", "O"), ("smallLexi", "O"), ("mediumLexi", "O")])
    lexicon = np.array([np.array(["WORD"]), np.array(["OTHER"])], dtype=object).reshape(1, 2)
    entry[0, 0] = (np.array(["1_1.png"]), np.array(["WORD"]), lexicon, lexicon)
    entry[0, 1] = (np.array(["1_2.png"]), np.array(["OTHER"]), lexicon, lexicon)
    scipy.io.savemat(str(tmp_path / "testdata.mat"), {"testdata": entry})
    out = tmp_path / "out"
    convert_iiit5k.convert(str(tmp_path), str(tmp_path / "testdata.mat"), str(out))
    labels, source = read_all(out)  # read once: the reader's cached environment must not go stale
    assert labels == ["WORD", "OTHER"] and source.lexicon(1) == ["WORD", "OTHER"]
    root, gt = write_ic13(tmp_path / "ic13", [("w1.png", "NEW")])
    convert_ic13.convert(root, gt, str(out), "lmdb", "none", overwrite=True)
    labels, source = read_all(out)
    assert labels == ["NEW"] and source.lexicon(0) is None  # no old record or lexicon survives
    # A folder dataset: the old images go too.
    convert_ic13.convert(root, gt, str(tmp_path / "f"), "folder", "none")
    (tmp_path / "f" / "images" / "stray.jpg").write_bytes(png_bytes())
    convert_ic13.convert(root, gt, str(tmp_path / "f"), "folder", "none", overwrite=True)
    assert os.listdir(tmp_path / "f" / "images") == ["000000001.png"]
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # temporary folders are gone


def test_interrupted_overwrite_leaves_the_old_output(tmp_path, monkeypatch):
    root, gt = write_ic13(tmp_path / "ic13", [("w1.png", "ONE"), ("w2.png", "TWO")])
    convert_ic13.convert(root, gt, str(tmp_path / "out"), "lmdb", "none")
    reads = []

    def interrupted(path):
        reads.append(path)
        if len(reads) == 2:
            raise KeyboardInterrupt
        return png_bytes()

    monkeypatch.setattr(convert_ic13, "read_image_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert_ic13.convert(root, gt, str(tmp_path / "out"), "lmdb", "none", overwrite=True)
    assert read_all(tmp_path / "out")[0] == ["ONE", "TWO"]
    assert sorted(os.listdir(tmp_path)) == ["ic13", "out"]


def test_output_containing_the_input_is_refused_even_with_overwrite(tmp_path):
    root, gt = write_ic13(tmp_path / "ic13", [("w1.png", "HELLO")])
    with pytest.raises(ConversionError, match="contains the input"):
        convert_ic13.convert(root, gt, str(tmp_path), "lmdb", "none", overwrite=True)
    assert os.path.isfile(gt)


def test_annotation_paths_outside_the_root_and_non_images_are_skipped(tmp_path):
    (tmp_path / "secret.png").write_bytes(png_bytes(7))  # a decodable image, but outside the root
    root = tmp_path / "ic13"
    root.mkdir()
    (root / "good.png").write_bytes(png_bytes())
    (root / "notes.png").write_text("not an image")
    os.symlink(tmp_path / "secret.png", root / "link.png")
    (root / "gt.txt").write_text('/etc/passwd, "passwd"\r\n../secret.png, "dotdot"\r\nlink.png, "link"\r\n'
                                 'notes.png, "notes"\r\ngood.png, "good"\r\n')
    summary = convert_ic13.convert(str(root), str(root / "gt.txt"), str(tmp_path / "out"), "lmdb", "none")
    assert summary.written == 1 and read_all(tmp_path / "out")[0] == ["good"]
    assert summary.skipped == {"path outside --root": 3, "not a decodable image": 1}
    assert "skipped 3: path outside --root" in summary.text()


def test_xml_and_mat_paths_outside_the_root_are_skipped(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "scene.jpg"), np.full((50, 100, 3), 200, np.uint8))
    root = tmp_path / "root"
    root.mkdir()
    (root / "words.xml").write_text(
        "<tagset><image><imageName>../scene.jpg</imageName><lex>WORD</lex><taggedRectangles>"
        '<taggedRectangle x="1" y="1" width="40" height="20"><tag>WORD</tag></taggedRectangle>'
        "</taggedRectangles></image></tagset>")
    s_svt = convert_svt.convert(str(root), str(root / "words.xml"), str(tmp_path / "svt"))
    s_ic03 = convert_ic03.convert(str(root), str(root / "words.xml"), str(tmp_path / "ic03"), "lmdb", "none")
    entry = np.empty((1, 1), dtype=[("ImgName", "O"), ("chars", "O")])
    entry[0, 0] = (np.array([str(tmp_path / "scene.jpg")]), np.array(["WORD"]))
    scipy.io.savemat(str(root / "testCharBound.mat"), {"testCharBound": entry})
    s_iiit = convert_iiit5k.convert(str(root), str(root / "testCharBound.mat"), str(tmp_path / "iiit"))
    for summary in (s_svt, s_ic03, s_iiit):
        assert summary.written == 0 and summary.skipped == {"path outside --root": 1}


def test_control_characters_in_labels_are_never_written(tmp_path):
    import cv2

    for name in ("a.png", "b.png", "c.png"):
        cv2.imwrite(str(tmp_path / name), np.full((30, 80, 3), 128, np.uint8))
    entry = np.empty((1, 3), dtype=[("ImgName", "O"), ("chars", "O")])
    entry[0, 0] = (np.array(["a.png"]), np.array(["AB\rCD"]))
    entry[0, 1] = (np.array(["b.png"]), np.array(["TAB\tBED"]))
    entry[0, 2] = (np.array(["c.png"]), np.array(["WORD"]))
    scipy.io.savemat(str(tmp_path / "testCharBound.mat"), {"testCharBound": entry})
    summary = convert_iiit5k.convert(str(tmp_path), str(tmp_path / "testCharBound.mat"), str(tmp_path / "o"),
                                     "folder")
    assert summary.written == 1 and summary.skipped["label contains a control character (line break, tab, ...)"] == 2
    assert read_all(tmp_path / "o")[0] == ["WORD"]
    # Any other caller of the writer is refused too, rather than splitting a record.
    from sceneocr.data.convert import RecognitionWriter

    with pytest.raises(ConversionError, match="control character"):
        with RecognitionWriter(str(tmp_path / "w"), "folder") as writer:
            writer.add(png_bytes(), "a\nb")
    assert not os.path.exists(tmp_path / "w")


def test_empty_labels_are_counted_as_empty(tmp_path):
    (tmp_path / "img").mkdir()
    import cv2

    cv2.imwrite(str(tmp_path / "img" / "s.jpg"), np.full((50, 100, 3), 200, np.uint8))
    (tmp_path / "test.xml").write_text(
        "<tagset><image><imageName>img/s.jpg</imageName><taggedRectangles>"
        '<taggedRectangle x="1" y="1" width="40" height="20"><tag> </tag></taggedRectangle>'
        '<taggedRectangle x="1" y="1" width="40" height="20"><tag>OK</tag></taggedRectangle>'
        "</taggedRectangles></image></tagset>")
    summary = convert_svt.convert(str(tmp_path), str(tmp_path / "test.xml"), str(tmp_path / "o"))
    assert summary.written == 1 and summary.skipped == {"empty label": 1}


def test_missing_root_or_annotation_is_an_error_not_an_empty_dataset(tmp_path):
    root, gt = write_ic13(tmp_path / "ic13", [("w1.png", "HELLO")])
    with pytest.raises(ConversionError, match=r"nowhere: --root folder not found"):
        convert_ic13.convert(str(tmp_path / "nowhere"), gt, str(tmp_path / "out"))
    with pytest.raises(ConversionError, match=r"nowhere: --root folder not found"):
        convert_svt.convert(str(tmp_path / "nowhere"), gt, str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.parametrize("args, message", [
    (["--root", "{tmp}/nowhere", "--gt", "{root}/gt.txt"], "nowhere: --root folder not found"),
    (["--root", "{root}", "--gt", "{tmp}/missing.txt"], "missing.txt: file not found"),
    (["--root", "{root}", "--gt", "{root}/gt.txt", "--output", "{tmp}/user"], "user: --output exists and is not empty"),
])
def test_converter_cli_errors_are_one_line_with_exit_code(tmp_path, args, message):
    import subprocess
    import sys

    from conftest import ROOT

    root, _ = write_ic13(tmp_path / "ic13", [("w1.png", "HELLO")])
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "notes.txt").write_text("mine")
    argv = [a.format(tmp=tmp_path, root=root) for a in args]
    if "--output" not in argv:
        argv += ["--output", str(tmp_path / "out")]
    result = subprocess.run([sys.executable, os.path.join(ROOT, "convert_ic13.py"), *argv],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not os.path.exists(tmp_path / "out")


def test_xml_bomb_and_v73_mat_are_one_line_errors(tmp_path):
    import struct

    bomb = ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<tagset><image><imageName>&b;</imageName></image></tagset>")
    (tmp_path / "words.xml").write_text(bomb)
    with pytest.raises(ConversionError, match=r"words.xml: refused, the XML declares entities"):
        convert_ic03.convert(str(tmp_path), str(tmp_path / "words.xml"), str(tmp_path / "out"))
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 .".ljust(116) + bytes(8)
    (tmp_path / "v73.mat").write_bytes(header + struct.pack("<H", 0x0200) + b"IM" + bytes(512))
    with pytest.raises(ConversionError, match=r"v73.mat: MATLAB v7.3 \(HDF5\) file.*re-save it as v7"):
        convert_iiit5k.convert(str(tmp_path), str(tmp_path / "v73.mat"), str(tmp_path / "out"))


def test_ic13_lines_that_are_not_utf8_are_skipped_and_named(tmp_path):
    root, gt = write_ic13(tmp_path / "ic13", [("w1.png", "HELLO"), ("w2.png", "WORLD")])
    (tmp_path / "ic13" / "gt.txt").write_bytes(b'w1.png, "HELLO"\r\nw2.png, "CAF\xc9"\r\n')
    summary = convert_ic13.convert(root, gt, str(tmp_path / "out"), "lmdb", "none")
    assert summary.written == 1 and summary.skipped == {"line is not UTF-8": 1}
    assert summary.examples["line is not UTF-8"].endswith("gt.txt:2")


def test_ic15_scene_crops_leave_out_held_back_scenes_and_words(tmp_path):
    """Legible words become crops with the reader's margin; ``###``, the detector's held-back scenes and the
    words whose Task 4.3 crop the recogniser holds back (matched by transcription and shape) are left out."""
    import cv2

    from sceneocr.cli import convert_ic15_scenes
    from sceneocr.data.holdout import is_held_out

    kept_scene = next(f"img_{i}.jpg" for i in range(1, 100) if not is_held_out("ic15", f"img_{i}.jpg"))
    held_scene = next(f"img_{i}.jpg" for i in range(1, 100) if is_held_out("ic15", f"img_{i}.jpg"))
    held_crop = next(f"word_{i}.png" for i in range(1, 100) if is_held_out("ic15_words", f"word_{i}.png"))
    kept_crop = next(f"word_{i}.png" for i in range(1, 100) if not is_held_out("ic15_words", f"word_{i}.png"))
    root = tmp_path / "ic15"
    (root / "ch4_training_images").mkdir(parents=True)
    (root / "ch4_training_localization_transcription_gt").mkdir()
    for name in (kept_scene, held_scene):
        cv2.imwrite(str(root / "ch4_training_images" / name), np.full((200, 300, 3), 90, np.uint8))
        (root / "ch4_training_localization_transcription_gt" / f"gt_{name[:-4]}.txt").write_text(
            "10,20,110,20,110,70,10,70,OPEN\n"            # kept: 100x50 box, margin 4 px
            "150,30,200,32,199,52,150,50,\"CARD\n"        # the held-back Task 4.3 crop's word and shape
            "20,120,60,120,60,140,20,140,###\n"
            "150,130,210,130,210,150,150,150,\"CARD\n",   # the same word, another shape: kept
            encoding="utf-8")
    words = tmp_path / "words"
    words.mkdir()
    (words / "gt.txt").write_text(f'\ufeff{held_crop}, "\\"CARD"\n{kept_crop}, "OPEN"\n', encoding="utf-8")
    (words / "coords.txt").write_text(f"\ufeff{held_crop},0,0,50,2,49,22,0,20\n{kept_crop},0,0,100,0,100,50,0,50\n",
                                      encoding="utf-8")
    summary = convert_ic15_scenes.convert(str(root), str(tmp_path / "out"), "folder", exclude_words=str(words))
    labels, source = read_all(tmp_path / "out")
    assert labels == ["OPEN", '"CARD'] and summary.written == 2
    assert summary.skipped["held back from the recogniser (its Task 4.3 crop)"] == 1
    assert source.image(0).shape[:2] == (58, 108)  # 100x50 box + 0.08 x 50 px on every side


def test_warp_quad_upright_levels_a_tilted_word():
    import cv2

    from sceneocr.geometry import warp_quad_upright

    image = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    # An axis-aligned quadrilateral comes back as the pixels it covers, unchanged.
    assert np.array_equal(warp_quad_upright(image, [[5, 4], [24, 4], [24, 13], [5, 13]]), image[4:14, 5:25])
    # A white bar 60 x 12 px turned by 20 degrees comes back level: as long and as high (corner pixels included),
    # and white.
    canvas = np.zeros((80, 100, 3), np.uint8)
    corners = cv2.boxPoints(((50, 40), (60, 12), 20)).astype(np.float32)   # bottom-left first, clockwise
    cv2.fillPoly(canvas, [np.rint(corners).astype(np.int32)], (255, 255, 255))
    quad = np.roll(corners, -1, axis=0)                                    # from the top-left, clockwise
    level = warp_quad_upright(canvas, quad)
    assert level.shape[:2] == (13, 61)
    assert level[1:-1, 1:-1].min() > 200


def test_ic15_task43_crops_warped_upright_by_their_coords(tmp_path):
    import cv2

    from sceneocr.data.words import open_word_source

    canvas = np.zeros((25, 67, 3), np.uint8)   # a Task 4.3 crop is its quadrilateral's bounding box
    cv2.fillPoly(canvas, [np.array([[0, 8], [64, 0], [66, 16], [2, 24]], np.int32)], (255, 255, 255))
    cv2.imwrite(str(tmp_path / "word_1.png"), canvas)
    cv2.imwrite(str(tmp_path / "word_2.png"), canvas)
    (tmp_path / "gt.txt").write_text('\ufeffword_1.png, "Slant"\nword_2.png, "none"\n', encoding="utf-8")
    (tmp_path / "coords.txt").write_text("\ufeffword_1.png,0,8,64,0,66,16,2,24\n", encoding="utf-8")
    summary = convert_ic13.convert(str(tmp_path), str(tmp_path / "gt.txt"), str(tmp_path / "out"), "folder", "none",
                                   coords=str(tmp_path / "coords.txt"))
    assert summary.written == 1 and summary.skipped["no quadrilateral in --coords"] == 1
    crop = open_word_source(str(tmp_path / "out")).image(0)
    assert crop.shape[:2] == (17, 65) and crop[2:-2, 2:-2].min() > 200   # the slanted band, level and filling it


@pytest.mark.parametrize("line, message", [
    ("word_1.png,2,10,66\n", r"bad.txt:1: expected"),
    ("word_1.png,0,8,64,0,66,16,2,24,9\n", r"bad.txt:1: expected"),
    ("word_1.png,0,8,64,0,66,16,2,nan\n", r"bad.txt:1: expected"),
    ("word_1.png,0,8,64,0,66,16,2,24\nword_1.png,0,8,64,0,66,16,2,24\n",
     r"bad.txt:2: word_1.png already has a quadrilateral \(line 1\)"),
    ("\n", r"bad.txt: no quadrilaterals"),
    ("word_9.png,0,8,64,0,66,16,2,24\n", r"bad.txt: no quadrilateral for any crop"),
])
def test_ic15_coords_errors_name_the_line(tmp_path, line, message):
    (tmp_path / "word_1.png").write_bytes(png_bytes())
    (tmp_path / "gt.txt").write_text('word_1.png, "Slant"\n', encoding="utf-8")
    (tmp_path / "bad.txt").write_text(line, encoding="utf-8")
    with pytest.raises(ConversionError, match=message):
        convert_ic13.convert(str(tmp_path), str(tmp_path / "gt.txt"), str(tmp_path / "out"), "folder", "none",
                             coords=str(tmp_path / "bad.txt"))
    assert not (tmp_path / "out").exists()


def test_ic15_coords_that_cannot_be_warped_are_skipped_and_counted(tmp_path):
    for name in ("word_1.png", "word_2.png", "word_3.png"):
        (tmp_path / name).write_bytes(png_bytes(size=(20, 60)))
    (tmp_path / "gt.txt").write_text('word_1.png, "a"\nword_2.png, "b"\nword_3.png, "c"\n', encoding="utf-8")
    (tmp_path / "coords.txt").write_text("word_1.png,0,0,59,0,59,19,0,19\n"
                                         "word_2.png,0,0,0,19,59,19,59,0\n"       # counter-clockwise
                                         "word_3.png,0,0,159,0,159,19,0,19\n",    # beyond its 60 px crop
                                         encoding="utf-8")
    summary = convert_ic13.convert(str(tmp_path), str(tmp_path / "gt.txt"), str(tmp_path / "out"), "folder", "none",
                                   coords=str(tmp_path / "coords.txt"))
    assert summary.written == 1
    assert summary.skipped["quadrilateral degenerate or not clockwise"] == 1
    assert summary.skipped["quadrilateral outside its crop (a coords file of other crops?)"] == 1
    assert read_all(tmp_path / "out")[1].image(0).shape[:2] == (20, 60)
