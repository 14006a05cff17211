"""The sampling engine on numpy: the CPU backend of the batched loop in
:mod:`vpype_handwriting.sampling` (no torch), one network step for every active line."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np

from .lines import Prime
from .numpy_net import NumpyNet, Text

#: Share of the attention window that may fall on a row's own text while the style sample
#: is still run as one row for the whole batch (its effect on the state is that small).
PRIME_SHARED = 1e-4


class NumpyEngine:
    """The :class:`~vpype_handwriting.sampling.Engine` on a :class:`NumpyNet`."""

    xp = np

    def __init__(self, net: NumpyNet, seed: int | None) -> None:
        self.net = net
        self.rng = np.random.default_rng(seed)

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
            self._prime(prime, indices)

    def _prime(self, prime: Prime, indices: np.ndarray) -> None:
        """Every row reads the same style sample; only the window's view of the text after
        it differs. Run one row while that text gets under ``PRIME_SHARED`` of the window's
        weight, then all rows from that state: the priming costs a batch of one."""
        net, batch = self.net, len(indices)
        lo = len(prime.text) + 1  # the style text and its space come first in every row
        one = self.text.select(np.array([0]))
        state, x = net.initial_state(1), self.x[:1]
        offsets = np.asarray(prime.offsets, dtype=np.float32)
        k = 0
        while k < len(offsets):
            after, phi = net.advance(x, one, state)
            if phi[0, lo:].sum() > PRIME_SHARED * phi[0].sum():
                break  # the rows' own text comes into view: go on row by row
            state, x, k = after, offsets[k][None], k + 1
        self.state = state.select(np.zeros(batch, dtype=np.int64))
        self.x = np.broadcast_to(x, (batch, 3))
        for point in offsets[k:]:
            self.state, _ = net.advance(self.x, self.text, self.state)
            self.x = np.broadcast_to(point, (batch, 3))

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
