"""Compliance document portal: the reference app slotline builds, deploys and tests."""

from .app import create_app

__all__ = ["create_app"]
