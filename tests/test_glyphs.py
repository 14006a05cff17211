"""Signs the network never learned (ß æ œ, @ € £ $ % # ...), drawn by hand in the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpype_handwriting import alphabet as alpha
from vpype_handwriting import glyphs, strokes
from vpype_handwriting.glyph_shapes import SHAPES
from vpype_handwriting.lines import SampledLine

from .conftest import handwrite_twice

HEIGHT = 3.0
PITCH = 4.0  # the synthetic hand's distance from one character to the next (a loop is 3 wide)


def written(network: str, lag: bool = False, ahead: bool = False) -> SampledLine:
    """A line as the network would write ``network``: each character not a space one loop
    from the baseline (y = 0) to the x-height (y = -HEIGHT, y down), ``PITCH`` apart, with
    the window on it while it is drawn; with ``lag``, the window is still on the space
    before a word while the word's first letter is drawn, and on the letter before a comma
    while the comma is (as it often is); with ``ahead``, the window is already on the space
    after a word while its last letter is drawn (as it sometimes is)."""
    polylines, phi = [], []
    for k, ch in enumerate(network):
        if ch == " ":
            continue
        t = np.linspace(0, 2 * np.pi, 12)
        x = PITCH * k + 1.5 + 1.5 * np.sin(t)
        y = -HEIGHT / 2 - HEIGHT / 2 * np.cos(t)
        polylines.append(np.stack([x, y], 1))
        on = k - 1 if lag and k > 0 and (network[k - 1] == " " or not ch.isalnum()) else k
        if ahead and k > 0 and network[k - 1] != " " and network[k + 1 : k + 2] == " ":
            on = k + 1
        phi.append(np.tile(np.eye(len(network) + 1)[on], (12, 1)))
    if not polylines:
        return glyphs.empty_line(network)
    offsets = strokes.polylines_to_offsets(polylines)
    return SampledLine(network, offsets.astype(np.float32), np.vstack(phi).astype(np.float32))


def draw(text: str, seed: int = 1, lag: bool = False, ahead: bool = False) -> SampledLine:
    plan = glyphs.plan(text)
    line = glyphs.add_glyphs(written(plan.network, lag, ahead), plan, HEIGHT, seed)
    assert line.text == text
    assert line.phi.shape == (len(line.offsets), len(text) + 1)
    return line


def ink_of(line: SampledLine) -> list[tuple[int, np.ndarray]]:
    """Each stroke with the character of the text it was written for, in pen order."""
    polylines = strokes.offsets_to_polylines(line.offsets)
    focus = line.phi.argmax(axis=1)
    out, start = [], 0
    for p in polylines:
        out.append((int(np.median(focus[start : start + len(p)])), p))
        start += len(p)
    return out


def extent(line: SampledLine, chars: set[int]) -> tuple[float, float]:
    xs = np.concatenate([p[:, 0] for i, p in ink_of(line) if i in chars])
    return float(xs.min()), float(xs.max())


@pytest.mark.parametrize(
    ("text", "sign"),
    [("eve@example", 3), ("ab # cd", 3), ("#42", 0), ("50%", 2), ("Stra\u00dfe", 4),
     ("(\u20ac5)", 1), ("c\u0153ur", 1), ("a\u00e6b", 1), ("Su\u00df,", 2), ("x, #5", 3)],
)  # fmt: skip
def test_a_sign_is_drawn_in_its_place_between_its_neighbours(text: str, sign: int) -> None:
    line = draw(text)
    letters = {i for i, ch in enumerate(text) if ch != " "}
    left, right = set(range(sign)) & letters, set(range(sign + 1, len(text))) & letters
    x0, x1 = extent(line, {sign})
    if left:
        assert extent(line, left)[1] < x0
    if right:
        assert extent(line, right)[0] > x1
    order = [i for i, _ in ink_of(line)]  # written in its place in the pen order
    assert order == sorted(order)
    # the window lagging behind the pen as a word begins, or running ahead onto the space
    # after a word, changes nothing
    assert np.array_equal(draw(text, lag=True).offsets, line.offsets)
    assert np.array_equal(draw(text, ahead=True).offsets, line.offsets)


def test_a_sign_stands_on_the_baseline_at_the_hand_s_size() -> None:
    line = draw("ab+cd")
    ink = np.vstack([p for i, p in ink_of(line) if i == 2])
    top, bottom = -ink[:, 1].max(), -ink[:, 1].min()  # heights above the baseline (y up)
    plus = SHAPES["+"]
    lows = [pts[:, 1].min() for _, pts in plus.strokes]
    highs = [pts[:, 1].max() for _, pts in plus.strokes]
    assert top == pytest.approx(min(lows) * HEIGHT, abs=0.25 * HEIGHT)
    assert bottom == pytest.approx(max(highs) * HEIGHT, abs=0.25 * HEIGHT)


def test_lone_signs_keep_a_word_gap_each_side() -> None:
    line = draw("ab + cd")
    gaps = (
        extent(line, {3})[0] - extent(line, {0, 1})[1],
        extent(line, {5, 6})[0] - extent(line, {3})[1],
    )
    # the synthetic hand leaves PITCH - 3 between letters and 2 PITCH - 3 over a space
    assert all(g > 0.5 * HEIGHT for g in gaps)
    assert gaps[0] == pytest.approx(gaps[1], rel=0.3)


def test_a_line_of_signs_alone_is_drawn() -> None:
    line = draw("\u20ac $ %")
    chars = [i for i, _ in ink_of(line)]
    assert sorted(set(chars)) == [0, 2, 4]
    assert extent(line, {0})[1] < extent(line, {2})[0] < extent(line, {4})[0]


def test_signs_vary_between_occurrences_and_repeat_with_the_seed() -> None:
    first = draw("a@b a@b", seed=3)
    again = draw("a@b a@b", seed=3)
    other = draw("a@b a@b", seed=4)
    assert np.array_equal(first.offsets, again.offsets)
    assert not np.array_equal(first.offsets, other.offsets)
    one, two = (np.vstack([p for i, p in ink_of(first) if i == k]) for k in (1, 5))
    assert one.shape != two.shape or not np.allclose(one - one[0], two - two[0])


def test_plain_text_is_left_as_sampled() -> None:
    line = written("ab cd")
    assert glyphs.add_glyphs(line, glyphs.plan("ab cd"), HEIGHT, 1) is line


def test_every_drawn_sign_has_strokes() -> None:
    assert set(SHAPES) == alpha.DRAWN
    for glyph in SHAPES.values():
        assert glyph.width > 0 and glyph.strokes
        for kind, pts in glyph.strokes:
            assert kind in ("curve", "line") and len(pts) >= 2


TEXT = st.text(alphabet="ab1 .,(" + "".join(sorted(alpha.DRAWN)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_the_plan_keeps_every_character_in_its_order(text: str) -> None:
    plan = glyphs.plan(text)
    assert not set(plan.network) & alpha.DRAWN
    assert len(plan.index) == len(plan.network) + 1 and plan.index[-1] == len(text)
    assert list(plan.index) == sorted(set(plan.index))
    for k, i in enumerate(plan.index[:-1]):
        assert plan.network[k] == text[i] or (
            plan.network[k] == " " and text[i] in alpha.DRAWN
        )
    signs = [i for run in plan.runs for i in range(run.start, run.stop)]
    assert signs == [i for i, ch in enumerate(text) if ch in alpha.DRAWN]
    kept = set(plan.index) | set(signs)
    assert all(text[i] == " " for i in range(len(text)) if i not in kept)  # only spaces go


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_any_text_of_signs_gives_its_text_and_ink(text: str) -> None:
    plan = glyphs.plan(text)
    line = glyphs.add_glyphs(written(plan.network), plan, HEIGHT, 7)
    assert line.text == text
    assert np.isfinite(line.offsets).all()
    drawn = {i for i, _ in ink_of(line)} if len(line.offsets) else set()
    assert {i for i, ch in enumerate(text) if ch in alpha.DRAWN} <= drawn


def test_handwrite_writes_every_sign_without_a_warning(
    tiny_weights: Path, caplog, tmp_path: Path
) -> None:
    text = " ".join(
        [
            "eve@example.com \u20ac 25, \u00a34.50, $12, 50%% #42 Gro\u00df",
            "\u00c6sop & \u0152uvre c\u0153ur \u00e6ther 3 + 4 = 7 1/2 C:\\temp a < b > c",
            "~5 first_name a | b 20 \u00b0C \u00a7 14 [draft] 2 * 3 \u00d7 \u1e9e",
        ]
    )
    outs = handwrite_twice(tiny_weights, text, tmp_path, caplog)
    assert outs[0] == outs[1]


def test_a_colon_after_a_sign_stays_after_it() -> None:
    """``Spaß:``: the colon's upper dot is drawn first, right of the a, at mid-height; it is
    the colon's, not a letter's dot, so the ß goes before it."""
    plan = glyphs.plan("ab\u00df:")
    assert plan.network == "ab:"
    zigzag = np.array([[0, 0], [0.5, -1], [1, 0], [1.5, -1], [2, 0], [2.5, -1], [3, 0]])
    letters = [zigzag * [1, HEIGHT] + [PITCH * k, 0] for k in range(2)]  # tops: an x-height
    colon = [np.array([[10.0, -0.6 * HEIGHT], [10.1, -0.65 * HEIGHT]]),
             np.array([[10.0, -0.05 * HEIGHT], [10.1, -0.1 * HEIGHT]])]  # fmt: skip
    polylines = [*letters, *colon]
    assert strokes.x_height(polylines) == pytest.approx(HEIGHT)
    on = [0] * 7 + [1] * 7 + [1] * 4  # the window still on the b as the colon is drawn
    phi = np.eye(4)[on]
    offsets = strokes.polylines_to_offsets(polylines).astype(np.float32)
    drawn = glyphs.add_glyphs(SampledLine("ab:", offsets, phi), plan, HEIGHT, 1)
    sign = extent(drawn, {2})
    dots = [p for i, p in ink_of(drawn) if i != 2 and np.ptp(p[:, 0]) < 0.5]
    assert len(dots) == 2 and all(p[:, 0].min() > sign[1] for p in dots)
