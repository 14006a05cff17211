"""Synthetic number lines spliced from real ink (splice.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from .conftest import NEEDS_TORCH, tiny_model

pytest.importorskip("torch", reason=NEEDS_TORCH)  # splice aligns the ink with the torch net

from vpype_handwriting.checker import Assessment  # noqa: E402
from vpype_handwriting.training import iamondb, splice  # noqa: E402
from vpype_handwriting.training.iamondb import points_to_offsets  # noqa: E402


def line(xs: list[tuple[float, float]], chars: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of one stroke per (left, right) span (a 5-point zigzag) and the aligned
    character index of each point (one per stroke)."""
    points, aligned = [], []
    for (left, right), char in zip(xs, chars):
        stroke = np.zeros((5, 3))
        stroke[:, 0] = np.linspace(left, right, 5)
        stroke[:, 1] = [0, 3, 0, 3, 0]
        stroke[-1, 2] = 1
        points.append(stroke)
        aligned += [char] * 5
    return points_to_offsets(np.vstack(points)).astype(np.float32), np.array(aligned)


def test_a_line_is_cut_where_the_pen_lifts_between_characters() -> None:
    offsets, chars = line([(0, 10), (12, 20), (30, 40)], [0, 1, 3])
    units = splice.cut_units(offsets, "ab c", chars, "f")
    assert [u.text for u in units] == ["a", "b", "c"]
    assert [u.space_before for u in units] == [False, False, True]
    assert [u.gap_before for u in units] == pytest.approx([0, 2, 10])
    assert [u.width for u in units] == pytest.approx([10, 8, 10])
    assert all(u.points[:, 0].min() == 0 for u in units)  # each unit starts at x = 0


def test_no_cut_splits_a_character_or_skips_an_inkless_one() -> None:
    # stroke 2 goes back to "b" (an i-dot written late): a, b stay together
    offsets, chars = line([(0, 10), (12, 20), (5, 6), (30, 40)], [0, 1, 0, 3])
    assert [u.text for u in splice.cut_units(offsets, "ab c", chars, "f")] == ["ab", "c"]
    # "b" has no ink of its own: cutting between "a" and "c" would lose it
    offsets, chars = line([(0, 10), (12, 20)], [0, 2])
    assert [u.text for u in splice.cut_units(offsets, "abc", chars, "f")] == ["abc"]


def test_a_stroke_added_over_its_character_stays_with_it() -> None:
    # a 5 written body first, its flag added over it after the window moved on to the
    # space: the 5 keeps its flag (cut by the window alone, the flag fell in the space)
    offsets, chars = line([(0, 10), (2, 8), (20, 30)], [0, 1, 2])
    units = splice.cut_units(offsets, "5 3", chars, "f")
    assert [u.text for u in units] == ["5", "3"]
    assert len(units[0].points) == 10 and units[0].width == pytest.approx(10)
    # and a bar aligned to the next letter, over the letter before it: no cut between
    offsets, chars = line([(0, 10), (2, 8), (12, 20)], [0, 1, 1])
    assert [u.text for u in splice.cut_units(offsets, "tb", chars, "f")] == ["tb"]


def pools() -> splice.Pools:
    """Units of two writers, one stroke per character, so ink can be counted against text."""
    lines = []
    for form, text in [
        ("w1", "tea and 12: cake"),
        ("w1", "ink pen 3 4,"),
        ("w1", "dear tom 5.6/(7)-"),
        ("w2", "yes 890 nine"),
    ]:
        spans, chars, x = [], [], 0.0
        for i, ch in enumerate(text):
            if ch != " ":
                spans.append((x, x + 4))
                chars.append(i)
            x += 6
        offsets, aligned = line(spans, chars)
        lines.append(splice.cut_units(offsets, text, aligned, form))
    return splice.Pools.build(lines)


def test_numbers_are_taken_whole_as_written_and_marks_alone() -> None:
    numbers = {
        f: {"".join(u.text for u in g) for g in gs} for f, gs in pools().numbers.items()
    }
    # "12:" and "4," give their digits; "5.6/(7)-" is no number as written
    assert numbers == {"w1": {"12", "3", "4"}, "w2": {"890"}}
    assert set(pools().marks) == set(":,./()-")
    assert {"tea", "cake", "dear"} <= {"".join(u.text for u in g) for g in pools().words["w1"]}


def test_a_number_whose_mark_took_a_stroke_of_it_is_not_kept() -> None:
    # "4." twice: once a dot, once a "." unit holding the 4's upright (tall, as the window
    # gave it the full stop) beside an L-shaped 4; "7." among other dots for the median
    lines = []
    for form, tall in [("w1", False), ("w2", True), ("w3", False), ("w4", False)]:
        offsets, chars = line([(0, 4), (6, 7)], [0, 1])
        points = iamondb.offsets_to_points(offsets)
        # the second stroke: a small dot, or a 6-unit-high upright
        points[5:10, 1] = np.linspace(-3, 3, 5) if tall else [0, 0.3, 0, 0.3, 0]
        offsets = iamondb.points_to_offsets(points).astype(np.float32)
        lines.append(splice.cut_units(offsets, "4." if form != "w4" else "7.", chars, form))
    offsets, chars = line([(0, 4), (6, 10)], [0, 1])
    lines.append(splice.cut_units(offsets, "ab", chars, "w1"))
    numbers = {f: ["".join(u.text for u in g) for g in gs] for f, gs in
               splice.Pools.build(lines).numbers.items()}  # fmt: skip
    assert numbers == {"w1": ["4"], "w3": ["4"], "w4": ["7"]}


def test_numbers_are_also_made_digit_by_digit_from_every_writers_digits() -> None:
    p = pools()
    assert set(p.digits) == set("1234890")
    rng = np.random.default_rng(1)
    made = [p.digit_by_digit("w1", rng) for _ in range(700)]
    numbers = ["".join(u.text for u in units) for units in made]
    assert all(1 <= len(n) <= 4 for n in numbers)
    # every digit follows every other, not only as written ("12", "3", "4", "890")
    pairs = {n[k : k + 2] for n in numbers for k in range(len(n) - 1)}
    assert {"93", "38", "08", "41", "11"} <= pairs
    # each digit as often as any other, though w2 alone wrote 8, 9 and 0
    counts = np.array([sum(n.count(d) for n in numbers) for d in "1234890"])
    assert counts.min() > 0.7 * counts.mean()
    for units in made:  # a space before, then the gaps written inside "12" and "890"
        assert units[0].space_before and not any(u.space_before for u in units[1:])
        assert [u.gap_before for u in units[1:]] == pytest.approx([2.0] * (len(units) - 1))


def test_a_digit_cut_short_is_not_drawn_alone() -> None:
    # "ab 7" four times; in w3's the 7 is a third of its usual height (it lost a stroke)
    lines = []
    for form, height in [("w1", 3.0), ("w2", 3.0), ("w3", 1.0), ("w4", 2.8)]:
        offsets, chars = line([(0, 4), (6, 10), (16, 20)], [0, 1, 3])
        points = iamondb.offsets_to_points(offsets)
        points[10:15, 1] = [0, height, 0, height, 0]
        offsets = iamondb.points_to_offsets(points).astype(np.float32)
        lines.append(splice.cut_units(offsets, "ab 7", chars, form))
    pools = splice.Pools.build(lines)
    assert sorted(pools.numbers) == ["w1", "w2", "w3", "w4"]  # whole, as written
    assert sorted(u.form for u in pools.digits["7"]) == ["w1", "w2", "w4"]


class StrokeReader:
    """A stand-in checker that reads one character a stroke: the character it was asked
    for where the stroke runs left to right, ``t`` where it runs back (a broken digit)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def assess_batch(self, lines: list[np.ndarray], texts: list[str]) -> list:
        out = []
        for offsets, text in zip(lines, texts):
            self.asked.append(text)
            points = iamondb.offsets_to_points(offsets)
            strokes = np.split(points, np.flatnonzero(points[:-1, 2] > 0.5) + 1)
            reading = "".join(
                ch if s[-1, 0] > s[0, 0] else "t" for ch, s in zip(text, strokes)
            )
            out.append(Assessment(0.0 if reading == text else 1.0, reading, 9.0, 0))
        return out


def test_digits_drawn_alone_are_those_the_checker_reads_between_two_digits() -> None:
    lines = []
    for form in ["w1", "w2", "w3"]:
        offsets, chars = line([(0, 4), (6, 10), (16, 20), (22, 26), (32, 36)], [0, 1, 3, 4, 6])
        if form == "w2":  # w2's 8 is drawn backwards: the reader takes it for a t
            points = iamondb.offsets_to_points(offsets)
            points[20:25, 0] = points[20:25, 0][::-1]
            offsets = points_to_offsets(points).astype(np.float32)
        lines.append(splice.cut_units(offsets, "ab 26 8", chars, form))
    pools = splice.Pools.build(lines)
    reader = StrokeReader()
    read = splice.read_digits(pools, reader)
    assert sorted(u.form for u in pools.digits["8"]) == ["w1", "w2", "w3"]
    assert sorted(u.form for u in read.digits["8"]) == ["w1", "w3"]
    assert {d: len(u) for d, u in read.digits.items()} == {"2": 3, "6": 3, "8": 2}
    assert {"282", "686", "286"} <= set(reader.asked)  # in every context
    assert read.numbers == pools.numbers  # whole numbers are not read
    # no 6 cut anywhere: there is nothing to read the digits between, they stay as cut
    no_six = splice.Pools.build([ls[:3] + ls[4:] for ls in lines])
    assert splice.read_digits(no_six, StrokeReader()).digits == no_six.digits


def test_a_borrowed_numbers_gaps_are_scaled_with_its_ink(monkeypatch) -> None:
    # w1 writes words 3 units high, w2 only the number "12", 3.75 high and with a gap of 4
    monkeypatch.setattr(splice, "NUMBER_TEMPLATES", ("N",))
    monkeypatch.setattr(splice, "DIGIT_SHARE", 0.0)
    offsets, chars = line([(0, 4), (6, 10), (16, 20), (26, 30)], [0, 1, 3, 5])
    small = splice.cut_units(offsets, "ab c d", chars, "w1")
    offsets, chars = line([(0, 8), (12, 20)], [0, 1])
    points = iamondb.offsets_to_points(offsets)
    points[:, 1] *= 1.25
    big = splice.cut_units(points_to_offsets(points).astype(np.float32), "12", chars, "w2")
    pools = splice.Pools.build([small, big])
    scale = small[0].height / big[0].height
    assert scale == pytest.approx(0.8)
    offsets, text = splice.compose(pools, np.random.default_rng(3))
    points = iamondb.offsets_to_points(offsets)
    strokes = np.split(points, np.flatnonzero(points[:-1, 2] > 0.5) + 1)
    one = text.replace(" ", "").index("1")
    gap = strokes[one + 1][:, 0].min() - strokes[one][:, 0].max()
    assert gap == pytest.approx(4 * scale, abs=1e-4)
    assert np.ptp(strokes[one][:, 0]) == pytest.approx(8 * scale, abs=1e-4)


def test_composed_lines_hold_a_number_between_words_and_ink_for_every_character() -> None:
    rng = np.random.default_rng(0)
    made = [m for m in (splice.compose(pools(), rng) for _ in range(200)) if m is not None]
    assert len(made) > 100
    words = {"tea", "and", "cake", "ink", "pen", "dear", "tom", "yes", "nine"}
    for offsets, text in made:
        assert re.search(r"\d", text), text
        for word in re.findall(r"[a-z]+", text):
            assert word in words, text
        strokes = int(offsets[:, 2].sum())
        assert strokes == len(text.replace(" ", "")), text  # one stroke per character
        assert offsets[:, :2].any() and np.isfinite(offsets).all()
    texts = [t for _, t in made]
    assert any(re.search(r"\d:\d\d", t) for t in texts)  # times, which IAM-OnDB lacks
    assert any(re.search(r"\d \d{3} \d", t) for t in texts)  # phone numbers


def test_synthesize_writes_lines_the_trainer_takes(tmp_path: Path, monkeypatch) -> None:
    from vpype_handwriting.training.train import Trainer, TrainOptions

    data = iamondb.Dataset.load(_save_plain(tmp_path))
    model = tiny_model()

    def fake_align(model, data, idx, batch_size=32):  # one char per stroke, in order
        out = []
        for i in idx:
            ends = np.flatnonzero(data.line(i)[:, 2] > 0.5)
            text_pos = [k for k, c in enumerate(data.texts[i]) if c != " "]
            stroke = np.searchsorted(ends, np.arange(len(data.line(i))))
            out.append(np.array(text_pos)[stroke])
        return out

    monkeypatch.setattr(splice, "align", fake_align)
    made = splice.synthesize(model, data, 20, seed=1)
    assert len(made) == 20 and all(re.search(r"\d", t) for t in made.texts)
    made.save(tmp_path / "synth.npz")
    extra = iamondb.Dataset.load(tmp_path / "synth.npz")
    opts = TrainOptions(run_dir=tmp_path / "run", hidden=8, batch_size=8, rare_repeat=3)
    trainer = Trainer(data, data, opts, extra)
    assert len(trainer.train_data) == len(data) + 20
    assert trainer.repeats[len(data) :].tolist() == [1] * 20  # synthetic: once an epoch

    # --extra-per-epoch 8: the 20 synthetic lines take turns, 8 an epoch, all seen once in
    # the first 20 draws (2.5 epochs), the real lines' repeats untouched
    opts.extra_per_epoch = 8
    trainer = Trainer(data, data, opts, extra)
    real = trainer.repeats[: len(data)]
    drawn = [trainer.repeats_for(epoch) for epoch in range(3)]
    for repeats in drawn:
        assert repeats[len(data) :].sum() == 8 and set(repeats[len(data) :]) <= {0, 1}
        assert repeats[: len(data)].tolist() == real.tolist()
    seen = [set(np.flatnonzero(r[len(data) :]).tolist()) for r in drawn]
    assert len(seen[0] | seen[1]) == 16  # no line twice before all have come
    assert seen[0] | seen[1] | seen[2] == set(range(20))
    again = Trainer(data, data, opts, extra)  # a resumed run draws the same slices
    assert (again.repeats_for(2) == drawn[2]).all()
    assert trainer._batches_per_epoch() == -(-(int(real.sum()) + 8) // 8)


def _save_plain(tmp_path: Path) -> Path:
    """Lines of one stroke per character (so the fake alignment above is exact)."""
    texts = ["tea and 12 cake", "ink pen 34", "dear tom 56", "yes 7:8 nine", "cake tea 90"]
    parts = []
    for text in texts:
        spans = [(6.0 * i, 6.0 * i + 4) for i, c in enumerate(text) if c != " "]
        parts.append(line(spans, [0] * len(spans))[0])
    starts = np.concatenate([[0], np.cumsum([len(p) for p in parts])])
    data = iamondb.Dataset(np.vstack(parts), starts, texts, ["w1-000u"] * len(texts))
    data.save(tmp_path / "plain.npz")
    return tmp_path / "plain.npz"


def test_synthesize_command_says_when_nothing_can_be_cut(tmp_path: Path, tiny_weights) -> None:
    from click.testing import CliRunner

    from vpype_handwriting.cli import cli

    path = _save_plain(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["synthesize", "--data", str(path), "--weights", str(tiny_weights), "--lines", "3"],
    )
    assert result.exit_code != 0
    assert "no numbers" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "iamondb-synthetic.npz").exists()


def test_a_four_without_an_upright_is_not_learned_from() -> None:
    # "ab 4": an L and an upright (kept), or one stroke down to the left, across and down
    # from the middle like an h (dropped: the net learnt to write "14" as "1h")
    shapes = {
        "w1": [[(0, 0), (0, 4), (4, 4)], [(3, 0), (3, 8)]],
        "w2": [[(0, 0), (0, 4), (4, 4)], [(3, 1), (3, 8)]],
        "w3": [[(3, 0), (0, 5), (2, 4), (4, 4.5), (4, 8)]],
    }
    lines = []
    for form, strokes in shapes.items():
        offsets, chars = line([(0, 4), (6, 10)], [0, 1])
        head = iamondb.offsets_to_points(offsets)
        four = []
        for stroke in strokes:
            pts = np.zeros((len(stroke), 3))
            pts[:, :2] = np.array(stroke) + [16, -4]
            pts[-1, 2] = 1
            four.append(pts)
        points = np.vstack([head, *four])
        units = splice.cut_units(
            points_to_offsets(points).astype(np.float32),
            "ab 4",
            np.array([0] * 5 + [1] * 5 + [3] * (len(points) - 10)),
            form,
        )
        assert [u.text for u in units] == ["a", "b", "4"]
        lines.append(units)
    pools = splice.Pools.build(lines)
    assert sorted(u.form for u in pools.digits["4"]) == ["w1", "w2"]
    assert sorted(pools.numbers) == ["w1", "w2"]  # nor taken whole
