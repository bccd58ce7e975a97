"""Readers and writers of the outside formats an office receives and sends."""
