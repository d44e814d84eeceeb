"""Evaluation metrics shared by every model."""
