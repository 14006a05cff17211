"""Where batch letters go: ``--out`` filled with values made safe as file names, every page
inside the folder of the pattern's fixed part, and every clash found before writing."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .limits import MAX_NAME_CHARS

#: Names Windows keeps for devices, whatever the extension.
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}
#: Characters no file name takes on some system (separators first).
UNSAFE = set('/\\:*?"<>|')
#: Bytes of one file name: most file systems take 255; room is left for "-p12" and the
#: temporary name written first.
MAX_NAME_BYTES = 200
PAGE = re.compile(r"^(?P<stem>.*)-p(?P<page>[0-9]+)$")


class OutputError(ValueError):
    """The output pattern or the files it names cannot work."""


def safe_name(value: str) -> str:
    """``value`` as one file-name part: no separators, control or unsafe characters (each
    becomes ``_``), no leading or trailing dots and spaces, no reserved device name, at
    most :data:`limits.MAX_NAME_CHARS` characters; never empty."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        "_" if c in UNSAFE or unicodedata.category(c)[0] in "CZ" and c != " " else c
        for c in value
    )
    value = value.strip(" .")[:MAX_NAME_CHARS].rstrip(" .") or "_"
    if value.split(".")[0].upper() in RESERVED:
        value = "_" + value
    return value


def page_path(first: Path, page: int) -> Path:
    """The file of a letter's ``page`` (1: the first page's own path)."""
    return first if page == 1 else first.with_name(f"{first.stem}-p{page}{first.suffix}")


@dataclass
class OutPattern:
    """``--out``: a path with ``{column}`` placeholders, ending in ``.svg``."""

    pattern: str
    fields: list[str] = field(init=False)
    root: Path = field(init=False)  # the folder of the fixed part: every file stays inside

    def __post_init__(self) -> None:
        try:
            parts = list(string.Formatter().parse(self.pattern))
        except ValueError as exc:
            raise OutputError(f"--out: {exc} (write {{{{ and }}}} for braces)") from None
        self.fields = [f for _, f, _, _ in parts if f is not None]
        for _, name, spec, conversion in parts:
            if name is not None and (not name.isidentifier() or spec or conversion):
                shown = name + ("!" + conversion if conversion else "")
                shown += ":" + spec if spec else ""
                raise OutputError(
                    f"--out: {'{' + shown + '}'!r} is not a plain {{column}} placeholder"
                )
        if not self.pattern.lower().endswith(".svg"):
            raise OutputError(
                "--out must end in .svg (letters writes SVG; convert the files with "
                "vpype read ... write ... for other formats)"
            )
        fixed = ""  # the text before the first placeholder
        for text, name, _, _ in parts:
            fixed += text
            if name is not None:
                break
        self.root = Path(fixed) if fixed.endswith(("/", "\\")) else Path(fixed).parent

    def path(self, values: dict[str, str]) -> Path:
        """The first page's file for one row; an :class:`OutputError` when it would leave
        :attr:`root` or its name is too long."""
        filled = "".join(
            text + (safe_name(values[name]) if name is not None else "")
            for text, name, _, _ in string.Formatter().parse(self.pattern)
        )
        path = Path(filled)
        root = self.root.resolve()
        resolved = path.resolve()
        if root not in resolved.parents:
            raise OutputError(f"{filled} is outside {self.root} (from --out)")
        if len(path.name.encode("utf-8")) > MAX_NAME_BYTES:
            raise OutputError(
                f"the file name {path.name[:40]}... is longer than {MAX_NAME_BYTES} bytes"
            )
        return path


def _key(path: Path) -> str:
    """Paths that one file system could take for one file (case-insensitive ones too)."""
    return unicodedata.normalize("NFC", str(path.resolve())).casefold()


def clashes(firsts: Sequence[tuple[int, Path]]) -> list[str]:
    """Pairs of rows whose files are one file on some system: the same first page, or one
    row's first page named like another's continuation page (``x.svg`` and ``x-p2.svg``)."""
    owner: dict[str, int] = {}
    found = []
    for number, path in firsts:
        key = _key(path)
        if key in owner:
            found.append(f"rows {owner[key]} and {number} would both write {path}")
        owner.setdefault(key, number)
    for number, path in firsts:
        match = PAGE.match(path.stem)
        if match is None or int(match["page"]) < 2:
            continue
        base = path.with_name(match["stem"] + path.suffix)
        other = owner.get(_key(base))
        if other is not None and other != number:
            found.append(
                f"row {number} writes {path.name}, the name of page {match['page']} "
                f"of row {other}'s letter {base.name}"
            )
    return found


def existing_pages(first: Path) -> list[Path]:
    """The files of a letter already on disk: its first page and any ``-pN`` page."""
    if not first.parent.is_dir():
        return []
    pattern = re.compile(re.escape(first.stem) + r"-p[0-9]+" + re.escape(first.suffix) + "$")
    found = [first] if first.exists() else []
    return found + sorted(p for p in first.parent.iterdir() if pattern.match(p.name))
