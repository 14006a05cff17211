from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpype_handwriting import alphabet as alpha
from vpype_handwriting import glyphs
from vpype_handwriting.config import END, PAD
from vpype_handwriting.glyph_shapes import SHAPES

from .conftest import ALPHABET


def test_typographic_characters_become_plain_ones() -> None:
    text = "\u201cCaf\u00e9 na\u00efve\u201d \u2014 it\u2019s\u00a0fine\u2026"
    assert alpha.check(text, ALPHABET) == '"Caf\u00e9 na\u00efve" - it\'s fine...'


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
    assert all(alpha.writable(c, ALPHABET) for c in out)
    network = alpha.base_text(glyphs.plan(out).network, ALPHABET)
    assert all(c in ALPHABET or c == "\n" for c in network)


def test_transliterations_are_listed_and_typography_is_not() -> None:
    text = "\u201cJos\u00e9\u201d eve@example.com Gro\u00df \u20ac5 \u0131"
    prepared = alpha.prepare(text, ALPHABET)
    # the accent, @, ß and € are drawn; the dotless i is written as an i
    assert prepared.text == '"Jos\u00e9" eve@example.com Gro\u00df \u20ac5 i'
    assert [str(c) for c in prepared.changes] == ['\u0131\u2192i in "\u0131"']


@pytest.mark.parametrize("char", sorted(alpha.DRAWN))
def test_every_drawn_sign_is_written_as_itself(char: str) -> None:
    assert alpha.prepare(f"a{char}b", ALPHABET).text == f"a{char}b"
    assert char in SHAPES


def test_accented_letters_are_written_as_their_base_and_marks() -> None:
    assert alpha.split_marks("\u00e9", ALPHABET) == ("e", ("acute",))
    assert alpha.split_marks("\u01da", ALPHABET) == ("u", ("diaeresis", "caron"))
    assert alpha.split_marks("\u0142", ALPHABET) == ("l", ("stroke",))
    assert alpha.split_marks("\u00df", ALPHABET) is None  # its own letter: not a mark
    assert alpha.base_text("Jos\u00e9 \u0141\u00f3d\u017a", ALPHABET) == "Jose Lodz"


def test_skipped_and_replaced_characters_are_listed_too() -> None:
    assert [str(c) for c in alpha.prepare("a\u263ab", ALPHABET, "skip").changes] == [
        '\u263a\u2192nothing in "a\u263ab"'
    ]
    assert [str(c) for c in alpha.prepare("a\u263ab", ALPHABET, "replace").changes] == [
        '\u263a\u2192a space in "a\u263ab"'
    ]


def test_decomposed_accents_and_windows_newlines_are_the_same_text() -> None:
    assert alpha.check("Jose\u0301\r\nok", ALPHABET) == "Jos\u00e9\nok"
    assert alpha.prepare("Jose\u0301", ALPHABET).changes == []
    assert alpha.prepare("s\u0323", ALPHABET).changes == [  # no dot below: transliterated
        alpha.Change("\u1e63", "s", "\u1e63")
    ]


def test_unknown_positions_are_those_of_the_text_as_given() -> None:
    with pytest.raises(alpha.UnknownCharacterError, match="'\u263a' at 5"):
        alpha.check("a\u2026b \u263a", ALPHABET)  # the ellipsis is written as three dots


def test_a_replacement_the_alphabet_lacks_is_not_used() -> None:
    with pytest.raises(alpha.UnknownCharacterError, match="'\u00e9' at 2"):
        alpha.check("a\u00e9b", "ab")  # é is an e and an accent: no e in this alphabet


def test_too_long_a_text_is_refused() -> None:
    from vpype_handwriting.limits import MAX_TEXT_CHARS

    with pytest.raises(alpha.TextTooLongError, match="split it"):
        alpha.check("a" * (MAX_TEXT_CHARS + 1), ALPHABET)


def test_the_changes_fit_on_one_line() -> None:
    changes = alpha.prepare(" ".join(f"x\u0131{i}" for i in range(30)), ALPHABET).changes
    line = alpha.describe(changes)
    assert "\n" not in line and line.endswith(f"and {30 - alpha.LISTED_CHANGES} more")
