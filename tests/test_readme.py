"""Every shell command in the README runs as written (with a tiny model), so that an
example can never go stale; the set-up commands are those ``.ci/run`` runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import glyph_strokes

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LETTER = """Dear Tom,

thank you for the lovely tea on Sunday. The garden looked wonderful.

See you soon,
Anna
"""


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, re.M | re.S)


def commands() -> list[str]:
    found = []
    for block in blocks("sh"):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip() and not command.lstrip().startswith("#"):
                found.append(command.strip())
    return found


def polylines_svg(text: str) -> str:
    paths = "".join(
        '<path d="M' + " L".join(f"{x:.1f},{y:.1f}" for x, y in stroke) + '"/>'
        for stroke in glyph_strokes(text)
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="800">{paths}</svg>'


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The files the README's commands name."""
    (tmp_path / "letter.txt").write_text(LETTER)
    (tmp_path / "note.txt").write_text("Back at six. Soup is on the stove.\n")
    (tmp_path / "address.txt").write_text("{first_name} {last_name}\n{street}\n{city}\n")
    (tmp_path / "people.csv").write_text(
        "first_name,last_name,street,city\n"
        "Tom,Smith,1 Mill Lane,York\nAnna,Jones,22 Hill Road,Bath\n"
    )
    (tmp_path / "my-line.svg").write_text(polylines_svg("the quick brown fox jumps"))
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / "tom.txt").write_text("Dear Tom,\nsee you soon.\n")
    (tmp_path / "letters" / "anna.txt").write_text("Dear Anna,\nsee you soon.\n")
    return tmp_path


def test_the_readme_shows_commands() -> None:
    assert len(commands()) >= 8
    assert all(c.split()[0] in ("vpype", "vpype-handwriting", "cat") for c in commands())


@pytest.mark.parametrize("command", commands())
def test_every_readme_command_runs(
    command: str, folder: Path, tiny_weights: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = dict(os.environ)
    env["VPYPE_HANDWRITING_WEIGHTS"] = str(tiny_weights)
    env["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data"))  # user styles go here
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    if "styles remove" in command:  # removes the style the README added before it
        name = command.split("styles remove", 1)[1].split()[0]
        subprocess.run(
            ["vpype-handwriting", "styles", "add", name, "--svg", "my-line.svg", "--text",
             "the quick brown fox jumps"],
            cwd=folder, env=env, check=True, capture_output=True,
        )  # fmt: skip
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{command}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr


def test_the_setup_commands_are_those_ci_runs() -> None:
    setup = "\n".join(blocks("text"))
    assert 'pip install . && vpype handwrite "Dear Tom" layout a4 write out.svg' in setup
    assert 'pip install ".[test]" && pytest' in setup
    assert 'pip install ".[test]" && pytest' in (ROOT / ".ci" / "run").read_text()


def test_the_python_example_runs(tiny_weights: Path, tmp_path: Path) -> None:
    (example,) = blocks("python")
    env = dict(os.environ, VPYPE_HANDWRITING_WEIGHTS=str(tiny_weights))
    proc = subprocess.run(
        [sys.executable, "-c", example],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Dear Tom," in proc.stdout and "(" in proc.stdout  # each line with its arrays
