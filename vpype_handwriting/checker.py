"""The legibility checker: a small online-handwriting recognizer that tells whether a
sampled line says what it was asked to.

The synthesis net sometimes writes a wrong letter (an ``h`` for an ``n``, a ``t`` without
its bar) while its attention window moves along the text as it should, so the window
cannot tell such a line from a good one, and neither can the net's own likelihood of what
it wrote. A recognizer can: a bidirectional LSTM over the pen points with a CTC output
(Graves et al. 2006/2009, the recognizers IAM-OnDB was built for), trained on the same
lines as the synthesis net (``checker_train.py``). Given the text a line was meant to say,
its CTC loss per character (:func:`ctc_nll`) is low when the ink reads as that text and
high when a letter is missing, doubled or scribbled. A line is sent back when it scores
worse than a threshold calibrated on the real validation lines (a quantile of human
writing), or when the checker's own best reading of it differs from the text in more than
``max_misread`` characters (spaces aside; none by default): on the benchmark sentences the
second catches lines the first lets through, e.g. a scribbled ``w`` in a line that
otherwise reads well. A third catches a letter the checker reads right but only just: each
letter or digit is found in the ink by the best CTC path (:func:`align`), and a line is
sent back when on none of its frames the letter beats every other character (its own
other case and :data:`SAME_SHAPE` aside) by ``min_margin`` nats (:func:`letter_margins`):
an ``x`` that reads ``t`` about as well (``nett``), an ``E`` that could be an ``I``.

Inference is numpy only (like ``numpy_net.py``): ``handwrite`` does not import torch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .config import JsonConfig

F32 = np.float32
CHECKER_WEIGHTS = "checker.safetensors"
CHECKER_CONFIG = "checker.json"
FEATURES = 8  # two pen points stacked: (dx, dy, pen, height) each


@dataclass
class CheckerConfig(JsonConfig):
    """Everything needed to rebuild the checker; saved as JSON beside its weights."""

    alphabet: str  # CTC label k + 1 is alphabet[k]; label 0 is the blank
    hidden: int = 128
    layers: int = 2
    scale: float = 3.0  # ink units per x-height: features are in x-heights
    threshold: float = 0.0  # CTC nats per character above which a line is flagged (0: never)
    max_misread: int = 0  # characters the greedy reading may differ by (spaces aside)
    min_margin: float = 0.0  # nats each letter must beat every other by (0: not checked)

    @property
    def labels(self) -> int:
        return len(self.alphabet) + 1


def features(offsets: np.ndarray, scale: float) -> np.ndarray:
    """(T, 3) pen offsets → (ceil(T / 2), 8): each pair of points' offsets and pen bits
    and their height above the line's median pen-down height, in x-heights (clipped)."""
    offsets = np.asarray(offsets, dtype=F32)
    y = np.cumsum(offsets[:, 1])
    down = offsets[:, 2] < 0.5
    base = float(np.median(y[down])) if down.any() else 0.0
    # y grows downward: height is how far above the median a point lies
    per_point = np.stack(
        [offsets[:, 0] / scale, offsets[:, 1] / scale, offsets[:, 2], (base - y) / scale], 1
    )
    per_point = np.clip(per_point, -8.0, 8.0)
    if len(per_point) % 2:
        per_point = np.concatenate([per_point, np.zeros((1, 4), F32)])
    return per_point.reshape(-1, FEATURES).astype(F32)


def encode(text: str, alphabet: str) -> np.ndarray:
    """CTC labels of ``text``; characters outside the alphabet are dropped."""
    index = {c: k + 1 for k, c in enumerate(alphabet)}
    return np.array([index[c] for c in text if c in index], dtype=np.int64)


def _fold(w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, ...]:
    """torch's LSTM weights with the i, f and o gates scaled by ½, so that one ``tanh`` over
    all four gates gives the sigmoids as ``0.5 + 0.5 tanh(x / 2)`` (as ``numpy_net.py``)."""
    hidden = w_hh.shape[1]
    scale = np.full(4 * hidden, 0.5, F32)
    scale[2 * hidden : 3 * hidden] = 1.0
    return w_ih.T * scale, np.ascontiguousarray(w_hh.T * scale), bias * scale


def _directions(gates_in: np.ndarray, w_hh: np.ndarray) -> np.ndarray:
    """LSTM directions over (D, T, B, 4H) input gate terms, each left to right with its
    (D, H, 4H) recurrent weights, all in one loop → (D, T, B, H)."""
    steps, hidden = gates_in.shape[1], w_hh.shape[1]
    h = np.zeros((gates_in.shape[0], gates_in.shape[2], hidden), F32)
    c = np.zeros_like(h)
    out = np.empty((*gates_in.shape[:3], hidden), F32)
    for t in range(steps):
        g = np.tanh(gates_in[:, t] + h @ w_hh)
        sig = 0.5 + 0.5 * g
        c = (
            sig[..., hidden : 2 * hidden] * c
            + sig[..., :hidden] * g[..., 2 * hidden : 3 * hidden]
        )
        h = out[:, t] = sig[..., 3 * hidden :] * np.tanh(c)
    return out


def _bilstm(
    x: np.ndarray, flip: np.ndarray, layer: list[tuple[np.ndarray, ...]]
) -> np.ndarray:
    """One bidirectional layer over a padded batch (B, T, In) → (B, T, 2H); the backward
    direction reads each line reversed within its own length (``flip``), so padding never
    reaches a line's steps."""
    (wi_f, wh_f, b_f), (wi_b, wh_b, b_b) = layer
    rows = np.arange(len(x))[:, None]
    gates = np.stack([x @ wi_f + b_f, x[rows, flip] @ wi_b + b_b]).transpose(0, 2, 1, 3)
    ahead, back = _directions(np.ascontiguousarray(gates), np.stack([wh_f, wh_b]))
    return np.concatenate([ahead.transpose(1, 0, 2), back.transpose(1, 0, 2)[rows, flip]], 2)


def _logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):  # log(0) = -inf: no path, as meant
        return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def _lattice(
    log_probs: list[np.ndarray], labels: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The CTC lattices of a batch of lines, padded: each state's log-probability on each
    frame (B, T, S), whether a state may skip the blank before it (B, S), each line's frames
    and states. The states of a line are its labels with blanks between and around."""
    frames = np.array([len(lp) for lp in log_probs])
    states = np.array([2 * len(lab) + 1 for lab in labels])
    ext = np.zeros((len(labels), int(states.max())), dtype=np.int64)
    for b, lab in enumerate(labels):
        ext[b, 1 : states[b] : 2] = lab
    padded = np.zeros((len(log_probs), int(frames.max()), log_probs[0].shape[1]), F32)
    for b, lp in enumerate(log_probs):
        padded[b, : len(lp)] = lp
    emit = np.take_along_axis(padded, ext[:, None, :], axis=2)
    # a label may skip the blank before it unless it repeats the label two back
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != 0) & (ext[:, 2:] != ext[:, :-2])
    return emit, skip, frames, states


def ctc_nll_batch(log_probs: list[np.ndarray], labels: list[np.ndarray]) -> np.ndarray:
    """−log p(labels | frames) under CTC (blank 0) for each line's (T, C) log-probabilities:
    the forward algorithm over the labels with blanks between (Graves et al. 2006, eq. 5-8),
    all lines at once."""
    emit, skip, frames, states = _lattice(log_probs, labels)
    alpha = np.full(skip.shape, -np.inf)
    alpha[:, :2] = emit[:, 0, :2]  # a line without labels never reads its state 1
    prev1, prev2 = np.full(skip.shape, -np.inf), np.full(skip.shape, -np.inf)
    for t in range(1, emit.shape[1]):
        prev1[:, 1:] = alpha[:, :-1]
        prev2[:, 2:] = np.where(skip[:, 2:], alpha[:, :-2], -np.inf)
        with np.errstate(invalid="ignore"):  # -inf - -inf inside logaddexp: no path
            step = np.logaddexp(np.logaddexp(alpha, prev1), prev2) + emit[:, t]
        alpha = np.where((t < frames)[:, None], step, alpha)
    rows = np.arange(len(states))
    last = alpha[rows, states - 1]
    ends = np.stack(
        [last, np.where(states > 1, alpha[rows, np.maximum(states - 2, 0)], -np.inf)]
    )
    return -_logsumexp(ends, axis=0)


def ctc_nll(log_probs: np.ndarray, labels: np.ndarray) -> float:
    """:func:`ctc_nll_batch` of one line."""
    return float(ctc_nll_batch([log_probs], [labels])[0])


def align_batch(log_probs: list[np.ndarray], labels: list[np.ndarray]) -> list[np.ndarray]:
    """The best CTC path (Viterbi) through each line's (T, C) log-probabilities for its
    ``labels`` (blank 0): for each frame the index into the labels it emits, or -1 for a
    blank; all lines at once."""
    emit, skip, frames, states = _lattice(log_probs, labels)
    batch, steps, width = emit.shape
    score = np.full((batch, width), -np.inf)
    score[:, :2] = emit[:, 0, :2]
    back = np.zeros((batch, steps, width), dtype=np.int8)  # states moved back over
    ways = np.full((3, batch, width), -np.inf)
    for t in range(1, steps):
        ways[0] = score
        ways[1, :, 1:] = score[:, :-1]
        ways[2, :, 2:] = np.where(skip[:, 2:], score[:, :-2], -np.inf)
        live = (t < frames)[:, None]
        back[:, t] = np.where(live, ways.argmax(0), 0)
        score = np.where(live, ways.max(0) + emit[:, t], score)
    out = []
    for b in range(batch):
        n, state = states[b], states[b] - 1
        if n > 1 and score[b, n - 2] > score[b, n - 1]:
            state = n - 2
        path = np.empty(frames[b], dtype=np.int64)
        for t in range(frames[b] - 1, -1, -1):
            path[t] = state
            state -= back[b, t, state]
        out.append(np.where(path % 2 == 1, path // 2, -1))
    return out


def align(log_probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """:func:`align_batch` of one line."""
    return align_batch([log_probs], [labels])[0]


def letter_margins(
    log_probs: np.ndarray, text: str, alphabet: str, path: np.ndarray | None = None
) -> np.ndarray:
    """For each character of ``text``, how surely the checker reads it where the best CTC
    path puts it: over the frames it emits, the most its log-probability beats every other
    character but its own other case and :data:`SAME_SHAPE` group (nats; negative when
    another reads better on all of them). ``inf`` for spaces, punctuation and characters
    outside the alphabet: a comma that could be a full stop is not a misspelled word.
    ``path``: the best path, if :func:`align_batch` found it already."""
    text = fold(text, alphabet)
    index = {c: k + 1 for k, c in enumerate(alphabet)}
    at = [i for i, c in enumerate(text) if c in index]
    labels = np.array([index[text[i]] for i in at], dtype=np.int64)
    log_probs = fold_log_probs(log_probs, alphabet)
    path = align(log_probs, labels) if path is None else path
    out = np.full(len(text), np.inf)
    for k, i in enumerate(at):
        char = text[i]
        if not char.isalnum():
            continue
        frames = np.flatnonzero(path == k)
        if len(frames) == 0:  # no CTC path at all: too few frames for the text
            out[i] = -np.inf
            continue
        rivals = log_probs[frames].copy()
        rivals[:, [0, labels[k]]] = -np.inf
        twin = char.swapcase()
        if twin != char and twin in index:
            rivals[:, index[twin]] = -np.inf
        out[i] = float(np.max(log_probs[frames, labels[k]] - rivals.max(1)))
    return out


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the insertions, deletions and substitutions from a to b."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        diag, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            diag, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diag + (ca != cb))
    return row[-1]


#: Characters no reader tells apart by shape alone (a round zero is an o): the checker counts
#: each group as one character, so a phone number is not written again for a zero it reads
#: as a letter. The first of a group stands for it.
SAME_SHAPE = ("0oO",)
_FOLD = str.maketrans({c: group[0] for group in SAME_SHAPE for c in group[1:]})


def same_shape_labels(alphabet: str) -> list[list[int]]:
    """The CTC labels of each :data:`SAME_SHAPE` group that ``alphabet`` has two or more of;
    the first stands for the group."""
    groups = [[alphabet.index(c) + 1 for c in group if c in alphabet] for group in SAME_SHAPE]
    return [labels for labels in groups if len(labels) > 1]


def fold(text: str, alphabet: str | None = None) -> str:
    """``text`` with each :data:`SAME_SHAPE` group written as one character: its first, or
    with ``alphabet`` its first in the alphabet (as :func:`fold_log_probs` keeps it)."""
    if alphabet is None:
        return text.translate(_FOLD)
    table: dict[str, str | int | None] = {}
    for labels in same_shape_labels(alphabet):
        table.update({alphabet[k - 1]: alphabet[labels[0] - 1] for k in labels[1:]})
    return text.translate(str.maketrans(table))


def fold_log_probs(log_probs: np.ndarray, alphabet: str) -> np.ndarray:
    """(frames, labels) log-probabilities with each :data:`SAME_SHAPE` group's mass on its
    first character (the others impossible), to score a :func:`fold`-ed text."""
    out = log_probs.copy()
    for labels in same_shape_labels(alphabet):
        out[:, labels[0]] = _logsumexp(log_probs[:, labels])
        out[:, labels[1:]] = -1e9
    return out


def misread(reading: str, text: str) -> int:
    """The characters a reading gets wrong (edit distance, spaces aside; a zero read as an o
    is not wrong, :data:`SAME_SHAPE`)."""
    return edit_distance(fold("".join(reading.split())), fold("".join(text.split())))


def greedy(log_probs: np.ndarray, alphabet: str) -> str:
    """Best path decoding: the most likely label per frame, repeats merged, blanks gone."""
    best = log_probs.argmax(1)
    keep = (best != 0) & np.concatenate([[True], best[1:] != best[:-1]])
    return "".join(alphabet[k - 1] for k in best[keep])


class Assessment(NamedTuple):
    """What the checker makes of one line written for a text."""

    score: float  # CTC nats per character of the text (lower: reads more clearly as it)
    reading: str  # its own best reading (greedy)
    margin: float  # the weakest letter's :func:`letter_margins` (inf: the text has none)
    weakest: int  # that letter's index in the text (-1: none)


class Checker:
    """The checker's weights in numpy; :meth:`assess_batch` judges written lines."""

    def __init__(self, config: CheckerConfig, tensors: dict[str, np.ndarray]) -> None:
        self.config = config
        t = {k: np.asarray(v, dtype=F32) for k, v in tensors.items()}
        self.w_in, self.b_in = t["inp.weight"], t["inp.bias"]
        self.w_out, self.b_out = t["out.weight"], t["out.bias"]
        self.layers = []
        for k in range(config.layers):
            dirs = []
            for side in ("fwd", "bwd"):
                dirs.append(_fold(
                    t[f"{side}.{k}.weight_ih_l0"],
                    t[f"{side}.{k}.weight_hh_l0"],
                    t[f"{side}.{k}.bias_ih_l0"] + t[f"{side}.{k}.bias_hh_l0"],
                ))  # fmt: skip
            self.layers.append(dirs)

    @classmethod
    def load(cls, folder: Path) -> Checker:
        """Read ``checker.safetensors`` + ``checker.json`` from ``folder`` (no pickle)."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        from .weights import WeightsError

        folder = Path(folder)
        try:
            config = CheckerConfig.from_dict(
                json.loads((folder / CHECKER_CONFIG).read_text())["config"]
            )
            return cls(config, load_file(str(folder / CHECKER_WEIGHTS)))
        except (SafetensorError, OSError, ValueError, KeyError, TypeError) as exc:
            raise WeightsError(
                f"the legibility checker in {folder} is damaged or incomplete ({exc})"
            ) from None

    @staticmethod
    def available(folder: Path) -> bool:
        folder = Path(folder)
        return (folder / CHECKER_WEIGHTS).is_file() and (folder / CHECKER_CONFIG).is_file()

    def log_probs(self, offsets: np.ndarray) -> np.ndarray:
        """(frames, labels) log-probabilities of one line's pen offsets."""
        return self.log_probs_batch([offsets])[0]

    def log_probs_batch(self, lines: list[np.ndarray]) -> list[np.ndarray]:
        """Each line's (frames, labels) log-probabilities, all lines run as one batch: the
        backward direction reads each line reversed within its own length."""
        feats = [features(x, self.config.scale) for x in lines]
        lengths = np.array([len(f) for f in feats])
        steps = int(lengths.max())
        batch = np.zeros((len(feats), steps, FEATURES), F32)
        for k, f in enumerate(feats):
            batch[k, : len(f)] = f
        t = np.arange(steps)
        flip = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # an involution
        x = np.tanh(batch @ self.w_in.T + self.b_in)
        for layer in self.layers:
            x = _bilstm(x, flip, layer)
        logits = x @ self.w_out.T + self.b_out
        log_probs = logits - _logsumexp(logits)[..., None]
        return [log_probs[k, :n] for k, n in enumerate(lengths)]

    def assess(self, offsets: np.ndarray, text: str) -> Assessment:
        """The checker's :class:`Assessment` of one line written for ``text``."""
        return self.assess_batch([offsets], [text])[0]

    def assess_batch(self, lines: list[np.ndarray], texts: list[str]) -> list[Assessment]:
        """:meth:`assess` for many lines at once (one batched pass through the LSTMs)."""
        out = []
        alphabet = self.config.alphabet
        found = self.log_probs_batch(lines)
        folded = [fold_log_probs(log_probs, alphabet) for log_probs in found]
        labels = [encode(fold(text, alphabet), alphabet) for text in texts]
        nll, paths = ctc_nll_batch(folded, labels), align_batch(folded, labels)
        for k, (log_probs, text) in enumerate(zip(found, texts)):
            score = float(nll[k]) / max(1, len(labels[k]))
            margins = letter_margins(log_probs, text, alphabet, paths[k])
            judged = margins < math.inf  # letters and digits
            weakest = int(np.argmin(margins)) if judged.any() else -1
            margin = float(margins[weakest]) if weakest >= 0 else math.inf
            out.append(Assessment(score, greedy(log_probs, alphabet), margin, weakest))
        return out

    def weak(self, judged: Assessment) -> bool:
        """Whether a line's weakest letter reads too unsurely (``min_margin``; 0: never)."""
        return self.config.min_margin > 0 and judged.margin < self.config.min_margin

    def sends_back(self, judged: Assessment, text: str) -> bool:
        """Whether a line the checker judged so should be written again."""
        if self.config.threshold <= 0:
            return False
        wrong = misread(judged.reading, text)
        return (
            judged.score > self.config.threshold
            or wrong > self.config.max_misread
            or self.weak(judged)
        )
