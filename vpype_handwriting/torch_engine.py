"""The sampling engine on torch: for a GPU (``--device cuda``) and for the torch model itself.

:mod:`vpype_handwriting.sampling` runs the same loop on this engine or on the numpy one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
import torch

from .lines import Prime
from .model import HandwritingModel, Mixture


def sample_mixture(
    mix: Mixture, gen: torch.Generator, floor: torch.Tensor | float = 0.0
) -> torch.Tensor:
    """Draw (dx, dy, eos) for each row from the biased mixture of one step (eqs. 61-62); a
    pen lift less likely than the row's ``floor`` is not drawn."""
    probs = mix.log_pi.exp()
    comp = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
    rows = torch.arange(probs.shape[0], device=probs.device)
    mu, log_sigma, rho = mix.mu[rows, comp], mix.log_sigma[rows, comp], mix.rho[rows, comp]
    sigma = log_sigma.exp()
    z = torch.randn(mu.shape, generator=gen, device=mu.device)
    dx = mu[:, 0] + sigma[:, 0] * z[:, 0]
    dy = mu[:, 1] + sigma[:, 1] * (rho * z[:, 0] + torch.sqrt(1 - rho**2) * z[:, 1])
    eos_p = torch.sigmoid(mix.eos_logit[:, 0])
    draw = torch.rand(eos_p.shape, generator=gen, device=eos_p.device)
    eos = ((draw < eos_p) & (eos_p >= floor)).float()
    return torch.stack([dx, dy, eos], dim=-1)


class TorchEngine:
    xp = torch

    def __init__(self, model: HandwritingModel, seed: int | None) -> None:
        self.model = model
        self.device = next(model.parameters()).device
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(seed if seed is not None else int(torch.seed() % 2**62))

    def threads(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()  # torch manages its own threads

    @torch.inference_mode()
    def begin(self, indices: np.ndarray, prime: Prime | None) -> None:
        model, device, batch = self.model, self.device, len(indices)
        text = torch.from_numpy(indices).to(device)
        self.encoded = model.encode_chars(text)
        self.state = model.initial_state(batch, device)
        self.x = torch.zeros(batch, 3, device=device)
        if prime is not None:  # run the style sample through the net, then continue
            inputs = torch.from_numpy(prime.inputs()).to(device)
            primed = inputs.unsqueeze(0).expand(batch, -1, -1).contiguous()
            _, self.state, _ = model(primed[:, :-1], text, self.state, self.encoded)
            self.x = primed[:, -1]

    @torch.inference_mode()
    def step(self, bias: float, floor: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mix, self.state, phi = self.model.step(self.x, self.encoded, self.state, bias)
        self.x = sample_mixture(mix, self.gen, floor)
        return self.x, phi

    def keep(self, rows: torch.Tensor) -> None:
        self.state, self.x = self.state.select(rows), self.x[rows]
        chars, mask, u = self.encoded
        self.encoded = (chars[rows], mask[rows], u)

    def array(self, values: Sequence[int]) -> torch.Tensor:
        return torch.tensor(list(values), dtype=torch.long, device=self.device)

    def nonzero(self, mask: torch.Tensor) -> torch.Tensor:
        return torch.nonzero(mask).squeeze(1)

    def numpy(self, a: torch.Tensor) -> np.ndarray:
        a = a.detach().cpu()
        return (a.float() if a.is_floating_point() else a).numpy()
