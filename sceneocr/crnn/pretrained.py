"""ImageNet initialisation of CRNN's convolutions from VGG16.

CRNN's first six convolutions have the shapes of VGG16's conv1_1, conv2_1, conv3_1, conv3_2, conv4_1
and conv4_2. conv1_1 is converted to CRNN's input (RGB, (x - 127.5) / 127.5) by sceneocr.vgg16_weights.
CRNN's convolutions have no bias: the batch norm after each absorbs it.
"""
import numpy as np

from sceneocr.vgg16_weights import InputConvention, load_vgg16_convs

CRNN_INPUT = InputConvention("RGB", (127.5, 127.5, 127.5), (127.5, 127.5, 127.5))
# Index into VGG16's 13 convolutions (conv1_1, conv1_2, conv2_1, ...) for each of CRNN's first six.
VGG16_SOURCES = (0, 2, 4, 5, 7, 8)


def crnn_weights_from_vgg16(convs, in_channels=3):
    """The six (Cout, Cin, 3, 3) weights for CRNN from VGG16's 13 convolutions in CRNN's convention."""
    weights = [np.asarray(convs[k][0], np.float32) for k in VGG16_SOURCES]
    if in_channels == 1:
        # Grey input (the same value in R, G and B): the three colour filters summed.
        weights[0] = np.ascontiguousarray(weights[0].sum(axis=1, keepdims=True))
    return weights


def init_from_vgg16(network, path, log=print):
    """Copy VGG16 weights from ``path`` (see sceneocr.vgg16_weights) into CRNN's first six convolutions."""
    import mindspore as ms
    import mindspore.nn as nn

    convs = [cell for cell in network.features.cells_and_names() if isinstance(cell[1], nn.Conv2d)]
    in_channels = convs[0][1].weight.shape[1]
    weights = crnn_weights_from_vgg16(load_vgg16_convs(path, convention=CRNN_INPUT), in_channels)
    for (name, conv), weight in zip(convs, weights):
        if tuple(conv.weight.shape) != weight.shape:
            raise ValueError(f"{path}: VGG16 weight {weight.shape} does not fit CRNN's {name} "
                             f"{tuple(conv.weight.shape)} (only crnn_vgg has VGG16's widths)")
        conv.weight.set_data(ms.Tensor(weight, conv.weight.dtype))
    log(f"pretrained {path}: CRNN conv1-conv6 from VGG16 conv1_1, conv2_1, conv3_1, conv3_2, conv4_1, conv4_2")
