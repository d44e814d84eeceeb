"""End-to-end OCR: DeepText finds words, CRNN reads them."""
from sceneocr.e2e.predictor import (DetectionPredictor, OCRPredictor, Page, RecognitionPredictor, Word, load_image,
                                    ocr_predictor)

__all__ = ["DetectionPredictor", "OCRPredictor", "Page", "RecognitionPredictor", "Word", "load_image",
           "ocr_predictor"]
