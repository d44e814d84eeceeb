"""Static-shape assignment and random sampling helpers for the two detection stages.

Sampling ``k`` random members of a boolean mask without dynamic shapes: give every member a random
key in (1, 2) and every non-member 0, and keep the members whose key is at least the k-th largest.
"""
import mindspore as ms
import mindspore.ops as ops

from sceneocr.deeptext.boxes import pairwise_iof, pairwise_iou

# A box lying more than this fraction inside a do-not-care region is never sampled as background (MMDetection's
# ignore_iof_thr): unreadable or unannotated text there must not be taught as background.
IGNORE_IOF = 0.5


def match_to_gt(boxes, gt_boxes, gt_valid):
    """For each box, the best IoU with a valid gt box and that box's index; invalid gts count as -1."""
    iou = pairwise_iou(boxes, gt_boxes)
    iou = ops.where(gt_valid.expand_dims(0), iou, ops.full_like(iou, -1.0))
    return iou, iou.max(axis=1), iou.argmax(axis=1)


def in_ignored_region(boxes, region_boxes, region_valid, threshold=IGNORE_IOF):
    """Whether each box lies more than ``threshold`` of its area inside one of the valid do-not-care regions."""
    iof = pairwise_iof(boxes, region_boxes)
    iof = ops.where(region_valid.expand_dims(0), iof, ops.zeros_like(iof))
    return iof.max(axis=1) > threshold


def sample_mask(mask, count, uniform):
    """At most ``count`` randomly chosen True entries of ``mask`` (``uniform`` holds one U(0,1) per entry)."""
    count = min(count, mask.shape[0])
    keys = ops.where(mask, uniform + 1.0, ops.zeros_like(uniform))
    kth = ops.topk(keys, count)[0][count - 1]
    return ops.logical_and(mask, keys >= ops.maximum(kth, 1.0))


def anchor_targets(anchors, anchor_valid, gt_boxes, gt_valid, pos_iou, neg_iou, min_pos_iou,
                   num_pos, num_neg, uniform, ignored=None):
    """Stage 1 (RPN): returns (labels 0/1, sampled mask, matched gt index, positive mask) per anchor.

    Positive: IoU >= pos_iou, or the best anchor of some gt with IoU >= min_pos_iou.
    Negative: IoU < neg_iou (every usable anchor of an image without words), unless ``ignored`` (per anchor:
    inside a do-not-care region, :func:`in_ignored_region`). Anchors crossing the image border are ignored."""
    iou, best_iou, best_gt = match_to_gt(anchors, gt_boxes, gt_valid)
    iou = ops.where(anchor_valid.expand_dims(1), iou, ops.full_like(iou, -1.0))
    gt_best = iou.max(axis=0, keepdims=True)  # per gt: its best usable anchor's IoU
    is_gt_best = ops.logical_and(iou >= gt_best - 1e-6, gt_best >= min_pos_iou)
    is_gt_best = ops.logical_and(is_gt_best, gt_valid.expand_dims(0)).any(axis=1)
    positive = ops.logical_and(ops.logical_or(best_iou >= pos_iou, is_gt_best), anchor_valid)
    negative = ops.logical_and(best_iou < neg_iou, anchor_valid)
    negative = ops.logical_and(negative, ops.logical_not(positive))
    if ignored is not None:
        negative = ops.logical_and(negative, ops.logical_not(ignored))
    pos_sampled = sample_mask(positive, num_pos, uniform[0])
    neg_sampled = sample_mask(negative, num_neg, uniform[1])
    sampled = ops.logical_or(pos_sampled, neg_sampled)
    return pos_sampled.astype(ms.int32), sampled, best_gt, pos_sampled


def proposal_targets(proposals, proposal_valid, gt_boxes, gt_valid, pos_iou, neg_iou, num_pos, num_ambiguous,
                     num_total, uniform, ignored=None):
    """Stage 2: label proposals text (1, IoU >= pos_iou), ambiguous (2, neg_iou <= IoU < pos_iou) or
    background (0, IoU < neg_iou, and not ``ignored``: inside a do-not-care region); sample up to ``num_pos``
    text and ``num_ambiguous`` ambiguous ones and fill up to ``num_total`` with background. Returns (indices,
    labels, matched gt, weights)."""
    _, best_iou, best_gt = match_to_gt(proposals, gt_boxes, gt_valid)
    text = ops.logical_and(best_iou >= pos_iou, proposal_valid)
    ambiguous = ops.logical_and(ops.logical_and(best_iou >= neg_iou, best_iou < pos_iou), proposal_valid)
    background = ops.logical_and(best_iou < neg_iou, proposal_valid)
    if ignored is not None:
        background = ops.logical_and(background, ops.logical_not(ignored))
    text_s = sample_mask(text, num_pos, uniform[0])
    ambiguous_s = sample_mask(ambiguous, num_ambiguous, uniform[1])
    # Priority keys: sampled text > sampled ambiguous > background (random order); 0 = unusable.
    keys = (3.0 * text_s.astype(ms.float32) + 2.0 * ambiguous_s.astype(ms.float32)
            + background.astype(ms.float32)) * (1.0 + 0.5 * uniform[2])
    values, indices = ops.topk(keys, min(num_total, keys.shape[0]))
    labels = ops.gather(text_s.astype(ms.int32) + 2 * ambiguous_s.astype(ms.int32), indices, 0)
    weights = (values > 0).astype(ms.float32)
    return indices, labels, ops.gather(best_gt, indices, 0), weights
