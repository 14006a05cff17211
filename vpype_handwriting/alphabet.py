"""Text → model characters: typographic normalization, encoding and clear errors."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .config import END, PAD
from .limits import MAX_TEXT_CHARS

#: Typographic characters and their plain equivalents: written without a word (the README
#: lists them), as a person writes a curly quote or a dash by hand.
TYPOGRAPHIC = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ",
    "\u200a": " ", "\u2002": " ", "\u2003": " ", "\t": " ", "\r": "\n",
}  # fmt: skip
#: Letters and signs the model lacks and what is written instead: each use is reported.
TRANSLITERATIONS = {
    "\u00b7": ".", "\u2022": "-", "\u0131": "i",
}  # fmt: skip
#: Letters and signs drawn by hand in the line (``glyph_shapes.py``): the network never
#: learned them, or writes them badly (``#``, ``%``, ``&``, ``*``, ``+``, ``/``, brackets).
DRAWN = frozenset(
    "&/@\u20ac\u00a3$%#*+=\\<>~_|\u00b0\u00a7[]\u00d7\u00df\u1e9e\u00e6\u0153\u00c6\u0152"
)

#: Accents written by hand over a letter the network writes (``marks.py`` draws them): the
#: combining character and the mark's name.
MARKS = {
    "\u0301": "acute", "\u0300": "grave", "\u0302": "circumflex", "\u0308": "diaeresis",
    "\u0303": "tilde", "\u030a": "ring", "\u0327": "cedilla", "\u030c": "caron",
    "\u0328": "ogonek", "\u0304": "macron", "\u0307": "dot", "\u030b": "double_acute",
    "\u0306": "breve", "\u0326": "comma_below",
}  # fmt: skip
#: Letters with a stroke through them: the letter the network writes and the stroke.
STROKED = {
    "\u00f8": ("o", "slash"), "\u00d8": ("O", "slash"), "\u0142": ("l", "stroke"),
    "\u0141": ("L", "stroke"), "\u0111": ("d", "bar"), "\u0110": ("D", "bar"),
}  # fmt: skip

UNKNOWN_MODES = ("error", "skip", "replace")
#: Changes listed in one warning line; the rest are counted.
LISTED_CHANGES = 12


class UnknownCharacterError(ValueError):
    """The text holds characters the model cannot write."""


class EmptyTextError(ValueError):
    """There is no text to write."""


class TextTooLongError(ValueError):
    """The text is longer than one request may be."""


@dataclass(frozen=True)
class Change:
    """A character written as something else (or dropped), and the word it was in."""

    char: str
    written: str
    word: str

    def __str__(self) -> str:
        written = {"": "nothing", " ": "a space"}.get(self.written, self.written.strip())
        return f'{self.char}\u2192{written} in "{self.word}"'


@dataclass
class Prepared:
    """Text ready to write, and every change made to what was asked."""

    text: str
    changes: list[Change] = field(default_factory=list)


def describe(changes: Sequence[Change]) -> str:
    """One line listing each distinct change (``é→e in "José", ß→ss in "Groß"``)."""
    distinct = list(dict.fromkeys(changes))
    listed = ", ".join(str(c) for c in distinct[:LISTED_CHANGES])
    more = len(distinct) - LISTED_CHANGES
    return listed + (f" and {more} more" if more > 0 else "")


def split_marks(ch: str, alphabet: str) -> tuple[str, tuple[str, ...]] | None:
    """The letter the network writes for an accented ``ch`` and the marks drawn over it
    (``é``: ``e`` and ``acute``), or None when ``ch`` is not such a letter."""
    if ch in STROKED:
        base, mark = STROKED[ch]
        return (base, (mark,)) if base in alphabet else None
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) < 2 or not parts[0].isalpha() or parts[0] not in alphabet:
        return None
    names = tuple(MARKS.get(c, "") for c in parts[1:])
    return (parts[0], names) if all(names) else None


def base_text(text: str, alphabet: str) -> str:
    """``text`` with each accented letter as the letter the network writes for it."""
    out = []
    for ch in text:
        split = None if ch in alphabet else split_marks(ch, alphabet)
        out.append(split[0] if split else ch)
    return "".join(out)


def writable(ch: str, alphabet: str) -> bool:
    """Whether the model writes ``ch``: in its alphabet, a newline, a sign drawn by hand,
    or an accented letter whose marks are drawn by hand."""
    return ch in alphabet or ch in DRAWN or ch == "\n" or split_marks(ch, alphabet) is not None


def _written_as(ch: str, alphabet: str) -> tuple[str, bool] | None:
    """What the model writes for ``ch`` and whether that is a change to report, or None
    when it cannot write it."""
    if writable(ch, alphabet):
        return ch, False
    for table, changed in ((TYPOGRAPHIC, False), (TRANSLITERATIONS, True)):
        if ch in table and all(c in alphabet or c == "\n" for c in table[ch]):
            return table[ch], changed
    base = unicodedata.normalize("NFKD", ch)
    stripped = "".join(c for c in base if not unicodedata.combining(c))
    if stripped and all(c in alphabet for c in stripped):
        return stripped, True
    return None


def _word_at(text: str, i: int, limit: int = 30) -> str:
    start = max(text.rfind(" ", 0, i), text.rfind("\n", 0, i)) + 1
    ends = [k for k in (text.find(" ", i), text.find("\n", i)) if k >= 0]
    word = text[start : min(ends) if ends else len(text)]
    return word if len(word) <= limit else word[: limit - 1] + "\u2026"


def prepare(
    text: str, alphabet: str, unknown: str = "error", replacement: str = " "
) -> Prepared:
    """Normalize ``text``, handle characters still unknown (error, skip or replace) and
    list every change that is more than typographic.

    Raises:
        TextTooLongError: longer than :data:`limits.MAX_TEXT_CHARS`.
        UnknownCharacterError: characters the model cannot write (with ``unknown="error"``),
            each named with its position in ``text``.
        EmptyTextError: nothing left to write.
    """
    if unknown not in UNKNOWN_MODES:
        raise ValueError(f"unknown must be one of {', '.join(UNKNOWN_MODES)}, not {unknown!r}")
    if len(text) > MAX_TEXT_CHARS:
        raise TextTooLongError(
            f"the text has {len(text):,} characters, more than {MAX_TEXT_CHARS:,}: "
            "split it into several requests"
        )
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    out, changes, bad = [], [], []
    for i, ch in enumerate(text):
        found = _written_as(ch, alphabet)
        if found is None:
            bad.append((i, ch))
            found = ("" if unknown == "skip" else replacement), True
        written, changed = found
        if changed:
            changes.append(Change(ch, written, _word_at(text, i)))
        out.append(written)
    if bad and unknown == "error":
        where = ", ".join(f"{ch!r} at {i + 1}" for i, ch in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise UnknownCharacterError(
            f"the model cannot write {where}{more} (use --unknown skip or replace)"
        )
    result = "".join(out)
    if not result.strip():
        raise EmptyTextError("there is no text to write")
    return Prepared(result, changes)


def check(text: str, alphabet: str, unknown: str = "error", replacement: str = " ") -> str:
    """The text of :func:`prepare`, without the list of changes."""
    return prepare(text, alphabet, unknown, replacement).text


def encode(text: str, alphabet: str) -> np.ndarray:
    """Characters → int64 indices (alphabet position + 2) followed by the END terminator."""
    lookup = {ch: i + 2 for i, ch in enumerate(alphabet)}
    return np.array([lookup[ch] for ch in text] + [END], dtype=np.int64)


def encode_batch(texts: Sequence[str], alphabet: str) -> np.ndarray:
    """Encode and right-pad with PAD into a (B, U) array."""
    rows = [encode(t, alphabet) for t in texts]
    out = np.full((len(rows), max(len(r) for r in rows)), PAD, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out
