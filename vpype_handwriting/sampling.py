"""Batched sampling: every line of a request advances together, one pen point per step.

A line is finished when the attention window has passed its last character (the window
weight is largest on the END terminator) and the pen lifts. A hard step limit proportional
to the line length stops runaways. Finished lines are checked (:func:`check_line`) and
failures are resampled a few times before the best attempt is accepted. With a legibility
checker (``checker.py``), each line is written ``candidates`` times in the same batch and the
attempt it reads best is kept; with ``rewrite_sent_back`` (``--thorough``), lines it does not
read as their text are resampled too. On the CPU the batch is written as :data:`RUNS` runs of
lines side by side.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from . import alphabet as alpha
from . import defaults, limits
from .config import ModelConfig
from .judging import judge, rank
from .lines import (
    DELAYED,
    Prime,
    SampledLine,
    check_line,
    trim_after_end,
    trim_after_final_stop,
    trim_prime_leftover,
)
from .numpy_engine import NumpyEngine
from .numpy_net import NumpyNet, Text
from .seeds import derived_seed

__all__ = ["Prime", "SampledLine", "SampleOptions", "replay", "sample_lines"]

if TYPE_CHECKING:
    from .checker import Checker
    from .model import HandwritingModel

logger = logging.getLogger(__name__)

#: A text ending in a letter of :data:`lines.DELAYED` may end on this many pen lifts with
#: the window on END (the letter, then its bar or dot, which writers add after it) ...
DELAYED_LIFTS = 3
#: ... or on the first lift after this many characters' worth of steps on END.
DELAYED_GRACE = 1.5
#: On the CPU a batch is written as this many runs of lines side by side, one thread and one
#: engine each (numpy lets go of the GIL in its products): a page's 27 lines are written
#: about 1.5 times as fast on two cores. Fixed, not the core count: which rows share a
#: product changes its last bits, and each run draws its own random numbers, so a seed's
#: strokes do not depend on the machine.
RUNS = 2
#: Batches of fewer lines are one run: a second thread gains nothing on a few rows.
SPLIT_FROM = 16


@dataclass
class SampleOptions:
    bias: float = defaults.BIAS
    seed: int | None = None
    retries: int = 3
    # with a checker: write each line this often at once, keep the one it reads best
    candidates: int = defaults.CANDIDATES
    # with a checker: write again (up to ``retries`` times) the lines it sends back, not only
    # those failing the sampler's own checks (``--thorough``)
    rewrite_sent_back: bool = False
    max_steps_per_char: float = 2.0  # × kappa_scale (≈ points per character)
    prime: Prime | None = None
    progress: bool | None = None  # a bar of finished lines; None: when stderr is a terminal
    checker: Checker | None = None  # resample lines it cannot read as their text
    lift_floor: float = defaults.LIFT_FLOOR  # no improbable pen lifts inside the text


#: ``--thorough``: one attempt at a time; every line the checker sends back is written again.
THOROUGH: dict[str, Any] = {"candidates": 1, "rewrite_sent_back": True}


class Engine(Protocol):
    """One backend running the network for a batch: numpy on the CPU, torch elsewhere.

    Arrays stay in the backend (``xp`` is numpy or torch); the loop in :func:`sample_batch`
    uses only what both share."""

    @property
    def xp(self) -> Any: ...

    def begin(self, indices: np.ndarray, prime: Prime | None) -> None: ...
    # sampled x (B, 3), phi (B, U); no pen lift less likely than the row's floor (B,)
    def step(self, bias: float, floor: Any) -> tuple[Any, Any]: ...
    def keep(self, rows: Any) -> None: ...
    def array(self, values: Sequence[int]) -> Any: ...
    def nonzero(self, mask: Any) -> Any: ...
    def numpy(self, a: Any) -> np.ndarray: ...
    def threads(self) -> contextlib.AbstractContextManager: ...


def make_engines(net: Any, seed: int | None) -> list[Engine]:
    """The engines for a loaded net: :data:`RUNS` on a :class:`NumpyNet` (each with its own
    random numbers), one on a torch ``HandwritingModel``."""
    if isinstance(net, NumpyNet):
        seeds = [seed] + [
            None if seed is None else derived_seed(seed, k) for k in range(1, RUNS)
        ]
        return [NumpyEngine(net, s) for s in seeds]
    from .torch_engine import TorchEngine

    return [TorchEngine(net, seed)]


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=RUNS - 1, thread_name_prefix="handwriting")


if hasattr(os, "register_at_fork"):  # a forked child (letters --jobs) has no pool threads
    os.register_at_fork(after_in_child=_pool.cache_clear)


def split_points(lengths: Sequence[int], parts: int) -> list[int]:
    """Where to cut rows of ``lengths`` characters into up to ``parts`` runs of consecutive
    rows with about as many characters each: the first row of each run after the first."""
    total = np.concatenate([[0], np.cumsum(lengths)])  # characters before each row
    cuts = set()
    for k in range(1, parts):
        target = total[-1] * k / parts
        i = int(np.searchsorted(total, target))  # total[i - 1] < target <= total[i]
        cuts.add(i if i < len(total) and total[i] - target <= target - total[i - 1] else i - 1)
    return sorted(c for c in cuts if 0 < c < len(lengths))


def sample_runs(
    engines: Sequence[Engine],
    config: ModelConfig,
    texts: Sequence[str],
    opts: SampleOptions,
    x_height: float,
) -> list[SampledLine]:
    """:func:`sample_batch` on runs of consecutive ``texts``, one per engine, side by side
    (one run below :data:`SPLIT_FROM` lines), with a bar of finished lines; each run's
    lines are checked (:func:`check_line`) and judged by ``opts.checker`` in its thread."""
    from tqdm import tqdm

    cuts = [] if len(texts) < SPLIT_FROM else split_points(list(map(len, texts)), len(engines))
    bounds = list(zip([0, *cuts], [*cuts, len(texts)]))
    bar = tqdm(
        total=len(texts),
        desc="writing",
        unit="line",
        leave=False,
        disable=None if opts.progress is None else not opts.progress,
    )
    lock = threading.Lock()

    def done(n: int) -> None:
        with lock:
            bar.update(n)

    def run(k: int) -> list[SampledLine]:
        a, b = bounds[k]
        sampled = sample_batch(engines[k], config, texts[a:b], opts, x_height, done)
        for line, hit_limit in sampled:
            line.failure = check_line(line, config, hit_limit)
        lines = [line for line, _ in sampled]
        judge(lines, opts.checker)
        return lines

    others = [_pool().submit(run, k) for k in range(1, len(bounds))]
    out = run(0)
    for future in others:
        out += future.result()
    bar.close()
    return out


class _Active:
    """The rows still writing, in the engine's arrays, and what finished rows leave behind."""

    def __init__(
        self, engine: Engine, ends: list[int], limit: int, lifts: list[int], grace: int
    ) -> None:
        self.engine, batch = engine, len(ends)
        self.rows = engine.array(range(batch))  # original index of each active row
        self.end = engine.array(ends)  # index of each row's END
        self.need = engine.array(lifts)  # pen lifts on END that end the row
        self.lifts = engine.array([0] * batch)  # pen lifts so far with the window on END
        self.on_end = engine.array([0] * batch)  # steps so far with the window on END
        self.grace = grace  # ... after which the first pen lift ends the row anyway
        self.lengths = engine.array([limit] * batch)
        self.done = self.lengths < 0
        self.final_length = np.full(batch, limit, dtype=np.int64)
        self.ran_away = np.ones(batch, dtype=bool)
        self.segments: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.steps: list[Any] = []
        self.phis: list[Any] = []

    def record(self, t: int, x: Any, phi: Any) -> None:
        """Keep step ``t``; Graves' stop rule: the window weighs END above every character
        and the pen lifts (for a text ending in a letter with a delayed stroke, the third
        such lift, or the first after ``grace`` steps on END: :func:`lines.trim_after_end`
        keeps the bar or dot and drops what follows)."""
        self.steps.append(x)
        self.phis.append(phi)
        xp = self.engine.xp
        at_end, lift = phi.argmax(1) >= self.end, x[:, 2] > 0.5
        self.on_end = xp.where(at_end, self.on_end + 1, self.on_end)
        self.lifts = xp.where(at_end & lift, self.lifts + 1, self.lifts)
        enough = (self.lifts >= self.need) | (self.on_end > self.grace)
        finished = at_end & lift & enough & ~self.done
        self.lengths = self.engine.xp.where(finished, t + 1, self.lengths)
        self.done = self.done | finished

    def floor(self, lift_floor: float) -> Any:
        """Each row's least pen-lift probability for the next step: ``lift_floor`` while
        the window is on the text, none once it reached END (where the line ends on a
        lift, which must not be held back)."""
        return (self.on_end == 0) * lift_floor

    def flush(self) -> bool:
        """Move the recorded steps to the host, let finished rows leave the batch; True
        when no row is left."""
        engine, xp = self.engine, self.engine.xp
        rows, done = engine.numpy(self.rows), engine.numpy(self.done)
        self.segments.append(
            (rows, engine.numpy(xp.stack(self.steps, 1)), engine.numpy(xp.stack(self.phis, 1)))
        )
        self.steps, self.phis = [], []
        self.final_length[rows[done]] = engine.numpy(self.lengths)[done]
        self.ran_away[rows[done]] = False
        if done.all():
            return True
        keep = engine.nonzero(~self.done)
        engine.keep(keep)
        self.rows, self.end = self.rows[keep], self.end[keep]
        self.need, self.lifts = self.need[keep], self.lifts[keep]
        self.on_end = self.on_end[keep]
        self.lengths, self.done = self.lengths[keep], self.done[keep]
        return False


def sample_batch(
    engine: Engine,
    config: ModelConfig,
    texts: Sequence[str],
    opts: SampleOptions,
    x_height: float,
    done: Callable[[int], None] = lambda n: None,
) -> list[tuple[SampledLine, bool]]:
    """Sample every text at once; returns each line with whether it hit the step limit.
    ``x_height`` is the ink's (model units), for the trims at a line's end; ``done`` is
    told how many lines finished, as they finish."""
    prefix = opts.prime.text + " " if opts.prime is not None else ""
    engine.begin(alpha.encode_batch([prefix + t for t in texts], config.alphabet), opts.prime)
    limit = int(config.kappa_scale * opts.max_steps_per_char * (max(map(len, texts)) + 1))
    lifts = [DELAYED_LIFTS if t[-1:] in DELAYED else 1 for t in texts]
    grace = int(DELAYED_GRACE * config.kappa_scale)
    active = _Active(engine, [len(prefix) + len(t) for t in texts], limit, lifts, grace)
    for t in range(limit):
        active.record(t, *engine.step(opts.bias, active.floor(opts.lift_floor)))
        if (t + 1) % 16 and t + 1 < limit:
            continue
        n_done = int(active.done.sum())  # one host sync every 16 steps
        if n_done == 0 and t + 1 < limit:
            continue
        finished = active.flush()
        done(n_done)
        if finished:
            break
    return _assemble(
        texts, active.segments, active.final_length, active.ran_away, len(prefix), x_height
    )


def _assemble(
    texts: Sequence[str],
    segments: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    lengths: np.ndarray,
    ran_away: np.ndarray,
    lo: int,
    x_height: float,
) -> list[tuple[SampledLine, bool]]:
    """Stitch each line's points back together from the segments it was active in."""
    points: list[list[np.ndarray]] = [[] for _ in texts]
    phis: list[list[np.ndarray]] = [[] for _ in texts]
    for rows, seg_points, seg_phis in segments:
        for k, b in enumerate(rows):
            points[b].append(seg_points[k])
            phis[b].append(seg_phis[k])
    out = []
    for b, line_text in enumerate(texts):
        n = int(lengths[b])
        offsets = np.concatenate(points[b])[:n].copy()
        offsets[-1, 2] = 1.0  # the pen always lifts at the end of a line
        phi = np.concatenate(phis[b])[:n]
        if lo:  # primed: strokes still finishing the style sample's text are not ours
            offsets, phi = trim_prime_leftover(offsets, phi, lo)
        phi = phi[:, lo : lo + len(line_text) + 1]
        line = trim_after_end(SampledLine(line_text, offsets, phi), x_height)
        if x_height > 0:
            line = trim_after_final_stop(line, x_height)
        out.append((line, bool(ran_away[b])))
    return out


def sample_lines(
    net: NumpyNet | HandwritingModel, texts: Sequence[str], opts: SampleOptions | None = None
) -> list[SampledLine]:
    """Sample all ``texts`` as one batch, resampling lines that fail :func:`check_line` or
    that ``opts.checker`` cannot read as their text; each line keeps its best attempt.

    ``net`` is a :class:`NumpyNet` (CPU, no torch) or a torch ``HandwritingModel`` on any
    device; with the same seed each gives the same strokes every time (the two backends
    draw different random numbers, so not the same strokes as each other)."""
    opts = opts or SampleOptions()
    limits.sampling(opts.bias, opts.seed, 2**64 - 1)  # letters derive 64-bit seeds
    engines = make_engines(net, None if opts.seed is None else int(opts.seed))
    result: list[SampledLine | None] = [None] * len(texts)
    illegible, broken = [0] * len(texts), [0] * len(texts)
    pending = list(range(len(texts)))
    copies = max(1, opts.candidates) if opts.checker is not None else 1
    x_height = net.config.x_height  # of the ink, for the trims; a style writes at its own
    if opts.prime is not None:
        x_height = opts.prime.calibration(net.config).x_height
    for attempt in range(1, opts.retries + 2):
        rows = [i for i in pending for _ in range(copies)]
        asked = [texts[i] for i in rows]
        with engines[
            0
        ].threads():  # one BLAS thread, for the checker too: same seed, same bytes
            sampled = sample_runs(engines, net.config, asked, opts, x_height)
        judged: dict[int, list[SampledLine]] = {i: [] for i in pending}
        for i, line in zip(rows, sampled):
            judged[i].append(line)
        still = []
        for i in pending:
            earlier = result[i]
            tries = judged[i] if earlier is None else [earlier, *judged[i]]
            best = min(tries, key=rank)  # on a tie the earlier attempt
            result[i] = best
            retry = best.failure is not None or (best.sent_back and opts.rewrite_sent_back)
            broken[i] += any(line.failure is not None for line in judged[i])
            illegible[i] += retry and any(line.sent_back for line in judged[i])
            best.attempts, best.illegible, best.broken = attempt, illegible[i], broken[i]
            if retry:
                still.append(i)
        if not still:
            break
        logger.debug("attempt %d: %d of %d lines resampled", attempt, len(still), len(texts))
        pending = still
    lines = [line for line in result if line is not None]
    for line in lines:
        if line.failure is not None:
            logger.warning(
                "line %r still failed after %d attempts: %s",
                line.text,
                line.attempts,
                line.failure,
            )
    return lines


def replay(
    net: NumpyNet, line: SampledLine, prime: Prime | None = None
) -> dict[str, np.ndarray]:
    """Run the written offsets back through the net: the mixture it predicted at each step."""
    prefix = prime.text + " " if prime is not None else ""
    written = alpha.base_text(line.text, net.config.alphabet)  # accents: their base letters
    text = Text.encode(
        alpha.encode_batch([prefix + written], net.config.alphabet), net.config.vocab
    )
    start = prime.inputs() if prime is not None else np.zeros((1, 3), dtype=np.float32)
    inputs = np.concatenate([start, line.offsets[:-1].astype(np.float32)])
    state, heads = net.initial_state(1), []
    for k, point in enumerate(inputs):
        state, _ = net.advance(point[None], text, state)
        if k >= len(start) - 1:
            heads.append(net.head(state)[0])
    mix = net.mixture(np.stack(heads), 0.0)
    return {"pi": np.exp(mix["log_pi"]), "mu": mix["mu"], "sigma": np.exp(mix["log_sigma"])}
