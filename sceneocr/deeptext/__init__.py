"""DeepText text detector (Zhong et al., ICASSP 2017, arXiv 1605.07314)."""
from sceneocr.deeptext.model import DeepText, DeepTextDetector, DeepTextWithLoss
from sceneocr.registry import register_model

# Every variant takes the backbone's config keys (model.backbone.norm / frozen_stages).
BACKBONE_DEFAULTS = {"backbone_norm": "bn", "frozen_stages": 0}

# The published setting: full VGG16, 576x960 input, 2000 training proposals, 640 ROIs per image.
register_model("deeptext_vgg16", DeepText, image_height=576, image_width=960, width_divisor=1, hidden=4096,
               train_post_nms=2000, test_post_nms=1000, rcnn_num_rois=640, **BACKBONE_DEFAULTS)
# The published architecture sized for 2 CPU cores: the full-width VGG16 (so ImageNet weights fit) with the
# paper's Inception-RPN, ambiguous class and multi-level ROIAlign; fewer proposals and ROIs and a
# 512-wide head (fc6 is 25088 x hidden: at 1024 the float16 file alone would be ~90 MB, over the shipped
# weights' budget; Fast R-CNN showed its fc layers compress well). The input size comes from the config.
register_model("deeptext_vgg16_cpu", DeepText, image_height=416, image_width=576, width_divisor=1, hidden=512,
               train_pre_nms=1000, train_post_nms=512, test_pre_nms=1000, test_post_nms=300,
               rcnn_num_pos=64, rcnn_num_ambiguous=64, rcnn_num_rois=256, **BACKBONE_DEFAULTS)
# A narrow, small-input variant for CPU demos.
register_model("deeptext_vgg16_small", DeepText, image_height=320, image_width=512, width_divisor=2,
               hidden=1024, train_pre_nms=1000, train_post_nms=500, test_pre_nms=600, test_post_nms=300,
               rcnn_num_rois=256, **BACKBONE_DEFAULTS)
# A tiny variant for unit and learning tests.
register_model("deeptext_tiny", DeepText, image_height=128, image_width=192, width_divisor=8, hidden=128,
               anchor_scales=(1, 2, 4, 8), anchor_ratios=(0.1, 0.2, 0.5), train_pre_nms=300, train_post_nms=100,
               test_pre_nms=200, test_post_nms=100, rpn_num_pos=32, rpn_num_neg=64, rcnn_num_pos=32,
               rcnn_num_ambiguous=16, rcnn_num_rois=64, max_detections=32, **BACKBONE_DEFAULTS)

__all__ = ["DeepText", "DeepTextDetector", "DeepTextWithLoss"]
