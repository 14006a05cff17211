"""Text → model characters: typographic normalization, encoding and clear errors."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from .config import END, PAD

#: Typographic characters and their nearest plain equivalents.
REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ",
    "\u200a": " ", "\u2002": " ", "\u2003": " ", "\t": " ", "\u00d7": "x", "\u00b7": ".",
    "\u2022": "-", "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe",
    "\u0152": "OE", "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "@": "at",
    "\u20ac": "EUR", "$": "USD ", "\u00a3": "GBP ",
}  # fmt: skip

UNKNOWN_MODES = ("error", "skip", "replace")


class UnknownCharacterError(ValueError):
    """The text holds characters the model cannot write."""


class EmptyTextError(ValueError):
    """There is no text to write."""


def normalize(text: str, alphabet: str) -> str:
    """Map typographic characters and accents the model lacks to the nearest it has."""
    out = []
    for ch in text:
        if ch in alphabet:
            out.append(ch)
        elif ch in REPLACEMENTS:
            out.append(REPLACEMENTS[ch])
        else:
            base = unicodedata.normalize("NFKD", ch)
            stripped = "".join(c for c in base if not unicodedata.combining(c))
            out.append(stripped if stripped and all(c in alphabet for c in stripped) else ch)
    return "".join(out)


def check(text: str, alphabet: str, unknown: str = "error", replacement: str = " ") -> str:
    """Normalize ``text`` and handle characters still unknown (error, skip or replace)."""
    if unknown not in UNKNOWN_MODES:
        raise ValueError(f"unknown must be one of {', '.join(UNKNOWN_MODES)}, not {unknown!r}")
    text = normalize(text, alphabet)
    bad = [(i, ch) for i, ch in enumerate(text) if ch not in alphabet and ch != "\n"]
    if bad and unknown == "error":
        where = ", ".join(f"{ch!r} at {i + 1}" for i, ch in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise UnknownCharacterError(
            f"the model cannot write {where}{more} (use --unknown skip or replace)"
        )
    if bad:
        badset = {ch for _, ch in bad}
        sub = "" if unknown == "skip" else replacement
        text = "".join(sub if ch in badset else ch for ch in text)
    if not text.strip():
        raise EmptyTextError("there is no text to write")
    return text


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
