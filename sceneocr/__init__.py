"""Scene-text OCR model zoo on MindSpore: DeepText (detection) and CRNN (recognition).

    from sceneocr import ocr_predictor
    page = ocr_predictor()("photo.jpg")        # the shipped weights
    print([word.text for word in page.words])
"""
__version__ = "0.3.0"
__all__ = ["ocr_predictor", "OCRPredictor", "Page", "Word", "__version__"]


def __getattr__(name):
    # The inference API is imported on first use, so that ``import sceneocr`` (and its command line) starts
    # without loading MindSpore.
    if name in ("ocr_predictor", "OCRPredictor", "Page", "Word"):
        from sceneocr import e2e

        return getattr(e2e, name)
    raise AttributeError(f"module 'sceneocr' has no attribute {name!r}")
