"""Multi-level ROIAlign on conv4 (1/8) and conv5 (1/16), a 1x1 fusion convolution, and the RCNN head
(two 4096-wide fully connected layers, 3-class scores, per-class box deltas)."""
import mindspore.nn as nn
import mindspore.ops as ops

from sceneocr.native.layers import ROIAlign


class MultiLevelROIAlign(nn.Cell):
    """Pools every ROI from both levels (``output_size`` x ``output_size``, ``sampling_ratio``
    samples per bin), concatenates the channels and fuses them with a 1x1 convolution."""

    def __init__(self, in_channels=(512, 512), out_channels=512, output_size=7, sampling_ratio=2,
                 strides=(8, 16)):
        super().__init__()
        # Continuous box coordinates (width = x2 - x1), matching BoxCoder.
        self.align4 = ROIAlign(output_size, output_size, 1.0 / strides[0], sampling_ratio)
        self.align5 = ROIAlign(output_size, output_size, 1.0 / strides[1], sampling_ratio)
        self.fuse = nn.Conv2d(sum(in_channels), out_channels, 1, has_bias=True)
        self.relu = nn.ReLU()
        self.out_channels = out_channels

    def use_native_kernel(self, enabled):
        """False before export: exported graphs need MindSpore's own ROIAlign."""
        self.align4.native = enabled and self.align4.available
        self.align5.native = enabled and self.align5.available

    def construct(self, conv4, conv5, rois):
        """rois: (R, 5) rows of (batch index, x1, y1, x2, y2) in input pixels."""
        pooled = ops.concat((self.align4(conv4, rois), self.align5(conv5, rois)), axis=1)
        return self.relu(self.fuse(pooled))


class RCNNHead(nn.Cell):
    def __init__(self, in_channels=512, pooled_size=7, hidden=4096, num_classes=3):
        super().__init__()
        self.fc6 = nn.Dense(in_channels * pooled_size * pooled_size, hidden)
        self.fc7 = nn.Dense(hidden, hidden)
        self.relu = nn.ReLU()
        self.scores = nn.Dense(hidden, num_classes)
        self.deltas = nn.Dense(hidden, num_classes * 4)
        self.num_classes = num_classes

    def construct(self, pooled):
        x = pooled.reshape(pooled.shape[0], -1)
        x = self.relu(self.fc7(self.relu(self.fc6(x))))
        return self.scores(x), self.deltas(x).reshape(-1, self.num_classes, 4)
