"""Seeds derived from a run's seed and what they are for (a letter, a character of a line),
so that the same seed gives the same output wherever a thing stands in the run."""

from __future__ import annotations

import hashlib

import numpy as np


def derived_seed(*parts: object) -> int:
    """A 64-bit seed from ``parts`` (their text, joined by NUL characters)."""
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def derived_rng(*parts: object) -> np.random.Generator:
    """A generator seeded with :func:`derived_seed` of ``parts``."""
    return np.random.default_rng(derived_seed(*parts))
