"""Placeholder: filled by its part of the journal."""

HANDLERS: list = []
