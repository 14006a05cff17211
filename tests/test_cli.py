from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import vpype as vp
import vpype_cli

CM = 96 / 2.54
VPYPE = [sys.executable, "-c", "from vpype_cli.cli import cli; cli()"]


def run(cmd: str) -> vp.Document:
    return vpype_cli.execute(cmd)


def pipeline(weights: Path, args: str) -> str:
    return f"handwrite --weights '{weights}' {args}"


def test_plugin_writes_into_the_target_layer(tiny_weights: Path) -> None:
    doc = run(pipeline(tiny_weights, "--seed 1 --layer 3 'Dear Tom'"))
    assert list(doc.layers) == [3]
    assert len(doc.layers[3]) > 0


def test_same_seed_same_geometry_and_global_seed_works(tiny_weights: Path) -> None:
    a = run(pipeline(tiny_weights, "--seed 4 'hello there'"))
    b = run(pipeline(tiny_weights, "--seed 4 'hello there'"))
    c = vpype_cli.execute("-s 9 " + pipeline(tiny_weights, "'hello there'"))
    d = vpype_cli.execute("-s 9 " + pipeline(tiny_weights, "'hello there'"))
    assert [list(x) for x in a.layers[1]] == [list(x) for x in b.layers[1]]
    assert [list(x) for x in c.layers[1]] == [list(x) for x in d.layers[1]]


def test_position_and_wrap_in_real_units(tiny_weights: Path) -> None:
    text = " ".join(["tea with milk"] * 10)
    doc = run(
        pipeline(tiny_weights, f"--seed 2 --size 3mm --wrap 8cm --position 2cm 5cm '{text}'")
    )
    xmin, ymin, xmax, ymax = doc.bounds()
    assert xmin >= 2 * CM - 1e-6
    assert xmax <= 10 * CM + 1e-6
    assert ymax > 5 * CM


def test_file_and_stdin(tiny_weights: Path, tmp_path: Path) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear Tom,\n\nthank you for the tea.\n")
    doc = run(pipeline(tiny_weights, f"--file '{letter}' --seed 1 --wrap 8cm layout a4"))
    assert len(doc.layers[1]) > 0
    assert doc.page_size == pytest.approx((21 * CM, 29.7 * CM), rel=1e-3)  # not read as TEXT
    out = tmp_path / "out.svg"
    proc = subprocess.run(
        [
            *VPYPE,
            "handwrite",
            "--weights",
            str(tiny_weights),
            "--style",
            "none",  # a random-weight model primed with a style writes next to nothing
            "--file",
            "-",
            "write",
            str(out),
        ],
        input="hello from stdin",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().count("<path") + out.read_text().count("<polyline") > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("'snow \u2603 man'", "cannot write '\u2603' at 6"),
        ("'   '", "no text to write"),
        ("", "no text given"),
        ("--size 0mm hi", "size must be a number from 0.1 mm"),
        ("--wrap 1mm hi", "too narrow"),
        ("--justify hi", "--justify needs --wrap"),
    ],
)
def test_bad_input_is_one_clear_line_without_traceback(
    tiny_weights: Path, args: str, message: str
) -> None:
    proc = subprocess.run(
        [*VPYPE, *(["handwrite", "--weights", str(tiny_weights)] + _split(args))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def _split(args: str) -> list[str]:
    import shlex

    return shlex.split(args)


def test_missing_weights_are_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text("{}")
    proc = subprocess.run(
        [*VPYPE, "handwrite", "--weights", str(tmp_path), "hi"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "weights" in proc.stderr and "damaged" in proc.stderr


def test_unknown_characters_can_be_skipped(tiny_weights: Path) -> None:
    doc = run(pipeline(tiny_weights, "--seed 1 --unknown skip 'snow \u2603 man'"))
    assert len(doc.layers[1]) > 0


def test_size_scales_the_ink(tiny_weights: Path) -> None:
    small = run(pipeline(tiny_weights, "--seed 3 --size 2mm 'hello'")).bounds()
    big = run(pipeline(tiny_weights, "--seed 3 --size 6mm 'hello'")).bounds()
    assert np.isclose((big[2] - big[0]) / (small[2] - small[0]), 3.0, rtol=1e-6)


def test_the_default_style_primes_every_line(tiny_weights: Path, monkeypatch) -> None:
    from vpype_handwriting import defaults, sampling

    primes = []
    real = sampling.sample_lines

    def spy(net, texts, opts=None):
        primes.append(opts.prime)
        return real(net, texts, opts)

    monkeypatch.setattr("vpype_handwriting.writer.sample_lines", spy)
    run(pipeline(tiny_weights, "--seed 1 'hello'"))
    run(pipeline(tiny_weights, "--seed 1 --style none 'hello'"))
    from vpype_handwriting.styles import find_style

    assert primes[0] is not None and primes[0].text == find_style(defaults.STYLE).text
    assert primes[1] is None


def test_shared_options_take_vpype_expressions_in_handwrite(tiny_weights: Path) -> None:
    expressions = "eval \"b=2.0; s='none'; u='skip'\" " + pipeline(
        tiny_weights, "--seed 1 --bias %b% --style %s% --unknown %u% 'snow \u2603 man'"
    )
    plain = pipeline(
        tiny_weights, "--seed 1 --bias 2.0 --style none --unknown skip 'snow man'"
    )
    a, b = run(expressions), run(plain)
    assert [list(x) for x in a.layers[1]] == [list(x) for x in b.layers[1]]


def test_vpype_help_lists_handwrite_in_a_group_of_its_own_kind() -> None:
    """vpype files a command without a ``help_group`` under "Unknown"."""
    out = subprocess.run([*VPYPE, "--help"], capture_output=True, text=True, check=True).stdout
    group = None
    for line in out.splitlines():
        header = line.startswith("  ") and not line.startswith("    ")
        if header and line.strip().endswith(":"):
            group = line.strip()[:-1]
        elif line.strip().startswith("handwrite "):
            break
    else:
        pytest.fail("handwrite is not listed in vpype --help")
    assert group not in (None, "Unknown")
