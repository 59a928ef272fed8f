"""skgxp.save / skgxp.load: safetensors + JSON model files, checksums, allow-list."""

import hashlib
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.ensemble import VotingRegressor
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import Lasso, LinearRegression, RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch.callbacks import Callback, EarlyStopping, EpochScoring
from skorch.dataset import ValidSplit

import skgxp
from skgxp import (DeepGXP, DeepGXPRegressor, KmerCounts, ModelFileError, PromoterEncoder,
                   QuantileCalibrator)
from skgxp.callbacks import TrainingCheckpoint
from skgxp.metrics import pearson_scorer
from skgxp.recipes import _dense, kmer_ridge
from conftest import SENSITIVE

#: The TypeError for an estimator that skgxp.save does not store, up to the class.
UNSUPPORTED = (
    "skgxp.save supports DeepGXPRegressor, a Pipeline of PromoterEncoder and "
    "DeepGXPRegressor, skgxp.recipes.kmer_ridge() (a Pipeline of KmerCounts, "
    "FunctionTransformer and RidgeCV), a VotingRegressor of these, and "
    "QuantileCalibrator around any of them; got {}. Use pickle for other estimators "
    "(trusted files only)."
)


def _net(tiny, **params):
    settings = {"max_epochs": 1, "batch_size": 32, "verbose": 0, **tiny, **SENSITIVE}
    settings.update(params)
    return DeepGXPRegressor(**settings)


@pytest.fixture(scope="module")
def pipeline(tiny, demo):
    X, y = demo
    return make_pipeline(PromoterEncoder(), _net(tiny)).fit(X, y)


@pytest.fixture
def saved(pipeline, tmp_path):
    return skgxp.save(pipeline, tmp_path / "model")


def _rewrite(directory, edit):
    """Edit model.json and re-sign it as save does (checksum of the canonical JSON)."""
    path = Path(directory) / "model.json"
    doc = json.loads(path.read_text())
    doc.pop("content_sha256")
    edit(doc)
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    doc["content_sha256"] = hashlib.sha256(canonical.encode()).hexdigest()
    path.write_text(json.dumps(doc))


def _regressor_node(doc):
    return doc["estimator"]["steps"][1][1]


# -- round trips ------------------------------------------------------------------


def test_pipeline_round_trip_predicts_identically(pipeline, saved, demo):
    X, _ = demo
    loaded = skgxp.load(saved, device="cpu")
    assert [name for name, _ in loaded.steps] == [name for name, _ in pipeline.steps]
    assert np.array_equal(loaded.predict(X), pipeline.predict(X))


def test_regressor_round_trip_restores_learned_attributes(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(tiny, max_epochs=2).fit(codes, y)
    loaded = skgxp.load(skgxp.save(net, tmp_path), device="cpu")
    assert (loaded.input_length_, loaded.target_scale_, loaded.n_features_in_) == (
        net.input_length_, net.target_scale_, net.n_features_in_)
    assert loaded.history[:, "train_loss"] == net.history[:, "train_loss"]
    assert loaded.restarts_ == net.restarts_ == []
    assert np.array_equal(loaded.predict(codes), net.predict(codes))


@pytest.mark.parametrize("method", ["normal", "empirical"])
def test_calibrator_round_trip_predicts_identically(tiny, demo, tmp_path, method):
    X, y = demo
    model = QuantileCalibrator(make_pipeline(PromoterEncoder(), _net(tiny)), method=method)
    model.fit(X, y)
    loaded = skgxp.load(skgxp.save(model, tmp_path), device="cpu")
    assert loaded.method == method
    assert np.array_equal(loaded.sorted_targets_, model.sorted_targets_)
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_calibrator_around_frozen_model_stays_frozen(pipeline, demo, tmp_path):
    X, y = demo
    model = QuantileCalibrator(FrozenEstimator(pipeline)).fit(X, y)
    loaded = skgxp.load(skgxp.save(model, tmp_path), device="cpu")
    assert isinstance(loaded.regressor_, FrozenEstimator)
    assert loaded.regressor is loaded.regressor_
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_parameters_and_allow_listed_callbacks_survive(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(
        tiny, train_split=ValidSplit(0.25, random_state=0), module__conv1_kernel_sizes=(3, 5),
        callbacks=[EpochScoring(pearson_scorer, lower_is_better=False, name="valid_pearson"),
                   ("stop", EarlyStopping(monitor="valid_pearson", lower_is_better=False)),
                   TrainingCheckpoint(tmp_path / "ckpt")],
    ).fit(codes, y)
    loaded = skgxp.load(skgxp.save(net, tmp_path / "model"), device="cpu")
    params = loaded.get_params(deep=False)
    assert params["module__conv1_kernel_sizes"] == (3, 5)
    assert (params["train_split"].cv, params["train_split"].random_state) == (0.25, 0)
    scoring, (name, stop), checkpoint = params["callbacks"]
    assert scoring.scoring is pearson_scorer and scoring.name == "valid_pearson"
    assert (name, stop.monitor) == ("stop", "valid_pearson")
    assert checkpoint.dirname == str(tmp_path / "ckpt")
    assert "valid_pearson" in loaded.history[-1]


def test_metadata_is_stored_in_model_json(pipeline, tmp_path):
    skgxp.save(pipeline, tmp_path, metadata={"data": {"rows": 200}, "tags": ["a", 1.5]})
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["metadata"] == {"data": {"rows": 200}, "tags": ["a", 1.5]}


def test_metadata_must_be_json_data(pipeline, tmp_path):
    with pytest.raises(TypeError, match="metadata must be JSON data"):
        skgxp.save(pipeline, tmp_path, metadata={"when": object()})


def test_model_json_records_format_and_weights_checksum(saved):
    doc = json.loads((saved / "model.json").read_text())
    weights = (saved / "weights.safetensors").read_bytes()
    assert (doc["format"], doc["format_version"]) == ("skgxp-model", 1)
    assert doc["weights"] == {"file": "weights.safetensors", "bytes": len(weights),
                              "sha256": hashlib.sha256(weights).hexdigest()}


def test_saving_again_replaces_the_files(pipeline, tiny, demo, saved):
    X, y = demo
    other = make_pipeline(PromoterEncoder(), _net(tiny, random_state=1)).fit(X, y)
    loaded = skgxp.load(skgxp.save(other, saved), device="cpu")
    assert np.array_equal(loaded.predict(X), other.predict(X))
    assert sorted(p.name for p in saved.iterdir()) == ["model.json", "weights.safetensors"]


def test_model_saved_with_cuda_device_loads_on_cpu(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(tiny).fit(codes, y)
    net.device = "cuda"  # as a model trained on a GPU machine records it
    skgxp.save(net, tmp_path)
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["estimator"]["params"]["device"] == "cuda"
    net.device = "cpu"
    loaded = skgxp.load(tmp_path, device="cpu")
    assert loaded.device == "cpu"
    assert np.array_equal(loaded.predict(codes), net.predict(codes))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_model_trained_on_cuda_predicts_on_cpu(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(tiny, device="cuda", precision="fp32").fit(codes, y)
    loaded = skgxp.load(skgxp.save(net, tmp_path), device="cpu")
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.predict(codes), net.predict(codes), rtol=1e-4, atol=1e-4)


# -- what cannot be saved -----------------------------------------------------------


class _Recorder(Callback):
    """A callback class outside the allow-list."""

    def __init__(self, level=0):
        self.level = level


def test_unsafe_callback_is_dropped_with_a_note(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(tiny, callbacks=[("rec", _Recorder())], callbacks__rec__level=2).fit(codes, y)
    with pytest.warns(UserWarning, match="callback 'rec' .* was dropped"):
        skgxp.save(net, tmp_path)
    doc = json.loads((tmp_path / "model.json").read_text())
    assert any("'rec'" in note for note in doc["notes"])
    assert "callbacks__rec__level" not in doc["estimator"]["params"]
    assert skgxp.load(tmp_path, device="cpu").callbacks is None


def _zero_score(net, X, y):
    return 0.0


def test_callback_with_a_user_function_is_dropped(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(tiny, callbacks=[EpochScoring(_zero_score, name="zero", on_train=True)])
    net.fit(codes, y)
    with pytest.warns(UserWarning, match="callback 'EpochScoring' .* was dropped"):
        skgxp.save(net, tmp_path)
    assert skgxp.load(tmp_path, device="cpu").callbacks is None


def test_unpickling_torch_load_kwargs_are_not_saved(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = _net(tiny, torch_load_kwargs={"weights_only": False}).fit(codes, y)
    with pytest.warns(UserWarning, match="torch_load_kwargs was dropped"):
        skgxp.save(net, tmp_path)
    assert skgxp.load(tmp_path, device="cpu").torch_load_kwargs is None


def test_unpickling_torch_load_kwargs_are_refused_on_load(saved):
    _rewrite(saved, lambda doc: _regressor_node(doc)["params"].update(
        torch_load_kwargs={"__dict__": {"weights_only": False}}))
    with pytest.raises(ModelFileError, match="sets torch_load_kwargs without weights_only=True"):
        skgxp.load(saved)


def test_module_instance_cannot_be_saved(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    net = DeepGXPRegressor(DeepGXP(input_length=110, conv1_channels=4, lstm_hidden_size=4,
                                   conv2_channels=4, fc_size=4),
                           max_epochs=1, batch_size=64, verbose=0).fit(codes, y)
    with pytest.raises(TypeError,
                       match=r"module \(a DeepGXP instance\) cannot be saved safely"):
        skgxp.save(net, tmp_path)


def test_other_estimators_are_refused(tmp_path):
    model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(TypeError, match=re.escape(UNSUPPORTED.format("LinearRegression"))):
        skgxp.save(model, tmp_path)


def test_unfitted_regressor_is_refused(tiny, tmp_path):
    with pytest.raises(NotFittedError):
        skgxp.save(_net(tiny), tmp_path)


# -- damaged, tampered and foreign files ------------------------------------------------


def test_unknown_device_is_not_reported_as_a_file_problem(saved):
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu', 'cuda'") as caught:
        skgxp.load(saved, device="tpu")
    assert not isinstance(caught.value, ModelFileError)


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(ModelFileError, match=r"model\.json not found"):
        skgxp.load(tmp_path / "nothing")


def test_any_changed_weights_byte_fails_the_checksum(saved):
    path = saved / "weights.safetensors"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"weights\.safetensors fails its checksum"):
        skgxp.load(saved)


def test_truncated_weights_fail_the_checksum(saved):
    path = saved / "weights.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ModelFileError, match=r"weights\.safetensors fails its checksum"):
        skgxp.load(saved)


def test_missing_weights_file_is_named(saved):
    (saved / "weights.safetensors").unlink()
    with pytest.raises(ModelFileError, match=r"weights\.safetensors not found"):
        skgxp.load(saved)


def test_edited_model_json_fails_its_content_checksum(saved):
    path = saved / "model.json"
    text = path.read_text()
    edited = re.sub(r'"target_scale_":\s*([0-9.]+)', r'"target_scale_":1\1', text, count=1)
    assert edited != text
    path.write_text(edited)
    with pytest.raises(ModelFileError, match=r"model\.json fails its content checksum"):
        skgxp.load(saved)


def test_truncated_model_json_is_reported(saved):
    path = saved / "model.json"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelFileError, match=r"model\.json is not valid JSON"):
        skgxp.load(saved)


def test_model_json_with_an_out_of_range_number_is_reported(saved):
    path = saved / "model.json"
    path.write_text(re.sub(r'"target_scale_":\s*[0-9.]+', '"target_scale_":1e999',
                           path.read_text(), count=1))
    with pytest.raises(ModelFileError, match=r"model\.json is not valid JSON .*number 1e999 "
                                             "is out of range"):
        skgxp.load(saved)


def test_model_json_with_invalid_utf8_is_reported(saved):
    path = saved / "model.json"
    data = bytearray(path.read_bytes())
    data[10] = 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"model\.json is not valid JSON"):
        skgxp.load(saved)


def test_newer_format_version_is_refused(saved):
    _rewrite(saved, lambda doc: doc.update(format_version=2))
    with pytest.raises(ModelFileError, match="format version 2; this skgxp reads version 1"):
        skgxp.load(saved)


def test_class_outside_allow_list_is_refused_without_running_it(saved, monkeypatch):
    calls = []
    monkeypatch.setattr("os.system", lambda *args: calls.append(args))

    def edit(doc):
        _regressor_node(doc)["params"]["module"] = {"__ref__": "os.system"}

    _rewrite(saved, edit)
    with pytest.raises(ModelFileError, match="names 'os.system', which is not in skgxp's "
                                             "allow-list"):
        skgxp.load(saved)
    assert calls == []


def test_object_of_unknown_class_is_refused(saved):
    def edit(doc):
        _regressor_node(doc)["params"]["train_split"] = {
            "__object__": "subprocess.Popen", "params": {"args": ["true"]}}

    _rewrite(saved, edit)
    with pytest.raises(ModelFileError, match="names 'subprocess.Popen'"):
        skgxp.load(saved)


def test_weights_that_do_not_fit_the_parameters_are_refused(saved):
    _rewrite(saved, lambda doc: _regressor_node(doc)["params"].update(module__fc_size=16))
    with pytest.raises(ModelFileError, match=r"weights\.safetensors does not match the "
                                             r"network described in model\.json"):
        skgxp.load(saved)


def test_weights_of_another_model_are_refused(saved, tiny, demo, tmp_path):
    X, y = demo
    other = skgxp.save(make_pipeline(PromoterEncoder(), _net(tiny, random_state=2)).fit(X, y),
                       tmp_path / "other")
    (saved / "weights.safetensors").write_bytes((other / "weights.safetensors").read_bytes())
    with pytest.raises(ModelFileError, match=r"weights\.safetensors fails its checksum"):
        skgxp.load(saved)


def test_unknown_parameter_is_reported(saved):
    _rewrite(saved, lambda doc: _regressor_node(doc)["params"].update(module__colour=1))
    with pytest.raises(ModelFileError, match="cannot build DeepGXPRegressor"):
        skgxp.load(saved)


def test_invalid_parameter_values_are_reported(saved):
    _rewrite(saved, lambda doc: _regressor_node(doc)["params"].update(tta=7))
    with pytest.raises(ModelFileError, match="invalid DeepGXPRegressor parameters: tta must"):
        skgxp.load(saved)


# -- no pickle anywhere ------------------------------------------------------------------


def test_torch_load_is_only_called_with_weights_only():
    package = Path(skgxp.__file__).parent
    calls = [(path.name, match.group(0))
             for path in package.rglob("*.py")
             for match in re.finditer(r"torch\.load\([^)]*\)", path.read_text())]
    assert calls, "expected the training checkpoint reader to use torch.load"
    assert all("weights_only=True" in call for _, call in calls), calls


# -- kmer_ridge and VotingRegressor -------------------------------------------------------


@pytest.fixture(scope="module")
def ridge(demo):
    X, y = demo
    return kmer_ridge().fit(X, y)


@pytest.fixture
def ridge_saved(ridge, tmp_path):
    return skgxp.save(ridge, tmp_path / "ridge")


def _ensemble(tiny):
    deepgxp = make_pipeline(PromoterEncoder(), _net(tiny, device="cpu"))
    return VotingRegressor([("kmer_ridge", kmer_ridge()), ("deepgxp", deepgxp)],
                           weights=[0.7, 0.3])


@pytest.fixture(scope="module")
def ensemble(tiny, demo):
    X, y = demo
    return _ensemble(tiny).fit(X, y)


def _small_ridge(*steps, **ridge_params):
    """A fast kmer_ridge-like pipeline (1- and 2-mers)."""
    return make_pipeline(KmerCounts(k=(1, 2)), FunctionTransformer(_dense, accept_sparse=True),
                         *steps or (RidgeCV(**ridge_params),))


_PREDICT_IN_A_FRESH_PROCESS = (
    "import json, sys; import numpy as np; import skgxp; "
    "model = skgxp.load(sys.argv[1], device='cpu'); "
    "np.save(sys.argv[3], model.predict(json.loads(open(sys.argv[2]).read())))"
)


def test_kmer_ridge_round_trip_predicts_identically_in_a_fresh_process(
        ridge, ridge_saved, demo, tmp_path):
    X, _ = demo
    (tmp_path / "X.json").write_text(json.dumps(list(X)))
    subprocess.run([sys.executable, "-c", _PREDICT_IN_A_FRESH_PROCESS, str(ridge_saved),
                    str(tmp_path / "X.json"), str(tmp_path / "pred.npy")],
                   check=True, capture_output=True, timeout=300)
    predicted = np.load(tmp_path / "pred.npy")
    assert np.ptp(predicted) > 0  # a fitted ridge, not a constant
    np.testing.assert_array_equal(predicted, ridge.predict(X))


def test_kmer_ridge_round_trip_restores_the_fitted_steps(ridge, ridge_saved):
    loaded = skgxp.load(ridge_saved)
    counts, dense, fitted = (step for _, step in loaded.steps)
    assert (type(counts), counts.k, counts.canonical) == (KmerCounts, (1, 6), True)
    assert (type(dense), dense.func, dense.accept_sparse, dense.feature_names_out) == (
        FunctionTransformer, _dense, True, "one-to-one")
    assert dense.n_features_in_ == ridge[1].n_features_in_ == 2772
    original = ridge[-1]
    assert type(fitted) is RidgeCV
    np.testing.assert_array_equal(fitted.coef_, original.coef_)
    np.testing.assert_array_equal(fitted.alphas, original.alphas)
    assert (fitted.intercept_, type(fitted.intercept_)) == (original.intercept_, np.float64)
    assert (fitted.alpha_, fitted.best_score_, fitted.n_features_in_) == (
        original.alpha_, original.best_score_, original.n_features_in_)


def test_ridge_cross_validation_object_is_dropped_with_a_note(demo, tmp_path):
    X, y = demo
    model = _small_ridge(cv=KFold(3)).fit(X, y)
    with pytest.warns(UserWarning, match=re.escape(
            "parameter cv of RidgeCV (at 'ridgecv') (a KFold) was dropped")):
        skgxp.save(model, tmp_path)
    loaded = skgxp.load(tmp_path)
    assert loaded[-1].cv is None
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_voting_regressor_round_trip_predicts_identically(ensemble, demo, tmp_path):
    X, _ = demo
    loaded = skgxp.load(skgxp.save(ensemble, tmp_path), device="cpu")
    assert type(loaded) is VotingRegressor and loaded.weights == [0.7, 0.3]
    assert list(loaded.named_estimators_) == ["kmer_ridge", "deepgxp"]
    assert loaded.estimators_ == list(loaded.named_estimators_.values())
    np.testing.assert_array_equal(loaded.predict(X), ensemble.predict(X))


def test_voting_regressor_parameter_estimators_are_unfitted_clones(ensemble, tmp_path):
    loaded = skgxp.load(skgxp.save(ensemble, tmp_path), device="cpu")
    (name, ridge_param), _ = loaded.estimators
    assert name == "kmer_ridge" and ridge_param is not loaded.estimators_[0]
    with pytest.raises(NotFittedError):
        ridge_param.predict(["ACGT"])


def _differences(params, other):
    """Keys whose values differ; estimators and callbacks compare by class."""
    def same(a, b):
        if hasattr(a, "get_params"):
            return type(a) is type(b)
        if isinstance(a, np.ndarray):
            return np.array_equal(a, b)
        if isinstance(a, list) and a and isinstance(a[0], tuple):  # (name, estimator) lists
            return [n for n, _ in a] == [n for n, _ in b] and all(
                same(x, z) for (_, x), (_, z) in zip(a, b))
        return a == b

    return sorted(set(params) ^ set(other)) + [
        key for key in params if key in other and not same(params[key], other[key])]


def test_loaded_ensemble_has_the_same_parameters(ensemble, tmp_path):
    loaded = skgxp.load(skgxp.save(ensemble, tmp_path), device="cpu")
    params = loaded.get_params()
    assert "kmer_ridge__ridgecv__alphas" in params and "deepgxp__deepgxpregressor__lr" in params
    assert _differences(ensemble.get_params(), params) == []
    assert _differences(ensemble.get_params(), clone(loaded).get_params()) == []


def test_clone_of_loaded_ensemble_refits_identically(ensemble, demo, tmp_path):
    X, y = demo
    loaded = skgxp.load(skgxp.save(ensemble, tmp_path), device="cpu")
    refit = clone(loaded).fit(X, y)  # fixed random_state: bit-exact on the CPU
    np.testing.assert_array_equal(refit.predict(X), ensemble.predict(X))


def test_voting_regressor_keeps_dropped_estimators(demo, tmp_path):
    X, y = demo
    model = VotingRegressor([("off", "drop"), ("ridge", _small_ridge())]).fit(X, y)
    loaded = skgxp.load(skgxp.save(model, tmp_path))
    assert loaded.estimators[0] == ("off", "drop") and loaded.named_estimators_["off"] == "drop"
    assert len(loaded.estimators_) == 1
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_calibrator_around_voting_regressor_round_trip(tiny, demo, tmp_path):
    X, y = demo
    model = QuantileCalibrator(_ensemble(tiny)).fit(X, y)
    loaded = skgxp.load(skgxp.save(model, tmp_path), device="cpu")
    assert type(loaded.regressor_) is VotingRegressor
    np.testing.assert_array_equal(loaded.sorted_targets_, model.sorted_targets_)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def _tensor_bytes(path, key):
    """Byte range of tensor ``key`` in a safetensors file (8-byte header length, header)."""
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    start, end = json.loads(data[8:8 + size])[key]["data_offsets"]
    return 8 + size + start, 8 + size + end


def test_changed_ridge_coefficient_in_weights_is_refused(ridge_saved):
    path = ridge_saved / "weights.safetensors"
    start, _ = _tensor_bytes(path, "ridgecv.coef_")
    data = bytearray(path.read_bytes())
    (coef,) = struct.unpack("<d", data[start:start + 8])
    data[start:start + 8] = struct.pack("<d", coef + 1.0)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"weights\.safetensors fails its checksum"):
        skgxp.load(ridge_saved)


def test_changed_ridge_intercept_in_model_json_is_refused(ridge_saved):
    path = ridge_saved / "model.json"
    text = path.read_text()
    edited = re.sub(r'("intercept_":\{"__numpy__":"float64","value":)(-?[0-9])', r"\g<1>1\2",
                    text, count=1)
    assert edited != text
    path.write_text(edited)
    with pytest.raises(ModelFileError, match=r"model\.json fails its content checksum"):
        skgxp.load(ridge_saved)


def test_ridge_replaced_by_a_class_outside_the_allow_list_is_refused(ridge_saved):
    _rewrite(ridge_saved, lambda doc: doc["estimator"]["steps"][2][1].update(
        {"class": "sklearn.linear_model.Lasso"}))
    with pytest.raises(ModelFileError, match="names 'sklearn.linear_model.Lasso', which is "
                                             "not in skgxp's allow-list"):
        skgxp.load(ridge_saved)


def test_function_transformer_with_an_unlisted_function_is_refused_on_load(ridge_saved):
    _rewrite(ridge_saved, lambda doc: doc["estimator"]["steps"][1][1]["params"].update(
        func={"__ref__": "os.system"}))
    with pytest.raises(ModelFileError, match="names 'os.system', which is not in skgxp's "
                                             "allow-list"):
        skgxp.load(ridge_saved)


def test_unknown_learned_attribute_is_refused(ridge_saved):
    _rewrite(ridge_saved, lambda doc: doc["estimator"]["steps"][0][1]["fitted"].update(
        coef_=1.0))
    with pytest.raises(ModelFileError, match="unknown learned attribute 'coef_' of KmerCounts"):
        skgxp.load(ridge_saved)


def test_invalid_kmer_length_is_reported(ridge_saved):
    _rewrite(ridge_saved, lambda doc: doc["estimator"]["steps"][0][1]["params"].update(k=13))
    with pytest.raises(ModelFileError, match="invalid KmerCounts parameters: k must be"):
        skgxp.load(ridge_saved)


def test_unsupported_sklearn_estimator_in_a_pipeline_is_refused(demo, tmp_path):
    X, y = demo
    model = _small_ridge(Lasso(alpha=0.1)).fit(X, y)
    with pytest.raises(TypeError, match=re.escape(UNSUPPORTED.format("Lasso (at 'lasso')"))):
        skgxp.save(model, tmp_path)


class _OwnRidge(RidgeCV):
    """A subclass: only the exact allow-listed classes are saved."""


def test_subclass_of_an_allowed_estimator_is_refused(demo, tmp_path):
    X, y = demo
    model = _small_ridge(_OwnRidge()).fit(X, y)
    with pytest.raises(TypeError, match=re.escape(
            UNSUPPORTED.format("_OwnRidge (at '_ownridge')"))):
        skgxp.save(model, tmp_path)


def _to_dense(X):
    return X.toarray()


def test_function_transformer_with_an_unlisted_function_is_refused(demo, tmp_path):
    X, y = demo
    model = make_pipeline(KmerCounts(k=2), FunctionTransformer(_to_dense, accept_sparse=True),
                          RidgeCV()).fit(X, y)
    with pytest.raises(TypeError, match=re.escape(
            "parameter func of FunctionTransformer (at 'functiontransformer') (_to_dense) "
            "cannot be saved safely")):
        skgxp.save(model, tmp_path)
