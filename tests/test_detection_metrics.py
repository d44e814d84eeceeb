"""The three detection protocols on hand-made cases."""
import pytest

from sceneocr.metrics.detection import DetectionMetrics, deteval_image, match_standard, seed_image

GT = [[0, 0, 100, 20], [0, 50, 100, 70]]


def test_standard_counts_duplicates_as_false_positives():
    pred = [[0, 0, 100, 20], [2, 0, 100, 20], [0, 50, 100, 70]]
    matches, counted, n_gt = match_standard(pred, [0.9, 0.8, 0.7], GT, [False, False])
    assert sorted(matches) == [(0, 0), (2, 1)] and len(counted) == 3 and n_gt == 2
    m = DetectionMetrics()
    m.update(pred, [0.9, 0.8, 0.7], GT, [False, False])
    r = m.result()["standard"]
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == 1.0 and r["f"] == pytest.approx(0.8)


def test_standard_matches_in_score_order_and_ignores_do_not_care():
    gt = GT + [[200, 0, 260, 20]]
    ignore = [False, False, True]
    pred = [[0, 0, 60, 20], [0, 0, 100, 20], [205, 0, 255, 20], [300, 300, 320, 310]]
    # The higher-scored box (IoU 0.6) takes word 0; the exact box becomes a duplicate.
    matches, counted, n_gt = match_standard(pred, [0.9, 0.5, 0.8, 0.4], gt, ignore)
    assert matches == [(0, 0)] and n_gt == 2
    assert sorted(counted) == [0, 1, 3]  # the box on the do-not-care region is not judged


def test_deteval_one_to_one_split_and_merge():
    # One-to-one.
    assert deteval_image([[1, 0, 100, 20]], [[0, 0, 100, 20]], [False]) == (1.0, 1.0, 1, 1)
    # A word split in two predictions: recall credit 0.8, both predictions precise.
    split = deteval_image([[0, 0, 50, 20], [50, 0, 100, 20]], [[0, 0, 100, 20]], [False])
    assert split == (0.8, 2.0, 1, 2)
    # Two words merged by one prediction: recall 2, precision credit 0.8.
    merged = deteval_image([[0, 0, 210, 20]], [[0, 0, 100, 20], [110, 0, 210, 20]], [False, False])
    assert merged == (2.0, 0.8, 2, 1)
    # Too small a cover fails the area-recall constraint.
    assert deteval_image([[0, 0, 60, 20]], [[0, 0, 100, 20]], [False])[:2] == (0.0, 0.0)
    # A prediction inside a do-not-care region is dropped before matching.
    assert deteval_image([[0, 0, 100, 20]], [[0, 0, 100, 20]], [True]) == (0.0, 0.0, 0, 0)


def test_seed_protocol_lets_duplicates_count():
    pred = [[0, 0, 100, 20], [2, 0, 100, 20], [300, 300, 310, 310]]
    assert seed_image(pred, [0.9, 0.8, 0.1], GT, [False, False]) == (2, 3, 2)
    # Only the 32 best predictions of an image are considered.
    many = [[0, 0, 100, 20]] * 40
    assert seed_image(many, list(range(40)), GT, [False, False]) == (32, 32, 2)


def test_metrics_accumulate_over_images():
    m = DetectionMetrics()
    m.update([[0, 0, 100, 20]], [1.0], GT, [False, False])
    m.update([], [], [[0, 0, 10, 10]], [False])
    r = m.result()
    assert r["images"] == 2
    assert r["standard"]["precision"] == 1.0 and r["standard"]["recall"] == pytest.approx(1 / 3)
    assert r["deteval"]["recall"] == pytest.approx(1 / 3)


def test_merged_metrics_pool_counts_not_averages():
    # Dataset A: 1 of 1 word found; dataset B: 0 of 3. Pooled recall is 1/4, not the mean 1/2.
    a, b, both = DetectionMetrics(), DetectionMetrics(), DetectionMetrics()
    a_args = ([[0, 0, 100, 20]], [1.0], [[0, 0, 100, 20]], [False])
    b_args = ([[500, 500, 510, 510]], [0.9], [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]], [False] * 3)
    a.update(*a_args)
    b.update(*b_args)
    both.update(*a_args)
    both.update(*b_args)
    a.merge(b)
    assert a.result() == both.result()
    assert a.result()["images"] == 2
    assert a.result()["standard"]["recall"] == pytest.approx(1 / 4)
    assert a.result()["standard"]["precision"] == pytest.approx(1 / 2)
