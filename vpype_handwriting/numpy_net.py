"""The synthesis network's sampling step in numpy: CPU sampling without importing torch.

``import torch`` alone costs about a second on a small machine, more than writing a page
takes, so ``handwrite`` on the CPU runs this copy of :meth:`HandwritingModel.step
<vpype_handwriting.model.HandwritingModel.step>` instead. It reads the same safetensors
weights and computes the same function (``tests/test_numpy_net.py`` checks it against the
torch model step by step); training and diagnostics stay in torch.

Arranged for small batches of a few dozen lines: each LSTM layer is one matrix product of
its concatenated inputs (pen offsets, the layer below, the window, its own state) with the
stacked input and recurrent weights; the input normalization is folded into those weights,
and the i, f and o gates are pre-scaled by ½ so that one ``tanh`` over all four gates gives
the sigmoids as ``0.5 + 0.5 tanh``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import PAD, ModelConfig

F32 = np.float32


@dataclass
class NetState:
    """Recurrent state of a batch: per-layer (h, c), the window position kappa and w."""

    h: list[np.ndarray]
    c: list[np.ndarray]
    kappa: np.ndarray  # (B, K)
    w: np.ndarray  # (B, V)

    def select(self, rows: np.ndarray) -> NetState:
        return NetState(
            [h[rows] for h in self.h],
            [c[rows] for c in self.c],
            self.kappa[rows],
            self.w[rows],
        )

    @classmethod
    def concat(cls, states: Sequence[NetState]) -> NetState:
        """The states of several batches as one batch, rows in order."""
        return cls(
            [np.concatenate(h) for h in zip(*(s.h for s in states))],
            [np.concatenate(c) for c in zip(*(s.c for s in states))],
            np.concatenate([s.kappa for s in states]),
            np.concatenate([s.w for s in states]),
        )


@dataclass
class Text:
    """The characters of a batch: one-hot (B, U, V), mask (B, U), positions u (U,)."""

    chars: np.ndarray
    mask: np.ndarray
    u: np.ndarray

    @classmethod
    def encode(cls, indices: np.ndarray, vocab: int) -> Text:
        indices = np.asarray(indices)
        chars = np.zeros((*indices.shape, vocab), dtype=F32)
        np.put_along_axis(chars, indices[..., None], 1.0, axis=-1)
        mask = (indices != PAD).astype(F32)
        return cls(chars, mask, np.arange(indices.shape[1], dtype=F32))

    def select(self, rows: np.ndarray) -> Text:
        return Text(self.chars[rows], self.mask[rows], self.u)


def _fold_gates(weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale the i, f, o gate rows (torch order i, f, g, o) by ½: sigmoid = ½ + ½ tanh(x/2)."""
    h = weight.shape[0] // 4
    scale = np.full(4 * h, 0.5, dtype=F32)
    scale[2 * h : 3 * h] = 1.0
    return np.ascontiguousarray(weight * scale[:, None]), (bias * scale)[:, None]


class NumpyNet:
    """The sampling half of :class:`~vpype_handwriting.model.HandwritingModel` in numpy."""

    def __init__(self, config: ModelConfig, tensors: dict[str, np.ndarray]) -> None:
        self.config = config
        t = {k: np.asarray(v, dtype=F32) for k, v in tensors.items()}
        std = t["offset_std"]
        self.offset_std = std
        self.log_std = np.log(std)
        inv = np.array([1 / std[0], 1 / std[1], 1.0], dtype=F32)

        def layer(w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray):
            w_ih = w_ih.copy()
            w_ih[:, :3] *= inv  # the input normalization, folded in
            return _fold_gates(np.concatenate([w_ih, w_hh], axis=1), b_ih + b_hh)

        # layer 1 reads [x, w, h1]; layers 2 and 3 read [x, below, w, h]
        self.layers = [
            layer(
                t["cell1.weight_ih"],
                t["cell1.weight_hh"],
                t["cell1.bias_ih"],
                t["cell1.bias_hh"],
            )
        ]
        for name in ("lstm2", "lstm3"):
            self.layers.append(
                layer(
                    t[f"{name}.weight_ih_l0"],
                    t[f"{name}.weight_hh_l0"],
                    t[f"{name}.bias_ih_l0"],
                    t[f"{name}.bias_hh_l0"],
                )
            )
        self.window_w = np.ascontiguousarray(t["window.proj.weight"].T)
        self.window_b = t["window.proj.bias"]
        self.head_w = np.ascontiguousarray(t["head.weight"].T)
        self.head_b = t["head.bias"]

    @classmethod
    def load(cls, path: Path | None = None) -> NumpyNet:
        """The net from a weights folder or file (the shipped weights by default)."""
        from .weights import WeightsError, default_weights, read_tensors

        path = default_weights() if path is None else Path(path)
        config, tensors = read_tensors(path)  # checks every layer's shape against the config
        try:
            return cls(config, tensors)
        except (KeyError, ValueError, IndexError) as exc:
            raise WeightsError(
                f"weights in {path} do not match their config ({exc})"
            ) from None

    def initial_state(self, batch: int) -> NetState:
        cfg = self.config
        zero = [np.zeros((batch, cfg.hidden), dtype=F32) for _ in range(3)]
        return NetState(
            zero,
            [z.copy() for z in zero],
            np.zeros((batch, cfg.window_k), dtype=F32),
            np.zeros((batch, cfg.vocab), dtype=F32),
        )

    def _lstm(
        self, k: int, inputs: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        weight, bias = self.layers[k]
        # (4H, B): with the weights leading, OpenBLAS multiplies a few dozen rows about 1.5
        # times as fast as inputs @ weights.T
        gates = np.tanh(weight @ inputs.T + bias)
        n = c.shape[1]
        sig = gates * 0.5 + 0.5
        c = sig[n : 2 * n] * c.T + sig[:n] * gates[2 * n : 3 * n]
        return (sig[3 * n :] * np.tanh(c)).T, c.T

    def _window(
        self, h1: np.ndarray, kappa: np.ndarray, text: Text
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = self.config.window_k
        abk = np.exp(np.clip(h1 @ self.window_w + self.window_b, -10.0, 10.0))
        alpha, beta = abk[:, :k], abk[:, k : 2 * k]
        kappa = kappa + abk[:, 2 * k :] / F32(self.config.kappa_scale)
        phi = np.exp(-beta[:, :, None] * np.square(kappa[:, :, None] - text.u))
        phi = np.matmul(alpha[:, None, :], phi)[:, 0] * text.mask  # (B, U)
        w = np.matmul(phi[:, None, :], text.chars)[:, 0]
        return w, kappa, phi

    def advance(
        self, x: np.ndarray, text: Text, state: NetState
    ) -> tuple[NetState, np.ndarray]:
        """Feed raw offsets x (B, 3) through the three layers; the new state and phi (B, U)."""
        h, c = state.h, state.c
        h1, c1 = self._lstm(0, np.concatenate([x, state.w, h[0]], axis=1), c[0])
        w, kappa, phi = self._window(h1, state.kappa, text)
        h2, c2 = self._lstm(1, np.concatenate([x, h1, w, h[1]], axis=1), c[1])
        h3, c3 = self._lstm(2, np.concatenate([x, h2, w, h[2]], axis=1), c[2])
        return NetState([h1, h2, h3], [c1, c2, c3], kappa, w), phi

    def head(self, state: NetState) -> np.ndarray:
        """The raw head output (B, 1 + 6M) for the next point."""
        return np.concatenate(state.h, axis=1) @ self.head_w + self.head_b

    def mixture(self, y: np.ndarray, bias: float) -> dict[str, np.ndarray]:
        """Head output → the biased mixture, as :meth:`HandwritingModel.mixture` (tests)."""
        m = self.config.mixtures
        eos, pi, mu, sigma, rho = np.split(y, np.cumsum([1, m, 2 * m, 2 * m]), axis=-1)
        logits = pi * (1 + bias)
        logits = logits - logits.max(axis=-1, keepdims=True)
        log_pi = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        log_sigma = np.maximum(sigma.reshape(*sigma.shape[:-1], m, 2) - bias, -7.0)
        return {
            "eos_logit": eos,
            "log_pi": log_pi,
            "mu": mu.reshape(*mu.shape[:-1], m, 2) * self.offset_std,
            "log_sigma": log_sigma + self.log_std,
            "rho": np.clip(np.tanh(rho), -0.999, 0.999),
        }

    def sample(
        self,
        y: np.ndarray,
        bias: float,
        rng: np.random.Generator,
        floor: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """Draw (dx, dy, eos) for each row of head output y (eqs. 61-62); a pen lift less
        likely than the row's ``floor`` is not drawn."""
        m = self.config.mixtures
        rows = np.arange(len(y))
        logits = y[:, 1 : 1 + m] * F32(1 + bias)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = np.cumsum(probs, axis=1)
        draws = rng.random((len(y), 4), dtype=F32)
        comp = np.minimum((cdf < draws[:, :1] * cdf[:, -1:]).sum(axis=1), m - 1)
        base = 1 + m + 2 * comp
        mu = y[rows[:, None], base[:, None] + [0, 1]] * self.offset_std
        log_sigma = np.maximum(y[rows[:, None], base[:, None] + [2 * m, 2 * m + 1]] - bias, -7)
        sigma = np.exp(log_sigma) * self.offset_std
        rho = np.clip(np.tanh(y[rows, 1 + 5 * m + comp]), -0.999, 0.999)
        z = rng.standard_normal((len(y), 2), dtype=F32)
        out = np.empty((len(y), 3), dtype=F32)
        out[:, 0] = mu[:, 0] + sigma[:, 0] * z[:, 0]
        out[:, 1] = mu[:, 1] + sigma[:, 1] * (rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1])
        eos_p = 0.5 + 0.5 * np.tanh(0.5 * y[:, 0])
        out[:, 2] = (draws[:, 1] < eos_p) & (eos_p >= floor)
        return out
