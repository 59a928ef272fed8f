"""skgxp.save / skgxp.load: safetensors + JSON model files, checksums, allow-list."""

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback, EarlyStopping, EpochScoring
from skorch.dataset import ValidSplit

import skgxp
from skgxp import DeepGXP, DeepGXPRegressor, ModelFileError, PromoterEncoder, QuantileCalibrator
from skgxp.callbacks import TrainingCheckpoint
from skgxp.metrics import pearson_scorer
from conftest import SENSITIVE



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
    with pytest.raises(TypeError, match="skgxp.save supports DeepGXPRegressor"):
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
