"""Bounds on every input the user gives: numbers, texts, files and tables.

Each bound keeps a request to what a page of handwriting can need, so that a typo or a
hostile value gets a one-line error instead of hours of sampling, a memory blow-up or NaN
ink. The README's "Safety and limits" lists them.
"""

from __future__ import annotations

import math
import operator

#: Characters of text in one request (``handwrite``, one letter): about twenty pages.
MAX_TEXT_CHARS = 20_000
#: Bytes read from a text file, a template or standard input (UTF-8 takes up to 4 a
#: character).
MAX_TEXT_BYTES = 4 * MAX_TEXT_CHARS
#: Bytes of a recipients table, and its rows.
MAX_TABLE_BYTES = 64 * 2**20
MAX_ROWS = 100_000
#: Characters of a value used in a file name (the rest of the value is cut).
MAX_NAME_CHARS = 80
#: Curve smoothing passes: each doubles the points (6 passes: 64 times the pen points).
MAX_SMOOTH = 6
#: Sampling bias: past about 10 the mixture collapses to its means (no handwriting left).
MAX_BIAS = 10.0
#: Random seeds: what numpy and torch both take.
MAX_SEED = 2**32 - 1
#: Lengths, in CSS pixels as vpype uses them (96 a inch): x-height, positions and widths.
PX_PER_MM = 96 / 25.4
MIN_SIZE = 0.1 * PX_PER_MM
MAX_SIZE = 1000 * PX_PER_MM
MAX_EXTENT = 10_000 * PX_PER_MM  # positions, wrap widths, pages: 10 m
MIN_LINE_SPACING, MAX_LINE_SPACING = 0.1, 10.0


class LimitError(ValueError):
    """A value is outside its bounds (or not a number); ``option`` names it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


def _mm(value: float) -> str:
    return f"{value / PX_PER_MM:.4g} mm"


def number(option: str, value: float, lo: float, hi: float, length: bool = False) -> float:
    """``value`` when it is a finite number in ``[lo, hi]``, else a :class:`LimitError`
    naming ``option`` and the bounds (in millimetres for a ``length``)."""
    show = _mm if length else (lambda v: f"{v:g}")
    try:
        ok = math.isfinite(value) and lo <= value <= hi
    except TypeError:
        ok = False
    if not ok:
        raise LimitError(
            option, f"{option} must be a number from {show(lo)} to {show(hi)}, not {value!r}"
        )
    return float(value)


def sampling(bias: float, seed: int | None, max_seed: int = MAX_SEED) -> None:
    """The sampling options within bounds: ``bias`` and ``seed`` (None: drawn)."""
    number("bias", bias, 0.0, MAX_BIAS)
    if seed is not None:
        integer("seed", seed, 0, max_seed)


def integer(option: str, value: int, lo: int, hi: int) -> int:
    """``value`` when it is a whole number in ``[lo, hi]``, else a :class:`LimitError`."""
    try:
        whole = None if isinstance(value, bool) else operator.index(value)
    except TypeError:
        whole = None
    if whole is None or not lo <= whole <= hi:
        raise LimitError(
            option, f"{option} must be a whole number from {lo} to {hi}, not {value!r}"
        )
    return whole
