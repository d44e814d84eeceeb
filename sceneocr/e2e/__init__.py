"""End-to-end OCR: DeepText finds words, CRNN reads them."""
from sceneocr.e2e.predictor import OCRPredictor, Page, Word, load_image, ocr_predictor

__all__ = ["OCRPredictor", "Page", "Word", "load_image", "ocr_predictor"]
