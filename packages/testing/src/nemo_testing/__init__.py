"""Shared pytest fixtures of the nemo-core workspace."""

__version__ = "0.1.0"
