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
