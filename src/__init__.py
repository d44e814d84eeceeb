"""Scene-text OCR model zoo on MindSpore: DeepText (detection) and CRNN (recognition)."""
