"""The library entry point: text in, placed pen polylines out (no click, no vpype_cli)."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import alphabet as alpha
from . import glyphs
from .layout import LayoutOptions, WrittenLine, layout_text
from .lines import Calibration, SampledLine
from .marks import add_marks
from .numpy_net import NumpyNet
from .sampling import SampleOptions, sample_lines
from .styles import load_style
from .weights import WeightsError, default_weights, load_weights

if TYPE_CHECKING:
    from .checker import Checker
    from .model import HandwritingModel

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def cached_model(weights: str | None, device: str) -> NumpyNet | HandwritingModel:
    """Load weights once per process (batch letters and vpype blocks reuse the model):
    the numpy net on the CPU (no torch import), the torch model on a GPU."""
    path = None if weights is None else Path(weights)
    if device == "cpu":
        return NumpyNet.load(path)
    return load_weights(path, device)


@functools.lru_cache(maxsize=4)
def cached_checker(weights: str | None) -> Checker | None:
    """The legibility checker shipped beside ``weights`` (a folder, or a .safetensors file's
    folder), or None when those weights have none."""
    from .checker import Checker

    path = default_weights() if weights is None else Path(weights)
    folder = path if path.is_dir() else path.parent
    return Checker.load(folder) if Checker.available(folder) else None


def _may_have_cuda() -> bool:
    """A cheap look for an NVIDIA driver, so that CPU-only machines never import torch."""
    return sys.platform != "darwin" and (
        os.path.exists("/proc/driver/nvidia/version") or sys.platform == "win32"
    )


def resolve_device(name: str) -> str:
    """``auto``: the GPU when torch sees one, else the CPU (numpy)."""
    if name == "cpu" or (name == "auto" and not _may_have_cuda()):
        return "cpu"
    try:
        import torch
    except ImportError:
        if name == "auto":
            return "cpu"
        raise ValueError(
            f"--device {name} needs PyTorch: pip install 'vpype-handwriting[torch]'"
        ) from None

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but torch sees no CUDA device")
    return name


@dataclass
class Handwriter:
    """A loaded model plus sampling settings; :meth:`write` lays out and writes text."""

    model: NumpyNet | HandwritingModel
    sample: SampleOptions = field(default_factory=SampleOptions)
    unknown: str = "error"
    # Counters, not every sampled line: batch letters would keep each line's attention.
    lines_written: int = 0
    resampled: int = 0  # lines that needed more than one attempt
    broken: int = 0  # lines the failed-line checks (stuck, runaway) sent back at least once
    illegible: int = 0  # lines the legibility checker sent back at least once
    failed: list[SampledLine] = field(default_factory=list)  # still wrong after retries
    changes: list[alpha.Change] = field(default_factory=list)  # made to the last text

    @classmethod
    def load(
        cls,
        weights: Path | str | None = None,
        device: str = "auto",
        check: bool = True,
        style: str | None = None,
        **kwargs: Any,
    ) -> Handwriter:
        """The model in ``weights`` (default: shipped) on ``device``; with ``check``, the
        legibility checker beside the weights, if they have one, sends back the lines it
        cannot read as their text; ``style`` (a name as ``--style`` takes it) primes it.

        Raises:
            WeightsError: the weights cannot be loaded.
            StyleError: the style cannot be loaded.
        """
        name = None if weights is None else str(weights)
        writer = cls(cached_model(name, resolve_device(device)), **kwargs)
        if check:
            writer.sample.checker = cached_checker(name)
        if style is not None:
            writer.sample.prime = load_style(style, writer.alphabet)
        return writer

    @property
    def alphabet(self) -> str:
        return self.model.config.alphabet

    def calibration(self) -> Calibration:
        cfg = self.model.config
        if cfg.x_height <= 0 or cfg.char_width <= 0:
            raise WeightsError("the weights config lacks its ink calibration (x_height)")
        prime = self.sample.prime
        if prime is not None:  # a style writes at its own size: calibrate on the sample
            return prime.calibration(cfg)
        return Calibration(cfg.x_height, cfg.char_width)

    def prepare_text(self, text: str) -> str:
        """Normalize and check ``text`` (raises on unknown characters, empty or too long
        text); what was changed beyond typography is left in :attr:`changes`."""
        prepared = alpha.prepare(text, self.alphabet, self.unknown)
        self.changes = prepared.changes
        return prepared.text

    def sample_texts(self, texts: Sequence[str]) -> list[SampledLine]:
        """Sample ``texts`` as one batch; an accented letter is written as its base letter
        by the network and its mark drawn over it (:mod:`marks`), a sign it never learned
        is drawn in its place (:mod:`glyphs`)."""
        bases = [alpha.base_text(text, self.alphabet) for text in texts]
        plans = [glyphs.plan(base) for base in bases]
        asked = [p.network for p in plans if p.network.strip()]  # a line of signs alone
        written = iter(sample_lines(self.model, asked, self.sample) if asked else [])
        lines = [
            next(written) if p.network.strip() else glyphs.empty_line(p.network) for p in plans
        ]
        fallback, seed = self.calibration().x_height, self.sample.seed
        lines = [glyphs.add_glyphs(line, p, fallback, seed) for line, p in zip(lines, plans)]
        lines = [  # marks last: over their letters where the signs have moved them
            line if base == text else add_marks(line, text, self.alphabet, fallback, seed)
            for line, base, text in zip(lines, bases, texts)
        ]
        self.lines_written += len(lines)
        self.resampled += sum(1 for line in lines if line.attempts > 1)
        self.broken += sum(1 for line in lines if line.broken)
        self.illegible += sum(1 for line in lines if line.illegible)
        self.failed += [line for line in lines if line.failure is not None]
        return lines

    def write(self, text: str, layout: LayoutOptions) -> list[WrittenLine]:
        """Write ``text``; returns each written line with its placed polylines."""
        text = self.prepare_text(text)
        return layout_text(text, self.sample_texts, self.calibration(), layout)
