"""IAM On-Line Handwriting Database: parse, clean, preprocess, split and cache.

The raw layout is ``lineStrokes/<a01>/<a01-000>/<a01-000u-01>.xml`` (pen points, y downward)
plus ``ascii/<a01>/<a01-000>/<a01-000u>.txt`` (transcriptions after ``CSR:``; text line k
belongs to ``<form>-0k.xml``). :func:`load_raw` reads either the extracted folder or the
``.tar.xz`` archive, :func:`preprocess` turns one line into model offsets and :func:`prepare`
writes the whole set to one compressed ``.npz`` cache.
"""

from __future__ import annotations

import logging
import re
import tarfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

logger = logging.getLogger(__name__)

XML_NAME = re.compile(r"(?P<form>[a-z0-9]+-[a-z0-9]+)-(?P<line>\d+)\.xml$")
ASCII_NAME = re.compile(r"(?P<form>[a-z0-9]+-[a-z0-9]+)\.txt$")

#: Lines kept by :func:`preprocess` never hold more points than this (after downsampling).
MAX_POINTS = 1200
#: A pen-up jump longer than this many median steps is shortened to it (whiteboard glitches).
MAX_JUMP = 40.0
VALIDATION_PERCENT = 7


class DataError(ValueError):
    """The data set could not be read or holds nothing usable."""


@dataclass
class RawLine:
    """One handwritten text line: its transcription and its strokes (arrays of x, y)."""

    form: str
    index: int
    text: str
    strokes: list[np.ndarray]


@dataclass
class LoadReport:
    """What :func:`load_raw` kept and skipped, and why."""

    matched: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        return f"{self.matched} lines matched; skipped: {why or 'none'}"


def parse_strokes(xml: bytes | str) -> list[np.ndarray]:
    """Read the ``<Stroke><Point x y/>`` elements of one line file into float arrays."""
    root = ElementTree.fromstring(xml)
    strokes = []
    for stroke in root.iter("Stroke"):
        pts = [
            (float(p.get("x", "nan")), float(p.get("y", "nan"))) for p in stroke.iter("Point")
        ]
        if pts:
            strokes.append(np.asarray(pts, dtype=np.float64))
    return strokes


def parse_transcription(text: str) -> list[str]:
    """The text lines after ``CSR:`` in a form transcription, blank lines dropped."""
    _, sep, rest = text.partition("CSR:")
    if not sep:
        return []
    return [" ".join(line.split()) for line in rest.splitlines() if line.strip()]


def _iter_files(source: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (name, content) for the xml and txt files of a folder or a tar archive."""
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.suffix in (".xml", ".txt") and path.is_file():
                yield path.as_posix(), path.read_bytes()
        return
    if not source.is_file():
        raise DataError(
            f"no IAM-OnDB data at {source}: pass the extracted folder or the .tar.xz"
        )
    try:
        with tarfile.open(source, "r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.endswith((".xml", ".txt")):
                    handle = tar.extractfile(member)
                    if handle is not None:
                        yield member.name, handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"cannot read the archive {source}: {exc}") from exc


def load_raw(source: Path) -> tuple[list[RawLine], LoadReport]:
    """Read every line whose transcription matches an xml file.

    Text lines without an xml file, xml files without a text line and files that do not
    parse are skipped and counted in the report.
    """
    strokes: dict[tuple[str, int], list[np.ndarray]] = {}
    texts: dict[str, list[str]] = {}
    report = LoadReport()
    for name, content in _iter_files(Path(source)):
        if "lineStrokes" in name and (m := XML_NAME.search(name)):
            try:
                strokes[(m["form"], int(m["line"]))] = parse_strokes(content)
            except (ElementTree.ParseError, ValueError):
                report.skipped["xml files that do not parse"] += 1
        elif "ascii" in name and (m := ASCII_NAME.search(name)):
            texts[m["form"]] = parse_transcription(content.decode("latin-1"))
    if not strokes:
        raise DataError(f"no lineStrokes/*.xml files found in {source}")
    lines = []
    for (form, index), line_strokes in sorted(strokes.items()):
        form_text = texts.get(form)
        if form_text is None:
            report.skipped["xml files whose form has no transcription"] += 1
        elif index > len(form_text):
            report.skipped["xml files past the end of their transcription"] += 1
        else:
            lines.append(RawLine(form, index, form_text[index - 1], line_strokes))
    for form, form_text in texts.items():
        missing = sum(1 for k in range(1, len(form_text) + 1) if (form, k) not in strokes)
        if missing:
            report.skipped["text lines without an xml file"] += missing
    report.matched = len(lines)
    return lines, report


def strokes_to_points(strokes: list[np.ndarray], keep_every: int = 2) -> np.ndarray:
    """Concatenate strokes into (n, 3) rows of x, y, end-of-stroke.

    Consecutive duplicate points are dropped, then every ``keep_every``-th point is kept;
    the last point of each stroke always stays, so strokes keep their ends.
    """
    rows = []
    for stroke in strokes:
        stroke = stroke[np.all(np.isfinite(stroke), axis=1)]
        if len(stroke) == 0:
            continue
        moved = np.ones(len(stroke), dtype=bool)
        moved[1:] = np.any(np.diff(stroke, axis=0) != 0, axis=1)
        stroke = stroke[moved]
        keep = np.zeros(len(stroke), dtype=bool)
        keep[::keep_every] = True
        keep[-1] = True
        stroke = stroke[keep]
        eos = np.zeros((len(stroke), 1))
        eos[-1] = 1.0
        rows.append(np.hstack([stroke, eos]))
    return np.vstack(rows) if rows else np.zeros((0, 3))


def deskew(points: np.ndarray) -> np.ndarray:
    """Rotate the points so that the least-squares line through them is horizontal."""
    xy = points[:, :2] - points[:, :2].mean(axis=0)
    if len(xy) < 2 or np.ptp(xy[:, 0]) == 0:
        return points
    slope = np.polyfit(xy[:, 0], xy[:, 1], 1)[0]
    angle = -np.arctan(slope)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out = points.copy()
    out[:, :2] = xy @ rot.T
    return out


def points_to_offsets(points: np.ndarray) -> np.ndarray:
    """(x, y, eos) points → (dx, dy, eos) offsets; the first offset is from the origin."""
    offsets = points.copy()
    offsets[1:, :2] = np.diff(points[:, :2], axis=0)
    return offsets


def offsets_to_points(offsets: np.ndarray) -> np.ndarray:
    """Inverse of :func:`points_to_offsets`."""
    points = offsets.copy()
    points[:, :2] = np.cumsum(offsets[:, :2], axis=0)
    return points


def preprocess(strokes: list[np.ndarray], keep_every: int = 2) -> np.ndarray | None:
    """One raw line → float32 (n, 3) offsets scaled to a median pen-down step of 1.

    Returns None for a line too broken to learn from (no ink, or absurdly long).
    """
    points = strokes_to_points(strokes, keep_every)
    if len(points) < 10 or len(points) > MAX_POINTS:
        return None
    points = deskew(points)
    points[:, :2] -= points[0, :2]
    offsets = points_to_offsets(points)
    pen_down = np.ones(len(offsets), dtype=bool)
    pen_down[0] = False
    pen_down[1:] = points[:-1, 2] == 0
    steps = np.linalg.norm(offsets[pen_down, :2], axis=1)
    scale = float(np.median(steps)) if len(steps) else 0.0
    if scale <= 0:
        return None
    offsets[:, :2] /= scale
    return cap_jumps(offsets).astype(np.float32)


def cap_jumps(offsets: np.ndarray) -> np.ndarray:
    """Shorten every offset longer than :data:`MAX_JUMP` steps to that length, in place."""
    norms = np.linalg.norm(offsets[:, :2], axis=1, keepdims=True)
    offsets[:, :2] *= np.minimum(1.0, MAX_JUMP / np.maximum(norms, 1e-9))
    return offsets


def is_validation(form: str) -> bool:
    """Deterministic split by form: about 7% of forms are validation, whole forms only."""
    return zlib.crc32(form.encode()) % 100 < VALIDATION_PERCENT


@dataclass
class Dataset:
    """Preprocessed lines: offsets concatenated, with per-line bounds, texts and forms."""

    offsets: np.ndarray  # (total_points, 3) float32
    starts: np.ndarray  # (n_lines + 1,) int64 bounds into offsets
    texts: list[str]
    forms: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def line(self, i: int) -> np.ndarray:
        return self.offsets[self.starts[i] : self.starts[i + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    @classmethod
    def from_lines(
        cls, lines: list[np.ndarray], texts: list[str], forms: list[str]
    ) -> Dataset:
        """A dataset of the given (n, 3) offset lines, texts and form ids."""
        starts = np.concatenate([[0], np.cumsum([len(p) for p in lines])]).astype(np.int64)
        offsets = np.vstack(lines) if lines else np.zeros((0, 3), np.float32)
        return cls(offsets, starts, list(texts), list(forms))

    def subset(self, keep: np.ndarray) -> Dataset:
        idx = np.flatnonzero(keep)
        return Dataset.from_lines(
            [self.line(int(i)) for i in idx],
            [self.texts[i] for i in idx],
            [self.forms[i] for i in idx],
        )

    def concat(self, other: Dataset) -> Dataset:
        """The lines of ``self`` followed by those of ``other``."""
        starts = np.concatenate([self.starts, other.starts[1:] + self.starts[-1]])
        return Dataset(
            np.vstack([self.offsets, other.offsets]),
            starts.astype(np.int64),
            self.texts + other.texts,
            self.forms + other.forms,
        )

    def split(self) -> tuple[Dataset, Dataset]:
        """(train, validation), split by form with :func:`is_validation`."""
        val = np.array([is_validation(f) for f in self.forms], dtype=bool)
        return self.subset(~val), self.subset(val)

    def alphabet(self) -> str:
        return "".join(sorted(set("".join(self.texts))))

    def save(self, path: Path) -> None:
        """Write one compressed ``.npz`` atomically (write, then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                offsets=self.offsets,
                starts=self.starts,
                texts=np.array(self.texts, dtype=np.str_),
                forms=np.array(self.forms, dtype=np.str_),
            )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Dataset:
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                return cls(
                    data["offsets"].astype(np.float32),
                    data["starts"].astype(np.int64),
                    [str(t) for t in data["texts"]],
                    [str(f) for f in data["forms"]],
                )
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(
                f"cannot read the prepared data {path}: {exc}; run prepare"
            ) from exc


def build_dataset(
    lines: list[RawLine], keep_every: int = 2, report: LoadReport | None = None
) -> Dataset:
    """Preprocess raw lines, dropping (and counting) the ones too broken to learn from."""
    parts, texts, forms = [], [], []
    for line in lines:
        offsets = preprocess(line.strokes, keep_every)
        too_dense = offsets is not None and len(offsets) > 40 * max(len(line.text), 1)
        too_sparse = offsets is not None and len(offsets) < 2 * len(line.text)
        if offsets is None or not line.text or too_dense or too_sparse:
            if report is not None:
                report.skipped["broken lines (no ink, empty text or points/char absurd)"] += 1
            continue
        parts.append(offsets)
        texts.append(line.text)
        forms.append(line.form)
    if not parts:
        raise DataError("no usable lines in the data")
    return Dataset.from_lines(parts, texts, forms)


def default_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("vpype-handwriting")) / "iamondb-prepared.npz"


def prepare(source: Path, out: Path, keep_every: int = 2) -> tuple[Dataset, LoadReport]:
    """Read raw IAM-OnDB (folder or archive), preprocess it and cache it at ``out``."""
    lines, report = load_raw(Path(source))
    data = build_dataset(lines, keep_every, report)
    data.save(out)
    return data, report


def ink_calibration(data: Dataset, max_lines: int = 2000) -> tuple[float, float]:
    """(x-height, width per character) of the ink in model units, medians over lines.

    The sampler writes in these units; layout divides ``--size`` by the x-height.
    """
    from .. import strokes

    heights, widths = [], []
    step = max(1, len(data) // max_lines)
    for i in range(0, len(data), step):
        polylines = strokes.straighten(strokes.offsets_to_polylines(data.line(i)))
        h = strokes.x_height(polylines)
        x0, _, x1, _ = strokes.bounds(polylines)
        if h > 0:
            heights.append(h)
        widths.append((x1 - x0) / max(len(data.texts[i]), 1))
    if not heights:
        raise DataError("cannot measure the letter height of the ink in the data")
    return float(np.median(heights)), float(np.median(widths))
