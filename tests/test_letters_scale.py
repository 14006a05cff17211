"""``letters --jobs`` and ``--shard``: more processes or machines, the same files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vpype_handwriting.cli import cli

TEMPLATE = "Dear {first},\nsee you in {city}.\n"
NAMES = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo"]


def table(rows: int) -> str:
    return "first,city,id\n" + "".join(
        f"{NAMES[i % 10]},{['York', 'Bath'][i % 2]},{i}\n" for i in range(rows)
    )


def run(work: Path, weights: Path, out: Path, *extra: str, rows: int = 20):
    (work / "t.txt").write_text(TEMPLATE)
    (work / "p.csv").write_text(table(rows))
    args = ["letters", str(work / "t.txt"), "--csv", str(work / "p.csv"), "--out",
            str(out / "{id}-{first}.svg"), "--weights", str(weights), "--style", "none",
            "--seed", "3", "--quiet", *extra]  # fmt: skip
    return CliRunner().invoke(cli, args)


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_shards_together_are_the_whole_run_byte_for_byte(
    tmp_path: Path, tiny_weights: Path
) -> None:
    whole = run(tmp_path, tiny_weights, tmp_path / "whole")
    assert whole.exit_code == 0, whole.output
    for k in (1, 2, 3):
        part = run(tmp_path, tiny_weights, tmp_path / "shards", "--shard", f"{k}/3")
        assert part.exit_code == 0, part.output
        assert f"wrote {len(range(k - 1, 20, 3))} letter(s)" in part.output
    assert contents(tmp_path / "shards") == contents(tmp_path / "whole")
    assert len(contents(tmp_path / "whole")) == 20


def test_jobs_write_the_same_files(tmp_path: Path, tiny_weights: Path) -> None:
    one = run(tmp_path, tiny_weights, tmp_path / "one", rows=6)
    two = run(tmp_path, tiny_weights, tmp_path / "two", "--jobs", "2", rows=6)
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    assert contents(tmp_path / "two") == contents(tmp_path / "one")


def test_a_shard_checks_clashes_over_the_whole_table(
    tmp_path: Path, tiny_weights: Path
) -> None:
    (tmp_path / "t.txt").write_text(TEMPLATE)
    (tmp_path / "p.csv").write_text("first,city,id\nAnn,York,1\nBob,Bath,1\n")
    result = CliRunner().invoke(
        cli,
        ["letters", str(tmp_path / "t.txt"), "--csv", str(tmp_path / "p.csv"), "--out",
         str(tmp_path / "o" / "{id}.svg"), "--weights", str(tiny_weights), "--shard", "1/2"],
    )  # fmt: skip
    assert result.exit_code == 1 and "rows 1 and 2 would both write" in result.output


def test_a_shard_is_not_stopped_by_another_shards_files(
    tmp_path: Path, tiny_weights: Path
) -> None:
    assert run(tmp_path, tiny_weights, tmp_path / "o", "--shard", "2/2", rows=4).exit_code == 0
    assert run(tmp_path, tiny_weights, tmp_path / "o", "--shard", "1/2", rows=4).exit_code == 0
    assert len(contents(tmp_path / "o")) == 4


@pytest.mark.parametrize("value", ["0/3", "4/3", "1/0", "a/b", "2", "-1/2"])
def test_bad_shards_are_one_line_errors(
    tmp_path: Path, tiny_weights: Path, value: str
) -> None:
    result = run(tmp_path, tiny_weights, tmp_path / "o", "--shard", value, rows=2)
    assert result.exit_code == 2 and "--shard" in result.output
    assert not (tmp_path / "o").exists()
