"""Inception-RPN: parallel 1x1 / 3x3 / 5x5 convolutions on conv5, objectness and box deltas per anchor,
and the proposal generator (decode, top-k, NMS) with static shapes."""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops


class InceptionRPNHead(nn.Cell):
    """1x1 (128) + 3x3 (384) + 5x5 (128) branches concatenated to 640 channels, then per-anchor
    objectness logits (sigmoid) and 4 box deltas. Outputs are flattened in (y, x, anchor) order."""

    def __init__(self, in_channels=512, num_anchors=30, branch_channels=(128, 384, 128)):
        super().__init__()
        b1, b3, b5 = branch_channels
        self.branch1 = nn.Conv2d(in_channels, b1, 1, has_bias=True)
        self.branch3 = nn.Conv2d(in_channels, b3, 3, pad_mode="pad", padding=1, has_bias=True)
        self.branch5 = nn.Conv2d(in_channels, b5, 5, pad_mode="pad", padding=2, has_bias=True)
        self.relu = nn.ReLU()
        self.objectness = nn.Conv2d(b1 + b3 + b5, num_anchors, 1, has_bias=True)
        self.deltas = nn.Conv2d(b1 + b3 + b5, num_anchors * 4, 1, has_bias=True)
        self.num_anchors = num_anchors

    def construct(self, x):
        features = self.relu(ops.concat((self.branch1(x), self.branch3(x), self.branch5(x)), axis=1))
        n = x.shape[0]
        logits = self.objectness(features).transpose(0, 2, 3, 1).reshape(n, -1)
        deltas = self.deltas(features).transpose(0, 2, 3, 1).reshape(n, -1, 4)
        return logits, deltas


class ProposalGenerator(nn.Cell):
    """Per image: top ``pre_nms`` anchors by objectness, decoded and clipped, NMS at ``nms_iou``,
    then the best ``post_nms`` survivors. Returns boxes (post_nms, 4) and a validity mask."""

    def __init__(self, box_coder, pre_nms=2000, post_nms=2000, nms_iou=0.7, min_size=1.0):
        super().__init__()
        self.box_coder = box_coder
        self.pre_nms, self.post_nms = pre_nms, post_nms
        self.nms = ops.NMSWithMask(nms_iou)
        self.min_size = min_size

    def construct(self, anchors, logits, deltas, image_height, image_width):
        scores = ops.sigmoid(logits)
        top_scores, top_index = ops.topk(scores, self.pre_nms)
        boxes = self.box_coder.decode(ops.gather(anchors, top_index, 0), ops.gather(deltas, top_index, 0),
                                      image_height, image_width)
        large = ops.logical_and(boxes[:, 2] - boxes[:, 0] >= self.min_size, boxes[:, 3] - boxes[:, 1] >= self.min_size)
        top_scores = ops.where(large, top_scores, ops.zeros_like(top_scores))
        sorted_boxes, _, keep = self.nms(ops.concat((boxes, top_scores.expand_dims(1)), axis=1))
        keys = ops.where(keep, sorted_boxes[:, 4] + 1.0, ops.zeros_like(sorted_boxes[:, 4]))
        values, index = ops.topk(keys, self.post_nms)
        proposals = ops.gather(sorted_boxes[:, :4], index, 0)
        return ops.stop_gradient(proposals), values > 1.0


def sigmoid_bce(logits, labels, weights):
    loss = ops.binary_cross_entropy_with_logits(logits, labels.astype(ms.float32), ops.ones_like(logits),
                                                ops.ones_like(logits), reduction="none")
    return (loss * weights).sum() / ops.maximum(weights.sum(), 1.0)


def smooth_l1(pred, target, weights, beta=1.0 / 9.0):
    diff = ops.abs(pred - target)
    loss = ops.where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta).sum(axis=-1)
    return (loss * weights).sum() / ops.maximum(weights.sum(), 1.0)
