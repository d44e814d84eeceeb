"""End-to-end OCR: DeepText finds words, CRNN reads them."""
from src.e2e.predictor import OCRPredictor, Page, Word, load_image

__all__ = ["OCRPredictor", "Page", "Word", "load_image"]
