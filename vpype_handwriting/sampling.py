"""Batched sampling: every line of a request advances together, one pen point per step.

A line is finished when the attention window has passed its last character (the window
weight is largest on the END terminator) and the pen lifts. A hard step limit proportional
to the line length stops runaways. Finished lines are checked (:func:`check_line`) and
failures are resampled a few times before the best attempt is accepted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import alphabet as alpha
from . import defaults
from .model import HandwritingModel, Mixture, ModelConfig

logger = logging.getLogger(__name__)


@dataclass
class Prime:
    """A style sample: its pen offsets (n, 3) and its text, run through the net first."""

    offsets: np.ndarray
    text: str


@dataclass
class SampledLine:
    """One written line: offsets (n, 3), its text, attention weights and any failure."""

    text: str
    offsets: np.ndarray
    phi: np.ndarray  # (n, len(text) + 1) attention over the characters and END
    failure: str | None = None
    attempts: int = 1


@dataclass
class SampleOptions:
    bias: float = defaults.BIAS
    seed: int | None = None
    retries: int = 3
    max_steps_per_char: float = 2.0  # × kappa_scale (≈ points per character)
    prime: Prime | None = None
    progress: bool | None = None  # a bar of finished lines; None: when stderr is a terminal


def sample_mixture(mix: Mixture, gen: torch.Generator) -> torch.Tensor:
    """Draw (dx, dy, eos) for each row from the biased mixture of one step (eqs. 61-62)."""
    probs = mix.log_pi.exp()
    comp = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
    rows = torch.arange(probs.shape[0], device=probs.device)
    mu, log_sigma, rho = mix.mu[rows, comp], mix.log_sigma[rows, comp], mix.rho[rows, comp]
    sigma = log_sigma.exp()
    z = torch.randn(mu.shape, generator=gen, device=mu.device)
    dx = mu[:, 0] + sigma[:, 0] * z[:, 0]
    dy = mu[:, 1] + sigma[:, 1] * (rho * z[:, 0] + torch.sqrt(1 - rho**2) * z[:, 1])
    eos_p = torch.sigmoid(mix.eos_logit[:, 0])
    eos = (torch.rand(eos_p.shape, generator=gen, device=eos_p.device) < eos_p).float()
    return torch.stack([dx, dy, eos], dim=-1)


#: A character the window stays on for more than this many characters' worth of points is
#: being scribbled over (IAM-OnDB's widest letters take about 2-3 times the mean).
STUCK = 4.5
#: Ink width per character, relative to the training data's median, that a line must keep.
WIDTH_RANGE = (0.4, 2.0)


def trim_after_end(line: SampledLine) -> SampledLine:
    """Drop trailing strokes drawn while the window was wholly past the text (on END).

    The stop rule waits for a pen lift with the window on END; a stroke started after the
    last character was finished is a stray mark, not part of the text.
    """
    focus = line.phi.argmax(axis=1)
    ends = np.flatnonzero(line.offsets[:, 2] > 0.5)
    cut = len(line.offsets)
    for k in range(len(ends) - 1, 0, -1):  # never the first stroke
        start = ends[k - 1] + 1
        if np.all(focus[start : ends[k] + 1] >= len(line.text)):
            cut = start
        else:
            break
    if cut == len(line.offsets):
        return line
    return SampledLine(
        line.text, line.offsets[:cut], line.phi[:cut], line.failure, line.attempts
    )


def check_line(line: SampledLine, config: ModelConfig, hit_limit: bool) -> str | None:
    """Why a sampled line looks broken, or None when it looks fine."""
    kappa_scale = config.kappa_scale
    n_chars = max(len(line.text), 1)
    if hit_limit:
        return "ran away (step limit reached before the text ended)"
    per_char = len(line.offsets) / n_chars
    if per_char < 0.35 * kappa_scale:
        return f"too few points for its text ({per_char:.1f} per character)"
    if per_char > 2.5 * kappa_scale:
        return f"too many points for its text ({per_char:.1f} per character)"
    if len(line.text.strip()) and line.phi.size:
        share = line.phi / np.maximum(line.phi.sum(axis=1, keepdims=True), 1e-9)
        seen = share.max(axis=0)[: len(line.text)]
        letters = np.array([not c.isspace() for c in line.text])
        skipped = np.flatnonzero((seen < 0.15) & letters)
        if len(skipped):
            return f"attention skipped character {skipped[0] + 1} ({line.text[skipped[0]]!r})"
        dwell = np.bincount(line.phi.argmax(axis=1), minlength=len(line.text) + 1)
        stuck = np.flatnonzero(dwell[: len(line.text)] > STUCK * kappa_scale)
        if len(stuck):
            u = stuck[0]
            return f"attention stuck on character {u + 1} ({line.text[u]!r}): scribble"
    points = np.cumsum(line.offsets[:, :2], axis=0)
    width = np.ptp(points[:, 0]) if len(points) else 0.0
    height = np.ptp(points[:, 1]) if len(points) else 0.0
    if height > 2.0 * width + 30:
        return "scribble (ink much taller than wide)"
    ratio = width / n_chars / config.char_width if config.char_width > 0 else 1.0
    if not WIDTH_RANGE[0] <= ratio <= WIDTH_RANGE[1]:  # human lines: 0.5-1.65 (0.1-99.9%)
        return f"{ratio:.1f}x as wide per character as the training ink"
    return None


def _prime_inputs(prime: Prime, batch: int, device: torch.device) -> torch.Tensor:
    offsets = torch.from_numpy(np.asarray(prime.offsets, dtype=np.float32)).to(device)
    inputs = torch.cat([torch.zeros(1, 3, device=device), offsets], dim=0)
    return inputs.unsqueeze(0).expand(batch, -1, -1).contiguous()


@torch.inference_mode()
def sample_batch(
    model: HandwritingModel, texts: Sequence[str], opts: SampleOptions, gen: torch.Generator
) -> list[tuple[SampledLine, bool]]:
    """Sample every text at once; returns each line with whether it hit the step limit."""
    device = next(model.parameters()).device
    prefix = opts.prime.text + " " if opts.prime is not None else ""
    batch = len(texts)
    encoded_text = alpha.encode_batch([prefix + t for t in texts], model.config.alphabet)
    text = torch.from_numpy(encoded_text).to(device)
    encoded = model.encode_chars(text)
    end = torch.tensor([len(prefix) + len(t) for t in texts], device=device)
    limit = int(
        model.config.kappa_scale * opts.max_steps_per_char * (max(map(len, texts)) + 1)
    )
    state = model.initial_state(batch, device)
    x = torch.zeros(batch, 3, device=device)
    if opts.prime is not None:  # run the style sample through the net, then continue
        primed = _prime_inputs(opts.prime, batch, device)
        _, state, _ = model(primed[:, :-1], text, state, encoded)
        x = primed[:, -1]
    rows = torch.arange(batch, device=device)  # original index of each active row
    lengths = torch.full((batch,), limit, dtype=torch.long, device=device)
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    final_length = torch.full((batch,), limit, dtype=torch.long)
    ran_away = torch.ones(batch, dtype=torch.bool)
    segments: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    steps: list[torch.Tensor] = []
    phis: list[torch.Tensor] = []
    from tqdm import tqdm

    bar = tqdm(
        total=batch,
        desc="writing",
        unit="line",
        leave=False,
        disable=None if opts.progress is None else not opts.progress,
    )
    for t in range(limit):
        mix, state, phi_t = model.step(x, encoded, state, opts.bias)
        x = sample_mixture(mix, gen)
        steps.append(x)
        phis.append(phi_t)
        # Graves' stop rule: the window weighs END above every character, and the pen lifts.
        finished = (phi_t.argmax(dim=1) >= end) & (x[:, 2] > 0.5) & ~done
        lengths = torch.where(finished, t + 1, lengths)
        done = done | finished
        if (t + 1) % 16 and t + 1 < limit:
            continue
        n_done = int(done.sum())  # one host sync every 16 steps
        if n_done == 0 and t + 1 < limit:
            continue
        bar.update(n_done)
        segments.append(_segment(rows, steps, phis))
        steps, phis = [], []
        final_length[rows[done].cpu()] = lengths[done].cpu()
        ran_away[rows[done].cpu()] = False
        if n_done == len(rows):
            break
        keep = torch.nonzero(~done).squeeze(1)  # finished lines leave the batch
        rows, state, x, end = rows[keep], state.select(keep), x[keep], end[keep]
        encoded = (encoded[0][keep], encoded[1][keep], encoded[2])
        lengths, done = lengths[keep], done[keep]
    bar.close()
    return _assemble(texts, segments, final_length, ran_away, len(prefix))


def _segment(
    rows: torch.Tensor, steps: list[torch.Tensor], phis: list[torch.Tensor]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        rows.cpu().numpy(),
        torch.stack(steps, 1).float().cpu().numpy(),
        torch.stack(phis, 1).float().cpu().numpy(),
    )


def _trim_prime_leftover(
    offsets: np.ndarray, phi: np.ndarray, lo: int
) -> tuple[np.ndarray, np.ndarray]:
    """Drop leading strokes drawn while the window was still inside the priming text
    (before the space that joins it to the new text)."""
    focus = phi.argmax(axis=1)
    ends = np.flatnonzero(offsets[:, 2] > 0.5)
    start = 0
    for end in ends[:-1]:  # never the last stroke
        if np.all(focus[start : end + 1] < lo - 1):
            start = end + 1
        else:
            break
    return offsets[start:], phi[start:]


def _assemble(
    texts: Sequence[str],
    segments: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    lengths: torch.Tensor,
    ran_away: torch.Tensor,
    lo: int,
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
            offsets, phi = _trim_prime_leftover(offsets, phi, lo)
        phi = phi[:, lo : lo + len(line_text) + 1]
        line = trim_after_end(SampledLine(line_text, offsets, phi))
        out.append((line, bool(ran_away[b])))
    return out


def sample_lines(
    model: HandwritingModel, texts: Sequence[str], opts: SampleOptions | None = None
) -> list[SampledLine]:
    """Sample all ``texts`` as one batch, resampling lines that fail :func:`check_line`."""
    opts = opts or SampleOptions()
    device = next(model.parameters()).device
    gen = torch.Generator(device=device)
    gen.manual_seed(int(opts.seed) if opts.seed is not None else int(torch.seed() % 2**62))
    result: list[SampledLine | None] = [None] * len(texts)
    pending = list(range(len(texts)))
    for attempt in range(1, opts.retries + 2):
        sampled = sample_batch(model, [texts[i] for i in pending], opts, gen)
        still = []
        for i, (line, hit_limit) in zip(pending, sampled):
            line.failure = check_line(line, model.config, hit_limit)
            line.attempts = attempt
            previous = result[i]
            if previous is None or previous.failure is not None:
                result[i] = line
            if line.failure is not None:
                still.append(i)
        if not still:
            break
        logger.debug(
            "attempt %d: %d of %d lines failed, resampling", attempt, len(still), len(texts)
        )
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


@torch.inference_mode()
def replay(
    model: HandwritingModel, line: SampledLine, prime: Prime | None = None
) -> dict[str, np.ndarray]:
    """Run the written offsets back through the net: the mixture it predicted at each step."""
    device = next(model.parameters()).device
    prefix = prime.text + " " if prime is not None else ""
    text = torch.from_numpy(alpha.encode_batch([prefix + line.text], model.config.alphabet))
    offsets = torch.from_numpy(line.offsets.astype(np.float32))[None].to(device)
    start = (
        _prime_inputs(prime, 1, device)
        if prime is not None
        else torch.zeros(1, 1, 3, device=device)
    )
    inputs = torch.cat([start, offsets[:, :-1]], 1)
    mix, _, _ = model(inputs, text.to(device))
    n = offsets.shape[1]
    mix = Mixture(*(getattr(mix, f)[:, -n:] for f in mix.__dataclass_fields__))
    return {
        "pi": mix.log_pi.exp()[0].float().cpu().numpy(),
        "mu": mix.mu[0].float().cpu().numpy(),
        "sigma": mix.log_sigma.exp()[0].float().cpu().numpy(),
    }
