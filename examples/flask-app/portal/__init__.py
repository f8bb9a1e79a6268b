"""Compliance document portal: the reference app slotline builds, deploys and tests."""

from .app import ConfigError, create_app

__all__ = ["ConfigError", "create_app"]
