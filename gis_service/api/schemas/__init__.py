"""Pydantic response models of the JSON routes, one module per feature."""
