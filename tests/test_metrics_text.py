import pytest

from sceneocr.metrics.text import (RecognitionMetrics, edit_distance, normalized_edit_similarity,
                              standard_normalize)


def test_standard_normalization():
    assert standard_normalize("Don't-Stop 24/7!") == "dontstop247"


@pytest.mark.parametrize("a,b,d", [("", "", 0), ("abc", "", 3), ("kitten", "sitting", 3), ("ab", "ba", 2)])
def test_edit_distance(a, b, d):
    assert edit_distance(a, b) == d == edit_distance(b, a)


def test_metrics_on_hand_made_predictions():
    m = RecognitionMetrics()
    m.update(["hello", "World", "ab", "x"], ["Hello!", "World", "abcd", "y"],
             lexicon_predictions=["hello", None, "abcd", "y"])
    r = m.result()
    assert r["samples"] == 4
    assert r["word_accuracy"] == pytest.approx(0.5)          # hello, world
    assert r["case_sensitive_accuracy"] == pytest.approx(0.25)  # only "World" matches exactly
    assert r["one_minus_ned"] == pytest.approx((1 + 1 + 0.5 + 0) / 4)
    assert r["lexicon_accuracy"] == pytest.approx(1.0)       # 3 samples had lexicons, all right
    assert normalized_edit_similarity("", "") == 1.0


def test_merged_metrics_pool_counts_not_averages():
    a, b, both = RecognitionMetrics(), RecognitionMetrics(), RecognitionMetrics()
    a.update(["cat"], ["cat"], lexicon_predictions=["cat"])
    b.update(["dog", "x", "yy"], ["dot", "x", "zz"])
    both.update(["cat"], ["cat"], lexicon_predictions=["cat"])
    both.update(["dog", "x", "yy"], ["dot", "x", "zz"])
    a.merge(b)
    assert a.result() == pytest.approx(both.result())
    assert a.result()["word_accuracy"] == pytest.approx(2 / 4)   # the mean of 1 and 1/3 would be 2/3
    assert a.result()["lexicon_accuracy"] == 1.0


def test_accuracy_by_shape_bins_crops_by_width_per_letter_and_height():
    from sceneocr.metrics.shape_table import accuracy_by_shape

    samples = [("Word", "word", 40, 32),      # 0.2 of the height per letter, 40 px tall: right (case folded)
               ("Word", "wood", 40, 48),      # 0.3: wrong
               ("abc", "abc", 20, 30),        # 0.5, 20 px: right
               ("ab-c", "abc", 10, 30),       # 1.0 per letter (3 letters once normalised), 10 px: right
               ("abcd", "abd", 30, 72)]       # 0.6 exactly: the upper bin; wrong
    tables = accuracy_by_shape(samples)
    assert tables["width_per_letter"] == [("0-0.25", 1, 1), ("0.25-0.4", 0, 1), ("0.4-0.6", 1, 1), (">= 0.6", 1, 2)]
    assert tables["height"] == [("0-12 px", 1, 1), ("12-18 px", 0, 0), ("18-26 px", 1, 1), ("26-40 px", 0, 1),
                                (">= 40 px", 1, 2)]
