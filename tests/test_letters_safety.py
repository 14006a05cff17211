"""``letters`` with hostile and clumsy data: files stay in their folder, values stay data,
clashes are found before writing, and every failure is one line without a traceback."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vpype_handwriting import letters
from vpype_handwriting.cli import cli
from vpype_handwriting.files import folder_lock
from vpype_handwriting.letter_files import OutPattern, safe_name

TEMPLATE = "Dear {first},\nsee you soon.\n"


def table(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run(
    work: Path,
    weights: Path,
    rows: list[dict[str, str]],
    *extra: str,
    out: str = "out/{file}.svg",
    template: str = TEMPLATE,
):
    (work / "t.txt").write_text(template, encoding="utf-8")
    (work / "p.csv").write_text(table(rows), encoding="utf-8")
    args = ["letters", "t.txt", "--csv", "p.csv", "--out", out, "--weights", str(weights)]
    cwd = os.getcwd()
    os.chdir(work)
    try:
        return CliRunner().invoke(cli, [*args, "--style", "none", *extra])
    finally:
        os.chdir(cwd)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def assert_no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "value",
    ["../victim", "sub/../../x", "../../../../deep/x", "/abs/path", "AC/DC", "..", ".hidden"],
)
def test_values_never_lead_a_file_out_of_the_output_folder(
    tmp_path: Path, tiny_weights: Path, value: str
) -> None:
    (tmp_path / "victim.svg").write_text("keep me")
    before = files_under(tmp_path)
    result = run(tmp_path, tiny_weights, [{"first": "Ann", "file": value}])
    assert_no_traceback(result)
    assert result.exit_code == 0, result.output
    new = files_under(tmp_path) - before - {tmp_path / "t.txt", tmp_path / "p.csv"}
    assert len(new) == 1 and (tmp_path / "out") in next(iter(new)).parents
    assert next(iter(new)).parent == tmp_path / "out"  # no subfolder from a value either
    assert (tmp_path / "victim.svg").read_text() == "keep me"


def test_a_pattern_that_climbs_out_after_a_value_is_refused(
    tmp_path: Path, tiny_weights: Path
) -> None:
    result = run(
        tmp_path, tiny_weights, [{"first": "Ann", "file": "a"}], out="o/{file}/../../x.svg"
    )
    assert result.exit_code == 1 and "outside o" in result.output
    assert not (tmp_path / "x.svg").exists()


def test_values_are_never_expanded_as_vpype_expressions(
    tmp_path: Path, tiny_weights: Path
) -> None:
    rows = [
        {"first": "%6*7%", "file": "calc%6*7%"},
        {"first": "{name}", "file": "host-%open('/etc/hostname').read()%"},
    ]
    extra = ("--pipeline", "linemerge linesort", "--unknown", "replace")
    result = run(tmp_path, tiny_weights, rows, *extra)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["calc%6_7%.svg", "host-%open('_etc_hostname').read()%.svg"]


@pytest.mark.parametrize(
    "template", ["Dear {first:>300000000}", "Dear {first!r}", "{first.__class__}", "{0}"]
)
def test_templates_hold_plain_placeholders_only(template: str) -> None:
    with pytest.raises(letters.LetterError, match="plain"):
        letters.placeholders(template)


def test_every_page_of_every_letter_is_checked_before_writing(
    tmp_path: Path, tiny_weights: Path
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "two-p2.svg").write_text("an earlier page 2")
    result = run(tmp_path, tiny_weights, [{"first": "Ann", "file": "two"}])
    assert result.exit_code == 1 and "two-p2.svg exists" in result.output
    assert not (tmp_path / "out" / "two.svg").exists()


def test_a_row_named_like_another_rows_second_page_is_a_clash(
    tmp_path: Path, tiny_weights: Path
) -> None:
    rows = [{"first": "Ann", "file": "three"}, {"first": "Bob", "file": "three-p2"}]
    result = run(tmp_path, tiny_weights, rows)
    assert result.exit_code == 1
    assert "row 2 writes three-p2.svg, the name of page 2 of row 1's letter" in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_names_that_differ_only_in_case_or_by_unsafe_characters_clash(
    tmp_path: Path, tiny_weights: Path
) -> None:
    rows = [{"first": "Ann", "file": "Lee"}, {"first": "Bob", "file": "lee"}]
    assert "rows 1 and 2 would both write" in run(tmp_path, tiny_weights, rows).output
    rows = [{"first": "Ann", "file": "AC/DC"}, {"first": "Bob", "file": "AC:DC"}]
    assert "rows 1 and 2 would both write" in run(tmp_path, tiny_weights, rows).output


def test_a_second_run_into_the_same_folder_fails_at_once(
    tmp_path: Path, tiny_weights: Path
) -> None:
    with folder_lock(tmp_path / "out", "letters"):
        result = run(tmp_path, tiny_weights, [{"first": "Ann", "file": "a"}])
    assert result.exit_code == 1 and "another letters run is writing into" in result.output
    assert not (tmp_path / "out" / "a.svg").exists()
    assert run(tmp_path, tiny_weights, [{"first": "Ann", "file": "a"}]).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.svg"]  # no lock left


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--bias", "nan"),
        ("--bias", "inf"),
        ("--bias", "-1"),
        ("--line-spacing", "nan"),
        ("--line-spacing", "inf"),
        ("--seed", "-1"),
        ("--margin", "-1cm"),
        ("--margin", "20cm"),
        ("--size", "0mm"),
        ("--wrap", "1km"),
        ("--page", "0x0"),
    ],
)
def test_every_number_is_bounded(
    tmp_path: Path, tiny_weights: Path, option: str, value: str
) -> None:
    result = run(tmp_path, tiny_weights, [{"first": "Ann", "file": "a"}], option, value)
    assert_no_traceback(result)
    assert result.exit_code == 2 and option in result.output
    assert not (tmp_path / "out").exists()


def test_same_seed_same_letter_alone_after_others_or_resumed(
    tmp_path: Path, tiny_weights: Path
) -> None:
    rows = [{"first": name, "file": name} for name in ("Ann", "Bob", "Cy")]
    assert run(tmp_path, tiny_weights, rows, "--seed", "5").exit_code == 0
    first = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    (tmp_path / "out" / "Bob.svg").unlink()
    assert run(tmp_path, tiny_weights, rows, "--seed", "5", "--resume").exit_code == 0
    assert (tmp_path / "out" / "Bob.svg").read_bytes() == first["Bob.svg"]
    alone = tmp_path / "alone"
    alone.mkdir()
    assert run(alone, tiny_weights, rows[2:], "--seed", "5").exit_code == 0
    assert (alone / "out" / "Cy.svg").read_bytes() == first["Cy.svg"]
    assert len(set(first.values())) == 3  # and each letter its own strokes


def test_changed_characters_are_said_per_letter_and_summed_up(
    tmp_path: Path, tiny_weights: Path
) -> None:
    rows = [
        {"first": "Y\u0131lmaz", "file": "y"},
        {"first": "Gro\u00df Jos\u00e9", "file": "j"},
    ]
    result = run(tmp_path, tiny_weights, rows)
    assert result.exit_code == 0, result.output
    assert 'row 1: written as the model can: \u0131\u2192i in "Y\u0131lmaz,"' in result.output
    assert "row 2:" not in result.output
    assert "1 letter(s) had characters the model cannot write changed" in result.output


def test_a_long_address_wraps_inside_the_envelope(tmp_path: Path, tiny_weights: Path) -> None:
    import vpype as vp

    address = "{first}\n" + "Flat 12, The Old Rope Works, Long Harbour Road West\nBristol"
    for extra in ((), ("--wrap", "6cm")):
        result = run(
            tmp_path,
            tiny_weights,
            [{"first": "Ann Lee", "file": "env"}],
            "--envelope",
            "C6",
            "--size",
            "1.5mm",
            "--overwrite",
            *extra,
            template=address,
        )
        assert result.exit_code == 0, result.output
        doc = vp.read_multilayer_svg(str(tmp_path / "out" / "env.svg"), 0.1)
        w, h = doc.page_size
        x0, y0, x1, y1 = doc.bounds()
        margin = 0.1 * h
        assert margin - 1 <= x0 and x1 <= w - margin + 1 and margin - 1 <= y0
        assert y1 <= h - margin + 1
        if extra:
            assert x1 - x0 <= 6 * 96 / 2.54 + 1


def test_an_address_too_tall_for_the_envelope_fails_that_row(
    tmp_path: Path, tiny_weights: Path
) -> None:
    address = "{first}\n" + "\n".join(["Mill Lane"] * 12)
    result = run(
        tmp_path, tiny_weights, [{"first": "Ann", "file": "e"}], "--envelope", "C6",
        template=address,
    )  # fmt: skip
    assert result.exit_code == 1 and "too tall for the" in result.output
    assert not (tmp_path / "out" / "e.svg").exists()


@pytest.mark.parametrize(
    ("extra", "out", "message"),
    [
        ((), "out/{file}.hpgl", "must end in .svg"),
        (("--pipeline", "linemerge write x.svg"), "out/{file}.svg", "leave 'write' out"),
        (("--pipeline", "nosuchcommand"), "out/{file}.svg", "--pipeline"),
    ],
)
def test_outputs_letters_cannot_write_are_refused_before_sampling(
    tmp_path: Path, tiny_weights: Path, extra: tuple[str, ...], out: str, message: str
) -> None:
    result = run(tmp_path, tiny_weights, [{"first": "Ann", "file": "a"}], *extra, out=out)
    assert_no_traceback(result)
    assert result.exit_code != 0 and message in result.output


def test_a_template_that_is_not_utf8_is_a_clear_error(
    tmp_path: Path, tiny_weights: Path
) -> None:
    run(tmp_path, tiny_weights, [{"first": "Ann", "file": "a"}])  # writes the files
    (tmp_path / "t.txt").write_bytes("Ol\u00e9 {first}".encode("latin-1"))
    result = CliRunner().invoke(
        cli,
        ["letters", str(tmp_path / "t.txt"), "--csv", str(tmp_path / "p.csv"), "--out",
         str(tmp_path / "o2" / "{file}.svg"), "--weights", str(tiny_weights)],
    )  # fmt: skip
    assert_no_traceback(result)
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_an_output_folder_that_is_a_file_is_a_clear_error(
    tmp_path: Path, tiny_weights: Path
) -> None:
    (tmp_path / "out").write_text("a file")
    result = run(tmp_path, tiny_weights, [{"first": "Ann", "file": "a"}])
    assert_no_traceback(result)
    assert result.exit_code == 1 and "out is a file, not a folder" in result.output


def test_a_full_disk_stops_the_run_with_no_partial_file(
    tmp_path: Path, tiny_weights: Path, monkeypatch
) -> None:
    import errno

    import vpype as vp

    def full(fh, doc, *args, **kwargs):
        fh.write("<svg")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(vp, "write_svg", full)
    rows = [{"first": "Ann", "file": "a"}, {"first": "Bob", "file": "b"}]
    result = run(tmp_path, tiny_weights, rows)
    assert_no_traceback(result)
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert list((tmp_path / "out").iterdir()) == []


def test_too_big_a_table_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(letters, "MAX_TABLE_BYTES", 100)
    path = tmp_path / "p.csv"
    path.write_text("first\n" + "Ann\n" * 50)
    with pytest.raises(letters.LetterError, match="longer than 100 bytes"):
        letters.read_rows(path)


def test_safe_names_are_plain_file_names() -> None:
    assert safe_name("../victim") == "_victim"
    assert safe_name("..") == "_" and safe_name("") == "_"
    assert safe_name("AC/DC") == "AC_DC" and safe_name("CON") == "_CON"
    assert safe_name("a\x00b\nc") == "a_b_c"
    assert len(safe_name("x" * 10_000)) == 80


HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["../", "/etc/passwd", "%6*7%", "{x}", "a/b\\c", "", " ", "CON", "."]),
    st.text(alphabet="ab./\\%{}", min_size=1, max_size=30),
    st.just("x" * 10_000),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=HOSTILE, first=HOSTILE)
def test_hostile_values_give_an_svg_inside_the_folder_or_a_clean_error(
    tmp_path_factory: pytest.TempPathFactory, tiny_weights: Path, name: str, first: str
) -> None:
    work = tmp_path_factory.mktemp("hostile")
    result = run(work, tiny_weights, [{"first": first, "file": name}], "--unknown", "replace")
    assert_no_traceback(result)
    assert result.exit_code in (0, 1), result.output
    made = files_under(work) - {work / "t.txt", work / "p.csv"}
    assert all((work / "out") in p.parents and p.suffix == ".svg" for p in made)
    assert all(not p.name.startswith(".") for p in made)  # no temporary file left


def test_out_pattern_root_is_the_folder_before_the_first_placeholder() -> None:
    assert OutPattern("out/{a}.svg").root == Path("out")
    assert OutPattern("out/x-{a}/{b}.svg").root == Path("out")
    assert OutPattern("{a}.svg").root == Path(".")
    assert OutPattern("a/b/c.svg").root == Path("a/b")


@settings(max_examples=200, deadline=None)
@given(
    template=st.text(alphabet=st.sampled_from(list("{}!:.[]_ab0 \n%")), max_size=30),
    value=HOSTILE,
)
def test_any_template_is_filled_as_text_or_refused_in_one_sentence(
    template: str, value: str
) -> None:
    try:
        names = letters.placeholders(template)
    except letters.LetterError as exc:
        assert "\n" not in str(exc)
        return
    filled = letters.fill(template, dict.fromkeys(names, value))
    assert filled.count(value) >= len(names) or not value
    assert len(filled) <= len(template) + len(names) * len(value)
