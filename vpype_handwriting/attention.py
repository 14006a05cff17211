"""Which ink the network wrote for which character, read from its attention window.

The window's centre tells which character the pen is writing, but it lags behind the pen as
a word begins: the first stroke of a word is often drawn while the window is still on the
space or the letter before. :func:`word_starts` reads through that lag.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import strokes

SEPARATORS = (" ", "\n")


def point_focus(phi: np.ndarray) -> np.ndarray:
    """The character the window's centre is on at each point (floor of Σ u·φ / Σ φ), -1
    while the window is still mostly on the style sample written before the line."""
    weight = phi.sum(axis=1)
    centre = (phi @ np.arange(phi.shape[1])) / np.maximum(weight, 1e-9)
    return np.where(weight < 0.5, -1, np.floor(centre)).astype(int)


def stroke_focus(focus: np.ndarray, lengths: Sequence[int]) -> list[float]:
    """Each stroke's median focus."""
    bounds = np.cumsum([0, *lengths])
    return [
        float(np.median(focus[a:b])) if b > a else -1.0 for a, b in zip(bounds, bounds[1:])
    ]


def letter_at(text: str, i: float) -> int:
    """The first character of ``text`` at or after ``i`` that is not a space."""
    k = max(int(i), 0)
    while k < len(text) and text[k] in SEPARATORS:
        k += 1
    return k


def punctuation(text: str, i: float) -> bool:
    """Whether the character at ``i`` is punctuation (not a letter, a digit or a space)."""
    k = int(i)
    return 0 <= k < len(text) and not text[k].isalnum() and text[k] not in SEPARATORS


def dots(polylines: Sequence[np.ndarray]) -> set[int]:
    """The strokes that are dots or short marks above the letters (an i's dot): small, and
    wholly above the x-height (a colon's upper dot is lower, and starts a sign)."""
    if not polylines:
        return set()
    slope, intercept = strokes.baseline(list(polylines))
    height = strokes.x_height(list(polylines))
    if not height > 0:
        return set()
    out = set()
    for k, p in enumerate(polylines):
        small = max(np.ptp(p[:, 0]), np.ptp(p[:, 1])) < 0.4 * height
        low = float((p[:, 1] - (intercept + slope * p[:, 0])).max())  # y down: the lowest
        if small and low < -0.9 * height:
            out.add(k)
    return out


def word_starts(
    text: str, polylines: Sequence[np.ndarray], median: Sequence[float]
) -> dict[int, tuple[int, float]]:
    """The strokes that begin right of all the ink before them (the first of a word, or a
    sign of punctuation after its word; not a dot above), the character each begins and the
    gap before it: where the window is, or past the characters the strokes before it were
    drawn for where the window lags (only the window's own position is carried on: a wrong
    guess is not)."""
    starts, right, reached = {}, -np.inf, -1.0
    above = dots(polylines)
    for k, p in enumerate(polylines):
        left = float(p[:, 0].min())
        if left > right and k not in above:
            char = letter_at(text, median[k])
            if not punctuation(text, median[k]):  # a comma is written on its own char
                char = max(char, letter_at(text, reached + 1))
            starts[k] = (char, left - right)
        right = max(right, float(p[:, 0].max()))
        reached = max(reached, median[k])
    return starts
