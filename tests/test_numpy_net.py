"""The numpy sampling engine computes the torch model's function."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from vpype_handwriting import alphabet as alpha
from vpype_handwriting.numpy_net import NumpyNet, Text
from vpype_handwriting.sampling import Prime, SampledLine, replay
from vpype_handwriting.weights import load_weights

from .conftest import as_numpy, requires_torch, tiny_model


def primed_engine(net: NumpyNet, prime: Prime, texts: list[str]):
    """A :class:`NumpyEngine` begun on ``texts`` after ``prime``, with the rows of every
    step the net took (a list that goes on filling), the plain step and the batch."""
    from vpype_handwriting.numpy_engine import NumpyEngine

    calls: list[int] = []
    advance = net.advance
    net.advance = lambda x, text, state: calls.append(len(x)) or advance(x, text, state)  # type: ignore[method-assign]
    indices = alpha.encode_batch([prime.text + " " + t for t in texts], net.config.alphabet)
    engine = NumpyEngine(net, seed=0)
    engine.begin(indices, prime)
    return engine, calls, advance, indices


def random_offsets(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    offsets = rng.normal(0, 2, (n, 3)).astype(np.float32)
    offsets[:, 2] = rng.random(n) < 0.1
    return offsets


@requires_torch
def test_teacher_forced_steps_match_the_torch_forward() -> None:
    import torch

    model = tiny_model(seed=3)
    net = as_numpy(model)
    texts = ["hello there", "ab"]
    indices = alpha.encode_batch(texts, model.config.alphabet)
    x = np.stack([random_offsets(25, 1), random_offsets(25, 2)])
    with torch.no_grad():
        mix, _, phi = model(torch.from_numpy(x), torch.from_numpy(indices), bias=0.7)
    text = Text.encode(indices, model.config.vocab)
    state, phis, heads = net.initial_state(2), [], []
    for t in range(x.shape[1]):
        state, phi_t = net.advance(x[:, t], text, state)
        phis.append(phi_t)
        heads.append(net.head(state))
    np.testing.assert_allclose(np.stack(phis, 1), phi.numpy(), rtol=1e-4, atol=1e-5)
    ours = net.mixture(np.stack(heads, 1), 0.7)
    for name in ("eos_logit", "log_pi", "mu", "log_sigma", "rho"):
        np.testing.assert_allclose(
            ours[name], getattr(mix, name).numpy(), rtol=1e-4, atol=1e-4, err_msg=name
        )


def test_draws_follow_the_mixture() -> None:
    """One dominant component: the samples' mean, spread, correlation and eos rate."""
    net = as_numpy(tiny_model())
    m = net.config.mixtures
    y = np.zeros((20000, 1 + 6 * m), dtype=np.float32)
    y[:, 1] = 30.0  # component 0 takes all the weight
    y[:, 1 + m : 1 + m + 2] = [1.0, -2.0]  # mu (scaled by offset_std)
    y[:, 1 + 3 * m : 1 + 3 * m + 2] = np.log([0.5, 1.0])
    y[:, 1 + 5 * m] = np.arctanh(0.6)
    y[:, 0] = np.log(0.2 / 0.8)  # eos probability 0.2
    draws = net.sample(y, 0.0, np.random.default_rng(0))
    std = net.offset_std
    np.testing.assert_allclose(draws[:, :2].mean(0), [1.0 * std[0], -2.0 * std[1]], atol=0.03)
    np.testing.assert_allclose(draws[:, :2].std(0), [0.5 * std[0], 1.0 * std[1]], rtol=0.03)
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1] - 0.6) < 0.02
    assert abs(draws[:, 2].mean() - 0.2) < 0.01
    biased = net.sample(y, 2.0, np.random.default_rng(0))  # bias shrinks sigma by e^-2
    assert biased[:, 0].std() < 0.2 * draws[:, 0].std()
    # a floor under the lift probability: rows whose floor is above 0.2 never lift
    floor = np.where(np.arange(len(y)) % 2, 0.3, 0.1).astype(np.float32)
    floored = net.sample(y, 0.0, np.random.default_rng(0), floor)
    assert not floored[1::2, 2].any() and abs(floored[::2, 2].mean() - 0.2) < 0.015
    np.testing.assert_array_equal(floored[:, :2], draws[:, :2])  # the offsets as before


@requires_torch
def test_loaded_from_the_same_file_as_the_torch_model(tiny_weights) -> None:
    import torch

    net, model = NumpyNet.load(tiny_weights), load_weights(tiny_weights)
    line = SampledLine("hi there", random_offsets(30), np.zeros((30, 9)))
    prime = Prime(random_offsets(12, 5), "ok")
    got = replay(net, line, prime)
    text = torch.from_numpy(alpha.encode_batch(["ok hi there"], net.config.alphabet))
    inputs = np.concatenate([np.zeros((1, 3), np.float32), prime.offsets, line.offsets[:-1]])
    with torch.no_grad():
        mix, _, _ = model(torch.from_numpy(inputs)[None], text)
    np.testing.assert_allclose(got["mu"], mix.mu[0, -30:].numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got["pi"], mix.log_pi[0, -30:].exp().numpy(), atol=1e-5)


def test_writing_on_the_cpu_never_imports_torch(tiny_weights, tmp_path) -> None:
    out = tmp_path / "out.svg"
    code = (
        "import sys; from vpype_cli.cli import cli\n"
        "try:\n"
        f"    cli(['handwrite', '--weights', {str(tiny_weights)!r}, '--device', 'auto',"
        f" '--seed', '1', 'Dear Tom', 'write', {str(out)!r}])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    if not os.path.exists("/proc/driver/nvidia/version"):  # auto may pick a GPU there
        assert result.stdout.strip().splitlines()[-1] == "False"
    assert out.stat().st_size > 0


@requires_torch
def test_a_style_sample_is_run_once_for_the_whole_batch() -> None:
    import torch

    from .test_sampling import window_bias

    model = window_bias(tiny_model(seed=4), kappa_step=0.0)  # one character per 6 points
    with torch.no_grad():
        model.window.proj.bias[2:4] = 1.5  # narrow Gaussians: the text ahead stays unseen
    net = as_numpy(model)
    prime = Prime(random_offsets(60, 7), "a sample")
    engine, calls, advance, indices = primed_engine(
        net, prime, ["hello", "a longer line", "ok"]
    )
    shared = calls.count(1) - 1  # the last one-row step looked ahead and was not kept
    assert 20 < shared < len(prime.offsets)
    assert calls.count(3) == len(prime.offsets) - shared
    text = Text.encode(indices, net.config.vocab)  # every row on its own, all the way
    state, x = net.initial_state(3), np.zeros((3, 3), np.float32)
    for point in prime.offsets:
        state, _ = advance(x, text, state)
        x = np.repeat(point[None], 3, axis=0)
    np.testing.assert_allclose(engine.x, x)
    for ours, full in zip(engine.state.h + engine.state.c, state.h + state.c):
        np.testing.assert_allclose(ours, full, atol=1e-4)
    np.testing.assert_allclose(engine.state.w, state.w, atol=1e-4)


def test_writing_works_without_torch_installed(tiny_weights, tmp_path) -> None:
    """torch is an optional extra: handwrite, styles and inspect-free paths run without it,
    and the commands that need it say so in one line."""
    out = tmp_path / "out.svg"
    block = "import sys; sys.modules['torch'] = None\n"  # import torch now fails
    code = block + (
        "from vpype_cli.cli import cli\n"
        "try:\n"
        f"    cli(['handwrite', '--weights', {str(tiny_weights)!r}, '--device', 'auto',"
        f" '--style', 'none', 'Dear Tom', 'write', {str(out)!r}])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    assert out.stat().st_size > 0
    code = block + (
        "from vpype_handwriting.cli import cli\n"
        f"cli(['train', '--data', {str(tmp_path)!r}, '--run-dir', {str(tmp_path)!r}])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "Error: train needs PyTorch: pip install 'vpype-handwriting[train]' "
        "(or 'pip install torch')"
    )
