"""vpype-handwriting: realistic human handwriting for pen plotters (a vpype plugin).

The data path, one idea per module: ``alphabet`` (normalize, encode) → ``writer`` (the
library entry point) → ``layout`` (wrap, place, measured ink) → ``sampling`` (the batched
loop, stop, retries) → ``numpy_engine`` / ``torch_engine`` (one network step; ``model`` is
the torch net of Graves 2013, ``numpy_net`` its numpy twin) ← ``weights`` (safetensors +
JSON). ``lines`` holds the shared types (``SampledLine``, ``Prime``, ``Calibration``) and the
line checks; ``strokes`` converts offsets ⇄ polylines. The ``training`` subpackage makes the
weights and is never imported by the inference modules; ``cli`` is the command line.
Importing the package does not import torch.
"""

__version__ = "0.1.0"
