from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpype_handwriting import strokes
from vpype_handwriting.layout import (
    MAX_CHARS,
    PITCH,
    LayoutError,
    LayoutOptions,
    layout_text,
)
from vpype_handwriting.lines import Calibration, SampledLine

X_HEIGHT = 3.0
WIDTHS = {"m": 9.0, "w": 9.0, "i": 2.0, "l": 2.0}  # model units; others 5


class FakeSampler:
    """Writes each letter as a wave of its own width; records the batches it was asked."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, texts):
        self.batches.append(list(texts))
        return [self.write(t) for t in texts]

    @staticmethod
    def write(text: str) -> SampledLine:
        rows, owners, x = [], [], 0.0
        for i, ch in enumerate(text):
            w = WIDTHS.get(ch, 5.0)
            if ch != " ":
                xs = np.linspace(x, x + 0.8 * w, 25)
                ys = -X_HEIGHT * 0.5 * (1 - np.cos(2 * np.pi * (xs - x) / (0.4 * w)))
                rows += [[px, py, 0.0] for px, py in zip(xs, ys)]
                rows[-1][2] = 1.0
                owners += [i] * len(xs)
            x += w
        pts = np.array(rows)
        offsets = pts.copy()
        offsets[1:, :2] = np.diff(pts[:, :2], axis=0)
        phi = np.zeros((len(pts), len(text) + 1))
        phi[np.arange(len(pts)), owners] = 1.0
        return SampledLine(text, offsets, phi)


CALIB = Calibration(x_height=X_HEIGHT, char_width=5.0)


def extent(lines):
    pts = np.vstack([p for line in lines for p in line.polylines])
    return pts[:, 0].min(), pts[:, 0].max()


def test_size_is_the_x_height_whatever_the_text() -> None:
    for text in ["ooo", "Thy mimi", "a much longer line of words"]:
        lines = layout_text(text, FakeSampler(), CALIB, LayoutOptions(size=10.0))
        assert strokes.x_height(lines[0].polylines) == pytest.approx(10.0, rel=0.05)


def test_size_holds_when_the_net_writes_bigger_than_its_calibration() -> None:
    """A style's sample can be bigger or smaller than what the net writes in its hand."""
    text = "a line of plain words\nand another one"
    wrong = Calibration(x_height=X_HEIGHT / 1.6, char_width=5.0 / 1.6)  # ink is 1.6x that
    lines = layout_text(text, FakeSampler(), wrong, LayoutOptions(size=10.0))
    for line in lines:
        assert strokes.x_height(line.polylines) == pytest.approx(10.0, rel=0.05)
    for few in ("ooo", "OOOOOOOO"):  # 3 lowercase letters; capitals only
        lines = layout_text(few, FakeSampler(), wrong, LayoutOptions(size=10.0))
        assert strokes.x_height(lines[0].polylines) == pytest.approx(16.0, rel=0.05)


def test_lines_sit_on_evenly_spaced_baselines_with_paragraph_gaps() -> None:
    opts = LayoutOptions(size=4.0, position=(10.0, 50.0), line_spacing=1.5)
    lines = layout_text("one two\nthree\n\nfour", FakeSampler(), CALIB, opts)
    pitch = PITCH * 4.0 * 1.5
    bases = [strokes.baseline(line.polylines)[1] for line in lines]
    np.testing.assert_allclose(bases, [50.0, 50.0 + pitch, 50.0 + 3 * pitch], atol=0.05)
    assert extent(lines[:1])[0] == pytest.approx(10.0, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["mmmm", "will", "ill", "a", "swim", "to", "wow", "lilt"]),
        min_size=1,
        max_size=40,
    ),
    st.floats(60, 400),
)
def test_wrap_never_exceeds_width(words: list[str], wrap: float) -> None:
    sampler = FakeSampler()
    opts = LayoutOptions(size=5.0, wrap=wrap, position=(20.0, 0.0))
    lines = layout_text(" ".join(words), sampler, CALIB, opts)
    for line in lines:
        lo, hi = extent([line])
        assert lo >= 20.0 - 1e-6 and hi <= 20.0 + wrap + 1e-6
    written = [w for batch in sampler.batches[-1:] for t in batch for w in t.split()]
    assert set(written) <= set(words)


def test_wrapped_lines_keep_every_word_in_order() -> None:
    text = " ".join(["mmm wim lil"] * 12) + "\n" + " ".join(["ill mow"] * 10)
    lines = layout_text(text, FakeSampler(), CALIB, LayoutOptions(size=5.0, wrap=150.0))
    assert " ".join(line.text for line in lines).split() == text.split()


def test_long_text_is_split_at_word_boundaries_in_one_batch() -> None:
    sampler = FakeSampler()
    text = " ".join(f"word{i}" for i in range(40))
    lines = layout_text(text, sampler, CALIB, LayoutOptions(size=3.0))
    assert len(sampler.batches) == 1
    batch = sampler.batches[0]
    assert all(len(t) <= MAX_CHARS for t in batch)
    assert " ".join(batch).split() == text.split()
    assert len(lines) == len(batch) > 1


@pytest.mark.parametrize("align", ["left", "center", "right"])
def test_alignment_around_position_and_inside_wrap(align: str) -> None:
    lines = layout_text(
        "hello there",
        FakeSampler(),
        CALIB,
        LayoutOptions(size=3.0, align=align, position=(100.0, 0.0)),
    )
    lo, hi = extent(lines)
    anchor = {"left": lo, "center": (lo + hi) / 2, "right": hi}[align]
    assert anchor == pytest.approx(100.0, abs=1e-6)
    lines = layout_text(
        "hi you",
        FakeSampler(),
        CALIB,
        LayoutOptions(size=3.0, align=align, wrap=200.0, position=(0.0, 0.0)),
    )
    lo, hi = extent(lines)
    anchor = {"left": lo, "center": (lo + hi) / 2, "right": hi}[align]
    assert anchor == pytest.approx({"left": 0.0, "center": 100.0, "right": 200.0}[align])


def test_justify_fills_all_but_the_last_line() -> None:
    text = "the quick brown fox jumps over the lazy dog " * 3
    lines = layout_text(
        text, FakeSampler(), CALIB, LayoutOptions(size=3.0, wrap=120.0, justify=True)
    )
    assert len(lines) > 2
    for line in lines[:-1]:
        assert extent([line]) == pytest.approx((0.0, 120.0), abs=0.5)
    assert extent(lines[-1:])[1] < 120.0


def test_impossible_sizes_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="size must be a number from"):
        layout_text("hi", FakeSampler(), CALIB, LayoutOptions(size=0.0))
    with pytest.raises(LayoutError, match="too narrow"):
        layout_text("hi", FakeSampler(), CALIB, LayoutOptions(size=5.0, wrap=10.0))


def test_a_line_slightly_too_wide_is_shrunk_not_sampled_again() -> None:
    from vpype_handwriting.layout import SHRINK_TOLERANCE

    sampler = FakeSampler()
    text = "mmmm mmmm"
    full = layout_text(text, FakeSampler(), CALIB, LayoutOptions(size=3.0))
    width = extent(full)[1] - extent(full)[0]  # the ink width of the line unwrapped
    lines = layout_text(text, sampler, CALIB, LayoutOptions(size=3.0, wrap=width / 1.02))
    assert len(sampler.batches) == 1 and len(lines) == 1  # 2 % too wide: fitted
    lo, hi = extent(lines)
    assert hi - lo == pytest.approx(width / 1.02)
    sampler = FakeSampler()
    lines = layout_text(
        text, sampler, CALIB, LayoutOptions(size=3.0, wrap=width / (SHRINK_TOLERANCE + 0.05))
    )
    assert len(sampler.batches) == 2 and len(lines) == 2  # too wide: wrapped and resampled


def test_lines_fill_the_wrap_when_the_net_writes_narrower_than_its_calibration() -> None:
    text = " ".join(["pen", "ink", "tea", "cake"] * 12)
    opts = LayoutOptions(size=3.0, wrap=150.0)
    calibrated = FakeSampler()
    exact = layout_text(text, calibrated, CALIB, opts)
    assert len(calibrated.batches) == 1
    sampler = FakeSampler()  # calibration 1.5x wider than the ink: first lines 2/3 full
    lines = layout_text(text, sampler, Calibration(X_HEIGHT, 1.5 * CALIB.char_width), opts)
    assert len(sampler.batches) == 2
    assert len(sampler.batches[1]) < len(sampler.batches[0])  # wrapped again: fewer lines
    assert len(lines) <= len(exact)
    bigger = FakeSampler()  # a style sample written bigger than the net writes, same shape
    layout_text(text, bigger, Calibration(1.3 * X_HEIGHT, 1.3 * CALIB.char_width), opts)
    assert len(bigger.batches) == 1  # the first pass was wrapped right: nothing again
    assert all(line.width <= opts.wrap for line in lines)
    fill = min(line.width for line in lines[:-1])  # as full as with the right calibration
    assert fill >= 0.95 * min(line.width for line in exact[:-1])
    assert " ".join(line.text for line in lines) == text
