"""Flawed copies of real lines for the legibility checker to learn from
(``train-checker --mutate``, ``--swap``; ``research/checker_mutations.py``).

A recognizer trained on whole lines only reads the word it expects; these copies put one
letter in the ink that the word around it does not: a letter dropped, written twice or
written in another letter's ink, each labelled as written. The synthesis net says which
character every point was written for (:func:`point_chars`, teacher forced through
``cuts.align``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from .iamondb import Dataset

logger = logging.getLogger(__name__)


#: Of the mutated lines, the share with a letter written twice (the rest lose one).
DOUBLE_SHARE = 0.3


def mutate_line(
    offsets: np.ndarray,
    text: str,
    chars: np.ndarray,
    rng: np.random.Generator,
    kind: str | None = None,
) -> tuple[np.ndarray, str]:
    """One letter or digit of a real line taken out of its ink and its text, or written
    twice in both, the way the synthesis net fails (``grandmothe,``, ``thee``); ``kind``
    ("drop" or "double") chooses, else :data:`DOUBLE_SHARE` of them are doubled.

    ``chars`` is the character each point was written for (:func:`cuts.align`). Dropping
    removes that character's points, so the ink after it closes up onto the ink before
    (the pen goes from the end of one letter to the next, as when the net skips one); a
    lift after the dropped run stays a lift. Doubling writes the character's points again
    right after them (only a character written in one run of points). A recognizer trained
    only on whole lines reads a dropped letter back in from the word around it; taught
    with these it reads what is there. Lines with no such character come back unchanged.
    """
    candidates = [k for k, c in enumerate(text) if c.isalnum() and (chars == k).sum() >= 3]
    if not candidates:
        return offsets, text
    k = int(rng.choice(candidates))
    where = np.flatnonzero(chars == k)
    double = rng.random() < DOUBLE_SHARE if kind is None else kind == "double"
    if double and where[-1] - where[0] + 1 == len(where):
        a, b = int(where[0]), int(where[-1]) + 1
        out = np.concatenate([offsets[:b], offsets[a:b], offsets[b:]])
        return out, text[: k + 1] + text[k:]
    out = offsets.copy()
    runs = np.split(where, np.flatnonzero(np.diff(where) > 1) + 1)
    for run in runs:  # keep the pen lifts that ended a dropped run
        if run[0] > 0 and offsets[run[-1], 2] > 0.5:
            out[run[0] - 1, 2] = 1.0
    keep = np.ones(len(offsets), bool)
    keep[where] = False
    return out[keep], " ".join((text[:k] + text[k + 1 :]).split())  # a dropped "a": one space


#: The characters a letter may be swapped for: another of its own kind.
SWAP_POOLS = ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789")


class Mutations:
    """What ``--mutate`` does to a training line: one letter dropped or doubled
    (:func:`mutate_line`), or, for ``swap`` of them, written with the ink of another letter
    of its kind taken from another line (:meth:`swapped`), each labelled as written.

    A recognizer trained on whole lines only reads the word it expects: the synthesis
    net's ``six`` with an ``x`` like a ``t`` reads ``six`` to it, and ``grandmother`` with a
    faint ``r`` too. Lines where the ink says one letter and the word around it another
    teach it to read the letters."""

    def __init__(self, data: Dataset, chars: list[np.ndarray], swap: float = 0.0) -> None:
        self.data, self.chars, self.swap = data, chars, swap
        self.runs: dict[str, list[tuple[int, int, int]]] = {}
        self.heights = np.ones(len(data))
        if swap <= 0:
            return
        for i, (text, c) in enumerate(zip(data.texts, chars)):
            y = np.cumsum(data.line(i)[:, 1])
            self.heights[i] = max(float(np.subtract(*np.percentile(y, [75, 25]))), 1e-3)
            for k, a, b in _letter_runs(text, c):
                self.runs.setdefault(text[k], []).append((i, a, b))

    def __call__(
        self, i: int, offsets: np.ndarray, text: str, rng: np.random.Generator
    ) -> tuple[np.ndarray, str]:
        if self.swap > 0 and rng.random() < self.swap:
            return self.swapped(i, offsets, text, rng)
        return mutate_line(offsets, text, self.chars[i], rng)

    def swapped(
        self, i: int, offsets: np.ndarray, text: str, rng: np.random.Generator
    ) -> tuple[np.ndarray, str]:
        """Line i with one letter's points replaced by another letter's from another line
        (scaled by the two lines' ink heights); the ink after it follows on from the new
        letter's end, at the old one's height, and the pen lifts after it if it lifted
        after the old one."""
        letters = _letter_runs(text, self.chars[i])
        if not letters:
            return offsets, text
        k, a, b = letters[int(rng.integers(len(letters)))]
        pool = next(p for p in SWAP_POOLS if text[k] in p)
        others = [c for c in pool if c != text[k] and self.runs.get(c)]
        if not others:
            return offsets, text
        new = others[int(rng.integers(len(others)))]
        j, a2, b2 = self.runs[new][int(rng.integers(len(self.runs[new])))]
        glyph = self.data.line(j)[a2:b2].copy()
        glyph[:, :2] *= np.clip(self.heights[i] / self.heights[j], 0.5, 2.0)
        # ending as high as the old letter did (spread over its points), so that a `y`
        # swapped in for an `a` does not take the rest of the line down with its tail
        glyph[:, 1] += (offsets[a:b, 1].sum() - glyph[:, 1].sum()) / len(glyph)
        glyph[-1, 2] = offsets[b - 1, 2]
        out = np.concatenate([offsets[:a], glyph, offsets[b:]])
        return out, text[:k] + new + text[k + 1 :]


def _letter_runs(text: str, chars: np.ndarray) -> list[tuple[int, int, int]]:
    """(character index, first point, end point) of each letter or digit of a line
    written in one run of at least 3 points."""
    out = []
    for k, c in enumerate(text):
        if c.isalnum() and c.isascii():
            where = np.flatnonzero(chars == k)
            if len(where) >= 3 and where[-1] - where[0] + 1 == len(where):
                out.append((k, int(where[0]), int(where[-1]) + 1))
    return out


def point_chars(model, data: Dataset, cache: Path) -> list[np.ndarray]:
    """The character each point of each line was written for, as the synthesis ``model``
    reads it teacher-forced (:func:`cuts.align`); kept in ``cache`` (an .npz, written
    atomically) and read back from it when it holds these lines, so a resumed run does not
    align again."""
    from .cuts import align

    cache = Path(cache)
    if cache.is_file():
        with np.load(cache) as saved:
            if np.array_equal(saved["starts"], data.starts):
                flat = saved["chars"]
                return [flat[a:b] for a, b in zip(data.starts[:-1], data.starts[1:])]
        logger.info("%s holds other lines: aligning again", cache)
    chars = align(model, data, np.arange(len(data)))
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".tmp.npz")
    flat = np.concatenate(chars).astype(np.int16) if chars else np.zeros(0, np.int16)
    np.savez(tmp, starts=data.starts, chars=flat)
    os.replace(tmp, cache)
    return [c.astype(np.int16) for c in chars]
