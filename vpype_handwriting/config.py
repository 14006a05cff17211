"""The network's configuration, saved as JSON beside the weights (no torch here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TypeVar

PAD, END = 0, 1  # reserved character indices: padding, end-of-text terminator


_Config = TypeVar("_Config", bound="JsonConfig")


class JsonConfig:
    """A dataclass saved as JSON beside its weights; keys it does not know are ignored
    when read back (files written by newer or older versions still load)."""

    def to_dict(self) -> dict:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[_Config], data: dict) -> _Config:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ModelConfig(JsonConfig):
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
