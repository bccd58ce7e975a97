"""Renders finished content to PDF and xlsx."""
