"""Handwriting styles: priming samples (built-in writers and the user's own)."""

from __future__ import annotations

from .layout import Calibration
from .model import ModelConfig
from .sampling import Prime


class StyleError(ValueError):
    """A style cannot be found or its sample is unusable."""


def load_style(name: str, alphabet: str) -> Prime:
    raise StyleError(f"no style named {name!r}")


def prime_calibration(prime: Prime, config: ModelConfig) -> Calibration:
    return Calibration(config.x_height, config.char_width)
