from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from vpype_handwriting import strokes, style_samples, styles
from vpype_handwriting.cli import cli
from vpype_handwriting.sampling import SampleOptions, sample_lines

from .conftest import tiny_config, tiny_numpy_net


@pytest.fixture(autouse=True)
def user_styles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "user-styles"
    monkeypatch.setattr(styles, "user_dir", lambda: folder)
    return folder


def one_line_error(result: Result) -> str:
    """The error of a failed command, checked to be one line and no traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 or "Usage:" in result.output, result.output
    return lines[-1]


def never(*args: object, **kwargs: object) -> None:
    """Stands in for the heavy work a check must come before."""
    pytest.fail("the heavy work ran before the inputs were checked")


def handwriting_svg(path: Path, words: list[str], scale: float = 1.0) -> Path:
    """A fake handwritten line as SVG polylines: loops of x-height 20 px, 25 px a letter."""
    paths, x = [], 10.0
    for word in words:
        t = np.linspace(0, 2 * np.pi * len(word), 30 * len(word))
        xs = x + 25 * t / (2 * np.pi) + 6 * np.sin(t)
        ys = 100 - 10 * (1 - np.cos(t))
        pts = " ".join(f"{a * scale:.2f},{b * scale:.2f}" for a, b in zip(xs, ys))
        paths.append(f'<polyline points="{pts}" fill="none" stroke="black"/>')
        x = xs[-1] + 30
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="200">'
        + "".join(paths)
        + "</svg>"
    )
    return path


def test_a_user_sample_is_normalized_like_the_training_data(tmp_path: Path) -> None:
    config = tiny_config()
    svg = handwriting_svg(tmp_path / "mine.svg", ["tea", "for", "two"])
    sizes = []
    for scale in (1.0, 0.1):  # px or mm: the same normalized sample
        offsets = style_samples.sample_from_polylines(
            style_samples.read_svg_polylines(svg)
            if scale == 1
            else [p * 0.1 for p in style_samples.read_svg_polylines(svg)],
            "tea for two",
            config,
        )
        # the training data's pen rate: ~1 unit a step, kappa_scale points a character
        steps = np.hypot(*offsets[offsets[:, 2] == 0][1:, :2].T)
        assert np.median(steps) == pytest.approx(1.0, rel=0.1)
        assert len(offsets) == pytest.approx(config.kappa_scale * len("tea for two"), rel=0.1)
        assert int(offsets[:, 2].sum()) == 3
        sizes.append(strokes.x_height(strokes.offsets_to_polylines(offsets)))
    assert sizes[0] == pytest.approx(sizes[1], rel=1e-3)  # units of the SVG do not matter


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "text is empty"),
        ("tea for two \u2603", "characters the model lacks"),
        ("tea for two and a great many more words than that", "the usual size"),
    ],
)
def test_bad_samples_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    svg = handwriting_svg(tmp_path / "mine.svg", ["tea", "for", "two"])
    with pytest.raises(styles.StyleError, match=message):
        style_samples.sample_from_polylines(
            style_samples.read_svg_polylines(svg), text, tiny_config()
        )


def test_an_svg_without_paths_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.svg"
    empty.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    with pytest.raises(styles.StyleError, match="holds no paths"):
        style_samples.read_svg_polylines(empty)


def test_add_list_use_and_remove_a_style(tmp_path: Path, tiny_weights: Path) -> None:
    svg = handwriting_svg(tmp_path / "mine.svg", ["tea", "for", "two"])
    runner = CliRunner()
    add = [
        "styles",
        "add",
        "mine",
        "--svg",
        str(svg),
        "--text",
        "tea for two",
        "--weights",
        str(tiny_weights),
    ]
    result = runner.invoke(cli, add)
    assert result.exit_code == 0, result.output
    again = runner.invoke(cli, add)
    assert again.exit_code != 0 and "exists already" in again.output
    assert runner.invoke(cli, [*add, "--overwrite"]).exit_code == 0
    listing = runner.invoke(cli, ["styles"])
    assert "mine" in listing.output and "yours" in listing.output
    prime = styles.load_style("mine", tiny_config().alphabet)
    assert prime.text == "tea for two"
    lines = sample_lines(
        tiny_numpy_net(), ["hello", "world"], SampleOptions(seed=0, prime=prime)
    )
    assert [line.text for line in lines] == ["hello", "world"]
    assert runner.invoke(cli, ["styles", "remove", "mine"]).exit_code == 0
    with pytest.raises(styles.StyleError, match="no style named 'mine'"):
        styles.load_style("mine", tiny_config().alphabet)


def test_style_names_are_checked(tmp_path: Path) -> None:
    for bad in ["3", "../up", "", "a b", "None"]:  # none: no style
        with pytest.raises(styles.StyleError, match="style name"):
            styles.save_user_style(bad, "x", np.zeros((3, 3)), "test")


def test_builtin_styles_are_distinct_short_samples() -> None:
    found = [s for s in styles.list_styles() if s.builtin]
    if not found:
        pytest.skip("no built-in styles in this checkout")
    assert len(found) >= 8
    assert len({s.source for s in found}) == len(found)
    for style in found:
        doc = json.loads((styles.builtin_dir() / f"{style.name}.json").read_text())
        assert set(doc) == {"text", "source", "offsets"}
        assert 10 <= len(style.text) <= 45 and len(style.offsets) < 800


def test_handwrite_with_a_style_keeps_batching(tmp_path: Path, tiny_weights: Path) -> None:
    import vpype_cli

    svg = handwriting_svg(tmp_path / "mine.svg", ["tea", "for", "two"])
    styles.save_user_style(
        "mine",
        "tea for two",
        style_samples.sample_from_polylines(
            style_samples.read_svg_polylines(svg), "tea for two", tiny_config()
        ),
        "test",
    )
    doc = vpype_cli.execute(
        f"handwrite --weights '{tiny_weights}' --seed 1 --style mine 'one line\\nand another'"
    )
    assert len(doc.layers[1]) > 0


def test_specimen_rows_that_wrap_push_the_next_rows_down(
    tmp_path: Path, tiny_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vpype_handwriting.specimen import specimen_sheet
    from vpype_handwriting.writer import Handwriter

    rows: list[list[float]] = []
    write = Handwriter.write

    def spy(self, text, layout):
        lines = write(self, text, layout)
        rows.append([line.baseline for line in lines])
        return lines

    monkeypatch.setattr(Handwriter, "write", spy)
    text = "the quick brown fox jumps over the lazy dog " * 3  # wraps in every row
    out = tmp_path / "specimen.svg"
    specimen_sheet(out, text.strip(), tiny_weights, bias=1.5, seed=1)
    assert out.exists()
    assert len(rows) == 1 + len(styles.list_styles())
    assert all(len(r) >= 2 for r in rows)
    for above, below in zip(rows, rows[1:]):
        assert min(below) > max(above)  # each row starts below the last line of the one above


def test_add_checks_the_text_before_reading_the_svg(
    tmp_path: Path, tiny_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svg = handwriting_svg(tmp_path / "mine.svg", ["tea", "for", "two"])
    monkeypatch.setattr(style_samples, "read_svg_polylines", never)
    text = "tea " * styles.MAX_STYLE_CHARS
    args = ["styles", "add", "mine", "--svg", str(svg), "--text", text]
    error = one_line_error(CliRunner().invoke(cli, [*args, "--weights", str(tiny_weights)]))
    assert f"one line of at most {styles.MAX_STYLE_CHARS} characters" in error


def test_add_refuses_an_svg_over_the_size_bound(
    tmp_path: Path, tiny_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svg = handwriting_svg(tmp_path / "mine.svg", ["tea", "for", "two"])
    monkeypatch.setattr(style_samples, "MAX_SVG_BYTES", svg.stat().st_size - 1)
    args = ["styles", "add", "mine", "--svg", str(svg), "--text", "tea for two"]
    error = one_line_error(CliRunner().invoke(cli, [*args, "--weights", str(tiny_weights)]))
    assert "larger than" in error and "MB" in error


SVG = '<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 L 10 10"/></svg>'


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   ",
        b"\xff\xfe\x00\xd8garbage",
        b"<svg",
        b"not xml at all",
        b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<g>" * 5000 + b"</svg>",
        SVG.replace("10 10", "nan 10").encode(),
        SVG.encode("utf-16"),
        SVG.encode("latin-1").replace(b"M 0", b"M \xe9"),
    ],
    ids=["empty", "blank", "binary", "cut", "text", "unclosed", "nan", "utf16", "latin1"],
)
def test_add_with_a_bad_svg_is_a_one_line_error(
    tmp_path: Path, tiny_weights: Path, user_styles: Path, content: bytes
) -> None:
    svg = tmp_path / "bad.svg"
    svg.write_bytes(content)
    args = ["styles", "add", "mine", "--svg", str(svg), "--text", "tea for two"]
    one_line_error(CliRunner().invoke(cli, [*args, "--weights", str(tiny_weights)]))
    assert not user_styles.exists() or not list(user_styles.iterdir())
