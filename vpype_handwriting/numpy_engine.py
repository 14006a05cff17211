"""The sampling engine on numpy: the CPU backend of the batched loop in
:mod:`vpype_handwriting.sampling` (no torch), one network step for every active line."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence

import numpy as np

from . import alphabet as alpha
from .lines import Prime
from .numpy_net import NetState, NumpyNet, Text

#: Share of the attention window that may fall on a row's own text while the style sample
#: is still run as one row for the whole batch (its effect on the state is that small).
PRIME_SHARED = 1e-4
#: What stands for the rows' text while the style sample is run as one row: spaces. The
#: state it reaches is then the same for every request, and is kept (:func:`_shared`).
AHEAD = " " * 8
_SHARED: dict[tuple[int, int], tuple[NumpyNet, Prime, NetState, np.ndarray, int]] = {}
_LOCK = threading.Lock()


def _shared(net: NumpyNet, prime: Prime) -> tuple[NetState, np.ndarray, int]:
    """The state once ``prime`` is read as far as every row reads it alike, the next input,
    and how many of its points that took; kept for the process (batch letters prime each
    letter with the same style)."""
    key = (id(net), id(prime))
    with _LOCK:  # the runs of a batch begin side by side
        kept = _SHARED.get(key)
    if kept is not None and kept[0] is net and kept[1] is prime:
        return kept[2:]
    lo = len(prime.text) + 1  # the style text and its space come first
    ahead = alpha.encode_batch([prime.text + " " + AHEAD], net.config.alphabet)
    one = Text.encode(ahead, net.config.vocab)
    state, x = net.initial_state(1), np.zeros((1, 3), dtype=np.float32)
    offsets = np.asarray(prime.offsets, dtype=np.float32)
    k = 0
    while k < len(offsets):
        after, phi = net.advance(x, one, state)
        if phi[0, lo:].sum() > PRIME_SHARED * phi[0].sum():
            break  # the rows' own text comes into view: go on row by row
        state, x, k = after, offsets[k][None], k + 1
    with _LOCK:  # both runs may have computed it: the same state, bit for bit
        if len(_SHARED) >= 8:
            _SHARED.pop(next(iter(_SHARED)))
        _SHARED[key] = (net, prime, state, x, k)
    return state, x, k


class NumpyEngine:
    """The :class:`~vpype_handwriting.sampling.Engine` on a :class:`NumpyNet`."""

    xp = np

    def __init__(self, net: NumpyNet, seed: int | None) -> None:
        self.net = net
        self.rng = np.random.default_rng(seed)
        # each text's state after the style sample and its next input, for later attempts
        self.primed: dict[bytes, tuple[NetState, np.ndarray]] = {}

    def threads(self) -> contextlib.AbstractContextManager:
        """One BLAS thread, always: OpenBLAS sums in another order with more threads, so the
        strokes would depend on the thread count and the machine's load; the steps' small
        products gain little from a second thread."""
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1, user_api="blas")

    def begin(self, indices: np.ndarray, prime: Prime | None) -> None:
        net, batch = self.net, len(indices)
        self.text = Text.encode(indices, net.config.vocab)
        self.state = net.initial_state(batch)
        self.x = np.zeros((batch, 3), dtype=np.float32)
        if prime is not None:  # run the style sample through the net, then continue
            self.state, self.x = self._prime(prime, indices)

    def _prime(self, prime: Prime, indices: np.ndarray) -> tuple[NetState, np.ndarray]:
        """Every row reads the same style sample; only the window's view of the text after
        it differs. Run one row while that text gets under ``PRIME_SHARED`` of the window's
        weight (:func:`_shared`), then each text not met before from that state: a text
        written by several rows, or again, is run once."""
        keys = [row.tobytes() for row in indices]
        new = list(dict.fromkeys(k for k in keys if k not in self.primed))
        if new:
            rows = np.array([keys.index(k) for k in new])
            state, x, k = _shared(self.net, prime)
            state = state.select(np.zeros(len(rows), dtype=np.int64))
            x, text = np.repeat(x, len(rows), axis=0), self.text.select(rows)
            for point in np.asarray(prime.offsets, dtype=np.float32)[k:]:
                state, _ = self.net.advance(x, text, state)
                x = np.repeat(point[None], len(rows), axis=0)
            for j, key in enumerate(new):
                self.primed[key] = (state.select(np.array([j])), x[j : j + 1])
        got = [self.primed[k] for k in keys]
        return NetState.concat([s for s, _ in got]), np.concatenate([x for _, x in got])

    def step(self, bias: float, floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.state, phi = self.net.advance(self.x, self.text, self.state)
        self.x = self.net.sample(self.net.head(self.state), bias, self.rng, floor)
        return self.x, phi

    def keep(self, rows: np.ndarray) -> None:
        self.state, self.text, self.x = (
            self.state.select(rows),
            self.text.select(rows),
            self.x[rows],
        )

    def array(self, values: Sequence[int]) -> np.ndarray:
        return np.asarray(values, dtype=np.int64)

    def nonzero(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask)

    def numpy(self, a: np.ndarray) -> np.ndarray:
        return np.asarray(a)
