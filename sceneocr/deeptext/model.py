"""DeepText: VGG16 + Inception-RPN + multi-level ROIAlign + RCNN head with an ambiguous-text class.

``DeepText`` holds the layers and the static anchor grid for one input size. ``DeepTextWithLoss``
computes the six training losses; ``DeepTextDetector`` maps images to a fixed number of detections.
Both wrap the same ``DeepText`` without adding a name prefix, so checkpoints move between them.
"""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops
import numpy as np
from mindspore.common.initializer import Normal

from sceneocr.deeptext.anchors import AnchorGenerator
from sceneocr.deeptext.backbone import VGG16Backbone
from sceneocr.deeptext.boxes import BoxCoder
from sceneocr.deeptext.roi_head import MultiLevelROIAlign, RCNNHead
from sceneocr.deeptext.rpn import InceptionRPNHead, ProposalGenerator, sigmoid_bce, smooth_l1
from sceneocr.deeptext.sampling import anchor_targets, in_ignored_region, proposal_targets

BACKGROUND, TEXT, AMBIGUOUS = 0, 1, 2


def feature_size(size, stride):
    # 'same'-padded 2x2 pools round up at every halving.
    for _ in range(int(np.log2(stride))):
        size = (size + 1) // 2
    return size


class DeepText(nn.Cell):
    def __init__(self, image_height=576, image_width=960, num_classes=3, width_divisor=1, hidden=4096,
                 anchor_scales=(2, 4, 6, 8, 12), anchor_ratios=(0.2, 0.5, 0.8, 1.0, 1.2, 1.5),
                 rpn_branches=(128, 384, 128), roi_size=7, roi_sampling=2, fused_channels=512,
                 rpn_pos_iou=0.5, rpn_neg_iou=0.3, rpn_min_pos_iou=0.3, rpn_num_pos=128, rpn_num_neg=256,
                 train_pre_nms=2000, train_post_nms=2000, test_pre_nms=1000, test_post_nms=1000, rpn_nms_iou=0.7,
                 rcnn_pos_iou=0.5, rcnn_neg_iou=0.2, rcnn_num_pos=128, rcnn_num_ambiguous=128, rcnn_num_rois=640,
                 test_score_threshold=0.05, test_nms_iou=0.5, max_detections=100, in_channels=3,
                 backbone_norm="bn", frozen_stages=0):
        super().__init__()
        if image_height % 16 or image_width % 16:
            raise ValueError(f"image size {image_height}x{image_width} must be a multiple of 16")
        self.image_height, self.image_width = float(image_height), float(image_width)
        self.backbone = VGG16Backbone(in_channels, width_divisor, norm=backbone_norm, frozen_stages=frozen_stages)
        c4, c5 = self.backbone.out_channels
        generator = AnchorGenerator(16, anchor_scales, anchor_ratios)
        anchors = generator.grid_anchors(feature_size(image_height, 16), feature_size(image_width, 16))
        inside = ((anchors[:, 0] >= 0) & (anchors[:, 1] >= 0) & (anchors[:, 2] <= image_width)
                  & (anchors[:, 3] <= image_height))
        self.anchors = ms.Tensor(anchors)
        self.anchor_inside = ms.Tensor(inside)
        self.num_anchors = anchors.shape[0]
        self.rpn_head = InceptionRPNHead(c5, generator.num_anchors, tuple(max(8, b // width_divisor) for b in rpn_branches))
        self.rpn_coder = BoxCoder()
        self.rcnn_coder = BoxCoder(stds=(0.1, 0.1, 0.2, 0.2))
        self.train_proposals = ProposalGenerator(self.rpn_coder, train_pre_nms, train_post_nms, rpn_nms_iou)
        self.test_proposals = ProposalGenerator(self.rpn_coder, test_pre_nms, test_post_nms, rpn_nms_iou)
        fused = max(8, fused_channels // width_divisor)
        self.roi_align = MultiLevelROIAlign((c4, c5), fused, roi_size, roi_sampling)
        self.rcnn_head = RCNNHead(fused, roi_size, max(16, hidden // width_divisor), num_classes)
        self.rcnn_head.scores.weight.set_data(ms.common.initializer.initializer(Normal(0.01), self.rcnn_head.scores.weight.shape))
        self.rcnn_head.deltas.weight.set_data(ms.common.initializer.initializer(Normal(0.001), self.rcnn_head.deltas.weight.shape))
        self.num_classes = num_classes
        self.rpn_cfg = (rpn_pos_iou, rpn_neg_iou, rpn_min_pos_iou, rpn_num_pos, rpn_num_neg)
        self.rcnn_cfg = (rcnn_pos_iou, rcnn_neg_iou, rcnn_num_pos, rcnn_num_ambiguous, rcnn_num_rois)
        self.test_score_threshold = test_score_threshold
        self.test_nms = ops.NMSWithMask(test_nms_iou)
        self.max_detections = max_detections
        self.uniform = ops.UniformReal()

    def construct(self, images):
        return self.backbone(images)


class DeepTextWithLoss(nn.Cell):
    """(images, gt_boxes (N, G, 4), gt_valid (N, G)[, gt_ignore (N, G)]) -> (total, rpn, rcnn, rpn_cls, rpn_reg,
    rcnn_cls, rcnn_reg). ``gt_ignore`` marks rows of ``gt_boxes`` that are do-not-care regions: anchors and
    proposals inside them are not sampled as background."""

    def __init__(self, model):
        super().__init__(auto_prefix=False)
        self.model = model

    def construct(self, images, gt_boxes, gt_valid, gt_ignore=None):
        m = self.model
        conv4, conv5 = m.backbone(images)
        logits, deltas = m.rpn_head(conv5)
        n = images.shape[0]
        pos_iou, neg_iou, min_pos_iou, num_pos, num_neg = m.rpn_cfg
        r_pos, r_neg, r_num_pos, r_num_amb, r_num = m.rcnn_cfg
        rpn_cls, rpn_reg = 0.0, 0.0
        rois, labels, targets, weights = [], [], [], []
        for i in range(n):
            uniform = m.uniform((2, m.num_anchors))
            anchor_ignored = None if gt_ignore is None else in_ignored_region(m.anchors, gt_boxes[i], gt_ignore[i])
            label, sampled, best_gt, positive = anchor_targets(
                m.anchors, m.anchor_inside, gt_boxes[i], gt_valid[i], pos_iou, neg_iou, min_pos_iou,
                num_pos, num_neg, uniform, anchor_ignored)
            target = m.rpn_coder.encode(m.anchors, ops.gather(gt_boxes[i], best_gt, 0))
            rpn_cls += sigmoid_bce(logits[i], label, sampled.astype(ms.float32))
            rpn_reg += smooth_l1(deltas[i], ops.stop_gradient(target), positive.astype(ms.float32))
            proposals, valid = m.train_proposals(m.anchors, ops.stop_gradient(logits[i]),
                                                 ops.stop_gradient(deltas[i]), m.image_height, m.image_width)
            candidates = ops.concat((proposals, gt_boxes[i]), axis=0)   # ground truth joins the proposals
            candidate_valid = ops.concat((valid, gt_valid[i]), axis=0)
            uniform2 = m.uniform((3, candidates.shape[0]))
            candidate_ignored = None if gt_ignore is None else in_ignored_region(candidates, gt_boxes[i], gt_ignore[i])
            index, roi_label, matched, weight = proposal_targets(
                candidates, candidate_valid, gt_boxes[i], gt_valid[i], r_pos, r_neg, r_num_pos, r_num_amb, r_num,
                uniform2, candidate_ignored)
            boxes = ops.gather(candidates, index, 0)
            rois.append(ops.concat((ops.full((r_num, 1), i, dtype=ms.float32), boxes), axis=1))
            labels.append(roi_label)
            targets.append(m.rcnn_coder.encode(boxes, ops.gather(gt_boxes[i], matched, 0)))
            weights.append(weight)
        rois = ops.stop_gradient(ops.concat(rois, axis=0))
        labels, weights = ops.concat(labels, axis=0), ops.concat(weights, axis=0)
        targets = ops.stop_gradient(ops.concat(targets, axis=0))
        scores, box_deltas = m.rcnn_head(m.roi_align(conv4, conv5, rois))
        ce = ops.cross_entropy(scores, labels, reduction="none")
        rcnn_cls = (ce * weights).sum() / ops.maximum(weights.sum(), 1.0)
        one_hot = ops.one_hot(labels, m.num_classes, ms.Tensor(1.0), ms.Tensor(0.0))
        chosen = (box_deltas * one_hot.expand_dims(2)).sum(axis=1)
        foreground = weights * (labels > 0).astype(ms.float32)
        # Averaged over all sampled ROIs (not only foreground), as in Faster R-CNN.
        rcnn_reg = smooth_l1(chosen, targets, foreground, beta=1.0) * foreground.sum() / ops.maximum(weights.sum(), 1.0)
        rpn_cls, rpn_reg = rpn_cls / n, rpn_reg / n
        rpn_loss, rcnn_loss = rpn_cls + rpn_reg, rcnn_cls + rcnn_reg
        return rpn_loss + rcnn_loss, rpn_loss, rcnn_loss, rpn_cls, rpn_reg, rcnn_cls, rcnn_reg


class DeepTextDetector(nn.Cell):
    """images -> boxes (N, K, 4), scores (N, K), classes (N, K) int32, valid (N, K) bool; K = max_detections.

    Every ROI is scored by its text probability and boxed with the text class's deltas; ``classes``
    tells whether text (1) or ambiguous text (2) was the ROI's more likely foreground class. The
    ambiguous class sharpens training; detections are ranked and suppressed as text."""

    def __init__(self, model):
        super().__init__(auto_prefix=False)
        self.model = model

    def construct(self, images):
        m = self.model
        conv4, conv5 = m.backbone(images)
        logits, deltas = m.rpn_head(conv5)
        n = images.shape[0]
        # Tuples, not lists: exporters cannot translate MindSpore's list construction.
        rois = ()
        for i in range(n):
            proposals, _ = m.test_proposals(m.anchors, logits[i], deltas[i], m.image_height, m.image_width)
            rois += (ops.concat((ops.full((proposals.shape[0], 1), i, dtype=ms.float32), proposals), axis=1),)
        rois = ops.concat(rois, axis=0)
        scores, box_deltas = m.rcnn_head(m.roi_align(conv4, conv5, rois))
        probs = ops.softmax(scores, axis=-1)
        text_score = probs[:, TEXT]
        classes = ops.where(probs[:, TEXT] >= probs[:, AMBIGUOUS], ops.full_like(text_score, TEXT),
                            ops.full_like(text_score, AMBIGUOUS))
        boxes = m.rcnn_coder.decode(rois[:, 1:], box_deltas[:, TEXT], m.image_height, m.image_width)
        per_image = rois.shape[0] // n
        out_boxes, out_scores, out_classes, out_valid = (), (), (), ()
        for i in range(n):
            b = boxes[i * per_image:(i + 1) * per_image]
            s = text_score[i * per_image:(i + 1) * per_image]
            c = classes[i * per_image:(i + 1) * per_image]
            s = ops.where(s >= m.test_score_threshold, s, ops.zeros_like(s))
            # NMSWithMask returns rows sorted by score; sort the classes the same way.
            sorted_rows, _, keep = m.test_nms(ops.concat((b, s.expand_dims(1)), axis=1))
            c_sorted = ops.gather(c, ops.sort(s, descending=True)[1], 0)
            keys = ops.where(ops.logical_and(keep, sorted_rows[:, 4] > 0), sorted_rows[:, 4] + 1.0,
                             ops.zeros_like(sorted_rows[:, 4]))
            values, index = ops.topk(keys, m.max_detections)
            out_boxes += (ops.gather(sorted_rows[:, :4], index, 0),)
            out_scores += (ops.relu(values - 1.0),)
            out_classes += (ops.gather(c_sorted, index, 0).astype(ms.int32),)
            out_valid += (values > 1.0,)
        return ops.stack(out_boxes), ops.stack(out_scores), ops.stack(out_classes), ops.stack(out_valid)
