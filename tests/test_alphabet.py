from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpype_handwriting import alphabet as alpha
from vpype_handwriting.model import END, PAD

from .conftest import ALPHABET


def test_typographic_characters_become_plain_ones() -> None:
    text = "\u201cCaf\u00e9 na\u00efve\u201d \u2014 it\u2019s\u00a0fine\u2026"
    assert alpha.check(text, ALPHABET) == '"Cafe naive" - it\'s fine...'


def test_unknown_characters_are_listed_with_their_positions() -> None:
    with pytest.raises(alpha.UnknownCharacterError) as err:
        alpha.check("hi \u263a and \u4e2d", ALPHABET)
    message = str(err.value)
    assert "'\u263a' at 4" in message and "'\u4e2d' at 10" in message
    assert "--unknown" in message


def test_unknown_skip_and_replace() -> None:
    assert alpha.check("a\u263ab", ALPHABET, "skip") == "ab"
    assert alpha.check("a\u263ab", ALPHABET, "replace") == "a b"


def test_empty_text_is_an_error() -> None:
    for text in ["", "   ", "\n\n", "\u263a"]:
        with pytest.raises((alpha.EmptyTextError, alpha.UnknownCharacterError)):
            alpha.check(text, ALPHABET)
    with pytest.raises(alpha.EmptyTextError):
        alpha.check("\u263a", ALPHABET, "skip")


def test_encoding_adds_terminator_and_pads() -> None:
    batch = alpha.encode_batch(["ab", "a"], ALPHABET)
    assert batch.shape == (2, 3)
    assert batch[0, 2] == END and batch[1, 1] == END and batch[1, 2] == PAD
    assert batch[0, 0] == ALPHABET.index("a") + 2


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_check_either_fails_cleanly_or_returns_writable_text(text: str) -> None:
    try:
        out = alpha.check(text, ALPHABET, "replace")
    except alpha.EmptyTextError:
        return
    assert out.strip()
    assert all(c in ALPHABET or c == "\n" for c in out)
