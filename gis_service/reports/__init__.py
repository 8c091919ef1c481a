"""Printable reports (HTML via Jinja2) built from plain report data."""
