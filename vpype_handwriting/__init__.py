"""vpype-handwriting: realistic human handwriting for pen plotters (a vpype plugin).

The data path, one idea per module: ``alphabet`` (normalize, encode) → ``layout`` (lines,
wrap, place) → ``sampling`` (batched LSTM-MDN steps) ← ``model`` (Graves 2013) ←
``weights`` (safetensors + JSON); ``strokes`` (offsets ⇄ polylines); ``writer`` ties them
together for library use; ``iamondb`` and ``train`` make the weights. Importing the package
does not import torch.
"""

__version__ = "0.1.0"
