"""Per-sample weights: the weighted conjoined loss, validation, metadata routing."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.model_selection import cross_validate, KFold
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder


def _net(tiny, **params):
    settings = dict(max_epochs=1, batch_size=32, tta=2, verbose=0, **tiny)
    settings.update(params)
    return DeepGXPRegressor(**settings)


def _weights(n, seed=0):
    return np.random.default_rng(seed).uniform(0.1, 3.0, n)


def test_weighted_loss_is_the_mean_of_weight_times_row_loss(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny).fit(codes, y)
    forward, reverse = torch.randn(8, 1), torch.randn(8, 1)
    target = torch.as_tensor(y[:8], dtype=torch.float32)
    w = torch.rand(8)
    got = net.get_loss((forward, reverse), target, sample_weight=w)
    t = ((target - 11.0) / net.target_scale_).reshape(-1, 1)

    def huber(p):  # delta 1, written out
        d = (p - t).abs()
        return torch.where(d < 1, 0.5 * d**2, d - 0.5)

    expected = (w.reshape(-1, 1) * (huber(forward) + huber(reverse)) / 2).mean()
    assert got.item() == pytest.approx(expected.item(), rel=1e-6)


def test_unit_weights_give_the_unweighted_fit(tiny, demo_codes):
    codes, y = demo_codes
    plain = _net(tiny).fit(codes, y)
    weighted = _net(tiny).fit(codes, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(weighted.history[:, "train_loss"], plain.history[:, "train_loss"],
                               rtol=1e-6)
    np.testing.assert_allclose(weighted.predict(codes), plain.predict(codes), rtol=1e-6)


def test_weights_are_scaled_to_a_mean_of_one(tiny, demo_codes):
    codes, y = demo_codes
    w = _weights(len(y))
    once = _net(tiny).fit(codes, y, sample_weight=w)
    scaled = _net(tiny).fit(codes, y, sample_weight=7 * w)
    np.testing.assert_allclose(scaled.predict(codes), once.predict(codes), rtol=1e-5)


def test_weights_change_the_fit(tiny, sensitive, demo_codes):
    codes, y = demo_codes
    plain = _net({**tiny, **sensitive}).fit(codes, y)
    weighted = _net({**tiny, **sensitive}).fit(codes, y, sample_weight=_weights(len(y)))
    assert not np.allclose(weighted.predict(codes), plain.predict(codes))


def test_pipeline_routes_sample_weight_with_metadata_routing(tiny, sensitive, demo, demo_codes):
    X, y = demo
    codes, _ = demo_codes
    w = _weights(len(y))
    direct = _net({**tiny, **sensitive}).fit(codes, y, sample_weight=w)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            PromoterEncoder(),
            _net({**tiny, **sensitive}).set_fit_request(sample_weight=True),
        )
        pipe.fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(pipe.predict(X), direct.predict(codes))


def test_cross_validate_routes_sample_weight(tiny, sensitive, demo):
    X, y = demo
    w = _weights(len(y))
    cv = KFold(2, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        regressor = _net({**tiny, **sensitive}).set_fit_request(sample_weight=True)
        pipe = make_pipeline(PromoterEncoder(), regressor.set_score_request(sample_weight=True))
        routed = cross_validate(pipe, X, y, cv=cv, params={"sample_weight": w},
                                return_estimator=True)
    assert np.isfinite(routed["test_score"]).all()
    for (train, _), est in zip(cv.split(X), routed["estimator"]):
        reference = _net({**tiny, **sensitive}).fit(
            PromoterEncoder().transform(X[train]), y[train], sample_weight=w[train])
        np.testing.assert_array_equal(est.predict(X[:5]),
                                      reference.predict(PromoterEncoder().transform(X[:5])))


def test_weighted_validation_loss(tiny, demo_codes):
    from skorch.dataset import ValidSplit

    codes, y = demo_codes
    net = _net(tiny, train_split=ValidSplit(4)).fit(codes, y, sample_weight=_weights(len(y)))
    assert np.isfinite(net.history[-1, "valid_loss"])


@pytest.mark.parametrize("w, message", [
    (np.ones(3), r"sample_weight must have shape \(200,\), one weight per row of X; got "
                 r"shape \(3,\)"),
    (np.r_[np.ones(5), -1.0, np.ones(194)], r"sample_weight\[5\] is -1.0; weights must be "
                                            r"finite and >= 0"),
    (np.r_[np.ones(7), np.nan, np.ones(192)], r"sample_weight\[7\] is nan"),
    (np.zeros(200), "sample_weight sums to 0; at least one row needs a weight > 0"),
])
def test_bad_sample_weight_is_refused(tiny, demo_codes, w, message):
    codes, y = demo_codes
    with pytest.raises(ValueError, match=message):
        _net(tiny).fit(codes, y, sample_weight=w)


def test_string_sample_weight_is_refused(tiny, demo_codes):
    codes, y = demo_codes
    with pytest.raises(TypeError, match="sample_weight must be numeric; got dtype <U1"):
        _net(tiny).fit(codes, y, sample_weight=np.array(["a"] * 200))
