"""Accented letters, ß æ œ and symbols as written: blind sheets of words, judged by eye.

``sheets`` writes every line of ``characters.txt`` (letter-like text: names, addresses,
emails, prices, dates, references) with ``handwrite``'s default settings for each seed, cuts
out each word holding a target character (anything but plain ASCII letters, digits and
``.,;:'"!?()-``) by the attention window, adds about 15% plain words as decoys, shuffles
them and draws them numbered on sheets (PNG), with ``KEY.json`` and ``transcribe.txt``
beside them. A line the writer refuses or changes (a symbol written as a word) is skipped.
Write into ``transcribe.txt`` what each crop reads as (blank: unreadable), then ``score``
counts how often each character was read as itself at its place, and the decoys' words.

    python benchmarks/characters.py sheets --seeds 1,2 --out DIR [--weights PATH]
        [--per-sheet 40] [--shuffle-seed 7]
    python benchmarks/characters.py score DIR [--json docs/results/characters.json]

The figures in docs/results.md come from the sheets of seeds 18 and 19 (``--shuffle-seed
61``), judged blind; the key and the judge's readings are kept in
``benchmarks/judged/characters-seeds-18-19`` so that ``score`` can be run on them again.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import string
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import report  # beside this script

HERE = Path(__file__).resolve().parent
PLAIN = frozenset(string.ascii_letters + string.digits + " .,;:'\"!?()-")
LIGATURES = frozenset("ßẞæœÆŒ")
GROUPS = ("accented letters", "ß æ œ", "symbols")
DECOYS = 0.15  # share of the crops that are plain words
COLUMNS, CELL, PX = 4, 12.0, 28  # columns; a column's width in x-heights; px an x-height


#: The share of its occurrences each character should be read right in.
BAR = 0.95


def group(ch: str) -> str:
    return GROUPS[1] if ch in LIGATURES else GROUPS[0] if ch.isalpha() else GROUPS[2]


def load_writer(weights: Path | None):
    """The writer as ``handwrite`` makes it: default bias, style and checker, on the CPU."""
    from vpype_handwriting import defaults
    from vpype_handwriting.writer import Handwriter

    return Handwriter.load(weights, device="cpu", style=defaults.STYLE)


def writable_lines(writer, lines: list[str]) -> list[tuple[int, str]]:
    """(line number, text) of the lines the writer writes as they are; the others said."""
    out = []
    for number, line in enumerate(lines, 1):
        text = unicodedata.normalize("NFC", line)
        try:
            prepared = writer.prepare_text(text)
        except ValueError as exc:  # UnknownCharacterError, EmptyTextError, TextTooLongError
            print(f"line {number}: skipped, {type(exc).__name__}: {exc}")
            continue
        if prepared != text:
            print(f"line {number}: skipped, written as {prepared!r}")
            continue
        out.append((number, text))
    return out


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each space-separated word of ``text``."""
    spans, start = [], 0
    for word in text.split(" "):
        if word:
            spans.append((start, start + len(word)))
        start += len(word) + 1
    return spans


def stroke_focus(line) -> tuple[list[np.ndarray], list[int]]:
    """The line's strokes and the character each was written for: the median of its
    points' window centres (-1: written while the window was on the style sample)."""
    from vpype_handwriting.strokes import offsets_to_polylines

    weight = line.phi.sum(axis=1)
    focus = np.floor((line.phi @ np.arange(line.phi.shape[1])) / np.maximum(weight, 1e-9))
    focus[weight < 0.5] = -1  # still on the style sample before the line
    polylines = offsets_to_polylines(line.offsets)
    cuts = np.cumsum([len(p) for p in polylines])[:-1]
    chars = [
        int(np.median(f[f >= 0])) if (f >= 0).any() else -1 for f in np.split(focus, cuts)
    ]
    return [p if len(p) > 1 else np.repeat(p, 2, axis=0) for p in polylines], chars


def word_ink(line, spans: list[tuple[int, int]]) -> list[list[np.ndarray]]:
    """Each word's strokes, in order: those written for its characters, and each written for
    a space (or END) goes to the word on that side it is nearer to, or over (the window lags
    the pen: a first letter's stem, a last letter's bar); one with no ink of its own takes
    the strokes beside the other."""
    polylines, chars = stroke_focus(line)
    owner, before, after = (np.full(line.phi.shape[1], -1) for _ in range(3))
    for k, (start, end) in enumerate(spans):
        owner[start:end], before[end:] = k, k
    for k, (start, _) in reversed(list(enumerate(spans))):
        after[:start] = k
    mine: list[list[int]] = [[] for _ in spans]
    pending = []
    for s, c in enumerate(chars):
        if c >= 0 and owner[c] >= 0:
            mine[owner[c]].append(s)
        elif c >= 0 and max(before[c], after[c]) >= 0:
            pending.append((s, [int(k) for k in (after[c], before[c]) if k >= 0]))
    xs = [np.vstack([polylines[s] for s in m])[:, 0] if m else None for m in mine]

    def gap(s: int, k: int) -> float:  # from the stroke's centre to word k's ink
        if xs[k] is None:
            return np.inf
        x = float(polylines[s][:, 0].mean())
        return max(float(xs[k].min()) - x, x - float(xs[k].max()), 0.0)

    for s, near in pending:
        inked = [k for k in near if xs[k] is not None]
        if len(inked) == 1 and len(near) == 2 and gap(s, inked[0]) > 0:
            mine[next(k for k in near if k != inked[0])].append(s)
        else:  # ties (no ink on either side): the next word's
            mine[min(near, key=lambda k: gap(s, k))].append(s)
    return [[polylines[s] for s in sorted(m)] for m in mine]


def x_heights(written: list, fallback: float) -> list[float]:
    """Each line's x-height, or the lines' median where its own is far from that (a line
    of capitals measures too tall)."""
    from vpype_handwriting.strokes import offsets_to_polylines, x_height

    own = np.array([x_height(offsets_to_polylines(ln.offsets)) for ln in written], float)
    own[~(own > 0)] = np.nan
    median = float(np.nanmedian(own)) if np.isfinite(own).any() else fallback
    return [h if 0.8 < h / median < 1.25 else median for h in own]


def line_crops(seed: int, number: int, line, height: float) -> tuple[list, list]:
    """(target crops, plain-word crops) of one written line: dicts of where, what, ink."""
    spans = word_spans(line.text)
    targets, plain = [], []
    for k, ((start, end), ink) in enumerate(zip(spans, word_ink(line, spans))):
        word = line.text[start:end]
        if not ink:
            print(f"seed {seed} line {number}: no ink for word {k} {word!r}; skipped")
            continue
        crop = {"seed": seed, "line": number, "word": k, "expected": word, "decoy": False}
        crop["ink"] = [p / height for p in ink]  # in x-heights
        if any(ch not in PLAIN for ch in word):
            targets.append(crop)
        elif sum(ch.isalpha() for ch in word) >= 2:
            plain.append(crop)
    return targets, plain


def draw_sheet(crops: list[dict], first: int, path: Path) -> None:
    """Crops numbered from ``first``, flowed left to right on a grid of :data:`COLUMNS`
    (a wide crop spans columns), each at one x-height, its number small above it."""
    from PIL import Image, ImageDraw, ImageFont

    ss = 2  # drawn at twice the size, then shrunk: smooth strokes
    unit, pad = PX * ss, 0.6
    font = ImageFont.load_default(size=12 * ss)
    placed, col, top, row_h = [], 0, pad, 0.0
    for n, crop in enumerate(crops, first):
        pts = np.vstack(crop["ink"])
        lo, size = pts.min(axis=0), np.ptp(pts, axis=0)
        scale = min(1.0, COLUMNS * CELL / max(size[0] + 1.0, 1e-9))
        span = min(COLUMNS, int(np.ceil((size[0] * scale + 1.0) / CELL)))
        if col + span > COLUMNS:
            col, top, row_h = 0, top + row_h + 0.4, 0.0
        origin = np.array([col * CELL + pad, top + 1.0])
        placed.append((n, origin, [(p - lo) * scale + origin for p in crop["ink"]]))
        col, row_h = col + span, max(row_h, size[1] * scale + 1.0)
    width, height = COLUMNS * CELL + 2 * pad, top + row_h + pad
    image = Image.new("L", (int(width * unit), int(height * unit)), 255)
    draw = ImageDraw.Draw(image)
    for n, origin, ink in placed:
        draw.text(tuple((origin - [0, 0.95]) * unit), str(n), fill=120, font=font)
        for p in ink:
            draw.line([tuple(q) for q in p * unit], fill=0, width=2 * ss, joint="curve")
    image.resize((image.width // ss, image.height // ss), Image.LANCZOS).save(path)


def seed_crops(writer, lines: list[str], seed: int, rng: random.Random) -> list[dict]:
    """The target words and decoys of every line written with ``seed``."""
    writer.sample.seed = seed
    kept = writable_lines(writer, lines)
    written = writer.sample_texts([text for _, text in kept]) if kept else []
    heights = x_heights(written, writer.calibration().x_height)
    targets, plain = [], []
    for (number, text), line, height in zip(kept, written, heights):
        if line.text != text:  # never cut words from a line written as other text
            print(f"seed {seed} line {number}: written as {line.text!r}; skipped")
            continue
        got = line_crops(seed, number, line, height)
        targets, plain = targets + got[0], plain + got[1]
    wanted = round(len(targets) * DECOYS / (1 - DECOYS))
    decoys = rng.sample(plain, min(len(plain), wanted))
    for crop in decoys:
        crop["decoy"] = True
    print(
        f"seed {seed}: {len(kept)} of {len(lines)} lines written "
        f"({len(lines) - len(kept)} skipped), {len(targets)} words, {len(decoys)} decoys"
    )
    return targets + decoys


def sheets(args: argparse.Namespace) -> None:
    lines = [s for s in args.text.read_text(encoding="utf-8").splitlines() if s.strip()]
    writer = load_writer(args.weights)
    rng = random.Random(args.shuffle_seed)
    crops = [crop for seed in args.seeds for crop in seed_crops(writer, lines, seed, rng)]
    rng.shuffle(crops)
    args.out.mkdir(parents=True, exist_ok=True)
    key = {str(n): {k: v for k, v in c.items() if k != "ink"} for n, c in enumerate(crops, 1)}
    (args.out / "KEY.json").write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n")
    template = "".join(f"{n}\t\n" for n in range(1, len(crops) + 1))
    note = "# crop number, a tab, the word as you read it (blank: unreadable)\n"
    (args.out / "transcribe.txt").write_text(note + template, encoding="utf-8")
    for start in range(0, len(crops), args.per_sheet):
        path = args.out / f"sheet-{start // args.per_sheet + 1:02d}.png"
        draw_sheet(crops[start : start + args.per_sheet], start + 1, path)
    print(f"{len(crops)} crops on {-(-len(crops) // args.per_sheet)} sheets in {args.out}")


def align(expected: str, read: str) -> list[str | None]:
    """The character of ``read`` aligned with each of ``expected`` (None: left out), by a
    least-edits (Levenshtein) alignment that prefers matches."""
    n, m = len(expected), len(read)
    d = np.zeros((n + 1, m + 1), dtype=int)
    d[:, 0], d[0, :] = range(n + 1), range(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = expected[i - 1] != read[j - 1]
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + cost)
    out: list[str | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        if d[i, j] == d[i - 1, j - 1] + (expected[i - 1] != read[j - 1]):
            out[i - 1], i, j = read[j - 1], i - 1, j - 1
        elif d[i, j] == d[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return out


def read_transcription(path: Path) -> dict[str, str]:
    """Crop number → what the judge read (NFC, outer spaces trimmed)."""
    out = {}
    for row in path.read_text(encoding="utf-8").splitlines():
        if row.strip() and not row.startswith("#"):
            number, _, text = row.partition("\t") if "\t" in row else row.partition(" ")
            out[number.strip()] = unicodedata.normalize("NFC", text.strip())
    return out


def tally(key: dict, readings: dict[str, str]) -> tuple[Counter, Counter, list[int]]:
    """(occurrences, readings) per target character, its readings ``(char, read as)`` (""
    where left out); [decoys read right, decoys]."""
    seen, read, decoys = Counter(), Counter(), [0, 0]
    for number, crop in key.items():
        if number not in readings:  # not judged yet (a judged blank row: unreadable)
            continue
        reading, expected = readings[number], crop["expected"]
        if crop["decoy"]:
            decoys[0] += reading == expected
            decoys[1] += 1
            continue
        for ch, got in zip(expected, align(expected, reading)):
            if ch not in PLAIN:
                seen[ch] += 1
                read[ch, got or ""] += 1
    return seen, read, decoys


def score(args: argparse.Namespace) -> None:
    key = json.loads((args.dir / "KEY.json").read_text(encoding="utf-8"))
    readings = read_transcription(args.dir / "transcribe.txt")
    blank = sum(1 for n in key if n in readings and not readings[n])
    judged = sum(1 for n in key if n in readings)
    seen, read, decoys = tally(key, readings)
    right = Counter({ch: read[ch, ch] for ch in seen})
    pct = lambda a, b: f"{100 * a / b:.0f}%" if b else "-"  # noqa: E731
    figures, rows = [], []
    for name in GROUPS:
        chars = sorted((ch for ch in seen if group(ch) == name), key=lambda c: -seen[c])
        print(f"\n{name}\n  char  seen  right      %  read as")
        for ch in chars:
            wrong = {g or "-": n for (c, g), n in read.most_common() if c == ch and g != ch}
            shown = " ".join(f"{g}:{n}" for g, n in list(wrong.items())[:4])
            share = pct(right[ch], seen[ch])
            print(f"  {ch:4s} {seen[ch]:5d} {right[ch]:6d} {share:>6s}  {shown}")
            row = {"char": ch, "group": name, "seen": seen[ch], "right": right[ch]}
            rows.append({**row, "read as": wrong})
        total, ok = sum(seen[c] for c in chars), sum(right[c] for c in chars)
        print(f"  all  {total:5d} {ok:6d} {pct(ok, total):>6s}")
        figures.append((f"{name} read right", f"{pct(ok, total)} ({ok} of {total})"))
        low = [f"{c} {right[c]}/{seen[c]}" for c in chars if right[c] < BAR * seen[c]]
        figures.append((f"{name} read right in under {BAR:.0%}", ", ".join(low) or "none"))
    decoy = f"{pct(*decoys)} ({decoys[0]} of {decoys[1]})"
    print(f"\ndecoy words read right {decoy}; {judged} of {len(key)} judged, {blank} blank")
    figures.append(("decoy words read right (the judge's check)", decoy))
    if args.json is not None:
        doc = {
            "benchmark": "characters",
            "command": report.command(),
            "date": datetime.date.today().isoformat(),
            "cpu": report.cpu_name(),
            "figures": [{"name": n, "value": v} for n, v in figures],
            "characters": rows,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        print(f"figures saved to {args.json}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("sheets", help="write the lines, draw the blind sheets")
    make.add_argument("--seeds", type=lambda v: [int(x) for x in v.split(",")], default=[1])
    make.add_argument("--out", type=Path, required=True)
    make.add_argument("--weights", type=Path, default=None, help="default: the shipped")
    make.add_argument("--per-sheet", type=int, default=40)
    make.add_argument("--shuffle-seed", type=int, default=7)
    make.add_argument("--text", type=Path, default=HERE / "characters.txt")
    judge = sub.add_parser("score", help="score the filled-in transcribe.txt")
    judge.add_argument("dir", type=Path)
    judge.add_argument("--json", type=Path, default=None, help="save the figures here")
    args = parser.parse_args()
    sheets(args) if args.command == "sheets" else score(args)


if __name__ == "__main__":
    main()
