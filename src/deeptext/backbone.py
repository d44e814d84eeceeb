"""VGG16 with batch norm, returning the conv4_3 (stride 8) and conv5_3 (stride 16) feature maps."""
import mindspore.nn as nn

from src.native.layers import max_pool

VGG16_STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def _stage(in_channels, widths, prefix):
    layers = []
    for width in widths:
        layers += [nn.Conv2d(in_channels, width, 3, pad_mode="pad", padding=1, has_bias=False),
                   nn.BatchNorm2d(width, momentum=0.9), nn.ReLU()]
        in_channels = width
    return nn.SequentialCell(layers), in_channels


class VGG16Backbone(nn.Cell):
    """Five VGG16 stages; pools after stages 1-3 give conv4 at 1/8 and (after a fourth pool) conv5 at
    1/16 of the input. ``width_divisor`` narrows every layer (for tests and CPU demos)."""

    def __init__(self, in_channels=3, width_divisor=1, stages=VGG16_STAGES):
        super().__init__()
        widths = [tuple(max(8, w // width_divisor) for w in stage) for stage in stages]
        self.stage1, c = _stage(in_channels, widths[0], "stage1")
        self.stage2, c = _stage(c, widths[1], "stage2")
        self.stage3, c = _stage(c, widths[2], "stage3")
        self.stage4, c4 = _stage(c, widths[3], "stage4")
        self.stage5, c5 = _stage(c4, widths[4], "stage5")
        self.pool = max_pool(2)   # native gradient on CPU
        self.out_channels = (c4, c5)

    def construct(self, x):
        x = self.pool(self.stage1(x))
        x = self.pool(self.stage2(x))
        x = self.pool(self.stage3(x))
        conv4 = self.stage4(x)
        conv5 = self.stage5(self.pool(conv4))
        return conv4, conv5
