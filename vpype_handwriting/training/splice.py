"""Synthetic training lines spliced from real ink: numbers in contexts IAM-OnDB lacks.

IAM-OnDB holds 352 training lines with a digit, 38 eights and not one colon between two
digits, so the net writes ``8:45`` and ``4096`` badly. Here the committed net reads each
real line teacher-forced; its attention window says which character every point was
written for (argmax of phi). Where the pen lifts between two characters and every stroke
before the lift belongs to earlier characters than every stroke after it, the line can be
cut: the pieces (*units*, ``cuts.py``) are words, digits and punctuation marks in the
writer's own ink. :func:`compose` keeps words and numbers whole, as written between
spaces, and marks of the usual size for their kind, and puts them into new lines of one
writer: a few of its words, a number from :data:`NUMBER_TEMPLATES` (``N:N``, ``N/N/N``,
...) made of its own numbers or other writers', a few more words, spaced with the writer's
own gaps. Some numbers are made digit by digit instead (:data:`DIGIT_SHARE`), from the
digits cut alone out of all writers' numbers, so that every digit follows every other;
with a legibility checker, only the digits it reads as themselves between two other
digits (:func:`read_digits`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..model import HandwritingModel
from .cuts import Unit, align, cut_units, words
from .iamondb import MAX_POINTS, Dataset, cap_jumps, points_to_offsets

if TYPE_CHECKING:
    from ..checker import Checker

logger = logging.getLogger(__name__)

#: Templates of the numbers composed: N is a number as some writer wrote it (a run of
#: digits between spaces), the other characters are marks cut on their own.
NUMBER_TEMPLATES = (
    "N:N", "N:N", "N:N", "N", "N", "N.N", "N/N/N", "N N N", "N,N", "(N)", "N-N", "N.",
)  # fmt: skip


#: The share of the numbers composed digit by digit, each digit drawn evenly from the ten
#: (the writer's own when it wrote that digit, 2 times in 3), rather than taken whole as a
#: writer wrote them: IAM-OnDB's numbers are mostly years, so whole numbers teach a 5
#: after a 9 or a 1 and almost never after a 3 (the net wrote ``35`` as ``33`` or ``3s``).
DIGIT_SHARE = 0.5


#: The digits a cut digit is read between before it is drawn alone (:func:`read_digits`):
#: alone it has no baseline to stand on (a 9 reads as g, a 7 as y), between two digits it
#: reads as itself unless it is broken (an 8 that is a t, a 4 that is a u).
DIGIT_CONTEXTS = ("22", "66", "26")


#: How much of its height a 4's upright (the stroke up from its lowest point) must span
#: for the 4 to be learned from, alone or in a number: one writer's fours are a single
#: stroke shaped like an h, down, across and down from the middle (0.43 and 0.51 of their
#: height; every other 4 cut: 0.66 to 1), and trained on them (with the digits cut alone
#: drawn evenly) the net wrote "14" as "1h" in 4 of 8 samples after two epochs.
UPRIGHT = 0.6


@dataclass
class Pools:
    """Everything :func:`compose` draws from: each writer's words and numbers (whole, as
    written between spaces), everyone's marks and single digits, and the gaps measured
    around marks and between digits."""

    words: dict[str, list[list[Unit]]]
    numbers: dict[str, list[list[Unit]]]
    marks: dict[str, list[Unit]]  # by the mark written
    mark_gaps: np.ndarray  # gaps before and after a mark with no space between
    word_gaps: dict[str, np.ndarray]  # each writer's gaps at spaces
    digits: dict[str, list[Unit]]  # by the digit: cut alone from the numbers kept
    digit_gaps: np.ndarray  # between digits inside a number, in its line's ink heights

    @classmethod
    def build(cls, lines: list[list[Unit]]) -> Pools:
        pools = cls({}, {}, {}, np.zeros(0), {}, {}, np.zeros(0))
        mark_gaps: list[float] = []
        word_gaps: dict[str, list[float]] = {}
        for units in lines:
            for before, unit in zip(units[:-1], units[1:]):
                if not unit.space_before and (_is_mark(before.text) or _is_mark(unit.text)):
                    mark_gaps.append(unit.gap_before)
                if unit.space_before:
                    word_gaps.setdefault(unit.form, []).append(unit.gap_before)
            for unit in units:
                if _is_mark(unit.text):
                    pools.marks.setdefault(unit.text, []).append(unit)
        gaps = np.array(mark_gaps)
        pools.mark_gaps = gaps[gaps >= 0.5] if (gaps >= 0.5).any() else np.array([2.0])
        pools.word_gaps = {f: np.array(g) for f, g in word_gaps.items()}
        pools.marks = {mark: _typical(units) for mark, units in pools.marks.items()}
        typical = {id(u) for marks in pools.marks.values() for u in marks}
        for units in lines:
            for group in words(units):
                text = "".join(u.text for u in group)
                if text.isalpha():  # a unit over a space was cut too coarsely: not used
                    pools.words.setdefault(group[0].form, []).append(group)
                digits = _digit_prefix(group)
                # a mark after the digits too big for its kind took a digit's stroke with
                # it (the upright of an open 4 given to the full stop): the number lacks
                # it; and a 4 cut alone in it must have its upright (:data:`UPRIGHT`)
                marks_ok = all(id(u) in typical for u in group[len(digits) :])
                fours_ok = all(_upright(u) >= UPRIGHT for u in digits if u.text == "4")
                if digits and marks_ok and fours_ok:
                    pools.numbers.setdefault(group[0].form, []).append(digits)
        digit_gaps: list[float] = []
        for numbers in pools.numbers.values():
            for number in numbers:
                digit_gaps += [u.gap_before / u.height for u in number[1:]]
                for unit in number:
                    if len(unit.text) == 1:
                        pools.digits.setdefault(unit.text, []).append(unit)
        pools.digits = {d: _typical(units, shortest=0.6) for d, units in pools.digits.items()}
        gaps = np.array(digit_gaps or [0.1])  # the middle 80 %: no digits run together or
        lo, hi = np.percentile(gaps, [10, 90])  # apart as if a space were between them
        pools.digit_gaps = gaps[(gaps >= lo) & (gaps <= hi)]
        return pools

    def number(self, form: str, rng: np.random.Generator) -> list[Unit]:
        """A number: digit by digit :data:`DIGIT_SHARE` of the time, else as written (the
        writer's own 2 times in 3 when it wrote any)."""
        if self.digits and rng.random() < DIGIT_SHARE:
            return self.digit_by_digit(form, rng)
        own = self.numbers.get(form, [])
        if not own or rng.random() >= 2 / 3:
            own = [g for groups in self.numbers.values() for g in groups]
        return own[rng.integers(len(own))]

    def digit_by_digit(self, form: str, rng: np.random.Generator) -> list[Unit]:
        """1 to 4 digits drawn evenly from those cut, each the writer's own 2 times in 3
        when it wrote that digit, spaced by gaps measured inside real numbers."""
        kinds = sorted(self.digits)
        out = []
        for k in range(int(rng.integers(1, 5))):
            units = self.digits[kinds[rng.integers(len(kinds))]]
            own = [u for u in units if u.form == form]
            pick = own if own and rng.random() < 2 / 3 else units
            unit = pick[rng.integers(len(pick))]
            gap = float(self.digit_gaps[rng.integers(len(self.digit_gaps))]) * unit.height
            out.append(replace(unit, space_before=k == 0, gap_before=gap))
        return out


def read_digits(pools: Pools, checker: Checker) -> Pools:
    """``pools`` keeping only the single digits ``checker`` reads as themselves in every
    context of :data:`DIGIT_CONTEXTS`, each placed between two reference digits (the ones
    it reads most surely alone) at their size, with the median gap measured inside
    numbers. Unchanged when a reference digit was cut nowhere."""
    refs = {}
    for kind in sorted(set("".join(DIGIT_CONTEXTS))):
        units = pools.digits.get(kind, [])
        judged = checker.assess_batch(
            [points_to_offsets(u.points) for u in units], [kind] * len(units)
        )
        right = [(seen.score, k) for k, seen in enumerate(judged) if seen.reading == kind]
        if not right:
            logger.warning("no digit %s the checker reads: the digits are not read", kind)
            return pools
        refs[kind] = units[min(right)[1]]
    gap = float(np.median(pools.digit_gaps))
    kept: dict[str, list[Unit]] = {}
    for kind, units in pools.digits.items():
        good = np.ones(len(units), dtype=bool)
        for context in DIGIT_CONTEXTS:
            before, after = refs[context[0]], refs[context[1]]
            lines = [_digits_line([before, u, after], u.height, gap) for u in units]
            text = context[0] + kind + context[1]
            judged = checker.assess_batch(lines, [text] * len(units))
            good &= [seen.reading == text for seen in judged]
        kept[kind] = [u for u, g in zip(units, good) if g]
        logger.info(
            "digit %s: %d of %d cut digits read as themselves", kind, good.sum(), len(units)
        )
    return replace(pools, digits={k: v for k, v in kept.items() if v})


def _digits_line(units: list[Unit], height: float, gap: float) -> np.ndarray:
    """Offsets of ``units`` side by side, each at ``height``, ``gap`` heights apart."""
    parts, right = [], 0.0
    for k, unit in enumerate(units):
        ink = unit.points.copy()
        ink[:, :2] *= _scale_to(unit, height)
        ink[:, 0] += right + (gap * height if k else 0.0) - ink[:, 0].min()
        right = float(ink[:, 0].max())
        parts.append(ink)
    points = np.vstack(parts)
    points[:, :2] -= points[0, :2]
    return points_to_offsets(points)


def _scale_to(unit: Unit, height: float) -> float:
    """The factor that brings a unit's ink to a line of ink height ``height`` (at most 1.5
    times larger or smaller: a borrowed unit keeps something of its own size)."""
    return float(np.clip(height / max(unit.height, 1e-6), 0.67, 1.5))


def _typical(marks: list[Unit], shortest: float = 0.0) -> list[Unit]:
    """The marks (or digits) of one kind no wider than twice and no taller than 1.6 times
    their median, nor shorter than ``shortest`` times it (relative to their line's ink
    height): a colon cut together with a quote, or with a letter's stroke the window
    misplaced, is no colon to learn from, and a digit cut short lost a stroke."""
    size = np.array([np.ptp(u.points[:, :2], axis=0) / u.height for u in marks])
    median = np.median(size, axis=0)
    keep = np.all(size <= median * [2.0, 1.6] + 1e-9, axis=1)
    keep &= size[:, 1] >= median[1] * shortest - 1e-9
    return [u for u, k in zip(marks, keep) if k]


def _upright(unit: Unit) -> float:
    """The share of the ink's height spanned by the stroke rising back from its lowest
    point (read backwards: the upright drawn down to it)."""
    points = unit.points
    k = int(np.argmax(points[:, 1]))  # y grows downward: the lowest point
    while k > 0 and points[k - 1, 2] < 0.5 and points[k - 1, 1] < points[k, 1]:
        k -= 1
    return float((points[:, 1].max() - points[k, 1]) / max(np.ptp(points[:, 1]), 1e-6))


def _is_mark(text: str) -> bool:
    return len(text) == 1 and not text.isalnum() and text != " "


def _digit_prefix(group: list[Unit]) -> list[Unit]:
    """The units of a space-bounded group that write its leading digits, when the group is
    digits followed by nothing or by marks only ("1958", "1958," but not "12th")."""
    k = 0
    while k < len(group) and group[k].text.isdigit():
        k += 1
    rest = "".join(u.text for u in group[k:])
    return group[:k] if k and all(_is_mark(c) for c in rest) else []


def _number(pools: Pools, form: str, rng: np.random.Generator) -> list[tuple[Unit, str]]:
    """A number from a random template as (unit, joint) pairs: joint " " where a space
    comes before the unit, "" inside a number as written, "|" at a mark's edge. Empty
    when some mark of the template was cut nowhere."""
    template = NUMBER_TEMPLATES[rng.integers(len(NUMBER_TEMPLATES))]
    out: list[tuple[Unit, str]] = []
    joint = ""
    for ch in template:
        if ch == " ":
            joint = " "
        elif ch == "N":
            group = pools.number(form, rng)
            out += [(u, joint or "|" if k == 0 else "") for k, u in enumerate(group)]
            joint = ""
        elif ch in pools.marks:
            marks = pools.marks[ch]
            out.append((marks[rng.integers(len(marks))], joint or "|"))
            joint = ""
        else:
            return []
    return out


def _pick_words(
    pools: Pools, form: str, count: int, rng: np.random.Generator
) -> list[tuple[Unit, str]]:
    groups = pools.words[form]
    out: list[tuple[Unit, str]] = []
    for g in rng.integers(len(groups), size=count):
        out.extend((unit, " " if k == 0 else "") for k, unit in enumerate(groups[g]))
    return out


def _gap(
    pools: Pools,
    unit: Unit,
    joint: str,
    own_gaps: np.ndarray,
    rng: np.random.Generator,
    scale: float = 1.0,
) -> float:
    """The gap before ``unit``: at a space one of this writer's (never under half its median
    nor under 2 steps), at a mark one of all marks', inside a word or number as written
    (times ``scale``, the factor its ink was brought to this writer's size by)."""
    if joint == " ":
        gap = float(own_gaps[rng.integers(len(own_gaps))])
        return max(gap, float(np.median(own_gaps)) / 2, 2.0)
    if joint == "|":
        return float(pools.mark_gaps[rng.integers(len(pools.mark_gaps))])
    return unit.gap_before * scale


def compose(pools: Pools, rng: np.random.Generator) -> tuple[np.ndarray, str] | None:
    """One synthetic line of a random writer: a few of its words, a number (module
    docstring), a few more words; (offsets (n, 3), text), or None when the draw failed."""
    forms = [f for f, groups in pools.words.items() if len(groups) >= 3]
    form = forms[rng.integers(len(forms))]
    number = _number(pools, form, rng)
    if not number:
        return None
    number[0] = (number[0][0], " ")
    before, after = int(rng.integers(0, 4)), int(rng.integers(0, 3))
    seq = _pick_words(pools, form, max(before, 1 - after), rng) + number
    seq += _pick_words(pools, form, after, rng)
    seq[0] = (seq[0][0], "")
    height = float(np.median([u.height for u, _ in seq if u.form == form] or [1.0]))
    own_gaps = pools.word_gaps.get(form, np.array([8.0]))
    parts, text, right = [], "", 0.0
    for k, (unit, joint) in enumerate(seq):
        ink = unit.points.copy()
        scale = 1.0
        if unit.form != form:  # borrowed: bring it (and its gap as written) to this size
            scale = _scale_to(unit, height)
            ink[:, :2] *= scale
        gap = 0.0 if k == 0 else _gap(pools, unit, joint, own_gaps, rng, scale)
        ink[:, 0] += right + gap
        right = float(ink[:, 0].max())
        parts.append(ink)
        text += (" " if joint == " " else "") + unit.text
    points = np.vstack(parts)
    points[:, :2] -= points[0, :2]
    offsets = cap_jumps(points_to_offsets(points))
    if len(offsets) > MAX_POINTS or len(text) > 70:
        return None
    return offsets.astype(np.float32), text


def synthesize(
    model: HandwritingModel,
    data: Dataset,
    lines: int,
    seed: int = 0,
    checker: Checker | None = None,
) -> Dataset:
    """``lines`` synthetic lines (:func:`compose`) cut from the forms of ``data`` that
    hold a digit or a colon, aligned by ``model``; with ``checker``, digits drawn alone
    only when it reads them (:func:`read_digits`)."""
    hosts = {
        f for f, t in zip(data.forms, data.texts) if any(c.isdigit() or c == ":" for c in t)
    }
    rows = np.array([i for i, f in enumerate(data.forms) if f in hosts], dtype=np.int64)
    chars = align(model, data, rows)
    units = [
        cut_units(data.line(i), data.texts[i], c, data.forms[i]) for i, c in zip(rows, chars)
    ]
    pools = Pools.build(units)
    if checker is not None and pools.digits:
        pools = read_digits(pools, checker)
    if not pools.numbers or not any(len(g) >= 3 for g in pools.words.values()):
        raise ValueError(
            "no numbers or too few words could be cut from the data with these weights; "
            "synthesize needs weights trained on it (train first)"
        )
    rng = np.random.default_rng(seed)
    made: list[tuple[np.ndarray, str]] = []
    for _ in range(50 * lines):
        line = compose(pools, rng)
        if line is not None:
            made.append(line)
        if len(made) == lines:
            break
    if not made:
        raise ValueError("no synthetic line could be composed from the pieces cut")
    offsets, texts = zip(*made)
    return Dataset.from_lines(list(offsets), list(texts), ["synthetic"] * len(made))
