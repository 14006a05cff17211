from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vpype_handwriting.cli import cli
from vpype_handwriting.training import iamondb

from .conftest import FORMS, glyph_strokes


def test_load_raw_matches_lines_and_counts_mismatches(iam_dir: Path) -> None:
    lines, report = iamondb.load_raw(iam_dir)
    expected = [t for form, texts in FORMS.items() for t in texts][: 3 + 2 + 2]
    assert sorted(line.text for line in lines) == sorted(expected)
    assert report.matched == 7
    assert report.skipped["xml files past the end of their transcription"] == 1
    assert report.skipped["text lines without an xml file"] == 1
    assert report.skipped["xml files whose form has no transcription"] == 1
    first = next(line for line in lines if line.form == "a01-000u" and line.index == 1)
    assert first.text == "A MOVE to stop"
    assert sum(len(s) for s in first.strokes) == sum(
        len(s) for s in glyph_strokes("A MOVE to stop")
    )


def test_archive_reads_the_same_as_the_folder(iam_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "iam.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(iam_dir, arcname=".")
    from_dir, _ = iamondb.load_raw(iam_dir)
    from_tar, _ = iamondb.load_raw(archive)
    assert [(ln.form, ln.index, ln.text) for ln in from_dir] == [
        (ln.form, ln.index, ln.text) for ln in from_tar
    ]


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(iamondb.DataError, match="no IAM-OnDB data"):
        iamondb.load_raw(tmp_path / "nowhere.tar.xz")
    with pytest.raises(iamondb.DataError, match="no lineStrokes"):
        iamondb.load_raw(tmp_path)


def test_offsets_points_round_trip() -> None:
    rng = np.random.default_rng(0)
    points = np.hstack([rng.normal(size=(50, 2)).cumsum(0), (rng.random((50, 1)) < 0.1)])
    back = iamondb.offsets_to_points(iamondb.points_to_offsets(points))
    np.testing.assert_allclose(back, points, atol=1e-12)


def test_preprocess_keeps_stroke_ends_and_normalizes_step() -> None:
    strokes = glyph_strokes("hello there world")
    offsets = iamondb.preprocess(strokes, keep_every=2)
    assert offsets is not None
    assert int(offsets[:, 2].sum()) == len(strokes)  # one pen-up per stroke
    assert offsets[-1, 2] == 1
    pen_down = np.concatenate([[False], offsets[:-1, 2] == 0])
    steps = np.linalg.norm(offsets[pen_down, :2], axis=1)
    assert np.median(steps) == pytest.approx(1.0, rel=1e-5)
    raw_points = sum(len(s) for s in strokes)
    assert len(offsets) <= raw_points // 2 + len(strokes)


def test_deskew_levels_a_tilted_line() -> None:
    x = np.linspace(0, 100, 200)
    tilted = np.stack([x, 0.3 * x + np.sin(x), np.zeros_like(x)], axis=1)
    level = iamondb.deskew(tilted)
    assert abs(np.polyfit(level[:, 0], level[:, 1], 1)[0]) < 0.01  # was 0.3


def test_split_never_puts_a_form_on_both_sides() -> None:
    forms = [f"a{i:02d}-{j:03d}u" for i in range(20) for j in range(30)]
    data = iamondb.Dataset(
        np.zeros((len(forms) * 2, 3), np.float32),
        np.arange(0, 2 * len(forms) + 1, 2),
        ["x"] * len(forms),
        forms,
    )
    train, val = data.split()
    assert not set(train.forms) & set(val.forms)
    assert 0.03 < len(val) / len(data) < 0.12
    again_train, _ = data.split()
    assert again_train.forms == train.forms


def test_prepare_command_caches_and_reports(iam_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "cache" / "prepared.npz"
    result = CliRunner().invoke(cli, ["prepare", "--data", str(iam_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "7 lines matched" in result.output
    assert "text lines without an xml file" in result.output
    data = iamondb.Dataset.load(out)
    assert len(data) == 7
    assert data.line(0).dtype == np.float32
    assert set(data.alphabet()) <= set("".join(t for ts in FORMS.values() for t in ts))
