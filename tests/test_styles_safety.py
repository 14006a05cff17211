"""Styles from files a user or a crash can damage: only ever break themselves, with a
one-line error that names the fix; remove deletes nothing outside the styles folder."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vpype_handwriting import specimen, style_samples, styles
from vpype_handwriting.cli import cli
from vpype_handwriting.limits import MAX_BIAS, MAX_SEED
from vpype_handwriting.weights import read_meta, shipped_weights

from .conftest import ALPHABET, tiny_config
from .test_styles import handwriting_svg, never, one_line_error

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True)
def user_styles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home" / "data" / "styles"
    monkeypatch.setattr(styles, "user_dir", lambda: folder)
    return folder


@pytest.fixture
def sample(tmp_path: Path) -> np.ndarray:
    """A good user sample of 'tea for two' for the tiny model."""
    svg = handwriting_svg(tmp_path / "line.svg", ["tea", "for", "two"])
    return style_samples.sample_from_polylines(
        style_samples.read_svg_polylines(svg), "tea for two", tiny_config()
    )


def write_style(folder: Path, name: str, doc: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def doc_of(text: str, offsets: np.ndarray | list) -> dict:
    return {"text": text, "source": "test", "offsets": np.asarray(offsets).tolist()}


# -- 1. remove --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../victim", "../../victim", "../../../victim", "a/../../victim", "..", "3", "none"],
)
def test_remove_never_deletes_outside_the_styles_folder(
    user_styles: Path, tmp_path: Path, sample: np.ndarray, name: str
) -> None:
    styles.save_user_style("keep", "tea for two", sample, "test")
    victims = [user_styles.parent / "victim.json", tmp_path / "home" / "victim.json"]
    victims += [tmp_path / "victim.json", tmp_path / "absolute.json"]
    for victim in victims:
        victim.write_text("{}")
    for target in (name, str(tmp_path / "absolute"), str(tmp_path / "absolute.json")):
        error = one_line_error(CliRunner().invoke(cli, ["styles", "remove", target]))
        assert "style name" in error
    assert all(v.exists() for v in victims)
    assert (user_styles / "keep.json").exists()


def test_remove_deletes_the_named_style_even_when_damaged(user_styles: Path) -> None:
    write_style(user_styles, "broken", "{not json")
    result = CliRunner().invoke(cli, ["styles", "remove", "broken"])
    assert result.exit_code == 0, result.output
    assert not (user_styles / "broken.json").exists()
    error = one_line_error(CliRunner().invoke(cli, ["styles", "remove", "broken"]))
    assert "no style named 'broken'" in error


def test_remove_does_not_follow_a_link_out_of_the_folder(
    user_styles: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text("{}")
    user_styles.mkdir(parents=True)
    (user_styles / "linked.json").symlink_to(victim)
    error = one_line_error(CliRunner().invoke(cli, ["styles", "remove", "linked"]))
    assert "out of the styles folder" in error and victim.exists()


traversals = st.builds(
    lambda ups, tail: "../" * ups + tail,
    st.integers(0, 6),
    st.sampled_from(["victim", "victim.json", "home/victim", "", "."]),
)


@FAST
@given(name=st.one_of(st.text(max_size=50), traversals))
@example(name="../victim")
@example(name="../../victim")
@example(name="../../../victim")
def test_remove_of_any_name_stays_in_the_styles_folder(
    user_styles: Path, tmp_path: Path, name: str
) -> None:
    user_styles.mkdir(parents=True, exist_ok=True)
    victims = [tmp_path / "home" / "victim.json", tmp_path / "victim.json"]
    victims += [user_styles.parent / "victim.json"]
    for victim in victims:
        victim.parent.mkdir(parents=True, exist_ok=True)
        victim.write_text("{}")
    result = CliRunner().invoke(cli, ["styles", "remove", name])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert all(v.exists() for v in victims)


# -- 2 and 3. damaged and degenerate styles ---------------------------------------------


def damaged_docs(sample: np.ndarray) -> dict[str, tuple[object, str]]:
    """Style file contents and the words of the problem each is reported with."""
    nan = sample.copy()
    nan[5, 0] = np.nan
    inf = sample.copy()
    inf[3, 1] = np.inf
    lifts = sample.copy()
    lifts[4, 2] = 0.5
    stray = sample.copy()
    stray[7, 0] = 10 * styles.MAX_STYLE_MOVE
    many = np.zeros((styles.MAX_STYLE_POINTS + 1, 3))
    many[:, 0] = 1.0
    text = "tea for two"
    return {
        "not json": ("{not json", "Expecting"),
        "a list": ("[1, 2, 3]", "not a JSON object"),
        "no text": ({"offsets": sample.tolist()}, 'with a "text"'),
        "text not a string": ({"text": 3, "offsets": sample.tolist()}, '"text"'),
        "no offsets": ({"text": text}, 'no "offsets"'),
        "null offsets": ({"text": text, "offsets": None}, "shape ()"),
        "empty offsets": (doc_of(text, []), "no pen points"),
        "ragged offsets": ({"text": text, "offsets": [[1, 2, 0], [1]]}, "table of numbers"),
        "words as offsets": ({"text": text, "offsets": [["a", "b", "c"]]}, "table of num"),
        "flat offsets": (doc_of(text, sample.ravel()), "shape"),
        "two columns": (doc_of(text, sample[:, :2]), "shape"),
        "one point": (doc_of(text, sample[:1]), "fewer than 10"),
        "nine points": (doc_of(text, sample[:9]), "fewer than 10"),
        "nan": (doc_of(text, nan), "NaN or infinite"),
        "infinity": (doc_of(text, inf), "NaN or infinite"),
        "pen lift of 0.5": (doc_of(text, lifts), "0 or 1"),
        "stray stroke": (doc_of(text, stray), "stray stroke"),
        "no ink": (doc_of(text, np.zeros((20, 3))), "no ink"),
        "empty text": (doc_of("  ", sample), "text is empty"),
        "long text": (doc_of("a" * (styles.MAX_STYLE_CHARS + 1), sample), "shorter sample"),
        "too many points": (doc_of(text, many), "more than 4,000"),
        "huge int": ({"text": text, "offsets": [[10**400, 0, 0]] * 10}, "table of numbers"),
        "deep nesting": ("[" * 100_000 + "]" * 100_000, "recursion"),
    }


@pytest.mark.parametrize("case", list(damaged_docs(np.zeros((20, 3)))))
def test_a_damaged_user_style_breaks_only_itself(
    user_styles: Path,
    sample: np.ndarray,
    case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    content, problem = damaged_docs(sample)[case]
    path = write_style(user_styles, "broken", content)
    styles.save_user_style("good", "tea for two", sample, "test")
    with caplog.at_level(logging.WARNING, logger="vpype_handwriting.styles"):
        names = [s.name for s in styles.list_styles()]
    assert "good" in names and "broken" not in names
    (warning,) = [r.getMessage() for r in caplog.records if "broken" in r.getMessage()]
    assert str(path) in warning and problem in warning
    assert "vpype-handwriting styles remove broken" in warning and "\n" not in warning
    assert styles.find_style("good").text == "tea for two"
    assert styles.load_style("good", ALPHABET) is not None
    with pytest.raises(styles.StyleError, match="damaged") as exc:
        styles.load_style("broken", ALPHABET)
    assert problem in str(exc.value) and "\n" not in str(exc.value)
    listing = CliRunner().invoke(cli, ["styles"])
    assert listing.exit_code == 0, listing.output
    assert any(
        line.split()[:2] == ["broken", "damaged"] and problem in line
        for line in listing.output.splitlines()
    )


def test_a_user_file_too_large_is_not_read(user_styles: Path) -> None:
    path = write_style(user_styles, "huge", "")
    with open(path, "wb") as fh:  # sparse: no disk used, far past the bound
        fh.truncate(10 * styles.MAX_STYLE_FILE_BYTES)
    (bad,) = styles.scan_styles()[1]
    assert bad.name == "huge" and "larger than" in bad.problem


def test_a_user_file_that_is_not_utf8_is_damaged(user_styles: Path) -> None:
    user_styles.mkdir(parents=True)
    (user_styles / "latin.json").write_bytes(b'{"text": "caf\xe9"}')
    (bad,) = styles.scan_styles()[1]
    assert "utf-8" in bad.problem


def test_a_user_file_with_no_style_name_is_damaged(user_styles: Path) -> None:
    write_style(user_styles, "my style", "{}")
    (bad,) = styles.scan_styles()[1]
    assert "no style name" in bad.problem and "rename or delete" in bad.fix


def test_handwrite_with_a_damaged_style_elsewhere_still_writes(
    user_styles: Path, sample: np.ndarray, tiny_weights: Path
) -> None:
    import click
    import vpype_cli

    write_style(user_styles, "broken", doc_of("tea for two", np.full((20, 3), np.nan)))
    write_style(user_styles, "empty", doc_of("tea for two", []))
    styles.save_user_style("good", "tea for two", sample, "test")
    command = f"handwrite --weights '{tiny_weights}' --seed 1 --no-check"
    for style in ["good", "none", *(["1"] if styles.builtin_dir().is_dir() else [])]:
        doc = vpype_cli.execute(f"{command} --style {style} 'hello'")
        assert len(doc.layers[1]) > 0
    for style in ("broken", "empty"):
        with pytest.raises(click.BadParameter, match="damaged"):
            vpype_cli.execute(f"{command} --style {style} 'hello'")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=30,
)
style_docs = st.fixed_dictionaries(
    {
        "text": st.one_of(st.text(max_size=130), json_values),
        "offsets": st.one_of(
            st.lists(st.lists(st.floats() | st.integers(), max_size=4), max_size=40),
            json_values,
        ),
    }
)


@FAST
@given(doc=st.one_of(style_docs, json_values), raw=st.binary(max_size=40))
def test_any_user_file_is_a_usable_style_or_reported_damaged(
    user_styles: Path, doc: object, raw: bytes
) -> None:
    write_style(user_styles, "fuzzed", json.dumps(doc))
    (user_styles / "bytes.json").write_bytes(raw)
    found, damaged = styles.scan_styles()
    mine = [s for s in found if not s.builtin]
    assert {s.name for s in mine} | {d.name for d in damaged} == {"fuzzed", "bytes"}
    for style in mine:
        assert style.offsets.ndim == 2 and style.offsets.shape[1] == 3
        assert styles.MIN_STYLE_POINTS <= len(style.offsets) <= styles.MAX_STYLE_POINTS
        assert np.isfinite(style.offsets).all() and style.text.strip()
    for bad in damaged:
        assert "\n" not in bad.message()


def test_add_refuses_degenerate_samples(sample: np.ndarray, user_styles: Path) -> None:
    """The samples of the damaged files that are tables of numbers are refused at add."""
    for case, (content, problem) in damaged_docs(sample).items():
        if not isinstance(content, dict) or not isinstance(content.get("text"), str):
            continue
        try:
            offsets = np.asarray(content["offsets"], dtype=np.float64)
        except (KeyError, ValueError, TypeError, OverflowError):
            continue
        with pytest.raises(styles.StyleError, match=re.escape(problem)):
            styles.save_user_style("degenerate", content["text"], offsets, "test")
        assert not user_styles.exists() or not list(user_styles.iterdir()), case


def test_a_drawing_with_coordinates_that_are_not_numbers_is_refused() -> None:
    line = np.stack([np.linspace(0, 100, 30), np.zeros(30)], 1)
    line[4, 1] = np.nan
    with pytest.raises(styles.StyleError, match="not numbers"):
        style_samples.sample_from_polylines([line], "tea for two", tiny_config())


# -- 4. bounds --------------------------------------------------------------------------


def test_the_bounds_leave_room_for_every_built_in_style() -> None:
    found = [s for s in styles.list_styles() if s.builtin]
    if not found:
        pytest.skip("no built-in styles in this checkout")
    assert 4 * max(len(s.offsets) for s in found) <= styles.MAX_STYLE_POINTS
    assert 2 * max(len(s.text) for s in found) <= styles.MAX_STYLE_CHARS
    assert 10 * max(np.abs(s.offsets[:, :2]).max() for s in found) <= styles.MAX_STYLE_MOVE
    # a sample of the longest text, at the shipped model's pen rate, fits with room to spare
    kappa_scale = read_meta(shipped_weights())["config"]["kappa_scale"]
    assert 2 * kappa_scale * styles.MAX_STYLE_CHARS <= styles.MAX_STYLE_POINTS


def test_a_huge_user_style_is_never_sampled(
    user_styles: Path, tiny_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import click
    import vpype_cli

    offsets = np.zeros((200_000, 3))
    offsets[:, 0] = 0.5
    write_style(user_styles, "huge", doc_of("tea for two", offsets))
    monkeypatch.setattr("vpype_handwriting.writer.sample_lines", never)
    with pytest.raises(click.BadParameter, match="larger than"):
        vpype_cli.execute(f"handwrite --weights '{tiny_weights}' --style huge 'hi'")


# -- 5. add: atomic writes (bad SVGs: test_styles.py) ---------------------------------


def test_a_failed_write_leaves_no_half_file(
    sample: np.ndarray, user_styles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = styles.save_user_style("mine", "tea for two", sample, "first")
    before = old.read_bytes()

    def half_then_full(self: Path, data: str, **kwargs: object) -> None:
        with open(self, "w") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_full)
    with pytest.raises(styles.StyleError, match="No space left"):
        styles.save_user_style("mine", "tea for two", sample, "second", overwrite=True)
    with pytest.raises(styles.StyleError, match="No space left"):
        styles.save_user_style("other", "tea for two", sample, "second")
    assert old.read_bytes() == before
    assert sorted(p.name for p in user_styles.iterdir()) == ["mine.json"]


def test_a_style_is_written_through_a_unique_temporary_file(
    sample: np.ndarray, user_styles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_styles.mkdir(parents=True)
    (user_styles / "mine.json.tmp").write_text("another writer's")  # the old fixed name
    renamed: list[tuple[str, str]] = []
    replace = os.replace

    def spy(src: str, dst: str) -> None:
        renamed.append((Path(src).name, Path(dst).name))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    styles.save_user_style("mine", "tea for two", sample, "test")
    ((src, dst),) = renamed
    assert dst == "mine.json" and src != "mine.json.tmp" and src.endswith(".tmp")
    assert (user_styles / "mine.json.tmp").read_text() == "another writer's"
    assert styles.find_style("mine").text == "tea for two"


# -- 6. specimen --------------------------------------------------------------------------


@pytest.fixture
def no_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command loads the model to sample."""
    from vpype_handwriting.writer import Handwriter

    monkeypatch.setattr(Handwriter, "load", never)


def test_specimen_png_without_matplotlib_fails_before_sampling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_sampling: None
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    result = CliRunner().invoke(cli, ["styles", "specimen", "--out", str(tmp_path / "s.png")])
    assert "pip install 'vpype-handwriting[plot]'" in one_line_error(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--out", "missing/s.svg"], "missing does not exist"),
        (["--out", "s.pdf"], ".svg or .png"),
        (["--bias", "nan"], "--bias"),
        (["--bias", "inf"], "--bias"),
        (["--bias", "-1"], "--bias"),
        (["--bias", str(MAX_BIAS * 1.5)], "--bias"),
        (["--seed", "-1"], "--seed"),
        (["--seed", str(MAX_SEED + 1)], "--seed"),
        (["--text", "x" * (specimen.MAX_SPECIMEN_CHARS + 1)], "--text"),
    ],
)
def test_specimen_checks_its_options_before_sampling(
    tmp_path: Path, no_sampling: None, args: list[str], words: str
) -> None:
    args = [a.replace("missing/", f"{tmp_path}/missing/") for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "s.svg")]
    result = CliRunner().invoke(cli, ["styles", "specimen", *args])
    assert words in one_line_error(result)


def test_specimen_leaves_out_styles_it_cannot_use(
    tmp_path: Path,
    user_styles: Path,
    sample: np.ndarray,
    tiny_weights: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_style(user_styles, "broken", doc_of("tea for two", sample[:3]))
    write_style(user_styles, "accented", doc_of("th\u00e9 for two", sample))
    out = tmp_path / "s.svg"
    with caplog.at_level(logging.WARNING):
        specimen.specimen_sheet(out, "hi", tiny_weights, bias=1.5, seed=1)
    assert out.exists()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "broken.json is damaged" in messages and "accented left out" in messages


# -- 8. inspect ---------------------------------------------------------------------------


def test_inspect_into_a_missing_folder_fails_before_sampling(
    tmp_path: Path, no_sampling: None
) -> None:
    out = tmp_path / "nowhere" / "inspect.png"
    result = CliRunner().invoke(cli, ["inspect", "hello", "--out", str(out)])
    assert f"folder {out.parent} does not exist" in one_line_error(result)
