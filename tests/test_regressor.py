"""DeepGXPRegressor: BHI's loss, schedule, seeding, TTA, standardization,
defaults, skorch callbacks and input errors."""

import math

import numpy as np
import pytest
import torch
from skorch.callbacks import Checkpoint, EarlyStopping, EpochScoring, ProgressBar
from skorch.dataset import Dataset, ValidSplit
from skorch.helper import predefined_split

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo
from skgxp.metrics import pearson_r, pearson_scorer
from conftest import SENSITIVE




def _net(tiny, **params):
    settings = dict(max_epochs=1, batch_size=32, tta=2, verbose=0, **tiny)
    settings.update(params)
    return DeepGXPRegressor(**settings)


@pytest.fixture(scope="module")
def fitted(tiny, demo_codes):
    """A tiny regressor fitted once on 200 coded promoters."""
    codes, y = demo_codes
    return _net(tiny, tta=10, **SENSITIVE).fit(codes, y)


@pytest.fixture(scope="module")
def long_demo(demo):
    """Demo promoters of 110 bp or more: no padding, so windows are fixed."""
    X, y = demo
    keep = np.array([len(s) >= 110 for s in X])
    return X[keep][:64], y[keep][:64]


# -- loss -------------------------------------------------------------------


def test_loss_is_the_mean_of_the_two_strands_huber_losses(fitted):
    gen = torch.Generator().manual_seed(0)
    forward, reverse = torch.randn(2, 16, 1, generator=gen) * 3
    y = torch.rand(16, generator=gen) * 17
    target = ((y - 11.0) / fitted.target_scale_).reshape(-1, 1)
    expected = (
        torch.nn.functional.huber_loss(forward, target, delta=1.0)
        + torch.nn.functional.huber_loss(reverse, target, delta=1.0)
    ) / 2
    loss = fitted.get_loss((forward, reverse), y)
    assert torch.allclose(loss, expected, rtol=1e-6)


def test_training_loss_averages_forward_and_reverse_strand_passes(tiny, bhi, long_demo):
    # lr=0 keeps the weights fixed and no dropout makes each pass deterministic,
    # so each batch's recorded loss can be recomputed from BHI's own tensors.
    X, y = long_demo
    net = _net(
        tiny, lr=0.0, batch_size=16, iterator_train__shuffle=False,
        module__conv_dropout=0.0, module__dropout=0.0, **SENSITIVE,
        precision="fp32",  # the recomputation below is float32
    ).fit(PromoterEncoder().fit_transform(X), y)
    onehot = torch.from_numpy(np.stack([bhi.onehot(s[:110]) for s in X]))
    target = torch.from_numpy((y.astype(np.float32) - 11) / net.target_scale_)[:, None]
    huber = torch.nn.HuberLoss(delta=1.0)
    net.module_.eval()
    with torch.no_grad():
        fwd, rev = net.module_(onehot), net.module_(onehot.flip(1, 2))
    assert not torch.allclose(fwd, rev)  # the strands must be told apart
    batches = net.history[-1]["batches"]
    assert len(batches) == 4
    for i, batch in enumerate(batches):
        rows = slice(16 * i, 16 * (i + 1))
        expected = (huber(fwd[rows], target[rows]) + huber(rev[rows], target[rows])) / 2
        assert batch["train_loss"] == pytest.approx(expected.item(), rel=1e-5)


def _frozen_epoch_losses(tiny, X, y):
    """Per-batch training losses of 2 epochs with fixed weights, no dropout, no shuffle."""
    net = _net(
        tiny, lr=0.0, batch_size=16, max_epochs=2, iterator_train__shuffle=False,
        module__conv_dropout=0.0, module__dropout=0.0, **SENSITIVE,
    ).fit(PromoterEncoder().fit_transform(X), y)
    return net.history[:, "batches", :, "train_loss"]


def test_padding_is_redrawn_every_epoch(tiny):
    X, y = load_dream_demo(return_X_y=True)
    short = np.array([len(s) < 105 for s in X])  # 5+ bases of padding each
    first, second = _frozen_epoch_losses(tiny, X[short][:32], y[short][:32])
    assert first != pytest.approx(second, rel=1e-6)


def test_unpadded_sequences_see_the_same_windows_every_epoch(tiny, long_demo):
    # The control for the test above: without padding, nothing else varies.
    X, y = long_demo
    first, second = _frozen_epoch_losses(tiny, X[:32], y[:32])
    assert first == pytest.approx(second, rel=1e-6)


# -- cosine schedule ------------------------------------------------------------


def _cosine(lr0, total):
    return [lr0 * (1 + math.cos(math.pi * k / total)) / 2 for k in range(total)]


def test_cosine_schedule_per_batch_reaches_zero(tiny, demo_codes):
    codes, y = demo_codes
    # 100 rows, batch 32, drop_last: 3 steps per epoch, T = 3 * 2.
    net = _net(tiny, lr=0.01, max_epochs=2).fit(codes[:100], y[:100])
    recorded = [lr for epoch in net.history[:, "batches", :, "lr"] for lr in epoch]
    assert recorded == pytest.approx(_cosine(0.01, 6), abs=1e-12)
    assert net.optimizer_.param_groups[0]["lr"] == 0.0


def test_cosine_length_follows_this_fits_row_count(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, lr=0.01, max_epochs=2).fit(codes[:70], y[:70])
    recorded = [lr for epoch in net.history[:, "batches", :, "lr"] for lr in epoch]
    assert recorded == pytest.approx(_cosine(0.01, 4), abs=1e-12)
    assert net.optimizer_.param_groups[0]["lr"] == 0.0


def test_cosine_counts_only_training_rows_with_a_validation_split(tiny, demo_codes):
    codes, y = demo_codes
    # 160 rows, 20 % held out: 128 training rows -> 4 steps per epoch.
    net = _net(tiny, lr=0.01, max_epochs=2, train_split=ValidSplit(0.2, random_state=0))
    net.fit(codes[:160], y[:160])
    recorded = [lr for epoch in net.history[:, "batches", :, "lr"] for lr in epoch]
    assert recorded == pytest.approx(_cosine(0.01, 8), abs=1e-12)


# -- seeding ----------------------------------------------------------------------


def test_same_random_state_gives_identical_predictions(tiny, demo_codes):
    codes, y = demo_codes
    first = _net(tiny, random_state=7, **SENSITIVE).fit(codes, y).predict(codes)
    second = _net(tiny, random_state=7, **SENSITIVE).fit(codes, y).predict(codes)
    assert np.array_equal(first, second)


def test_different_random_states_give_different_predictions(tiny, demo_codes):
    codes, y = demo_codes
    first = _net(tiny, random_state=7, **SENSITIVE).fit(codes, y).predict(codes)
    second = _net(tiny, random_state=8, **SENSITIVE).fit(codes, y).predict(codes)
    assert not np.allclose(first, second)


# -- prediction -------------------------------------------------------------------


def test_predict_returns_one_value_per_row(fitted, demo_codes):
    codes, _ = demo_codes
    pred = fitted.predict(codes[:7])
    assert pred.shape == (7,)
    assert pred.dtype == np.float32


def test_y_as_column_gives_the_same_model(tiny, demo_codes):
    codes, y = demo_codes
    flat = _net(tiny, **SENSITIVE).fit(codes, y).predict(codes)
    column = _net(tiny, **SENSITIVE).fit(codes, y[:, None]).predict(codes)
    assert np.array_equal(flat, column)


def test_tta_settings_give_different_finite_predictions(fitted, demo_codes):
    codes, _ = demo_codes
    preds = {}
    for tta in (1, 2, 6, 10):
        fitted.set_params(tta=tta)
        preds[tta] = fitted.predict(codes[:20])
    fitted.set_params(tta=10)
    assert all(np.isfinite(p).all() for p in preds.values())
    for a, b in [(1, 2), (2, 6), (6, 10), (1, 10)]:
        assert not np.allclose(preds[a], preds[b]), (a, b)


def test_ten_view_prediction_is_the_mean_over_bhis_views(fitted, bhi, long_demo):
    X, _ = long_demo
    X = X[:8]
    views = [bhi.onehot(bhi.shift(s[:110], k)) for k in (-2, -1, 0, 1, 2) for s in X]
    views = torch.from_numpy(np.stack(views))
    views = torch.cat([views, views.flip(1, 2)])
    fitted.module_.eval()
    with torch.no_grad():
        standardized = fitted.module_(views).reshape(10, len(X)).mean(0).numpy()
    expected = standardized * fitted.target_scale_ + 11.0
    pred = fitted.predict(PromoterEncoder().fit_transform(X))
    np.testing.assert_allclose(pred, expected, rtol=1e-5, atol=1e-5)


def test_shifted_views_need_codes(tiny, demo):
    X, y = demo
    onehot = PromoterEncoder(output="onehot").fit_transform(X[:40])
    with pytest.raises(
        ValueError,
        match=(
            r"^tta=10 needs shifted views, which need PromoterEncoder's codes \(vector "
            r"context\); with one-hot input use tta=1 or tta=2\.$"
        ),
    ):
        _net(tiny, tta=10).fit(onehot, y[:40])


@pytest.mark.parametrize("flat", [False, True], ids=["3d", "2d"])
def test_one_hot_input_trains_and_predicts(tiny, demo, flat):
    X, y = demo
    onehot = PromoterEncoder(output="onehot").fit_transform(X[:64])
    if flat:
        onehot = onehot.reshape(64, -1)
    net = _net(tiny).fit(onehot, y[:64])
    assert net.input_length_ == 110
    pred = net.predict(onehot[:5])
    assert pred.shape == (5,)
    assert np.isfinite(pred).all()


# -- target standardization ----------------------------------------------------------


def test_target_scale_is_the_population_std(fitted, demo_codes):
    _, y = demo_codes
    assert fitted.target_scale_ == pytest.approx(np.std(y), rel=1e-6)


def test_predictions_are_in_the_units_of_y(tiny, demo_codes):
    # (a*y + b - (11a + b)) / (a*std) is the same standardized target, so the
    # same seed learns the same network and predictions move with y's units.
    codes, y = demo_codes
    base = _net(tiny).fit(codes, y).predict(codes)
    moved = _net(tiny, target_center=11.0 * 10 + 100).fit(codes, 10 * y + 100).predict(codes)
    np.testing.assert_allclose(moved, 10 * base + 100, rtol=1e-4)
    assert moved.min() > 100


# -- defaults ------------------------------------------------------------------------


def test_defaults_are_bhis_recipe():
    params = DeepGXPRegressor().get_params()
    assert params["lr"] == 1.5e-3
    assert params["optimizer__weight_decay"] == 0.01
    assert params["batch_size"] == 512
    assert params["max_epochs"] == 15
    assert params["iterator_train__shuffle"] is True
    assert params["iterator_train__drop_last"] is True
    assert params["random_state"] == 40
    assert params["tta"] == 10
    assert params["target_center"] == 11.0
    assert params["device"] == "auto"
    assert params["optimizer"] is torch.optim.AdamW
    assert params["criterion"] is torch.nn.HuberLoss


def test_initialized_criterion_and_optimizer(fitted):
    assert fitted.criterion_.delta == 1.0
    assert isinstance(fitted.optimizer_, torch.optim.AdamW)
    assert fitted.optimizer_.defaults["weight_decay"] == 0.01


def test_device_auto_is_kept_after_fit(fitted):
    assert fitted.get_params()["device"] == "auto"
    assert next(fitted.module_.parameters()).device.type == (
        "cuda" if torch.cuda.is_available() else "cpu"
    )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_auto_device_trains_on_cuda_and_bf16_predictions_track_fp32(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, **SENSITIVE).fit(codes, y)
    assert next(net.module_.parameters()).device.type == "cuda"
    bf16 = net.predict(codes)  # precision="auto": bf16 autocast on CUDA
    fp32 = net.set_params(precision="fp32").predict(codes)
    np.testing.assert_allclose(bf16, fp32, atol=0.05)


# -- skorch callbacks -----------------------------------------------------------------


def test_validation_split_and_early_stopping(tiny, demo_codes):
    codes, y = demo_codes
    # A threshold no epoch can meet: stop after `patience` epochs without gain.
    stop = EarlyStopping(monitor="valid_loss", patience=2, threshold=10.0)
    net = _net(tiny, max_epochs=10, train_split=ValidSplit(0.2, random_state=0),
               callbacks=[stop]).fit(codes, y)
    assert len(net.history) == 3
    assert np.isfinite(net.history[:, "valid_loss"]).all()


def test_checkpoint_writes_its_files(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=2, train_split=ValidSplit(0.2, random_state=0),
               callbacks=[Checkpoint(dirname=str(tmp_path))]).fit(codes, y)
    assert {"params.pt", "optimizer.pt", "history.json"} <= {p.name for p in tmp_path.iterdir()}
    assert any(net.history[:, "event_cp"])


def test_progress_bar_is_drawn(tiny, demo_codes, capsys):
    codes, y = demo_codes
    _net(tiny, callbacks=[ProgressBar()]).fit(codes, y)
    # tqdm draws the bar when it opens; later refreshes depend on timing.
    assert "it/s]" in capsys.readouterr().err


def test_epoch_scoring_with_pearson(tiny, demo_codes):
    codes, y = demo_codes
    valid = Dataset(codes[150:], y[150:])
    scoring = EpochScoring(pearson_scorer, lower_is_better=False, name="valid_pearson")
    net = _net(tiny, max_epochs=2, train_split=predefined_split(valid), callbacks=[scoring])
    net.fit(codes[:150], y[:150])
    recorded = net.history[-1, "valid_pearson"]
    assert recorded == pytest.approx(pearson_r(y[150:], net.predict(codes[150:])), abs=1e-5)


# -- input errors ---------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_target_names_its_row(tiny, demo_codes, bad):
    codes, y = demo_codes
    y = y.copy()
    y[3] = bad
    with pytest.raises(
        ValueError, match=rf"^y\[3\] is {bad}; targets must be finite numbers\.$"
    ):
        _net(tiny).fit(codes, y)


def test_x_and_y_lengths_must_match(tiny, demo_codes):
    codes, y = demo_codes
    with pytest.raises(ValueError, match=r"^X has 200 rows but y has 199; they must match\.$"):
        _net(tiny).fit(codes, y[:-1])


def test_non_numeric_target_names_its_row(tiny, demo_codes):
    codes, y = demo_codes
    y = y.astype(object)
    y[5] = "high"
    with pytest.raises(
        TypeError, match=r"^y\[5\] is 'high' of type str; targets must be numbers\.$"
    ):
        _net(tiny).fit(codes, y)


def test_target_given_as_strings_names_its_row(tiny, demo_codes):
    codes, y = demo_codes
    with pytest.raises(
        TypeError, match=r"^y\[0\] is '\S+' of type str; targets must be numbers\.$"
    ):
        _net(tiny).fit(codes, y.astype(str))


@pytest.mark.parametrize("strings", [list, np.array], ids=["list", "numpy"])
def test_strings_suggest_the_encoder(tiny, demo, strings):
    X, y = demo
    with pytest.raises(
        TypeError,
        match=(
            r"^X has dtype \S+; DeepGXPRegressor takes encoded sequences\. Put a "
            r"PromoterEncoder in front: make_pipeline\(PromoterEncoder\(\), "
            r"DeepGXPRegressor\(\)\)\.$"
        ),
    ):
        _net(tiny).fit(strings(X), y)


@pytest.mark.parametrize(
    "param, message",
    [
        ({"tta": 3}, r"^tta must be one of 1, 2, 6 or 10; got 3\.$"),
        ({"precision": "fp16"}, r"^precision must be 'auto', 'bf16' or 'fp32'; got 'fp16'\.$"),
        ({"device": "tpu"}, r"^device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got 'tpu'\.$"),
        ({"batch_size": 0}, r"^batch_size must be a positive int; got 0\.$"),
        ({"random_state": 1.5}, r"^random_state must be an int or None; got 1\.5\.$"),
    ],
)
def test_bad_parameter_values(tiny, demo_codes, param, message):
    codes, y = demo_codes
    with pytest.raises(ValueError, match=message):
        _net(tiny, **param).fit(codes, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only message")
def test_cuda_without_cuda_is_explained(tiny, demo_codes):
    codes, y = demo_codes
    with pytest.raises(
        ValueError,
        match=(
            r"^device='cuda' was requested but CUDA is not available here; use "
            r"device='auto' or 'cpu'\.$"
        ),
    ):
        _net(tiny, device="cuda").fit(codes, y)


def test_predict_with_codes_of_another_length(fitted, demo):
    X, _ = demo
    with pytest.raises(
        ValueError,
        match=(
            r"^X encodes sequences of length 100, but this model was fitted for length "
            r"110; encode with PromoterEncoder\(length=110\)\.$"
        ),
    ):
        fitted.predict(PromoterEncoder(length=100).fit_transform(X[:3]))


def test_codes_too_narrow_for_any_length(tiny, demo_codes):
    codes, y = demo_codes
    with pytest.raises(
        ValueError,
        match=(
            r"^X has 50 columns of uint8 codes; PromoterEncoder codes have length \+ 113 "
            r"columns\.$"
        ),
    ):
        _net(tiny).fit(codes[:, :50], y)


def test_invalid_code_value_names_row_and_column(fitted, demo_codes):
    codes, _ = demo_codes
    codes = codes[:4].copy()
    codes[1, 5] = 7
    with pytest.raises(
        ValueError,
        match=r"^X\[1, 5\] = 7 is not a PromoterEncoder code \(insert 0-4, vector 8-12\)\.$",
    ):
        fitted.predict(codes)


def test_zero_features_are_refused(tiny, demo_codes):
    _, y = demo_codes
    with pytest.raises(
        ValueError,
        match=r"^X has 0 feature\(s\) \(shape=\(5, 0\)\) while a minimum of 1 is required\.$",
    ):
        _net(tiny).fit(np.zeros((5, 0), dtype=np.float32), y[:5])


def test_complex_input_is_refused(tiny, demo_codes):
    _, y = demo_codes
    with pytest.raises(
        ValueError, match=r"^Complex data not supported: X has dtype complex128\.$"
    ):
        _net(tiny).fit(np.zeros((5, 8), dtype=complex), y[:5])


def test_non_finite_one_hot_names_row_and_column(tiny, demo_codes):
    _, y = demo_codes
    X = np.zeros((5, 4, 3), dtype=np.float32)
    X[2, 1, 1] = np.inf  # column 1 * 3 + 1 of the flattened row
    with pytest.raises(
        ValueError,
        match=(
            r"^X\[2\] contains inf at column 4; one-hot input must be finite "
            r"\(no NaN or inf\)\.$"
        ),
    ):
        _net(tiny).fit(X, y[:5])


def test_flat_one_hot_of_another_width_at_predict(tiny, demo):
    X, y = demo
    onehot = PromoterEncoder(output="onehot").fit_transform(X[:40]).reshape(40, -1)
    net = _net(tiny).fit(onehot, y[:40])
    with pytest.raises(
        ValueError,
        match=(
            r"^X has 436 features, but DeepGXPRegressor is expecting 440 features as "
            r"input \(flattened one-hot, 4 x the fitted length\)\.$"
        ),
    ):
        net.predict(onehot[:, :436])


def test_flat_one_hot_predicts_with_a_model_fitted_on_codes(fitted, demo):
    X, _ = demo
    onehot = PromoterEncoder(output="onehot").fit_transform(X[:5])
    fitted.set_params(tta=2)
    try:
        flat = fitted.predict(onehot.reshape(5, -1))
        cube = fitted.predict(onehot)
    finally:
        fitted.set_params(tta=10)
    assert np.array_equal(flat, cube)


def test_missing_target_is_explained(tiny, demo_codes):
    codes, _ = demo_codes
    with pytest.raises(
        ValueError,
        match=(
            r"^This estimator requires y to be passed, but the target y is None; give "
            r"the measured expression of every row of X\.$"
        ),
    ):
        _net(tiny).fit(codes, None)


def test_predict_before_fit_raises(tiny, demo_codes):
    from sklearn.exceptions import NotFittedError

    codes, _ = demo_codes
    with pytest.raises(NotFittedError):
        _net(tiny).predict(codes)
