"""Converters on the genuine samples in ../shared/fixtures and on malformed input."""
import os

import numpy as np
import pytest
import scipy.io

import convert_ic03
import convert_ic13
import convert_iiit5k
import convert_svt
from conftest import FIXTURES, requires_shared
from src.data.convert import ConversionError
from src.data.words import open_word_source


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
        (tmp_path / name).write_bytes(b"\x89PNG")
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
