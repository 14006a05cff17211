"""The CPU sampler's runs side by side and its primed states: speed that changes nothing
but the time (the same seed gives the same strokes however the runs are scheduled)."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vpype_handwriting import sampling
from vpype_handwriting.lines import Prime
from vpype_handwriting.sampling import SPLIT_FROM, SampleOptions, sample_lines, split_points

from .conftest import as_numpy, requires_torch, tiny_model
from .test_numpy_net import primed_engine, random_offsets

TEXTS = [f"line {k} of {'ab' * (k % 4)}" for k in range(SPLIT_FROM + 2)]


@given(st.lists(st.integers(1, 60), min_size=1, max_size=40), st.integers(1, 4))
def test_runs_are_cut_between_rows_with_about_as_many_characters(lengths, parts) -> None:
    cuts = split_points(lengths, parts)
    assert len(cuts) <= parts - 1 and cuts == sorted(set(cuts))
    assert all(0 < c < len(lengths) for c in cuts)
    if parts == 2 and len(lengths) > 1:  # each run holds at most half the text + one row
        assert len(cuts) == 1
        half = sum(lengths) / 2
        assert sum(lengths[: cuts[0]]) <= half + max(lengths)
        assert sum(lengths[cuts[0] :]) <= half + max(lengths)


class _InOrder:
    """An executor that runs each job when it is submitted (the runs one after another)."""

    def submit(self, work, *args):
        future: Future = Future()
        future.set_result(work(*args))
        return future


@requires_torch
def test_runs_give_the_same_strokes_side_by_side_or_one_after_another(monkeypatch) -> None:
    net = as_numpy(tiny_model())
    opts = SampleOptions(seed=5, retries=0, progress=False)
    side_by_side = sample_lines(net, TEXTS, opts)
    again = sample_lines(net, TEXTS, opts)
    monkeypatch.setattr(sampling, "_pool", lambda: _InOrder())
    in_order = sample_lines(net, TEXTS, opts)
    for a, b, c in zip(side_by_side, again, in_order):
        np.testing.assert_array_equal(a.offsets, b.offsets)
        np.testing.assert_array_equal(a.offsets, c.offsets)


@requires_torch
def test_a_batch_is_written_in_two_runs_each_with_its_own_random_numbers(
    monkeypatch,
) -> None:
    seen: list[int] = []
    batch = sampling.sample_batch

    def spy(engine, config, texts, *args):
        seen.append(len(texts))
        return batch(engine, config, texts, *args)

    monkeypatch.setattr(sampling, "sample_batch", spy)
    net = as_numpy(tiny_model())
    lines = sample_lines(net, TEXTS, SampleOptions(seed=5, retries=0, progress=False))
    assert sorted(seen) == sorted(seen) and len(seen) == 2 and sum(seen) == len(TEXTS)
    assert [line.text for line in lines] == TEXTS
    seen.clear()
    sample_lines(net, TEXTS[: SPLIT_FROM - 1], SampleOptions(seed=5, retries=0))
    assert seen == [SPLIT_FROM - 1]  # a small batch is one run


@requires_torch
def test_a_text_is_run_through_the_style_sample_once_per_engine() -> None:
    net = as_numpy(tiny_model(seed=4))
    prime = Prime(random_offsets(40, 7), "a sample")
    engine, calls, _, indices = primed_engine(net, prime, ["hello", "ok", "hello"])
    assert max(calls) == 2  # "hello" twice, run once
    for h in engine.state.h + engine.state.c:
        np.testing.assert_array_equal(h[0], h[2])
    first = (engine.state, engine.x)
    calls.clear()
    engine.begin(indices[[2, 1]], prime)  # the attempts after the first: no priming at all
    assert calls == []
    np.testing.assert_array_equal(engine.state.h[2], first[0].h[2][[2, 1]])
    np.testing.assert_array_equal(engine.x, first[1][[2, 1]])


def _write_in_child(net) -> np.ndarray:
    return sample_lines(net, TEXTS, SampleOptions(seed=5, retries=0, progress=False))[
        0
    ].offsets


@requires_torch
@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork: POSIX only")
def test_a_forked_process_writes_runs_side_by_side_too() -> None:
    """``letters --jobs`` forks after the model is loaded: a child has none of the parent's
    threads, so it must not wait on the parent's pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    net = as_numpy(tiny_model())
    here = _write_in_child(net)  # the pool's thread exists in this process now
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        there = pool.submit(_write_in_child, net).result(timeout=120)
    np.testing.assert_array_equal(here, there)
