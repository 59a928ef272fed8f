"""The ``skgxp`` command: subcommands end to end on tiny data, errors and exit codes."""

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

import skgxp
from skgxp import cli
from skgxp._fit_command import CHECKPOINT_DIR, SETTINGS_FILE
from skgxp.datasets import load_dream_demo, load_public_leaderboard
from conftest import TINY as TINY_PARAMS

TINY = json.dumps(TINY_PARAMS)
N_TRAIN = 240
FIT = ["--epochs", "2", "--batch-size", "32", "--valid-fraction", "0.25",
       "--params", TINY, "--quiet"]


def write_challenge_file(path, X, y):
    """The challenge's layout: ``sequence<TAB>expression``, no header."""
    path.write_text("".join(f"{s}\t{v}\n" for s, v in zip(X, y)))
    return str(path)


@pytest.fixture(scope="module")
def demo_rows():
    X, y = load_dream_demo(return_X_y=True)
    return X[:N_TRAIN], y[:N_TRAIN]


@pytest.fixture(scope="module")
def train_file(tmp_path_factory, demo_rows):
    return write_challenge_file(tmp_path_factory.mktemp("data") / "train.txt", *demo_rows)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, train_file):
    out = tmp_path_factory.mktemp("fit") / "model"
    assert cli.main(["fit", train_file, "--out", str(out), *FIT]) == 0
    return out


@pytest.fixture(scope="module")
def seqs_file(tmp_path_factory):
    X, _ = load_dream_demo(return_X_y=True)
    path = tmp_path_factory.mktemp("seqs") / "test.txt"
    # The challenge's test file: sequences with a placeholder expression.
    path.write_text("".join(f"{s}\t0\n" for s in X[-30:]))
    return str(path), X[-30:]


def run_cli(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# -- help and entry points -------------------------------------------------------


@pytest.mark.parametrize("command", ["fit", "predict", "cv", "evaluate", "demo"])
def test_every_subcommand_has_help_with_exit_codes(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.startswith(f"usage: skgxp {command}")
    assert "exit status:" in out and "2    bad usage or input" in out


def test_python_dash_m_skgxp_runs_the_command():
    result = subprocess.run([sys.executable, "-m", "skgxp", "--version"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert result.stdout.strip() == f"skgxp {skgxp.__version__}"


def test_no_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


# -- skgxp fit -------------------------------------------------------------------


def test_fit_saves_a_model_that_loads_with_one_call(model_dir, demo_rows):
    X, _ = demo_rows
    model = skgxp.load(model_dir)
    assert model.predict(X[:5]).shape == (5,)
    assert [row["epoch"] for row in model[-1].history] == [1, 2]
    assert "valid_pearson" in model[-1].history[-1]


def test_fit_leaves_no_checkpoint_once_saved(model_dir):
    assert not (model_dir / CHECKPOINT_DIR).exists()
    assert not (model_dir / SETTINGS_FILE).exists()


def test_fit_writes_provenance(model_dir, train_file):
    record = json.loads((model_dir / "provenance.json").read_text())
    with open(train_file, "rb") as handle:
        assert record["data"]["sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert record["data"]["rows"] == N_TRAIN
    assert set(record["versions"]) >= {"skgxp", "torch", "skorch", "scikit-learn",
                                       "numpy", "python"}
    assert record["training"]["device"] == "cpu"
    assert record["training"]["epochs"] == 2
    assert record["training"]["seconds_all_runs"] > 0
    regressor = record["parameters"]["deepgxpregressor"]
    assert regressor["max_epochs"] == 2 and regressor["batch_size"] == 32
    assert regressor["module__lstm_hidden_size"] == 4
    assert regressor["train_split"] == {"class": "skorch.dataset.ValidSplit", "params": {
        "cv": 0.25, "stratified": False, "random_state": 40}}


def test_fit_provenance_records_the_precision_used(model_dir):
    from skgxp._device import _cpu_bf16

    record = json.loads((model_dir / "provenance.json").read_text())
    assert record["training"]["precision"] == ("bf16" if _cpu_bf16() else "fp32")


def test_fit_provenance_time_of_this_run_is_within_all_runs(model_dir):
    training = json.loads((model_dir / "provenance.json").read_text())["training"]
    assert 0 < training["seconds_this_run"] <= training["seconds_all_runs"]


def test_resumed_fit_adds_the_earlier_run_to_all_runs(train_file, tmp_path, capsys,
                                                      monkeypatch):
    from skgxp.callbacks import TrainingCheckpoint

    write = TrainingCheckpoint.on_epoch_end

    def write_then_interrupt(self, net, **kwargs):
        write(self, net, **kwargs)
        raise KeyboardInterrupt  # skorch ends fit quietly, as on Ctrl-C

    out = str(tmp_path / "m")
    with monkeypatch.context() as patch:
        patch.setattr(TrainingCheckpoint, "on_epoch_end", write_then_interrupt)
        assert run_cli(capsys, "fit", train_file, "--out", out, *FIT)[0] == 130
    assert run_cli(capsys, "fit", train_file, "--out", out, *FIT)[0] == 0
    training = json.loads((tmp_path / "m" / "provenance.json").read_text())["training"]
    first_epoch = skgxp.load(out)[-1].history[0, "dur"]
    assert training["seconds_all_runs"] - training["seconds_this_run"] == pytest.approx(
        first_epoch, abs=2e-3)


def test_fit_provenance_is_also_in_the_checksummed_model_file(model_dir):
    model_json = json.loads((model_dir / "model.json").read_text())
    record = json.loads((model_dir / "provenance.json").read_text())
    assert model_json["metadata"]["provenance"] == record


def test_fit_writes_target_stats(model_dir, demo_rows):
    _, y = demo_rows
    stats_ = json.loads((model_dir / "target_stats.json").read_text())
    assert stats_["n"] == N_TRAIN
    assert stats_["mean"] == pytest.approx(y.mean())
    assert stats_["std"] == pytest.approx(y.std())
    assert sum(stats_["counts"]) == N_TRAIN


@pytest.fixture(scope="module")
def redirected_fit(tmp_path_factory, train_file):
    """``skgxp fit`` without --quiet, its output going to files rather than a terminal."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["fit", train_file, "--out", str(tmp_path_factory.mktemp("loud") / "m"),
            *FIT[:-1]]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    assert status == 0, err.getvalue()
    return out.getvalue(), err.getvalue()


def test_redirected_fit_output_has_no_colour_codes(redirected_fit):
    out, _ = redirected_fit
    assert "valid_pearson" in out  # the per-epoch table is there
    assert "\x1b[" not in out


def test_redirected_fit_has_no_progress_bar(redirected_fit):
    _, err = redirected_fit
    assert err == ""


def test_fit_prints_the_device_and_precision_used(redirected_fit):
    from skgxp._device import _cpu_bf16

    out, _ = redirected_fit
    used = "cpu, bf16 autocast" if _cpu_bf16() else "cpu, fp32"
    assert f"training 2 epochs on {used}; checkpoints in" in out


def test_fit_reads_a_headered_csv_with_named_columns(tmp_path, demo_rows, capsys):
    X, y = demo_rows
    path = tmp_path / "train.csv"
    pd.DataFrame({"promoter": X[:96], "level": y[:96]}).to_csv(path, index=False)
    status, _, err = run_cli(
        capsys, "fit", str(path), "--out", str(tmp_path / "m"), "--sequence-column",
        "promoter", "--target-column", "level", "--epochs", "1", "--batch-size", "32",
        "--params", TINY, "--quiet")
    assert status == 0, err
    assert skgxp.load(tmp_path / "m").predict(X[:2]).shape == (2,)


def test_fit_missing_file_exits_2_without_traceback(tmp_path, capsys):
    status, _, err = run_cli(capsys, "fit", str(tmp_path / "nope.txt"),
                             "--out", str(tmp_path / "m"))
    assert status == 2
    assert err == f"skgxp: error: {tmp_path / 'nope.txt'}: no such file.\n"


def test_fit_malformed_row_names_its_line(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("ACGT\t1.0\nACGT\t2.0\nACGT\t2\t3\n")
    status, _, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"))
    assert status == 2
    assert "line 3: malformed row: expected 2 fields, saw 3" in err


def test_fit_invalid_base_names_its_line(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("sequence,expression\nACGT,1\nACZT,2\n")
    status, _, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"))
    assert status == 2
    assert err == (f"skgxp: error: {path}, line 3: the sequence has invalid character 'Z' "
                   "at character 3 (1-based); only A, C, G, T and N (any case) are "
                   "allowed.\n")


def test_fit_invalid_base_after_an_empty_line_names_its_file_line(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("ACGT\t1\n\nACGT\t2\nACZT\t3\n")
    status, _, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"))
    assert status == 2
    assert f"{path}, line 4: the sequence has invalid character 'Z'" in err


def test_fit_infinite_target_exits_2_and_leaves_nothing(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("ACGT\t1\n" * 11 + "ACGT\tinf\n")
    status, _, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"), *FIT)
    assert status == 2
    assert err == f"skgxp: error: {path}, line 12: 'expression' is 'inf', not a finite number.\n"
    assert not (tmp_path / "m").exists()


def test_fit_target_beyond_float32_exits_2_naming_its_line(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("ACGT\t1\n\nACGT\t1e39\n")
    status, _, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"), *FIT)
    assert status == 2
    assert err == (f"skgxp: error: {path}, line 3: the target 1e+39 does not fit in "
                   "float32; rescale the targets.\n")
    assert not (tmp_path / "m").exists()


def test_fit_missing_column_names_the_options(tmp_path, capsys):
    path = tmp_path / "train.tsv"
    path.write_text("seq\ty\nACGT\t1\n")
    status, _, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"))
    assert status == 2
    assert "column 'sequence' is not in the header" in err
    assert "--sequence-column / --target-column" in err


def test_fit_unknown_device_exits_2(train_file, tmp_path, capsys):
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(tmp_path / "m"),
                             "--device", "tpu")
    assert status == 2
    assert "--device: device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got 'tpu'" in err
    assert not (tmp_path / "m").exists()


def test_fit_unknown_module_parameter_exits_2(train_file, tmp_path, capsys):
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(tmp_path / "m"),
                             "--params", '{"module__width": 3}')
    assert status == 2
    assert "invalid training parameters" in err and "'width'" in err


def test_fit_refuses_a_directory_holding_a_model(train_file, model_dir, capsys):
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(model_dir), *FIT)
    assert status == 2
    assert "already holds a trained model; pass --overwrite" in err


def test_fit_overwrite_keeps_the_model_when_the_input_is_bad(model_dir, tmp_path, capsys):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    status, _, _ = run_cli(capsys, "fit", str(tmp_path / "nope.txt"), "--out", str(copy),
                           "--overwrite")
    assert status == 2
    assert sorted(p.name for p in copy.iterdir()) == sorted(
        p.name for p in model_dir.iterdir())


def test_fit_overwrite_trains_again(train_file, model_dir, tmp_path, capsys):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    status, _, _ = run_cli(capsys, "fit", train_file, "--out", str(copy), *FIT[2:],
                           "--epochs", "1", "--overwrite")
    assert status == 0
    assert json.loads((copy / "provenance.json").read_text())["training"]["epochs"] == 1


def test_fit_refuses_a_foreign_nonempty_directory(train_file, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(tmp_path), *FIT)
    assert status == 2
    assert "is not empty and holds no skgxp model or checkpoint" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def unfinished_fit(out, settings_text):
    """A model directory as a fit killed after its first epoch leaves it."""
    (out / CHECKPOINT_DIR).mkdir(parents=True)
    (out / CHECKPOINT_DIR / "training_checkpoint.pt").write_bytes(b"")
    (out / SETTINGS_FILE).write_text(settings_text)
    return out


def test_fit_refuses_to_resume_with_other_settings(train_file, tmp_path, capsys):
    out = unfinished_fit(tmp_path / "m", json.dumps({"epochs": 5}))
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(out), *FIT)
    assert status == 2
    assert "holds an unfinished fit with other settings (" in err
    assert "epochs: 5 there, 2 now" in err


def test_fit_settings_without_a_checkpoint_do_not_block_a_new_fit(train_file, tmp_path,
                                                                   capsys):
    out = tmp_path / "m"
    out.mkdir()
    (out / SETTINGS_FILE).write_text(json.dumps({"epochs": 5}))
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(out), *FIT)
    assert status == 0, err
    assert (out / "model.json").exists()


def test_fit_damaged_settings_file_exits_2(train_file, tmp_path, capsys):
    out = unfinished_fit(tmp_path / "m", '{"epochs": 5')
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(out), *FIT)
    assert status == 2
    assert err.startswith(f"skgxp: error: {out / SETTINGS_FILE} is not valid JSON "
                          "(truncated or edited?)")


def test_fit_training_failure_exits_1(train_file, tmp_path, capsys, monkeypatch):
    def diverge(self, X, y, **kwargs):
        raise FloatingPointError("Training loss is nan at epoch 1, batch 3")

    monkeypatch.setattr(skgxp.DeepGXPRegressor, "fit", diverge)
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(tmp_path / "m"), *FIT)
    assert status == 1
    assert err == ("skgxp: error: training failed: Training loss is nan at epoch 1, "
                   "batch 3\n")


def test_fit_interrupted_exits_130_with_a_resume_hint(train_file, tmp_path, capsys,
                                                      monkeypatch):
    def interrupt(self, X, y, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(skgxp.DeepGXPRegressor, "fit", interrupt)
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(tmp_path / "m"), *FIT)
    assert status == 130
    assert "Run the same command again to resume" in err


def test_debug_environment_variable_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("SKGXP_DEBUG", "1")
    with pytest.raises(Exception, match="no such file"):
        cli.main(["fit", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "m")])


def test_fit_killed_and_rerun_resumes_to_the_uninterrupted_result(train_file, tmp_path):
    epochs = "30"
    args = ["fit", train_file, "--epochs", epochs, "--batch-size", "32",
            "--valid-fraction", "0.25", "--params", TINY]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "skgxp", *args, "--out", str(killed),
                                "--quiet"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    checkpoint = killed / CHECKPOINT_DIR / "training_checkpoint.pt"
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (killed / "model.json").exists()

    rerun = subprocess.run([sys.executable, "-m", "skgxp", *args, "--out", str(killed)],
                           env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    done = int(rerun.stdout.split("Resuming from ")[1].split(": ")[1].split(" of")[0])
    assert 1 <= done < int(epochs)

    straight = tmp_path / "straight"
    assert cli.main([*args, "--out", str(straight), "--quiet"]) == 0
    resumed_model, straight_model = skgxp.load(killed), skgxp.load(straight)
    steps = [sum(row["train_batch_count"] for row in m[-1].history)
             for m in (resumed_model, straight_model)]
    assert steps[0] == steps[1] == int(epochs) * ((N_TRAIN * 3 // 4) // 32)
    X, _ = load_dream_demo(return_X_y=True)
    np.testing.assert_allclose(resumed_model.predict(X[:20]),
                               straight_model.predict(X[:20]), rtol=1e-5)


def test_fit_ctrl_c_saves_nothing_and_the_rerun_resumes(train_file, tmp_path):
    # skorch ends fit quietly on KeyboardInterrupt; skgxp fit must not save that.
    # Enough epochs that the fit cannot end before the signal, even on a loaded machine.
    args = ["fit", train_file, "--epochs", "100", "--batch-size", "32", "--params", TINY,
            "--out", str(tmp_path / "m")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # A shell's background job inherits SIGINT ignored; a user's Ctrl-C is not ignored.
    process = subprocess.Popen([sys.executable, "-m", "skgxp", *args, "--quiet"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    checkpoint = tmp_path / "m" / CHECKPOINT_DIR / "training_checkpoint.pt"
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the fit ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "interrupted. Run the same command again to resume" in err
    assert not (tmp_path / "m" / "model.json").exists()
    rerun = subprocess.run([sys.executable, "-m", "skgxp", *args], env=env,
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "Resuming from " in rerun.stdout
    assert len(skgxp.load(tmp_path / "m")[-1].history) == 100


# -- skgxp predict ---------------------------------------------------------------


def read_predictions(path):
    return pd.read_csv(path, sep="\t")


def test_predict_writes_index_sequence_prediction(model_dir, seqs_file, tmp_path, capsys):
    path, X = seqs_file
    status, _, err = run_cli(capsys, "predict", str(model_dir), path,
                             "--out", str(tmp_path / "p.tsv"))
    assert status == 0, err
    table = read_predictions(tmp_path / "p.tsv")
    assert list(table.columns) == ["index", "sequence", "prediction"]
    assert table["index"].tolist() == list(range(len(X)))
    assert table["sequence"].tolist() == list(X)
    expected = skgxp.load(model_dir).predict(X)
    np.testing.assert_allclose(table["prediction"], expected, rtol=1e-6)


def test_predict_tta_changes_the_views(model_dir, seqs_file, tmp_path, capsys):
    path, X = seqs_file
    run_cli(capsys, "predict", str(model_dir), path, "--out", str(tmp_path / "p1.tsv"),
            "--tta", "1")
    model = skgxp.load(model_dir).set_params(deepgxpregressor__tta=1)
    np.testing.assert_allclose(read_predictions(tmp_path / "p1.tsv")["prediction"],
                               model.predict(X), rtol=1e-6)


def test_predict_normal_calibration_uses_training_target_stats(
        model_dir, seqs_file, demo_rows, tmp_path, capsys):
    path, _ = seqs_file
    _, y = demo_rows
    status, _, _ = run_cli(capsys, "predict", str(model_dir), path,
                           "--out", str(tmp_path / "p.tsv"), "--calibrate", "normal")
    table = read_predictions(tmp_path / "p.tsv")
    assert status == 0
    expected = stats.norm.cdf((table["raw_prediction"] - y.mean()) / y.std())
    np.testing.assert_allclose(table["prediction"], expected, rtol=1e-6)


def test_predict_empirical_calibration_is_the_mid_rank_quantile(
        model_dir, seqs_file, demo_rows, tmp_path, capsys):
    path, _ = seqs_file
    _, y = demo_rows
    run_cli(capsys, "predict", str(model_dir), path, "--out", str(tmp_path / "p.tsv"),
            "--calibrate", "empirical")
    table = read_predictions(tmp_path / "p.tsv")
    # QuantileCalibrator's mid-rank with Hazen's plotting position.
    expected = [((y < raw).sum() + (y == raw).sum() / 2 + 0.5) / (len(y) + 1)
                for raw in table["raw_prediction"].to_numpy()]
    np.testing.assert_allclose(table["prediction"], expected, atol=1e-6)


def test_predict_calibration_without_target_stats_exits_2(
        model_dir, seqs_file, tmp_path, capsys):
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("model.json", "weights.safetensors"):
        (copy / name).write_bytes((model_dir / name).read_bytes())
    status, _, err = run_cli(capsys, "predict", str(copy), seqs_file[0],
                             "--out", str(tmp_path / "p.tsv"), "--calibrate", "normal")
    assert status == 2
    assert "--calibrate normal needs" in err and "target_stats.json" in err


def test_predict_damaged_target_stats_exit_2(model_dir, seqs_file, tmp_path, capsys):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    (copy / "target_stats.json").write_text('{"n": NaN}')
    status, _, err = run_cli(capsys, "predict", str(copy), seqs_file[0],
                             "--out", str(tmp_path / "p.tsv"), "--calibrate", "normal")
    assert status == 2
    assert err.startswith(f"skgxp: error: {copy / 'target_stats.json'} is not valid JSON")


def test_predict_missing_model_directory_exits_2(seqs_file, tmp_path, capsys):
    status, _, err = run_cli(capsys, "predict", str(tmp_path / "none"), seqs_file[0],
                             "--out", str(tmp_path / "p.tsv"))
    assert status == 2
    assert err == f"skgxp: error: {tmp_path / 'none'}: no such model directory.\n"


def test_predict_damaged_model_exits_2(model_dir, seqs_file, tmp_path, capsys):
    copy = tmp_path / "model"
    copy.mkdir()
    (copy / "model.json").write_bytes((model_dir / "model.json").read_bytes())
    weights = (model_dir / "weights.safetensors").read_bytes()
    (copy / "weights.safetensors").write_bytes(weights[: len(weights) // 2])
    status, _, err = run_cli(capsys, "predict", str(copy), seqs_file[0],
                             "--out", str(tmp_path / "p.tsv"))
    assert status == 2
    assert "is not a loadable model" in err and "checksum" in err


# -- constructs, trimming and several targets ----------------------------------------

ADAPTER_5P, ADAPTER_3P = "AGGACCGGATCAACT", "CATTGCGTGAACCGA"
HUMAN = skgxp.Construct(200, ADAPTER_5P, ADAPTER_3P)
HUMAN_FLAGS = ["--length", "200", "--flank-5p", ADAPTER_5P, "--flank-3p", ADAPTER_3P]
# Other assays are not on DREAM's bin scale: centre their targets on their mean.
OTHER_PARAMS = json.dumps({**TINY_PARAMS, "target_center": "mean"})
ONE_EPOCH = ["--epochs", "1", "--batch-size", "32", "--params", OTHER_PARAMS, "--quiet"]
DROSOPHILA_TARGETS = ["Dev_log2_enrichment", "Hk_log2_enrichment"]


@pytest.fixture(scope="module")
def human_inserts():
    """The first 200 inserts of the bundled human sample (adapters cut) and targets."""
    from skgxp.datasets import load_human_mpra_sample

    X, y = load_human_mpra_sample("train", return_X_y=True)
    return np.array([s[15:-15] for s in X[:200]], dtype=object), y[:200]


@pytest.fixture(scope="module")
def human_file(tmp_path_factory, human_inserts):
    X, y = human_inserts
    path = tmp_path_factory.mktemp("human") / "human.tsv"
    pd.DataFrame({"sequence": X, "expression": y}).to_csv(path, sep="\t", index=False)
    return str(path)


@pytest.fixture(scope="module")
def human_fit(tmp_path_factory, human_file):
    """``skgxp fit`` with the construct flags: the model directory and standard output."""
    out = tmp_path_factory.mktemp("human_fit") / "model"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = cli.main(["fit", human_file, "--out", str(out), *HUMAN_FLAGS, *ONE_EPOCH])
    assert status == 0
    return out, stdout.getvalue()


def test_fit_construct_flags_train_for_that_construct(human_fit):
    out, _ = human_fit
    model = skgxp.load(out)
    assert model[0].get_construct() == HUMAN
    assert model[-1].construct_ == HUMAN


def test_fit_reports_the_encoding_of_the_construct(human_fit):
    _, stdout = human_fit
    assert ("encoded 200 sequences for a 200-bp insert, 15-bp 5' flank, 15-bp 3' flank: "
            "0 trimmed, 0 padded\n") in stdout


def test_fit_reports_the_dream_construct_by_default(redirected_fit):
    out, _ = redirected_fit
    assert (f"encoded {N_TRAIN} sequences for a 110-bp insert, 37-bp 5' flank, 76-bp 3' "
            "flank: ") in out


def test_fit_without_construct_options_keeps_the_dream_encoder(model_dir):
    assert skgxp.load(model_dir)[0].get_params() == skgxp.PromoterEncoder().get_params()


def test_fit_provenance_records_the_construct(human_fit, model_dir):
    out, _ = human_fit
    record = json.loads((out / "provenance.json").read_text())
    assert record["construct"] == {"length": 200, "flank_5p": ADAPTER_5P,
                                   "flank_3p": ADAPTER_3P}
    dream = json.loads((model_dir / "provenance.json").read_text())
    assert dream["construct"] == skgxp.Construct().to_dict()


def test_fit_construct_file_gives_the_encoder_of_the_flags(human_file, human_fit, tmp_path,
                                                            capsys):
    path = tmp_path / "construct.json"
    HUMAN.to_json(path)
    status, out, err = run_cli(capsys, "fit", human_file, "--out", str(tmp_path / "m"),
                               "--construct", str(path), *ONE_EPOCH)
    assert status == 0, err
    flags_model = skgxp.load(human_fit[0])
    assert skgxp.load(tmp_path / "m")[0].get_params() == flags_model[0].get_params()


def test_construct_file_and_flags_are_mutually_exclusive(human_file, tmp_path, capsys):
    path = tmp_path / "construct.json"
    HUMAN.to_json(path)
    status, _, err = run_cli(capsys, "fit", human_file, "--out", str(tmp_path / "m"),
                             "--construct", str(path), "--length", "200")
    assert status == 2
    assert err == ("skgxp: error: --construct cannot be combined with --length: the file "
                   "describes the whole construct (length, flank_5p, flank_3p).\n")
    assert not (tmp_path / "m").exists()


def test_bad_construct_file_exits_2_naming_it(human_file, tmp_path, capsys):
    path = tmp_path / "construct.json"
    path.write_text('{"length": 200, "flank": "ACGT"}')
    status, _, err = run_cli(capsys, "cv", human_file, "--construct", str(path))
    assert status == 2
    assert err == (f"skgxp: error: --construct {path} has unknown key(s) ['flank']; "
                   "allowed: ['flank_3p', 'flank_5p', 'length'].\n")


def test_bad_flank_base_exits_2(human_file, tmp_path, capsys):
    status, _, err = run_cli(capsys, "fit", human_file, "--out", str(tmp_path / "m"),
                             "--flank-3p", "CATXG")
    assert status == 2
    assert err == "skgxp: error: --flank-3p may only contain A, C, G, T or N; got ['X'].\n"


def test_predict_encodes_for_the_models_construct(human_fit, human_file, human_inserts,
                                                  tmp_path, capsys):
    X, _ = human_inserts
    status, _, err = run_cli(capsys, "predict", str(human_fit[0]), human_file,
                             "--out", str(tmp_path / "p.tsv"))
    assert status == 0, err
    expected = skgxp.load(human_fit[0]).predict(X)
    np.testing.assert_allclose(read_predictions(tmp_path / "p.tsv")["prediction"], expected,
                               rtol=1e-6)


def test_fit_reports_trimmed_and_padded_without_a_python_warning(human_inserts, tmp_path,
                                                                 capsys):
    import warnings

    from skgxp.datasets import load_human_mpra_sample

    X, y = human_inserts
    whole, _ = load_human_mpra_sample("train", return_X_y=True)
    X = X.copy()
    X[:3] = whole[:3]  # 230 bp: adapters and all
    X[3:5] = [s[:150] for s in X[3:5]]
    path = tmp_path / "mixed.tsv"
    pd.DataFrame({"sequence": X, "expression": y}).to_csv(path, sep="\t", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", skgxp.SequenceLengthWarning)
        status, out, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"),
                                   *HUMAN_FLAGS, "--trim", "5p", *ONE_EPOCH)
    assert status == 0, err
    assert ("encoded 200 sequences for a 200-bp insert, 15-bp 5' flank, 15-bp 3' flank: "
            "3 trimmed (from the 5' end), 2 padded\n") in out


def test_trim_error_names_the_line_of_a_long_sequence(human_inserts, tmp_path, capsys):
    X, y = human_inserts
    X = X.copy()
    X[6] = ADAPTER_5P + X[6]
    path = tmp_path / "long.tsv"
    pd.DataFrame({"sequence": X, "expression": y}).to_csv(path, sep="\t", index=False)
    status, _, err = run_cli(capsys, "fit", str(path), "--out", str(tmp_path / "m"),
                             *HUMAN_FLAGS, "--trim", "error", *ONE_EPOCH)
    assert status == 2
    assert err == (f"skgxp: error: {path}, line 8: the sequence has 215 bases, more than "
                   "the 200-bp insert (--trim error); shorten it, or pass --trim 3p or "
                   "--trim 5p to trim it.\n")
    assert not (tmp_path / "m").exists()


@pytest.fixture(scope="module")
def drosophila_rows():
    from skgxp.datasets import load_drosophila_starr_sample

    data = load_drosophila_starr_sample("train")
    assert list(data.target_names) == DROSOPHILA_TARGETS
    return np.asarray(data.data[:200], dtype=object), data.target[:200]


@pytest.fixture(scope="module")
def drosophila_file(tmp_path_factory, drosophila_rows):
    X, y = drosophila_rows
    path = tmp_path_factory.mktemp("drosophila") / "starr.tsv"
    pd.DataFrame({"sequence": X, DROSOPHILA_TARGETS[0]: y[:, 0],
                  DROSOPHILA_TARGETS[1]: y[:, 1]}).to_csv(path, sep="\t", index=False)
    return str(path)


DROSOPHILA = ["--length", "249", "--flank-5p", "", "--flank-3p", "",
              "--target-column", DROSOPHILA_TARGETS[0], "--target-column",
              DROSOPHILA_TARGETS[1]]


@pytest.fixture(scope="module")
def drosophila_fit(tmp_path_factory, drosophila_file):
    out = tmp_path_factory.mktemp("drosophila_fit") / "model"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = cli.main(["fit", drosophila_file, "--out", str(out), *DROSOPHILA,
                           "--valid-fraction", "0.25", *ONE_EPOCH])
    assert status == 0
    return out, stdout.getvalue()


def test_two_target_columns_give_two_prediction_columns(drosophila_fit, drosophila_file,
                                                        drosophila_rows, tmp_path, capsys):
    X, _ = drosophila_rows
    status, _, err = run_cli(capsys, "predict", str(drosophila_fit[0]), drosophila_file,
                             "--out", str(tmp_path / "p.tsv"))
    assert status == 0, err
    table = read_predictions(tmp_path / "p.tsv")
    columns = [f"prediction_{name}" for name in DROSOPHILA_TARGETS]
    assert list(table.columns) == ["index", "sequence", *columns]
    np.testing.assert_allclose(table[columns], skgxp.load(drosophila_fit[0]).predict(X),
                               rtol=1e-6)


def test_fit_provenance_records_the_target_columns(drosophila_fit):
    record = json.loads((drosophila_fit[0] / "provenance.json").read_text())
    assert record["targets"] == DROSOPHILA_TARGETS


def test_fit_prints_validation_scores_per_target(drosophila_fit):
    _, stdout = drosophila_fit
    table = stdout.split("validation scores per target (last epoch, 50 sequences):\n")[1]
    header, first, second = table.splitlines()[:3]
    assert header.split() == ["n", "pearson_r", "spearman"]
    assert first.split()[:2] == [DROSOPHILA_TARGETS[0], "50"]
    assert second.split()[:2] == [DROSOPHILA_TARGETS[1], "50"]


def test_predict_calibrates_each_target_on_its_own(drosophila_fit, drosophila_file,
                                                   drosophila_rows, tmp_path, capsys):
    _, y = drosophila_rows
    status, _, err = run_cli(capsys, "predict", str(drosophila_fit[0]), drosophila_file,
                             "--out", str(tmp_path / "p.tsv"), "--calibrate", "normal")
    assert status == 0, err
    table = read_predictions(tmp_path / "p.tsv")
    for j, name in enumerate(DROSOPHILA_TARGETS):
        expected = stats.norm.cdf((table[f"raw_prediction_{name}"] - y[:, j].mean())
                                  / y[:, j].std())
        np.testing.assert_allclose(table[f"prediction_{name}"], expected, rtol=1e-6)


def test_several_target_columns_need_a_header(tmp_path, capsys):
    path = write_challenge_file(tmp_path / "train.txt", ["ACGT", "TTGA"], [1.0, 2.0])
    status, _, err = run_cli(capsys, "fit", path, "--out", str(tmp_path / "m"),
                             "--target-column", "a", "--target-column", "b")
    assert status == 2
    assert err == (f"skgxp: error: {path} has no header; several --target-column need a "
                   "headered TSV/CSV that names them.\n")


def test_cv_with_two_targets_prints_scores_per_target(drosophila_file, capsys):
    status, out, err = run_cli(capsys, "cv", drosophila_file, "--folds", "2", *DROSOPHILA,
                               *ONE_EPOCH)
    assert status == 0, err
    assert "fold 1: best epoch 1 of 1 |" in out and "(means over 2 targets)" in out
    summary = out.split("validation per target, mean (sd) over 2 fold(s):\n")[1]
    lines = summary.splitlines()
    assert lines[0].split() == ["Pearson", "r", "Spearman", "rho"]
    assert [line.split()[0] for line in lines[1:3]] == DROSOPHILA_TARGETS


# -- skgxp evaluate --------------------------------------------------------------


@pytest.fixture(scope="module")
def labels():
    return load_public_leaderboard()


def test_evaluate_joins_by_sequence_and_prints_the_table(labels, tmp_path, capsys):
    path = tmp_path / "pred.tsv"
    shuffled = labels.sample(frac=1.0, random_state=0)
    shuffled.assign(prediction=shuffled["expression"])[["sequence", "prediction"]].to_csv(
        path, sep="\t", index=False)
    status, out, _ = run_cli(capsys, "evaluate", str(path))
    assert status == 0
    assert "joined by sequence" in out
    assert "DREAM Pearson score  1.0000" in out and "DREAM Spearman score 1.0000" in out
    assert "motif_tiling" in out and "SNVs" in out


def test_evaluate_joins_by_index(labels, tmp_path, capsys):
    path = tmp_path / "pred.tsv"
    # Predictions for more test rows than are labelled: the extra ones are ignored.
    extra = pd.DataFrame({"index": [71102], "prediction": [0.0]})
    pd.concat([labels.assign(prediction=-labels["expression"])[["index", "prediction"]],
               extra]).to_csv(path, sep="\t", index=False)
    status, out, _ = run_cli(capsys, "evaluate", str(path))
    assert status == 0
    assert "joined by index; 1 predictions without a label ignored" in out
    assert "DREAM Spearman score -1.0000" in out


def test_evaluate_missing_predictions_exit_2(labels, tmp_path, capsys):
    path = tmp_path / "pred.tsv"
    labels.assign(prediction=1.0)[["sequence", "prediction"]].iloc[10:].to_csv(
        path, sep="\t", index=False)
    status, _, err = run_cli(capsys, "evaluate", str(path))
    assert status == 2
    assert "has no prediction for 10 of the 8570 labelled sequences" in err


def test_evaluate_non_numeric_prediction_names_its_line(labels, tmp_path, capsys):
    path = tmp_path / "pred.tsv"
    table = labels.assign(prediction=labels["expression"].astype(str))
    table.loc[3, "prediction"] = "high"
    table[["sequence", "prediction"]].to_csv(path, sep="\t", index=False)
    status, _, err = run_cli(capsys, "evaluate", str(path))
    assert status == 2
    assert f"{path}, line 5: prediction 'high' is not a finite number." in err


def test_evaluate_infinite_prediction_names_its_line(labels, tmp_path, capsys):
    path = tmp_path / "pred.tsv"
    table = labels.assign(prediction=labels["expression"].astype(str))
    table.loc[3, "prediction"] = "inf"
    table[["sequence", "prediction"]].to_csv(path, sep="\t", index=False)
    status, _, err = run_cli(capsys, "evaluate", str(path))
    assert status == 2
    assert f"{path}, line 5: prediction 'inf' is not a finite number." in err


def test_evaluate_without_prediction_column_exits_2(tmp_path, capsys):
    path = tmp_path / "pred.tsv"
    path.write_text("sequence\tscore\nACGT\t1\n")
    status, _, err = run_cli(capsys, "evaluate", str(path))
    assert status == 2
    assert "column 'prediction' is not there" in err


def test_evaluate_custom_labels_without_pairs(tmp_path, capsys):
    labels_path, pred_path = tmp_path / "labels.csv", tmp_path / "pred.tsv"
    pd.DataFrame({"index": [0, 1, 2, 3], "subset": ["random", "random", "yeast", "yeast"],
                  "expression": [1.0, 2.0, 3.0, 4.0]}).to_csv(labels_path, index=False)
    pd.DataFrame({"index": [3, 2, 1, 0], "prediction": [4.0, 3.0, 2.5, 0.5]}).to_csv(
        pred_path, sep="\t", index=False)
    status, out, _ = run_cli(capsys, "evaluate", str(pred_path), "--labels",
                             str(labels_path))
    assert status == 0
    assert "joined by index" in out
    assert "SNVs" not in out and "random" in out


# -- skgxp cv --------------------------------------------------------------------


def test_cv_prints_folds_and_table1(train_file, tmp_path, capsys):
    results = tmp_path / "cv.tsv"
    status, out, err = run_cli(capsys, "cv", train_file, "--folds", "2", "--epochs", "1",
                               "--batch-size", "32", "--params", TINY, "--quiet",
                               "--out", str(results))
    assert status == 0, err
    assert "KFold(2, shuffle=True, random_state=123456789)" in out
    assert "fold 1: best epoch 1 of 1" in out and "fold 2: best epoch 1 of 1" in out
    table = out.split("mean (sd) over 2 fold(s)")[1]
    assert "Huber loss" in table and "Pearson r" in table and "Spearman rho" in table
    assert "\ntrain " in table and "\nvalidation " in table
    per_fold = pd.read_csv(results, sep="\t", index_col="fold")
    assert per_fold["n_valid"].sum() == N_TRAIN


def test_cv_only_fold_out_of_range_exits_2(train_file, capsys):
    status, _, err = run_cli(capsys, "cv", train_file, "--folds", "3", "--only-fold", "4")
    assert status == 2
    assert "--only-fold 4: there are 3 folds" in err


# -- skgxp demo and --plots --------------------------------------------------------


@pytest.fixture(scope="module")
def demo_run():
    """run_demo called with 2 torch threads: the lines it printed, threads seen, after."""
    from skgxp._demo import run_demo

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    lines, threads = [], []

    def out(line):
        lines.append(line)
        threads.append(torch.get_num_threads())

    try:
        run_demo(epochs=1, batch_size=256, tta=1, device="cpu", params=json.loads(TINY),
                 out=out)
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    return lines, threads, after


def test_run_demo_leaves_the_callers_torch_threads_alone(demo_run):
    _, threads, after = demo_run
    assert set(threads) == {2} and after == 2


def test_demo_command_trains_with_one_torch_thread_on_the_cpu():
    script = ("import torch, sys; from skgxp import cli; torch.set_num_threads(2); "
              "import skgxp._demo as d; d.run_demo = lambda **kw: print(torch.get_num_threads()); "
              "sys.exit(cli.main(['demo', '--device', 'cpu']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1"]


def test_demo_prints_the_device_and_precision_used(demo_run):
    from skgxp._device import _cpu_bf16

    lines, _, _ = demo_run
    used = "cpu, bf16 autocast" if _cpu_bf16() else "cpu, fp32"
    assert lines[0].endswith(f"1 epochs, batch 256, on {used}.")


def test_demo_with_plots_writes_three_pngs(tmp_path, capsys):
    status, out, err = run_cli(capsys, "demo", "--epochs", "1", "--batch-size", "256",
                               "--tta", "2", "--params", TINY, "--plots", str(tmp_path))
    assert status == 0, err
    assert "DREAM Pearson score" in out
    for name in ("training_curves", "predicted_vs_measured", "tta_calibration_effect"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fit_plots_write_training_curves(train_file, tmp_path, capsys):
    status, out, _ = run_cli(capsys, "fit", train_file, "--out", str(tmp_path / "m"),
                             *FIT, "--plots")
    assert status == 0
    assert f"wrote {tmp_path / 'm' / 'training_curves.png'}" in out


def test_evaluate_plots_predicted_vs_measured_and_calibration(
        labels, tmp_path, capsys):
    path = tmp_path / "pred.tsv"
    labels.assign(prediction=labels["expression"].rank(pct=True),
                  raw_prediction=labels["expression"])[
        ["sequence", "prediction", "raw_prediction"]].to_csv(path, sep="\t", index=False)
    status, out, _ = run_cli(capsys, "evaluate", str(path), "--plots")
    assert status == 0
    assert (tmp_path / "predicted_vs_measured.png").exists()
    assert (tmp_path / "calibration_effect.png").exists()
    assert "raw_prediction (before calibration): Pearson score 1.0000" in out


def test_plots_without_matplotlib_exit_2_before_training(train_file, tmp_path, capsys,
                                                         monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, _, err = run_cli(capsys, "fit", train_file, "--out", str(tmp_path / "m"),
                             *FIT, "--plots")
    assert status == 2
    assert "--plots needs matplotlib: pip install 'skgxp[plots]'" in err
    assert not (tmp_path / "m").exists()
