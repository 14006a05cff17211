from __future__ import annotations

import json
from pathlib import Path

import pytest
import vpype as vp
import vpype_cli
from click.testing import CliRunner

from vpype_handwriting import letters
from vpype_handwriting.cli import cli

from .conftest import ALPHABET

TEMPLATE = "Dear {first_name},\n\nthank you for the tea in {city}.\n\nBest wishes,\nHelen\n"
PEOPLE = "first_name,last_name,city\nTom,Smith,York\nAnna,Jones,Bath\n"


def invoke(
    tmp_path: Path, weights: Path, *extra: str, people: str = PEOPLE, template: str = TEMPLATE
):
    (tmp_path / "t.txt").write_text(template)
    (tmp_path / "p.csv").write_text(people)
    args = [
        "letters",
        str(tmp_path / "t.txt"),
        "--csv",
        str(tmp_path / "p.csv"),
        "--out",
        str(tmp_path / "out" / "{last_name}-{first_name}.svg"),
        "--weights",
        str(weights),
        *extra,
    ]
    return CliRunner().invoke(cli, args)


def test_placeholders_fill_each_letter(tmp_path: Path) -> None:
    rows, warnings = letters.plan(
        TEMPLATE,
        letters.OutPattern("out/{last_name}.svg"),
        letters.read_rows(_csv(tmp_path, PEOPLE)),
        ALPHABET,
    )
    assert rows[0].text.startswith("Dear Tom,") and "tea in York." in rows[0].text
    assert rows[1].paths == [Path("out/Jones.svg")]
    assert warnings == []


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.csv"
    path.write_text(text)
    return path


def test_missing_and_unused_columns_are_reported_before_work(tmp_path: Path) -> None:
    rows = letters.read_rows(_csv(tmp_path, "first_name,city,age\nTom,York,40\n"))
    with pytest.raises(letters.LetterError, match="placeholders without a column: last_name"):
        letters.plan(TEMPLATE, letters.OutPattern("{last_name}.svg"), rows, ALPHABET)
    _, warnings = letters.plan(
        TEMPLATE, letters.OutPattern("{first_name}.svg"), rows, ALPHABET
    )
    assert warnings == ["column 'age' is not used by the template or --out"]


def test_json_and_jsonl_rows(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps([{"a": "1"}, {"a": 2}]))
    (tmp_path / "p.jsonl").write_text('{"a": "1"}\n{"a": 2}\n')
    assert letters.read_rows(tmp_path / "p.json") == [{"a": "1"}, {"a": "2"}]
    assert letters.read_rows(tmp_path / "p.jsonl") == [{"a": "1"}, {"a": "2"}]
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(letters.LetterError, match="not valid json"):
        letters.read_rows(tmp_path / "bad.json")


def test_writes_one_file_per_letter_and_reports_failing_rows(
    tmp_path: Path, tiny_weights: Path
) -> None:
    people = PEOPLE + "Bob,,Leeds\nZo,Brown,\u2603\n"
    result = invoke(tmp_path, tiny_weights, people=people)
    assert result.exit_code == 1
    assert "row 3: skipped: empty field 'last_name'" in result.output
    assert "row 4: skipped: the model cannot write" in result.output
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == ["Jones-Anna.svg", "Smith-Tom.svg"]  # no temporary files left
    doc = vp.read_multilayer_svg(str(tmp_path / "out" / "Smith-Tom.svg"), 0.1)
    assert doc.page_size == pytest.approx((793.7, 1122.5), abs=0.5)
    assert len(doc.layers[1]) > 0
    xmin, _, xmax, _ = doc.bounds()
    margin = 2 * 96 / 2.54
    assert xmin >= margin - 1 and xmax <= 793.7 - margin + 1


def test_never_overwrites_and_resume_skips_finished_letters(
    tmp_path: Path, tiny_weights: Path
) -> None:
    assert invoke(tmp_path, tiny_weights).exit_code == 0
    mine = tmp_path / "out" / "Smith-Tom.svg"
    mine.write_text("my own edits")
    again = invoke(tmp_path, tiny_weights)
    assert again.exit_code != 0 and "exists" in again.output
    assert mine.read_text() == "my own edits"
    resumed = invoke(tmp_path, tiny_weights, "--resume")
    assert resumed.exit_code == 0 and "2 letter(s) already written" in resumed.output
    assert mine.read_text() == "my own edits"
    assert invoke(tmp_path, tiny_weights, "--overwrite").exit_code == 0
    assert mine.read_text() != "my own edits"


def test_two_rows_on_one_file_is_an_error(tmp_path: Path, tiny_weights: Path) -> None:
    result = invoke(tmp_path, tiny_weights, people=PEOPLE + "Tom,Smith,Hull\n")
    assert result.exit_code != 0 and "would both write" in result.output


def test_long_letters_continue_on_more_pages(tmp_path: Path, tiny_weights: Path) -> None:
    long = "Dear {first_name},\n" + "\n".join(["the tea was good"] * 60)
    result = invoke(tmp_path, tiny_weights, "--page", "a6", template=long)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "Smith-Tom-p2.svg" in names and "Smith-Tom.svg" in names
    page_h = vp.convert_page_size("a6")[1]
    for name in names:
        doc = vp.read_multilayer_svg(str(tmp_path / "out" / name), 0.1)
        assert doc.bounds()[3] <= page_h


def test_envelope_mode(tmp_path: Path, tiny_weights: Path) -> None:
    result = invoke(
        tmp_path,
        tiny_weights,
        "--envelope",
        "DL",
        template="{first_name} {last_name}\n1 Mill Lane\n{city}",
    )
    assert result.exit_code == 0, result.output
    doc = vp.read_multilayer_svg(str(tmp_path / "out" / "Jones-Anna.svg"), 0.1)
    assert doc.page_size == pytest.approx((220 * 96 / 25.4, 110 * 96 / 25.4), abs=0.5)


def test_forfile_recipe_writes_one_page_per_file(tmp_path: Path, tiny_weights: Path) -> None:
    (tmp_path / "letters").mkdir()
    for name in ("tom", "anna"):
        (tmp_path / "letters" / f"{name}.txt").write_text(f"Dear {name},\nsee you soon.")
    (tmp_path / "out").mkdir()
    vpype_cli.execute(
        f"forfile '{tmp_path}/letters/*.txt' handwrite --weights '{tiny_weights}' "
        f"--file %_path% layout a4 write '{tmp_path}/out/%_stem%.svg' end"
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["anna.svg", "tom.svg"]
