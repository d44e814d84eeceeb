"""VGG16 returning the conv4_3 (stride 8) and conv5_3 (stride 16) feature maps.

``norm`` chooses what follows each convolution:

* ``bn``: trainable batch norm (the model zoo's VGG16-BN; convolutions without bias);
* ``frozen_bn``: batch norm used as a fixed affine map (running statistics, no gradient), as detection
  code does with small batches;
* ``none``: the paper's VGG16, convolutions with biases (ImageNet weights load as they are).

``frozen_stages`` (0-5) freezes the first stages whole (py-faster-rcnn froze conv1-conv2): their
parameters get no gradient (``requires_grad`` False, so optimizers built from ``trainable_params()``
skip them), their batch norms use running statistics, and the backward pass stops before them.
"""
import mindspore.nn as nn
import mindspore.ops as ops

from sceneocr.native.layers import max_pool

VGG16_STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
NORMS = ("bn", "frozen_bn", "none")


def _stage(in_channels, widths, norm, frozen):
    layers = []
    for width in widths:
        layers.append(nn.Conv2d(in_channels, width, 3, pad_mode="pad", padding=1, has_bias=norm == "none"))
        if norm != "none":
            # use_batch_statistics=False: running statistics in training too (a fixed affine map).
            fixed = norm == "frozen_bn" or frozen
            layers.append(nn.BatchNorm2d(width, momentum=0.9, use_batch_statistics=False if fixed else None))
        layers.append(nn.ReLU())
        in_channels = width
    stage = nn.SequentialCell(layers)
    for cell in stage.cells():
        for param in cell.get_parameters():
            if frozen or (isinstance(cell, nn.BatchNorm2d) and norm == "frozen_bn"):
                param.requires_grad = False
    return stage, in_channels


class VGG16Backbone(nn.Cell):
    """Five VGG16 stages; pools after stages 1-3 give conv4 at 1/8 and (after a fourth pool) conv5 at
    1/16 of the input. ``width_divisor`` narrows every layer (for tests and CPU demos)."""

    def __init__(self, in_channels=3, width_divisor=1, stages=VGG16_STAGES, norm="bn", frozen_stages=0):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"model.backbone.norm must be one of {', '.join(NORMS)}, got {norm!r}")
        if not 0 <= int(frozen_stages) <= len(stages):
            raise ValueError(f"model.backbone.frozen_stages must be in [0, {len(stages)}], got {frozen_stages!r}")
        self.norm, self.frozen_stages = norm, int(frozen_stages)
        widths = [tuple(max(8, w // width_divisor) for w in stage) for stage in stages]
        c = in_channels
        built = []
        for index, stage_widths in enumerate(widths, 1):
            stage, c = _stage(c, stage_widths, norm, index <= self.frozen_stages)
            built.append((stage, c))
        (self.stage1, _), (self.stage2, _), (self.stage3, _), (self.stage4, c4), (self.stage5, c5) = built
        self.pool = max_pool(2)   # native gradient on CPU
        self.out_channels = (c4, c5)

    def conv_layers(self):
        """``[(conv, batch norm or None), ...]``: the 13 convolutions in order (conv1_1 ... conv5_3)."""
        pairs = []
        for stage in (self.stage1, self.stage2, self.stage3, self.stage4, self.stage5):
            cells = list(stage.cells())
            for k, cell in enumerate(cells):
                if isinstance(cell, nn.Conv2d):
                    follower = cells[k + 1] if k + 1 < len(cells) else None
                    pairs.append((cell, follower if isinstance(follower, nn.BatchNorm2d) else None))
        return pairs

    def _after(self, x, stage):
        # Nothing before a frozen stage's output needs a gradient: cut the backward pass there.
        return ops.stop_gradient(x) if stage <= self.frozen_stages else x

    def construct(self, x):
        x = self.pool(self._after(self.stage1(x), 1))
        x = self.pool(self._after(self.stage2(x), 2))
        x = self.pool(self._after(self.stage3(x), 3))
        conv4 = self._after(self.stage4(x), 4)
        conv5 = self._after(self.stage5(self.pool(conv4)), 5)
        return conv4, conv5
