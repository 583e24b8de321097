"""Entry point for the ``salur`` command; the commands live in salur.training.cli."""

from salur.training.cli import main

__all__ = ["main"]
