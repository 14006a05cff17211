"""Graves' handwriting-synthesis network (arXiv 1308.0850, section 5), in one file.

Three stacked LSTMs. The first runs step by step because it feeds a soft Gaussian window over
the characters (eqs. 46-51) back into itself; the later layers take the window as input and run
fused (``nn.LSTM``) over the whole sequence. Skip connections bring the pen offsets and the
window to every layer and every layer to the output, a mixture of bivariate Gaussians over the
next pen offset plus an end-of-stroke Bernoulli (eqs. 17-26), computed in log space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .config import END, PAD, ModelConfig

__all__ = ["END", "PAD", "HandwritingModel", "Mixture", "ModelConfig", "State"]


@dataclass
class Mixture:
    """Output distribution parameters for each step (eqs. 18-22), logits kept for eos."""

    eos_logit: Tensor  # (..., 1)
    log_pi: Tensor  # (..., M)
    mu: Tensor  # (..., M, 2)
    log_sigma: Tensor  # (..., M, 2)
    rho: Tensor  # (..., M)


@dataclass
class State:
    """Recurrent state carried between sampling steps."""

    h1: Tensor
    c1: Tensor
    kappa: Tensor
    w: Tensor
    lstm2: tuple[Tensor, Tensor] | None = None
    lstm3: tuple[Tensor, Tensor] | None = None

    def select(self, rows: Tensor) -> State:
        """The state of the batch rows ``rows`` only (finished lines leave the batch)."""

        def pair(hc: tuple[Tensor, Tensor] | None) -> tuple[Tensor, Tensor] | None:
            return None if hc is None else (hc[0][:, rows], hc[1][:, rows])

        return State(
            self.h1[rows],
            self.c1[rows],
            self.kappa[rows],
            self.w[rows],
            pair(self.lstm2),
            pair(self.lstm3),
        )


class Window(nn.Module):
    """Soft attention window over the one-hot characters (eqs. 46-51)."""

    def __init__(self, hidden: int, k: int, kappa_scale: float) -> None:
        super().__init__()
        self.proj = nn.Linear(hidden, 3 * k)
        self.kappa_scale = kappa_scale
        nn.init.normal_(self.proj.weight, std=0.01)
        nn.init.zeros_(self.proj.bias)

    def forward(
        self, h1: Tensor, kappa: Tensor, chars: Tensor, char_mask: Tensor, u: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Return (w_t, kappa_t, phi_t) for one step; chars is (B, U, V), u is (U,)."""
        return window_step(
            h1, kappa, self.proj.weight, self.proj.bias, chars, char_mask, u, self.kappa_scale
        )


def window_step(
    h1: Tensor,
    kappa: Tensor,
    weight: Tensor,
    bias: Tensor,
    chars: Tensor,
    char_mask: Tensor,
    u: Tensor,
    kappa_scale: float,
) -> tuple[Tensor, Tensor, Tensor]:
    """The window of eqs. 46-51 for one step: (w_t, kappa_t, phi_t)."""
    a_hat, b_hat, k_hat = F.linear(h1, weight, bias).clamp(-10.0, 10.0).chunk(3, dim=-1)
    alpha, beta = a_hat.exp(), b_hat.exp()  # eqs. 48, 49
    kappa = kappa + k_hat.exp() / kappa_scale  # eq. 50, scaled increments
    # eq. 46: phi(t, u) = sum_k alpha_k exp(-beta_k (kappa_k - u)^2)
    phi = alpha[:, :, None] * torch.exp(-beta[:, :, None] * (kappa[:, :, None] - u) ** 2)
    phi = phi.sum(dim=1) * char_mask
    w = torch.bmm(phi.unsqueeze(1), chars).squeeze(1)  # eq. 47
    return w, kappa, phi


def first_layer_step(
    x_t: Tensor,
    w: Tensor,
    h1: Tensor,
    c1: Tensor,
    kappa: Tensor,
    w_rec: Tensor,
    proj_weight: Tensor,
    proj_bias: Tensor,
    chars: Tensor,
    char_mask: Tensor,
    u: Tensor,
    kappa_scale: float,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """LSTM 1 and the window for one training step: one function, so that
    ``torch.compile`` can fuse its small operations. ``x_t`` is the step's projected pen
    input, ``w_rec`` the weights of [w, h1] side by side (one matrix product, not two)."""
    gates = x_t + F.linear(torch.cat([w, h1], -1), w_rec)
    i, f, g, o = gates.chunk(4, dim=-1)
    c1 = torch.sigmoid(f) * c1 + torch.sigmoid(i) * torch.tanh(g)
    h1 = torch.sigmoid(o) * torch.tanh(c1)
    w, kappa, phi = window_step(
        h1, kappa, proj_weight, proj_bias, chars, char_mask, u, kappa_scale
    )
    return h1, c1, kappa, w, phi


class HandwritingModel(nn.Module):
    """The synthesis network: ``forward`` scores whole sequences, ``step`` one point."""

    offset_std: Tensor  # a buffer: the input normalization, saved with the weights

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        h, v, m = config.hidden, config.vocab, config.mixtures
        self.cell1 = nn.LSTMCell(3 + v, h)
        self.window = Window(h, config.window_k, config.kappa_scale)
        self.lstm2 = nn.LSTM(3 + h + v, h, batch_first=True)
        self.lstm3 = nn.LSTM(3 + h + v, h, batch_first=True)
        self.head = nn.Linear(3 * h, 1 + 6 * m)  # eq. 17 over all layers (skip connections)
        self.register_buffer(
            "offset_std", torch.tensor(config.offset_std, dtype=torch.float32)
        )
        self._first_step = first_layer_step

    def compile_first_layer(self) -> None:
        """Run layer 1 + window steps through ``torch.compile`` (training: ~20 s to compile,
        then the ~30 small operations of a step run as a few fused kernels)."""
        self._first_step = torch.compile(first_layer_step)

    def encode_chars(self, text: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(B, U) indices → one-hot (B, U, V), mask (B, U) and positions u = 0..U-1."""
        chars = F.one_hot(text, self.config.vocab).float()
        mask = (text != PAD).float()
        u = torch.arange(text.shape[1], device=text.device, dtype=torch.float32)
        return chars, mask, u

    def initial_state(self, batch: int, device: torch.device) -> State:
        h = self.config.hidden
        z = torch.zeros(batch, h, device=device)
        kappa = torch.zeros(batch, self.config.window_k, device=device)
        return State(z, z.clone(), kappa, torch.zeros(batch, self.config.vocab, device=device))

    def _scale(self, x: Tensor) -> Tensor:
        return torch.cat([x[..., :2] / self.offset_std, x[..., 2:]], dim=-1)

    def _first_layer(
        self, x: Tensor, encoded: tuple[Tensor, Tensor, Tensor], state: State
    ) -> tuple[Tensor, Tensor, Tensor, State]:
        """Run LSTM 1 and the window step by step over x (B, T, 3)."""
        chars, mask, u = encoded
        w_ih = self.cell1.weight_ih
        x_part = F.linear(
            x, w_ih[:, :3], self.cell1.bias_ih + self.cell1.bias_hh
        )  # (B, T, 4H)
        w_rec = torch.cat([w_ih[:, 3:], self.cell1.weight_hh], 1)
        h1, c1, kappa, w = state.h1, state.c1, state.kappa, state.w
        proj, step = self.window.proj, self._first_step
        hs, ws, phis = [], [], []
        for x_t in x_part.unbind(1):  # unbind, not x_part[:, t]: O(T) backward, not O(T^2)
            h1, c1, kappa, w, phi = step(
                x_t, w, h1, c1, kappa, w_rec, proj.weight, proj.bias, chars, mask, u,
                self.config.kappa_scale,
            )  # fmt: skip
            hs.append(h1)
            ws.append(w)
            phis.append(phi)
        new = State(h1, c1, kappa, w, state.lstm2, state.lstm3)
        return torch.stack(hs, 1), torch.stack(ws, 1), torch.stack(phis, 1), new

    def forward(
        self,
        x: Tensor,
        text: Tensor,
        state: State | None = None,
        encoded: tuple[Tensor, Tensor, Tensor] | None = None,
        bias: float | Tensor = 0.0,
    ) -> tuple[Mixture, State, Tensor]:
        """Score inputs x (B, T, 3) (raw offsets) conditioned on text (B, U).

        Returns the mixture for the next point at every step, the final state and the
        window weights phi (B, T, U). ``encoded`` is ``encode_chars(text)`` when the caller
        keeps it between calls (sampling one step at a time); ``bias`` is the sampling bias.
        """
        if state is None:
            state = self.initial_state(x.shape[0], x.device)
        if encoded is None:
            encoded = self.encode_chars(text)
        x = self._scale(x)
        h1, w, phi, state = self._first_layer(x, encoded, state)
        h1 = self._drop(h1)  # dropout between layers only, never inside a recurrence
        h2, s2 = self.lstm2(torch.cat([x, h1, w], -1), state.lstm2)
        h2 = self._drop(h2)
        h3, s3 = self.lstm3(torch.cat([x, h2, w], -1), state.lstm3)
        state.lstm2, state.lstm3 = s2, s3
        return self.mixture(torch.cat([h1, h2, self._drop(h3)], -1), bias), state, phi

    def _drop(self, h: Tensor) -> Tensor:
        """Dropout of whole units for a whole sequence (one mask per line for all its steps,
        "variational" dropout, Gal and Ghahramani 2016): (B, T, H) → same shape."""
        p = self.config.dropout
        if not p or not self.training:
            return h
        keep = torch.empty(h.shape[0], 1, h.shape[2], device=h.device).bernoulli_(1 - p)
        return h * (keep / (1 - p)).to(h.dtype)

    def step(
        self,
        x: Tensor,
        encoded: tuple[Tensor, Tensor, Tensor],
        state: State,
        bias: float | Tensor = 0.0,
    ) -> tuple[Mixture, State, Tensor]:
        """One sampling step for x (B, 3): the same network as ``forward`` with T = 1, but
        every layer as a fused ``lstm_cell`` (``nn.LSTM`` costs ~1 ms a call at T = 1)."""
        chars, mask, u = encoded
        x = self._scale(x)
        c = self.cell1
        h1, c1 = torch.lstm_cell(
            torch.cat([x, state.w], -1),
            (state.h1, state.c1),
            c.weight_ih,
            c.weight_hh,
            c.bias_ih,
            c.bias_hh,
        )
        w, kappa, phi = self.window(h1, state.kappa, chars, mask, u)
        hidden = [h1]
        below, carried = h1, []
        for lstm, prev in ((self.lstm2, state.lstm2), (self.lstm3, state.lstm3)):
            if prev is None:
                zero = torch.zeros_like(h1)
                hc = (zero, zero)
            else:
                hc = (prev[0][0], prev[1][0])
            w_ih, w_hh, b_ih, b_hh = lstm.all_weights[0]  # its one layer
            h, cell = torch.lstm_cell(torch.cat([x, below, w], -1), hc, w_ih, w_hh, b_ih, b_hh)
            carried.append((h[None], cell[None]))
            hidden.append(h)
            below = h
        new = State(h1, c1, kappa, w, carried[0], carried[1])
        return self.mixture(torch.cat(hidden, -1), bias), new, phi

    def mixture(self, hidden: Tensor, bias: float | Tensor = 0.0) -> Mixture:
        """Head output → mixture parameters (eqs. 18-22); ``bias`` as in eqs. 61-62."""
        m = self.config.mixtures
        with torch.autocast(hidden.device.type, enabled=False):  # the density in fp32
            y = self.head(hidden.float())
        eos, pi, mu, sigma, rho = y.split([1, m, 2 * m, 2 * m, m], dim=-1)
        if isinstance(bias, Tensor):
            bias = bias.view(-1, *([1] * (pi.dim() - 1)))
        log_pi = torch.log_softmax(pi * (1 + bias), dim=-1)
        log_sigma = (sigma.unflatten(-1, (m, 2)) - bias).clamp(min=-7.0)  # floor sigma
        scale = self.offset_std  # back to raw offset units
        mu = mu.unflatten(-1, (m, 2)) * scale
        log_sigma = log_sigma + scale.log()
        rho = torch.tanh(rho).clamp(-0.999, 0.999)
        return Mixture(eos, log_pi, mu, log_sigma, rho)


def log_likelihood(mix: Mixture, target: Tensor) -> Tensor:
    """log Pr(x_{t+1} | y_t) per step (eqs. 23-26), shape (B, T)."""
    d = (target[..., None, :2] - mix.mu) / mix.log_sigma.exp()  # (B, T, M, 2)
    z = d[..., 0] ** 2 + d[..., 1] ** 2 - 2 * mix.rho * d[..., 0] * d[..., 1]  # eq. 25
    one_minus = 1 - mix.rho**2
    log_n = (
        -math.log(2 * math.pi)
        - mix.log_sigma.sum(-1)
        - 0.5 * torch.log(one_minus)
        - z / (2 * one_minus)
    )  # eq. 24, in log space
    log_points = torch.logsumexp(mix.log_pi + log_n, dim=-1)
    eos = target[..., 2]
    log_eos = -F.binary_cross_entropy_with_logits(mix.eos_logit[..., 0], eos, reduction="none")
    return log_points + log_eos


def teacher_inputs(offsets: Tensor) -> Tensor:
    """The network's inputs for teacher forcing on ``offsets`` (B, T, 3): the same offsets
    shifted right by one step behind a zero start point."""
    return torch.cat([torch.zeros_like(offsets[:, :1]), offsets[:, :-1]], dim=1)


def point_nll(model: HandwritingModel, offsets: Tensor, text: Tensor) -> tuple[Tensor, Tensor]:
    """Negative log likelihood of each point (B, T) of a padded batch, and the window
    weights phi (B, T, U) that wrote it.

    ``offsets`` (B, T, 3) are the targets; the inputs are the same offsets shifted right
    by one step behind a zero start point.
    """
    mix, _, phi = model(teacher_inputs(offsets), text)
    return -log_likelihood(mix, offsets), phi


def sequence_loss(
    model: HandwritingModel, offsets: Tensor, mask: Tensor, text: Tensor
) -> Tensor:
    """Summed negative log likelihood over the valid points (``mask``) of a padded batch."""
    return (point_nll(model, offsets, text)[0] * mask).sum()


def focus_weight(phi: Tensor, text: Tensor, char_weight: Tensor) -> Tensor:
    """The weight (B, T) of the character the window weighs most at each step, from
    ``char_weight`` (V,) by character index (no gradient flows through the choice)."""
    return char_weight[torch.gather(text, 1, phi.detach().argmax(-1))]
