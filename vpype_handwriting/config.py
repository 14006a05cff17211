"""The network's configuration, saved as JSON beside the weights (no torch here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PAD, END = 0, 1  # reserved character indices: padding, end-of-text terminator


@dataclass
class ModelConfig:
    """Everything needed to rebuild the network; saved as JSON beside the weights."""

    alphabet: str  # the characters the model writes; index = position + 2
    hidden: int = 400
    window_k: int = 10  # K Gaussians in the attention window
    mixtures: int = 20  # M bivariate Gaussians in the output
    kappa_scale: float = 11.0  # ~points per character: one step moves kappa by ~1/kappa_scale
    offset_std: list[float] = field(default_factory=lambda: [1.0, 1.0])  # input normalization
    keep_every: int = 2  # downsampling used in preprocessing
    x_height: float = 0.0  # median x-height of the training ink, model units (0: unknown)
    char_width: float = 0.0  # median ink width per character, model units (0: unknown)
    dropout: float = 0.0  # on the non-recurrent connections between layers, training only

    @property
    def vocab(self) -> int:
        return len(self.alphabet) + 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)
