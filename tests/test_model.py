from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from .conftest import NEEDS_TORCH, tiny_model

torch = pytest.importorskip("torch", reason=NEEDS_TORCH)

from vpype_handwriting import alphabet as alpha  # noqa: E402
from vpype_handwriting.model import log_likelihood, sequence_loss  # noqa: E402


def _batch(model, texts, steps=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(texts), steps, 3, generator=g) * 2
    x[..., 2] = (torch.rand(len(texts), steps, generator=g) < 0.2).float()
    text = torch.from_numpy(alpha.encode_batch(texts, model.config.alphabet))
    return x, text


def test_loss_equals_direct_density_computation() -> None:
    """Eqs. 23-26 evaluated by hand in float64 (no log space) give the same loss."""
    model = tiny_model()
    x, text = _batch(model, ["ab"], steps=5)
    inputs = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)
    with torch.no_grad():
        mix, _, _ = model(inputs, text)
        got = -log_likelihood(mix, x).sum().item()
        loss = sequence_loss(model, x, torch.ones(1, 5), text).item()
    pi = mix.log_pi.exp().double().numpy()[0]
    mu, sigma = mix.mu.double().numpy()[0], mix.log_sigma.exp().double().numpy()[0]
    rho = mix.rho.double().numpy()[0]
    e = 1 / (1 + np.exp(-mix.eos_logit.double().numpy()[0, :, 0]))
    target = x.double().numpy()[0]
    expected = 0.0
    for t in range(5):
        z1 = (target[t, 0] - mu[t, :, 0]) / sigma[t, :, 0]
        z2 = (target[t, 1] - mu[t, :, 1]) / sigma[t, :, 1]
        z = z1**2 + z2**2 - 2 * rho[t] * z1 * z2
        n = np.exp(-z / (2 * (1 - rho[t] ** 2))) / (
            2 * math.pi * sigma[t, :, 0] * sigma[t, :, 1] * np.sqrt(1 - rho[t] ** 2)
        )
        p_eos = e[t] if target[t, 2] == 1 else 1 - e[t]
        expected -= np.log((pi[t] * n).sum()) + np.log(p_eos)
    assert got == pytest_approx(expected)
    assert loss == pytest_approx(expected)


def pytest_approx(v):
    import pytest

    return pytest.approx(v, rel=1e-4, abs=1e-4)


def test_loss_stays_finite_on_extreme_offsets() -> None:
    model = tiny_model()
    x, text = _batch(model, ["hello", "a"])
    x[0, 3, :2] = 1e4
    x[1, 2, :2] = 1e-9
    loss = sequence_loss(model, x, torch.ones(2, x.shape[1]), text)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_padding_does_not_change_the_loss_of_a_line() -> None:
    model = tiny_model()
    x, text = _batch(model, ["abc"], steps=8)
    alone = sequence_loss(model, x, torch.ones(1, 8), text)
    padded_x = torch.cat([x, torch.zeros(1, 4, 3)], 1)
    padded_text = torch.cat([text, torch.zeros(1, 3, dtype=torch.long)], 1)
    mask = torch.cat([torch.ones(1, 8), torch.zeros(1, 4)], 1)
    assert sequence_loss(model, padded_x, mask, padded_text).item() == pytest_approx(
        alone.item()
    )


def test_window_only_moves_forward() -> None:
    model = tiny_model()
    x, text = _batch(model, ["hello world"], steps=30)
    with torch.no_grad():
        _, state, phi = model(x, text)
    assert phi.shape == (1, 30, len("hello world") + 1)
    kappas = []
    s = None
    for t in range(30):
        _, s, _ = model(x[:, t : t + 1], text, s)
        kappas.append(s.kappa.clone())
    k = torch.stack(kappas)
    assert (k[1:] > k[:-1]).all()
    torch.testing.assert_close(state.kappa, s.kappa)


def test_tiny_model_overfits_a_few_lines() -> None:
    torch.manual_seed(0)
    model = tiny_model(hidden=32).train()
    texts = ["hi", "ok"]
    t = torch.linspace(0, 6.28, 24)
    x = torch.stack(
        [
            torch.stack([torch.cos(t + i), torch.sin(2 * t), (t > 6.0).float()], -1)
            for i in range(2)
        ]
    )
    text = torch.from_numpy(alpha.encode_batch(texts, model.config.alphabet))
    mask = torch.ones(2, 24)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(150):
        loss = sequence_loss(model, x, mask, text) / mask.sum()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 3.0)  # as train.py does
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 2.0
    assert losses[-1] < losses[0] / 4


def test_step_matches_forward() -> None:
    """The fused one-step path used for sampling is the same network as ``forward``."""
    model = tiny_model()
    x, text = _batch(model, ["hello", "tea"], steps=7)
    with torch.no_grad():
        mix, _, phi = model(x, text)
        encoded = model.encode_chars(text)
        state = model.initial_state(2, x.device)
        for t in range(7):
            m, state, p = model.step(x[:, t], encoded, state)
            torch.testing.assert_close(m.mu, mix.mu[:, t])
            torch.testing.assert_close(m.log_pi, mix.log_pi[:, t])
            torch.testing.assert_close(p, phi[:, t])


def test_dropout_drops_whole_units_for_a_whole_line() -> None:
    model = tiny_model(dropout=0.5).train()
    out = model._drop(torch.ones(64, 30, 16))
    assert torch.all(out == out[:, :1])  # the same units dropped at every step of a line
    assert set(out.unique().tolist()) == {0.0, 2.0}  # kept units scaled by 1 / (1 - p)
    assert 0.4 < (out == 0).float().mean() < 0.6
    assert torch.equal(model.eval()._drop(torch.ones(2, 3, 16)), torch.ones(2, 3, 16))


@pytest.mark.skipif(
    not (shutil.which("c++") or shutil.which("g++")),
    reason="torch.compile needs a C++ compiler",
)
def test_the_compiled_layer_step_computes_the_same_loss_and_gradients() -> None:
    eager, compiled = tiny_model(seed=2), tiny_model(seed=2)
    offsets, text = _batch(eager, ["ab", "hello", "xyz"], steps=20)
    mask = torch.ones(3, 20)
    eager, compiled = tiny_model(seed=2), tiny_model(seed=2)
    compiled.compile_first_layer()
    losses = []
    for model in (eager, compiled):
        loss = sequence_loss(model, offsets, mask, text)
        loss.backward()
        losses.append(loss)
    torch.testing.assert_close(losses[0], losses[1], rtol=1e-5, atol=1e-4)
    for a, b in zip(eager.parameters(), compiled.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


def test_char_weight_counts_each_point_by_the_character_the_window_is_on() -> None:
    from vpype_handwriting.model import focus_weight, point_nll

    model = tiny_model()
    x, text = _batch(model, ["ab"], steps=30)
    nll, phi = point_nll(model, x, text)
    assert sequence_loss(model, x, torch.ones(1, 30), text).item() == pytest_approx(
        nll.sum().item()
    )
    char_weight = torch.ones(model.config.vocab)
    char_weight[text[0, 1]] = 4.0  # the "b"
    weighted = (nll * focus_weight(phi, text, char_weight)).sum()
    on_b = phi.argmax(-1) == 1
    assert on_b.any() and not on_b.all()
    expected = nll.sum() + 3.0 * nll[on_b].sum()
    assert weighted.item() == pytest_approx(expected.item())
