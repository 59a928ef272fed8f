"""Parameters stay as given and predict reads only fitted state: device, target_center,
and inputs that cannot be mistaken for one another."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skgxp import DeepGXPRegressor, PromoterEncoder


def _net(tiny, **params):
    return DeepGXPRegressor(**{"max_epochs": 1, "batch_size": 32, "tta": 2, "verbose": 0,
                               **tiny, **params})


def _here():
    return "cuda" if torch.cuda.is_available() else "cpu"


def test_set_params_device_is_kept():
    net = DeepGXPRegressor(device="auto").set_params(device="cpu")
    assert net.get_params()["device"] == "cpu"


def test_device_parameter_stays_auto_while_the_attribute_names_the_device_in_use(
        tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny).fit(codes, y)
    assert net.get_params()["device"] == "auto"
    assert net.device == _here()
    assert next(net.module_.parameters()).device.type == _here()


def test_clone_and_pickle_keep_device_auto(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny).fit(codes, y)
    assert clone(net).get_params()["device"] == "auto"
    restored = pickle.loads(pickle.dumps(net))
    assert restored.get_params()["device"] == "auto"
    np.testing.assert_array_equal(restored.predict(codes), net.predict(codes))


def test_set_params_device_after_fit_is_kept(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny).fit(codes, y)
    net.set_params(device="cpu")
    assert net.get_params()["device"] == "cpu"
    assert net.set_params(device="auto").get_params()["device"] == "auto"


def test_device_none_is_refused_before_training(tiny, demo_codes):
    codes, y = demo_codes
    with pytest.raises(ValueError, match=r"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; "
                                         r"got None\."):
        _net(tiny, device=None).fit(codes, y)


def test_resolved_precision_names_what_training_uses():
    net = DeepGXPRegressor(device="cpu")
    assert net.set_params(precision="fp32").resolved_precision() == "fp32"
    assert net.set_params(precision="bf16").resolved_precision(training=False) == "bf16"
    # "auto" predicts in float32 on the CPU, whatever the CPU.
    assert net.set_params(precision="auto").resolved_precision(training=False) == "fp32"


def test_target_center_is_fitted_state(tiny, sensitive, demo_codes):
    codes, y = demo_codes
    net = _net({**tiny, **sensitive}).fit(codes, y)
    before = net.predict(codes)
    net.set_params(target_center=0.0)
    np.testing.assert_array_equal(net.predict(codes), before)
    assert net.target_center_ == 11.0


def test_target_center_applies_at_the_next_fit(tiny, demo_codes):
    codes, y = demo_codes
    net = _net(tiny, target_center=3.0).fit(codes, y)
    assert net.target_center_ == 3.0


def test_uint8_one_hot_is_not_taken_for_codes(tiny, demo):
    X, y = demo
    onehot = PromoterEncoder(output="onehot").transform(X).reshape(len(X), -1)
    with pytest.raises(ValueError, match=(
        r"X\[0\] is not laid out as PromoterEncoder codes \(vector codes 8-12 in columns "
        r"0-36, then the insert's codes 0-4 in one run, then vector codes\): column 0 holds "
        r"\d\. One-hot input must be float, of shape \(n, 4, length\) or \(n, 4 \* length\)")):
        _net(tiny).fit(onehot.astype(np.uint8), y)


def test_codes_with_an_insert_code_in_the_vector_are_refused(tiny, demo_codes):
    codes, y = demo_codes
    bad = codes.copy()
    bad[3, -1] = 2  # an insert G among the 3' vector columns
    with pytest.raises(ValueError, match=rf"X\[3\] is not laid out as PromoterEncoder codes"
                                         rf".*column {codes.shape[1] - 1} holds 2"):
        _net(tiny).fit(bad, y)


def test_float_codes_are_not_taken_for_one_hot(tiny, demo_codes):
    codes, y = demo_codes
    wide = np.pad(codes, ((0, 0), (0, 1)), constant_values=12)  # 224 columns: 4 x 56
    with pytest.raises(ValueError, match=r"X\[0\] contains 1\d\.0 at column 0; one-hot values "
                                         r"lie in \[0, 1\]\. PromoterEncoder codes must stay "
                                         r"uint8"):
        _net(tiny, tta=1).fit(wide.astype(np.float32), y)
