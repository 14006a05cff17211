"""Accents drawn by hand over the letters the network writes."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest

from vpype_handwriting import alphabet as alpha
from vpype_handwriting.lines import SampledLine
from vpype_handwriting.marks import SHAPES, add_marks

from .conftest import ALPHABET, handwrite_twice

HEIGHT = 3.0
#: The accented letters of French, German, Spanish, Portuguese, Italian, Dutch, the Nordic
#: languages, Polish, Czech, Turkish, Romanian and Hungarian, lower and upper case.
LETTERS = (
    "àâçéèêëîïôûùüÿÀÂÇÉÈÊËÎÏÔÛÙÜŸ"
    "äöüÄÖÜ"
    "áíóúñÁÍÓÚÑ"
    "ãõÃÕ"
    "ìòÌÒ"
    "åøÅØ"
    "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
    "čďěňřšťůžýČĎĚŇŘŠŤŮŽÝ"
    "ğşİĞŞ"
    "ăâșțĂÂȘȚ"
    "őűŐŰ"
    "āēīūĀĒĪŪ"
    "đĐ"
)


def two_letter_line(text: str) -> SampledLine:
    """Two letters 6 units apart, each a loop from the baseline (y = 0) to the x-height
    (y = -HEIGHT, y down), with the attention on each while it is written."""
    strokes, phi = [], []
    for k in range(2):
        t = np.linspace(0, 2 * np.pi, 12)
        x = 6 * k + 1.5 + 1.5 * np.sin(t)
        y = -HEIGHT / 2 - HEIGHT / 2 * np.cos(t)
        strokes.append(np.stack([x, y], 1))
        phi.append(np.tile(np.eye(len(text) + 1)[k], (12, 1)))
    points = np.concatenate(strokes)
    offsets = np.concatenate([points[:1], np.diff(points, axis=0)])
    pen = np.zeros(len(points))
    pen[[11, 23]] = 1.0
    return SampledLine(
        alpha.base_text(text, ALPHABET),
        np.concatenate([offsets, pen[:, None]], 1).astype(np.float32),
        np.concatenate(phi).astype(np.float32),
    )


def mark_points(text: str, seed: int = 1) -> np.ndarray:
    text = unicodedata.normalize("NFC", text)
    line = two_letter_line(text)
    marked = add_marks(line, text, ALPHABET, HEIGHT, seed)
    assert marked.text == text
    points = np.cumsum(marked.offsets[:, :2], axis=0)
    added = len(points) - len(line.offsets)
    assert added > 0
    # the marks follow the first stroke end after their word: here, the end of the line
    assert np.allclose(points[: len(line.offsets)], np.cumsum(line.offsets[:, :2], axis=0))
    return points[len(line.offsets) :]


@pytest.mark.parametrize(
    "letter", ["o\u0301", "o\u0300", "o\u0302", "o\u0308", "o\u0303", "u\u030a", "e\u030c"]
)
def test_a_mark_sits_over_its_own_letter_above_the_x_height(letter: str) -> None:
    pts = mark_points("o" + letter)  # the mark on the second letter (x 6-9)
    assert pts[:, 0].max() >= 6.0 and pts[:, 0].min() <= 9.0  # overlaps its letter's ink
    assert pts[:, 0].min() > 3.5  # and not the first letter's
    assert (pts[:, 1] < -HEIGHT).all()  # above the x-height (y down)


@pytest.mark.parametrize("letter", ["c\u0327", "a\u0328", "s\u0326"])
def test_a_cedilla_or_ogonek_hangs_below_the_baseline(letter: str) -> None:
    pts = mark_points("o" + letter)
    assert pts[:, 1].max() > 0.1 * HEIGHT  # below the baseline
    assert pts[:, 0].max() >= 6.0 and pts[:, 0].min() <= 9.0


def test_marks_vary_between_occurrences_and_repeat_with_the_seed() -> None:
    a, b = mark_points("o\u00f3", seed=1), mark_points("o\u00f3", seed=2)
    assert a.shape != b.shape or not np.allclose(a, b)
    np.testing.assert_array_equal(a, mark_points("o\u00f3", seed=1))


def test_every_listed_letter_is_written_with_its_marks() -> None:
    for ch in LETTERS:
        split = alpha.split_marks(ch, ALPHABET)
        assert split is not None, ch
        assert all(name in SHAPES for name in split[1]), ch


def test_plain_text_is_left_as_sampled() -> None:
    line = two_letter_line("ab")
    assert add_marks(line, "ab", ALPHABET, HEIGHT, 1).offsets is line.offsets


def test_handwrite_writes_accented_names_without_a_warning(
    tiny_weights: Path, caplog, tmp_path: Path
) -> None:
    text = (
        "Jos\u00e9 Mu\u00f1oz, \u0141ukasz \u017b\u00f3\u0142\u0107, Fran\u00e7oise, \u00c5sa"
    )
    outs = handwrite_twice(tiny_weights, text, tmp_path, caplog)
    assert outs[0] == outs[1]


def test_an_accent_takes_the_place_of_the_dot_of_an_i() -> None:
    line = two_letter_line("oi")
    dot = np.array([[7.5, -1.6 * HEIGHT], [7.6, -1.65 * HEIGHT]])  # a short stroke, high
    points = np.concatenate([np.cumsum(line.offsets[:, :2], axis=0), dot])
    offsets = np.concatenate([points[:1], np.diff(points, axis=0)])
    pen = np.concatenate([line.offsets[:, 2], [0.0, 1.0]])
    phi = np.concatenate([line.phi, np.tile(np.eye(3)[1], (2, 1))]).astype(np.float32)
    dotted = SampledLine("oi", np.concatenate([offsets, pen[:, None]], 1), phi)
    marked = add_marks(dotted, "o\u00ed", ALPHABET, HEIGHT, 1)
    drawn = np.cumsum(marked.offsets[:, :2], axis=0)
    assert not any(np.allclose(p, dot[0]) for p in drawn)  # the dot is gone
    assert len(drawn) > len(points) - 2  # and an accent drawn instead


def test_a_stroke_through_l_crosses_the_l_not_the_next_letter_begun_early() -> None:
    """The window is still on the l while the k's stem is drawn: the l's ink is the stroke
    the window stayed on most, so the stroke of ł crosses the l."""
    strokes, phi = [], []
    for k, on in enumerate([[0] * 12, [0] * 7 + [1] * 5]):
        y = np.linspace(0, -2 * HEIGHT, 6)
        strokes.append(np.stack([np.full(12, 6.0 * k), np.concatenate([y, y[::-1]])], 1))
        phi.append(np.eye(3)[on])
    points = np.concatenate(strokes)
    offsets = np.concatenate([points[:1], np.diff(points, axis=0)])
    pen = np.zeros(len(points))
    pen[[11, 23]] = 1.0
    line = SampledLine(
        "lk",
        np.concatenate([offsets, pen[:, None]], 1).astype(np.float32),
        np.concatenate(phi).astype(np.float32),
    )
    marked = add_marks(line, "\u0142k", ALPHABET, HEIGHT, 1)
    mark = np.cumsum(marked.offsets[:, :2], axis=0)[len(points) :]
    assert len(mark) and abs(mark[:, 0].mean() - 0.0) < 1.0  # over the l at x = 0


@pytest.mark.parametrize("letter", ["d\u030c", "t\u030c", "l\u030c", "L\u030c"])
def test_the_caron_of_d_t_l_is_a_tick_beside_the_top_of_the_stem(letter: str) -> None:
    """Czech and Slovak write ď ť ľ Ľ with a tick right of the stem, not a ˇ over it."""
    pts = mark_points("o" + letter)  # the second letter's top is at x 7.5
    assert pts[:, 0].min() > 7.5  # beside the top, not over it
    assert pts[:, 0].max() < 7.5 + HEIGHT  # and close to it
    assert pts[:, 1].min() < -HEIGHT  # level with the top of the letter
    caron = mark_points("o\u010d")  # č keeps its ˇ over the letter
    assert caron[:, 0].min() < 7.5 < caron[:, 0].max()


def test_a_small_letters_accent_is_centred_over_its_body_not_the_join_before_it() -> None:
    """A join from the letter before runs low, near the baseline, while the window is on
    the letter already: the accent goes over the letter's body all the same."""
    line = two_letter_line("oe")
    points = np.cumsum(line.offsets[:, :2], axis=0)
    join = np.stack([np.linspace(1.5, 6.0, 10), np.linspace(0.0, -0.6, 10)], 1)
    points = np.concatenate([points[:12], join, points[12:]])
    offsets = np.concatenate([points[:1], np.diff(points, axis=0)])
    pen = np.zeros(len(points))
    pen[[11, len(points) - 1]] = 1.0
    phi = np.concatenate([line.phi[:12], np.tile(line.phi[12], (10, 1)), line.phi[12:]])
    joined = SampledLine("oe", np.concatenate([offsets, pen[:, None]], 1), phi)
    marked = add_marks(joined, "o\u00e9", ALPHABET, HEIGHT, 1)
    mark = np.cumsum(marked.offsets[:, :2], axis=0)[len(points) :]
    assert 6.5 < mark[:, 0].mean() < 9.0  # the loop spans x 6 to 9; the join starts at 1.5


def test_an_accent_beside_a_tall_neighbour_steps_aside_before_it_climbs() -> None:
    """The top of a t just left of an é's acute: lifting the acute would only follow the
    t up; it moves right, away from the t, by up to SIDEWAYS x-heights first."""
    from vpype_handwriting.marks import CLEARANCE, SIDEWAYS, _clear

    acute = [np.array([[6.0, -4.0], [7.0, -5.5]])]  # y down: above a letter's top at -3
    stem = np.stack([np.full(8, 5.6), np.linspace(0.0, -6.0, 8)], 1)  # a t just left of it
    (moved,) = _clear(acute, stem, HEIGHT, up=1.0)
    shift = moved - acute[0]
    assert 0 < shift[0, 0] <= SIDEWAYS * HEIGHT + 1e-9  # to the right, away from the stem
    assert shift[0, 1] <= 0 and -shift[0, 1] <= 2 * CLEARANCE * HEIGHT  # and up the rest
    low = np.stack([np.linspace(5.0, 8.0, 13), np.full(13, -3.3)], 1)  # a bar below it
    (lifted,) = _clear(acute, low, HEIGHT, up=1.0)  # not beside it: straight up
    assert (lifted - acute[0])[0, 0] == 0 and (lifted - acute[0])[0, 1] < 0
