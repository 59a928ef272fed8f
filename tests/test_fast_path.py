"""The fast path (codes on the device, vectorized batches) computes what a plain
PyTorch loop over BHI's one-hot views computes, and does no Python work per
sequence."""

import sys

import numpy as np
import pytest
import torch

from skgxp import DeepGXP, DeepGXPRegressor, PromoterEncoder
from skgxp._batching import ArrayBatchIterator
from skgxp._constructs import TTA_SHIFTS
from skorch.dataset import Dataset

NO_DROPOUT = {"module__conv_dropout": 0.0, "module__dropout": 0.0}


@pytest.fixture(scope="module")
def long_seqs(demo):
    """Demo promoters of 110 bp or more and their expression (no padding needed)."""
    X, y = demo
    keep = np.array([len(s) >= 110 for s in X])
    return X[keep][:48], y[keep][:48]


def _plain_module(net, **module_params):
    """A DeepGXP built directly, holding the regressor's current weights."""
    module = DeepGXP(**module_params)
    module.load_state_dict(net.module_.state_dict())
    return module


def _module_params(tiny, extra=()):
    params = {k.removeprefix("module__"): v for k, v in tiny.items()}
    params.update({k.removeprefix("module__"): v for k, v in dict(extra).items()})
    return params


def test_predictions_equal_a_plain_loop_over_bhis_views(sensitive, bhi, long_seqs):
    X, y = long_seqs
    codes = PromoterEncoder().fit_transform(X)
    # batch_size 16 gives several prediction batches of 16 rows x 10 views.
    net = DeepGXPRegressor(max_epochs=1, batch_size=16, verbose=0, **sensitive)
    net.fit(codes, y)
    module = _plain_module(net, **_module_params(sensitive))
    module.eval()
    total = np.zeros(len(X))
    with torch.no_grad():
        for shift in TTA_SHIFTS:
            for start in range(0, len(X), 16):
                views = [bhi.shift(s[:110], shift) for s in X[start : start + 16]]
                x = torch.from_numpy(np.stack([bhi.onehot(v) for v in views]))
                both = module(x) + module(x.flip(1, 2))
                total[start : start + 16] += both.reshape(-1).numpy()
    expected = total / 10 * net.target_scale_ + 11.0
    np.testing.assert_allclose(net.predict(codes), expected, rtol=1e-5, atol=1e-5)


def test_one_training_step_equals_a_plain_step(tiny, bhi, long_seqs):
    X, y = long_seqs
    codes = PromoterEncoder().fit_transform(X)
    # One batch of every row; no dropout, and 110-bp inserts need no padding,
    # so the step is deterministic. warm_start keeps the weights copied below.
    net = DeepGXPRegressor(max_epochs=1, batch_size=len(X), verbose=0, warm_start=True,
                           precision="fp32", **tiny, **NO_DROPOUT)
    net.initialize()
    module = _plain_module(net, **_module_params(tiny, NO_DROPOUT))
    net.fit(codes, y)

    x = torch.from_numpy(np.stack([bhi.onehot(s[:110]) for s in X]))
    target = torch.tensor((y - 11.0) / np.std(y), dtype=torch.float32).reshape(-1, 1)
    optimizer = torch.optim.AdamW(module.parameters(), lr=1.5e-3, weight_decay=0.01)
    huber = torch.nn.HuberLoss()
    loss = (huber(module(x), target) + huber(module(x.flip(1, 2)), target)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    assert net.history[-1, "batches", 0, "train_loss"] == pytest.approx(loss.item(), rel=1e-5)
    for name, value in module.state_dict().items():
        torch.testing.assert_close(net.module_.state_dict()[name], value,
                                   rtol=1e-5, atol=1e-6, msg=name)


def test_batches_carry_uint8_codes_and_the_module_gets_one_hot(tiny, demo_codes):
    codes, y = demo_codes
    dataset = Dataset(codes, y.astype(np.float32).reshape(-1, 1))
    batch_X, _ = next(iter(ArrayBatchIterator(dataset, 64)))
    assert batch_X.dtype == torch.uint8 and batch_X.shape == (64, codes.shape[1])
    seen = []
    net = DeepGXPRegressor(max_epochs=1, batch_size=64, verbose=0, warm_start=True, **tiny)
    net.initialize()  # warm_start: fit keeps this module and its hook
    net.module_.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    net.fit(codes, y)
    assert seen and all(x.dtype == torch.float32 and x.shape[1:] == (4, 110) for x in seen)
    # Rows of the training input are exact one-hot columns or all-zero (N).
    assert set(seen[0].sum(1).unique().tolist()) <= {0.0, 1.0}


def _python_events(fn):
    """Python calls, lines and returns executed while running ``fn`` (warmed up)."""
    fn()  # first calls import lazily and fill caches
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("stage", ["encode", "fit", "predict"])
def test_python_work_does_not_grow_with_the_number_of_sequences(tiny, stage, monkeypatch):
    # On the CPU the module is called once per 64 rows (cache-sized batches); on
    # CUDA once per batch. Lift that limit to see what remains per sequence.
    monkeypatch.setattr("skgxp._steps._CPU_ROWS", 1 << 30)
    rng = np.random.default_rng(0)
    seqs = np.array(["".join(rng.choice(list("ACGT"), 110)) for _ in range(256)], object)
    counts = []
    for reps in (1, 8):  # 256 and 2,048 sequences in the same number of batches
        X = np.tile(seqs, reps)
        y = rng.normal(11, 2, len(X))
        codes = PromoterEncoder().fit_transform(X)
        net = DeepGXPRegressor(max_epochs=1, batch_size=64 * reps, verbose=0, **tiny)
        if stage == "predict":
            net.fit(codes, y)
        run = {
            "encode": lambda: PromoterEncoder().fit_transform(X),
            "fit": lambda: net.fit(codes, y),
            "predict": lambda: net.predict(codes),
        }[stage]
        counts.append(_python_events(run))
    small, large = counts
    # A loop over the 1,792 extra sequences would add at least one line each;
    # one-time work (caches of abc, linecache) only ever makes `small` larger.
    assert large - small < 1792 // 2, counts


@pytest.mark.parametrize("native_bf16", [True, False])
def test_auto_precision_on_the_cpu(tiny, demo_codes, monkeypatch, native_bf16):
    # bf16 autocast pays for training only where the CPU computes in bf16;
    # predictions stay float32 so that they do not depend on the machine.
    monkeypatch.setattr("skgxp._device._cpu_bf16", lambda: native_bf16)
    codes, y = demo_codes
    net = DeepGXPRegressor(max_epochs=1, batch_size=64, device="cpu", verbose=0,
                           warm_start=True, **tiny)
    net.initialize()
    dtypes = []
    net.module_.conv1.register_forward_hook(lambda m, args, out: dtypes.append(out.dtype))
    net.fit(codes, y)
    trained = set(dtypes)
    dtypes.clear()
    net.predict(codes[:8])
    assert trained == {torch.bfloat16 if native_bf16 else torch.float32}
    assert set(dtypes) == {torch.float32}
