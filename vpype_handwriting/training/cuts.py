"""Real lines cut into units (words, digits, marks) where the pen lifts between characters.

The committed net reads each real line teacher-forced (:func:`align`); its attention window
says which character every point was written for (argmax of phi). :func:`cut_units` cuts
the line where the pen lifts and every stroke before the lift belongs to earlier characters
than every stroke after it, so no character's ink is split; ``splice.py`` puts the pieces
together into new lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..model import HandwritingModel, point_nll
from .batches import make_batch
from .iamondb import Dataset, offsets_to_points

#: How far (in the line's ink heights) ink after a cut may reach back under the ink before
#: it: neighbours touch, a delayed stroke lies over its own character.
OVERLAP = 0.2


@dataclass
class Unit:
    """A piece of one real line: its strokes as (n, 3) points (x from 0, y from the line's
    middle, end-of-stroke bit), the characters they write, and how it sat after the piece
    before it (a space between or not, and the horizontal gap)."""

    points: np.ndarray
    text: str
    form: str
    space_before: bool
    gap_before: float
    height: float  # the spread of its line's ink (y quartile distance), for scaling

    @property
    def width(self) -> float:
        return float(np.ptp(self.points[:, 0]))


def align(
    model: HandwritingModel, data: Dataset, idx: np.ndarray, batch_size: int = 32
) -> list[np.ndarray]:
    """The character index (into the line's text) each point was written for, teacher
    forced through ``model``, for the lines ``idx``."""
    from tqdm import tqdm

    model.eval()
    out: list[np.ndarray] = []
    starts = range(0, len(idx), batch_size)
    for start in tqdm(starts, desc="aligning", disable=None, leave=False):
        rows = idx[start : start + batch_size]
        offsets, _, text = make_batch(data, rows, model.config.alphabet, torch.device("cpu"))
        with torch.no_grad():
            _, phi = point_nll(model, offsets, text)
        chars = phi.argmax(-1).numpy()
        out.extend(chars[r, : len(data.line(i))] for r, i in enumerate(rows))
    return out


def _strokes(points: np.ndarray) -> list[np.ndarray]:
    """Split (n, 3) points after each end-of-stroke bit."""
    ends = [0, *(np.flatnonzero(points[:-1, 2] > 0.5) + 1).tolist(), len(points)]
    return [points[a:b] for a, b in zip(ends[:-1], ends[1:])]


def cut_units(offsets: np.ndarray, text: str, chars: np.ndarray, form: str) -> list[Unit]:
    """Cut one line into units where the pen lifts between characters (module docstring).

    A cut between strokes s and s+1 is taken when the last character any stroke up to s
    was written for comes before the first character of any stroke after it, and only
    spaces lie between them, so no character's ink is split between two units. (Each
    stroke's characters are its 15th to 85th percentile, so the window running ahead or
    behind at a stroke's ends does not count.) And only where no ink after the cut starts
    left of the ink before it (:data:`OVERLAP` of the line's height allowed): a stroke
    added to a character after it was written, the flag of a 5 or the bar of a t, is
    often read by the window as the next character's, and cutting before it would leave
    a flagless 5 (a 3 to learn from) and a stray bar in the next unit.
    """
    points = offsets_to_points(offsets)
    points[:, 1] -= np.median(points[:, 1])
    height = float(np.subtract(*np.percentile(points[:, 1], [75, 25])))
    strokes = _strokes(points)
    spans = np.cumsum([0, *map(len, strokes)])
    lo = [int(np.percentile(chars[a:b], 15)) for a, b in zip(spans[:-1], spans[1:])]
    hi = [int(np.percentile(chars[a:b], 85)) for a, b in zip(spans[:-1], spans[1:])]
    after = np.minimum.accumulate(lo[::-1])[::-1]  # the first character from stroke s on
    lefts = np.minimum.accumulate([float(k[:, 0].min()) for k in strokes][::-1])[::-1]
    rights = np.maximum.accumulate([float(k[:, 0].max()) for k in strokes])
    cuts, last = [], -1
    for s in range(len(strokes) - 1):
        last, first = max(last, hi[s]), int(after[s + 1])
        clear = lefts[s + 1] >= rights[s] - OVERLAP * height
        if clear and last < first <= len(text) and text[last + 1 : first].strip() == "":
            cuts.append((s + 1, first))
    units: list[Unit] = []
    right = 0.0  # where the ink of the unit before ended
    pieces = [(0, 0), *cuts, (len(strokes), len(text))]
    for (s0, c0), (s1, c1) in zip(pieces[:-1], pieces[1:]):
        ink = np.vstack(strokes[s0:s1])
        word = text[c0:c1].strip()
        left, gap_right = float(ink[:, 0].min()), float(ink[:, 0].max())
        if word:
            space = c0 > 0 and (text[c0 - 1] == " " or text[c0] == " ")
            ink[:, 0] -= left
            units.append(Unit(ink, word, form, space, left - right if units else 0.0, height))
        right = gap_right
    return units


def words(units: list[Unit]) -> list[list[Unit]]:
    """Group a line's units into runs between spaces (whole words, as written)."""
    groups: list[list[Unit]] = []
    for unit in units:
        if unit.space_before or not groups:
            groups.append([])
        groups[-1].append(unit)
    return groups
