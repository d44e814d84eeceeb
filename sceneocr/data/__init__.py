"""Datasets, readers, writers and synthetic generators shared by every model."""
