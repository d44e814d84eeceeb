"""CRNN text recogniser (Shi et al., arXiv 1507.05717)."""
from sceneocr.crnn.model import CRNN, CRNNInference, sequence_length
from sceneocr.registry import register_model

# Published architecture: all-BN VGG stack, 2-layer BiLSTM with 256 hidden units, 36 chars + blank.
register_model("crnn_vgg", CRNN, num_classes=37, in_channels=3,
               widths=(64, 128, 256, 256, 512, 512, 512), hidden_size=256, num_layers=2,
               image_height=32)
# A narrow variant for unit tests, learning tests and quick CPU experiments.
register_model("crnn_vgg_tiny", CRNN, num_classes=37, in_channels=3,
               widths=(16, 32, 64, 64, 96, 96, 96), hidden_size=64, num_layers=2, image_height=32)

__all__ = ["CRNN", "CRNNInference", "sequence_length"]
