"""CRNN: a VGG-style convolution stack that reduces a text line to a sequence of feature columns,
a bidirectional LSTM over the columns, and a per-column classifier trained with CTC.

For a 32 x W input the conv stack gives a 1 x (W/4 - 1) feature map: 24 time steps for W = 100.
"""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops
import numpy as np

from sceneocr.native.layers import NativeGradMaxPool2d, max_pool


def conv_bn(in_channels, out_channels, kernel=3, padding=1):
    pad_mode = "pad" if padding else "valid"
    return [nn.Conv2d(in_channels, out_channels, kernel, pad_mode=pad_mode, padding=padding, has_bias=False),
            nn.BatchNorm2d(out_channels, momentum=0.9)]


def pool(kernel):
    # On CPU the gradient runs in a native kernel: MindSpore's CPU MaxPoolGrad took ~310 ms of a 2 s step.
    return max_pool(kernel)


class VGGFeatureExtractor(nn.Cell):
    """Seven conv-BN-ReLU layers with pooling (2x2, 2x2, 2x1, 2x1) and a final 2x2 valid conv.

    Where a pool follows, it runs before the ReLU: max-pooling commutes with ReLU (both monotonic), so
    the result is the same and the ReLU touches a quarter or half of the values."""

    def __init__(self, in_channels=3, widths=(64, 128, 256, 256, 512, 512, 512)):
        super().__init__()
        c1, c2, c3, c4, c5, c6, c7 = widths
        relu = nn.ReLU
        layers = conv_bn(in_channels, c1) + [pool(2), relu()]
        layers += conv_bn(c1, c2) + [pool(2), relu()]
        layers += conv_bn(c2, c3) + [relu()] + conv_bn(c3, c4) + [pool((2, 1)), relu()]
        layers += conv_bn(c4, c5) + [relu()] + conv_bn(c5, c6) + [pool((2, 1)), relu()]
        layers += conv_bn(c6, c7, kernel=2, padding=0) + [relu()]
        self.layers = nn.SequentialCell(layers)
        self.out_channels = c7

    def construct(self, x):
        return self.layers(x)


class CRNN(nn.Cell):
    """Images (N, C, 32, W) -> logits (T, N, num_classes), T = W // 4 - 1."""

    def __init__(self, num_classes=37, in_channels=3, widths=(64, 128, 256, 256, 512, 512, 512),
                 hidden_size=256, num_layers=2, image_height=32):
        super().__init__()
        if image_height != 32:
            raise ValueError("CRNN's conv stack reduces height 32 to 1; image_height must be 32")
        self.features = VGGFeatureExtractor(in_channels, widths)
        self.rnn = BidirectionalLSTM(self.features.out_channels, hidden_size, num_layers)
        self.classifier = nn.Dense(2 * hidden_size, num_classes)
        self.num_classes = num_classes

    def construct(self, images):
        features = self.features(images)                   # N, C, 1, T
        return self.head(features.squeeze(2).transpose(2, 0, 1))

    def head(self, sequence):
        """Feature columns (T, N, C) -> logits (T, N, num_classes)."""
        sequence, _ = self.rnn(sequence)
        t, n, c = sequence.shape
        logits = self.classifier(sequence.reshape(t * n, c))
        return logits.reshape(t, n, self.num_classes)


class BidirectionalLSTM(nn.LSTM):
    """A stacked bidirectional LSTM over (T, N, C) with ``nn.LSTM``'s parameters, so checkpoints are
    the same whichever way it runs.

    On CPU each layer runs as one bidirectional LSTM kernel. ``nn.LSTM`` runs the two directions as
    separate kernels and reverses the sequence before and after the backward one; on this 2-core CPU
    the single kernel takes 64 ms instead of 92 ms forward and 257 ms instead of 302 ms forward plus
    backward for CRNN's two layers at batch 64. Elsewhere (GPU, Ascend) ``nn.LSTM`` runs unchanged."""

    def __init__(self, input_size, hidden_size, num_layers=2, fused=None):
        super().__init__(input_size, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=False)
        if fused is None:
            fused = ms.get_context("device_target") == "CPU"
        self.fused = fused
        self.hidden = hidden_size
        self.kernels = tuple(ops.LSTM(input_size if layer == 0 else 2 * hidden_size, hidden_size, 1, True, True, 0.0)
                             for layer in range(num_layers))

    def _layer_weights(self, layer):
        # The CPU kernel's layout: input weights (forward, backward), hidden weights (forward,
        # backward), then the summed biases (forward, backward).
        f, b = 2 * layer, 2 * layer + 1
        parts = (self.w_ih_list[f], self.w_ih_list[b], self.w_hh_list[f], self.w_hh_list[b],
                 self.b_ih_list[f] + self.b_hh_list[f], self.b_ih_list[b] + self.b_hh_list[b])
        return ops.concat([p.reshape(-1) for p in parts]).reshape(-1, 1, 1)

    def construct(self, x, hx=None, seq_length=None):
        if not self.fused:
            return super().construct(x, hx, seq_length)
        zeros = ops.zeros((2, x.shape[1], self.hidden), x.dtype)
        for layer, kernel in enumerate(self.kernels):
            x = kernel(x, zeros, zeros, self._layer_weights(layer))[0]
        return x, None   # CRNN reads only the outputs; the final states are not computed here


def sequence_length(image_width):
    return image_width // 4 - 1


class ChannelBias(nn.Cell):
    """BiasAdd: 6 ms where a broadcast add takes 20 ms for CRNN at batch 64 (MindSpore's ONNX export
    mistranslates it, so ONNX exports keep the batch norms)."""

    def __init__(self, bias):
        super().__init__()
        self.bias = ms.Parameter(ms.Tensor(bias), name="bias", requires_grad=False)

    def construct(self, x):
        return ops.bias_add(x, self.bias)


def fold_batchnorm(features):
    """An inference copy of a :class:`VGGFeatureExtractor` with every batch norm folded into its
    convolution: the conv weights absorb the scale, and the shift becomes a per-channel bias added
    after the max-pool that may follow (max(x) + b == max(x + b)), on a 2-4x smaller tensor.

    A snapshot of the current weights; 3-4 % faster inference on CPU."""
    layers, source = [], list(features.layers.cell_list)
    i = 0
    while i < len(source):
        cell = source[i]
        if isinstance(cell, nn.Conv2d) and i + 1 < len(source) and isinstance(source[i + 1], nn.BatchNorm2d):
            bn = source[i + 1]
            scale = bn.gamma.asnumpy() / np.sqrt(bn.moving_variance.asnumpy() + bn.eps)
            shift = bn.beta.asnumpy() - bn.moving_mean.asnumpy() * scale
            conv = nn.Conv2d(cell.in_channels, cell.out_channels, cell.kernel_size, pad_mode=cell.pad_mode,
                             padding=cell.padding, has_bias=False)
            conv.weight.set_data(ms.Tensor(cell.weight.asnumpy() * scale[:, None, None, None]))
            layers.append(conv)
            i += 2
            if i < len(source) and isinstance(source[i], (nn.MaxPool2d, NativeGradMaxPool2d)):
                layers.append(source[i])
                i += 1
            layers.append(ChannelBias(shift.astype(np.float32)))
            continue
        layers.append(cell)
        i += 1
    return nn.SequentialCell(layers)


class CRNNInference(nn.Cell):
    """The exported graph: images -> per-step log-probabilities (N, T, num_classes).

    ``fold_bn=True`` runs a folded snapshot of the conv stack (see :func:`fold_batchnorm`): for
    a trained network that no longer changes (evaluation, export), not for validation during training."""

    def __init__(self, network, fold_bn=False):
        # No prefix: the network's parameters keep their own names (a prefixed name would be saved into
        # every later checkpoint of a run that validates).
        super().__init__(auto_prefix=False)
        self.network = network
        self.features = fold_batchnorm(network.features) if fold_bn else network.features

    def construct(self, images):
        features = self.features(images)
        sequence = features.squeeze(2).transpose(2, 0, 1)
        return ops.log_softmax(self.network.head(sequence), -1).transpose(1, 0, 2)


def forward_flops(widths=(64, 128, 256, 256, 512, 512, 512), in_channels=3, hidden_size=256, num_layers=2,
                  num_classes=37, image_width=100):
    """Multiply-adds x 2 of one image's forward pass (convolutions, LSTM and classifier)."""
    c1, c2, c3, c4, c5, c6, c7 = widths
    w2, w4 = image_width // 2, image_width // 4
    steps = sequence_length(image_width)
    convs = [(in_channels, c1, 9, 32 * image_width), (c1, c2, 9, 16 * w2), (c2, c3, 9, 8 * w4),
             (c3, c4, 9, 8 * w4), (c4, c5, 9, 4 * w4), (c5, c6, 9, 4 * w4), (c6, c7, 4, steps)]
    flops = sum(2 * cin * cout * k * pixels for cin, cout, k, pixels in convs)
    rnn_in = c7
    for _ in range(num_layers):
        flops += 2 * 2 * steps * 4 * hidden_size * (rnn_in + hidden_size)  # two directions
        rnn_in = 2 * hidden_size
    return flops + 2 * steps * 2 * hidden_size * num_classes
