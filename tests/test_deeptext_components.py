"""DeepText components on hand-made inputs with exact expected values, and against NumPy references."""
import mindspore as ms
import mindspore.ops as ops
import numpy as np
import pytest

from sceneocr.deeptext.anchors import AnchorGenerator
from sceneocr.deeptext.boxes import BoxCoder, pairwise_iou, pairwise_iou_np
from sceneocr.deeptext.model import feature_size
from sceneocr.deeptext.roi_head import MultiLevelROIAlign
from sceneocr.deeptext.rpn import ProposalGenerator
from sceneocr.deeptext.sampling import anchor_targets, in_ignored_region, proposal_targets, sample_mask

T = ms.Tensor


def test_anchor_count_and_layout():
    gen = AnchorGenerator(16, (2, 4, 6, 8, 12), (0.2, 0.5, 0.8, 1.0, 1.2, 1.5))
    assert gen.num_anchors == 30
    anchors = gen.grid_anchors(feature_size(576, 16), feature_size(960, 16))
    assert anchors.shape == (36 * 60 * 30, 4)
    # Scale 2, ratio 1 (index 3) at the first cell: a 32x32 box centred on (8, 8).
    np.testing.assert_allclose(anchors[3], [-8, -8, 24, 24])
    # Ratio = height / width and area = (16 * scale)^2 for every base anchor.
    base = gen.base_anchors()
    w, h = base[:, 2] - base[:, 0], base[:, 3] - base[:, 1]
    np.testing.assert_allclose(h / w, np.tile(gen.ratios, 5), rtol=1e-5)
    np.testing.assert_allclose(w * h, np.repeat(np.square(16 * np.array(gen.scales)), 6), rtol=1e-5)
    # Order (y, x, anchor): the next 30 anchors are one stride to the right.
    np.testing.assert_allclose(anchors[30:60] - anchors[:30], np.tile([16, 0, 16, 0], (30, 1)), atol=1e-4)
    assert feature_size(320, 16) == 20 and feature_size(321, 8) == 41


def test_iou_exact_values():
    a = np.array([[0, 0, 10, 10], [0, 0, 20, 10]], np.float32)
    b = np.array([[5, 0, 15, 10], [100, 100, 110, 110]], np.float32)
    expected = [[50 / 150, 0], [100 / 200, 0]]
    np.testing.assert_allclose(pairwise_iou(T(a), T(b)).asnumpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(pairwise_iou_np(a, b), expected)


def test_box_coder_exact_encoding_and_round_trip():
    coder = BoxCoder(stds=(0.1, 0.1, 0.2, 0.2))
    anchors = np.array([[0, 0, 10, 20], [10, 10, 50, 30]], np.float32)
    targets = np.array([[5, 0, 15, 20], [0, 0, 80, 60]], np.float32)
    deltas = coder.encode(T(anchors), T(targets)).asnumpy()
    np.testing.assert_allclose(deltas[0], [0.5 / 0.1, 0, 0, 0], atol=1e-5)
    np.testing.assert_allclose(deltas[1], [(40 - 30) / 40 / 0.1, (30 - 20) / 20 / 0.1, np.log(2) / 0.2,
                                           np.log(3) / 0.2], rtol=1e-5)
    decoded = coder.decode(T(anchors), T(deltas), 1000.0, 1000.0).asnumpy()
    np.testing.assert_allclose(decoded, targets, atol=1e-3)
    clipped = coder.decode(T(anchors), T(deltas), 40.0, 50.0).asnumpy()
    np.testing.assert_allclose(clipped[1], [0, 0, 50, 40], atol=1e-3)


def test_sample_mask_takes_exactly_k_members():
    mask = np.array([True, False, True, True, False, True])
    uniform = np.array([0.9, 0.99, 0.1, 0.5, 0.8, 0.3], np.float32)
    chosen = sample_mask(T(mask), 2, T(uniform)).asnumpy()
    assert chosen.tolist() == [True, False, False, True, False, False]  # the two largest keys among members
    assert sample_mask(T(mask), 5, T(uniform)).asnumpy().tolist() == mask.tolist()  # fewer members than k


def test_anchor_targets_on_hand_made_boxes():
    anchors = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [20, 20, 30, 30], [50, 50, 60, 60], [0, 0, 4, 4],
                        [-5, 0, 5, 10]], np.float32)
    inside = np.array([True, True, True, True, True, False])
    gt = np.array([[0, 0, 10, 10], [21, 21, 31, 31], [0, 0, 0, 0]], np.float32)
    gt_valid = np.array([True, True, False])
    uniform = np.full((2, 6), 0.5, np.float32)
    labels, sampled, best_gt, positive = (o.asnumpy() for o in anchor_targets(
        T(anchors), T(inside), T(gt), T(gt_valid), 0.7, 0.3, 0.3, 10, 10, T(uniform)))
    # 0: IoU 1 with gt 0; 1: IoU 0.9; 2: IoU 0.68 with gt 1 but its best anchor -> positive;
    # 3: background; 4: IoU 0.16 -> negative; 5: crosses the border -> ignored.
    assert labels.tolist() == [1, 1, 1, 0, 0, 0]
    assert sampled.tolist() == [True, True, True, True, True, False]
    assert best_gt[:3].tolist() == [0, 0, 1] and positive.sum() == 3


def test_anchor_targets_of_an_image_without_words_are_all_negative():
    anchors = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60], [-5, 0, 5, 10]], np.float32)
    inside = np.array([True, True, True, False])
    gt, gt_valid = np.zeros((2, 4), np.float32), np.array([False, False])
    labels, sampled, _, positive = (o.asnumpy() for o in anchor_targets(
        T(anchors), T(inside), T(gt), T(gt_valid), 0.7, 0.3, 0.3, 10, 10, T(np.full((2, 4), 0.5, np.float32))))
    # A photo without text still teaches the RPN what background looks like.
    assert labels.tolist() == [0, 0, 0, 0] and not positive.any()
    assert sampled.tolist() == [True, True, True, False]


def test_anchors_and_proposals_inside_do_not_care_regions_are_never_background():
    boxes = np.array([[0, 0, 10, 10],     # a word
                      [50, 50, 60, 60],   # wholly inside the do-not-care region
                      [62, 50, 82, 60],   # 8 of its 20 px across inside (IoF 0.4): still background
                      [100, 0, 110, 10]], np.float32)
    regions = np.array([[0, 0, 10, 10], [40, 40, 70, 70], [0, 0, 200, 200]], np.float32)
    region_valid = np.array([False, True, False])  # row 0 is the word, row 2 padding
    ignored = in_ignored_region(T(boxes), T(regions), T(region_valid)).asnumpy()
    assert ignored.tolist() == [False, True, False, False]
    gt, gt_valid = regions, np.array([True, False, False])
    inside = np.ones(4, bool)
    plain = anchor_targets(T(boxes), T(inside), T(gt), T(gt_valid), 0.7, 0.3, 0.3, 10, 10,
                           T(np.full((2, 4), 0.5, np.float32)))
    careful = anchor_targets(T(boxes), T(inside), T(gt), T(gt_valid), 0.7, 0.3, 0.3, 10, 10,
                             T(np.full((2, 4), 0.5, np.float32)), T(ignored))
    assert plain[1].asnumpy().tolist() == [True, True, True, True]
    assert careful[1].asnumpy().tolist() == [True, False, True, True]  # the positive and the other negatives stay
    assert careful[0].asnumpy().tolist() == [1, 0, 0, 0]
    index, labels, _, weights = (o.asnumpy() for o in proposal_targets(
        T(boxes), T(inside), T(gt), T(gt_valid), 0.5, 0.2, 4, 4, 4, T(np.full((3, 4), 0.5, np.float32)), T(ignored)))
    assert {int(i): int(l) for i, l, w in zip(index, labels, weights) if w > 0} == {0: 1, 2: 0, 3: 0}


def test_proposal_targets_label_text_ambiguous_and_background():
    gt = np.array([[0, 0, 100, 20], [0, 0, 0, 0]], np.float32)
    gt_valid = np.array([True, False])
    proposals = np.array([[0, 0, 100, 20],      # IoU 1    -> text
                          [0, 0, 60, 20],       # IoU 0.6  -> text
                          [0, 0, 30, 20],       # IoU 0.3  -> ambiguous
                          [200, 200, 220, 220],  # IoU 0   -> background
                          [0, 0, 100, 20]],     # invalid (padding) -> never sampled
                         np.float32)
    valid = np.array([True, True, True, True, False])
    uniform = np.full((3, 5), 0.5, np.float32)
    index, labels, matched, weights = (o.asnumpy() for o in proposal_targets(
        T(proposals), T(valid), T(gt), T(gt_valid), 0.5, 0.2, 4, 4, 5, T(uniform)))
    chosen = {int(i): int(l) for i, l, w in zip(index, labels, weights) if w > 0}
    assert chosen == {0: 1, 1: 1, 2: 2, 3: 0}
    assert weights.sum() == 4


def nms_reference(boxes, scores, threshold):
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        order = rest[pairwise_iou_np(boxes[i:i + 1], boxes[rest])[0] <= threshold]
    return keep


def test_proposal_nms_matches_numpy_reference():
    rng = np.random.default_rng(3)
    n = 60
    centres = rng.uniform(20, 180, size=(n, 2))
    sizes = rng.uniform(10, 40, size=(n, 2))
    anchors = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1).astype(np.float32)
    logits = rng.normal(size=n).astype(np.float32)
    generator = ProposalGenerator(BoxCoder(), pre_nms=n, post_nms=n, nms_iou=0.7, min_size=0.0)
    boxes, valid = generator(T(anchors), T(logits), T(np.zeros((n, 4), np.float32)), 200.0, 200.0)
    boxes, valid = boxes.asnumpy(), valid.asnumpy()
    keep = nms_reference(anchors, logits, 0.7)
    assert valid.sum() == len(keep)
    np.testing.assert_allclose(boxes[: len(keep)], anchors[keep], atol=1e-4)


def roi_align_reference(feature, roi, size, scale, ratio):
    """Bilinear ROIAlign (continuous coordinates), one image, one ROI."""
    c, h, w = feature.shape
    x1, y1, x2, y2 = np.asarray(roi) * scale
    bin_w, bin_h = max(x2 - x1, 1.0) / size, max(y2 - y1, 1.0) / size
    out = np.zeros((c, size, size))

    def sample(y, x):
        if y < -1 or y > h or x < -1 or x > w:
            return np.zeros(c)
        y, x = min(max(y, 0), h - 1), min(max(x, 0), w - 1)
        y0, x0 = int(np.floor(y)), int(np.floor(x))
        y1_, x1_ = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        ly, lx = y - y0, x - x0
        return ((1 - ly) * (1 - lx) * feature[:, y0, x0] + (1 - ly) * lx * feature[:, y0, x1_]
                + ly * (1 - lx) * feature[:, y1_, x0] + ly * lx * feature[:, y1_, x1_])

    for i in range(size):
        for j in range(size):
            points = [sample(y1 + i * bin_h + (a + 0.5) * bin_h / ratio, x1 + j * bin_w + (b + 0.5) * bin_w / ratio)
                      for a in range(ratio) for b in range(ratio)]
            out[:, i, j] = np.mean(points, axis=0)
    return out


def test_roi_align_matches_numpy_reference_on_both_levels():
    rng = np.random.default_rng(0)
    conv4 = rng.normal(size=(2, 3, 16, 24)).astype(np.float32)
    conv5 = rng.normal(size=(2, 3, 8, 12)).astype(np.float32)
    rois = np.array([[0, 8, 4, 60, 50], [1, 0, 0, 190, 127], [0, 30.5, 10.2, 33.7, 60.1]], np.float32)
    layer = MultiLevelROIAlign((3, 3), 3, output_size=7, sampling_ratio=2)
    for op, feature, scale in ((layer.align4, conv4, 1 / 8), (layer.align5, conv5, 1 / 16)):
        out = op(T(feature), T(rois)).asnumpy()
        for r, roi in enumerate(rois):
            ref = roi_align_reference(feature[int(roi[0])], roi[1:], 7, scale, 2)
            np.testing.assert_allclose(out[r], ref, atol=1e-5)
    fused = layer(T(conv4), T(conv5), T(rois))
    assert fused.shape == (3, 3, 7, 7)


def test_roi_align_gradient_is_finite():
    feature = T(np.random.default_rng(1).normal(size=(1, 2, 8, 8)).astype(np.float32))
    rois = T(np.array([[0, 4, 4, 40, 30]], np.float32))
    class AlignSum(ms.nn.Cell):
        def __init__(self):
            super().__init__()
            self.align = ops.ROIAlign(7, 7, 1 / 8, 2, 0)

        def construct(self, f):
            return self.align(f, rois).sum()

    grad = ms.grad(AlignSum())(feature).asnumpy()
    # Every output bin spreads a total weight of 1 over the input: 2 channels x 49 bins.
    assert np.isfinite(grad).all() and grad.sum() == pytest.approx(98.0, rel=1e-4)
