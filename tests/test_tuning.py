"""skgxp.tuning and ``skgxp tune``: a persistent Optuna study that resumes after a kill."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from skgxp import DeepGXPRegressor, PromoterEncoder, SequenceLengthWarning, cli
from skgxp.datasets import load_dream_demo
from skgxp.metrics import pearson_scorer
from skgxp.tuning import BHI_SPACE, check_space, tune
from conftest import SENSITIVE

optuna = pytest.importorskip("optuna")
pytest.importorskip("optuna_integration")

N_ROWS = 150
# Widths whose predictions vary (a constant prediction has no Pearson r: a failed trial).
SPACE = {"lr": {"low": 1e-4, "high": 1e-2, "log": True}, "module__fc_size": [8, 16]}
FINISHED = ("COMPLETE", "PRUNED")


@pytest.fixture(scope="module")
def rows():
    X, y = load_dream_demo(return_X_y=True)
    return X[:N_ROWS], y[:N_ROWS]


@pytest.fixture(scope="module")
def data(rows):
    X, y = rows
    with warnings.catch_warnings():  # one demo sequence is 111 bp
        warnings.simplefilter("ignore", SequenceLengthWarning)
        return PromoterEncoder().fit_transform(X), y


@pytest.fixture(scope="module")
def train_file(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("data") / "train.txt"
    path.write_text("".join(f"{s}\t{v}\n" for s, v in zip(*rows)))
    return str(path)


def regressor(**params):
    return DeepGXPRegressor(**{**SENSITIVE, "max_epochs": 1, "batch_size": 32, "verbose": 0,
                               **params})


def sqlite(tmp_path, name="study.db"):
    return f"sqlite:///{tmp_path / name}"


def finished(study):
    return [t for t in study.get_trials() if t.state.name in FINISHED]


def by_lr(estimator, X, y):
    """A score that depends on the learning rate only: which trial is worse is certain."""
    return -1000 * estimator.get_params()["lr"]


def test_study_reaches_n_trials_with_cv_scores_in_user_attrs(data, tmp_path):
    codes, y = data
    study = tune(regressor(), codes, y, SPACE, study_name="s", storage=sqlite(tmp_path),
                 n_trials=2, cv=2, random_state=0)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 2
    trial = study.trials[0]
    assert trial.user_attrs["params"] == trial.params
    assert set(trial.params) == set(SPACE)
    # The fold scores are scikit-learn's own cross-validation of those parameters.
    expected = cross_val_score(clone(regressor()).set_params(**trial.params), codes, y,
                               cv=KFold(2, shuffle=True, random_state=123456789),
                               scoring=pearson_scorer)
    np.testing.assert_allclose(trial.user_attrs["fold_scores"], expected, rtol=1e-6)
    assert trial.value == pytest.approx(np.mean(expected), rel=1e-6)
    assert trial.user_attrs["score"] == trial.value


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_rerun_continues_the_study_keeping_earlier_trials(data, tmp_path, kind):
    codes, y = data
    storage = sqlite(tmp_path) if kind == "sqlite" else f"journal:{tmp_path / 'study.log'}"
    run = dict(study_name="s", storage=storage, cv=None, random_state=0)
    first = tune(regressor(), codes, y, SPACE, n_trials=2, **run)
    before = [(t.number, t.params, t.value) for t in first.trials]
    again = tune(regressor(), codes, y, SPACE, n_trials=2, **run)
    assert len(again.trials) == 2  # nothing left to run
    more = tune(regressor(), codes, y, SPACE, n_trials=3, **run)
    assert len(finished(more)) == len(more.trials) == 3
    assert [(t.number, t.params, t.value) for t in more.trials[:2]] == before
    # The resumed sampler is seeded anew, not replaying the first run's proposals.
    assert more.trials[2].params["lr"] != more.trials[0].params["lr"]


# Runs ``skgxp tune`` with its second fit (the second trial's) held until the test kills it:
# a trial is killed mid-way however fast the machine trains.
_HOLD_SECOND_FIT = textwrap.dedent("""
    import pathlib, sys, time
    from skgxp import cli
    from skgxp._regressor import DeepGXPRegressor

    ready = pathlib.Path(sys.argv[1])
    fit, calls = DeepGXPRegressor.fit, []

    def held_fit(self, X, y=None, **fit_params):
        calls.append(1)
        if len(calls) == 2:
            ready.write_text("")
            time.sleep(600)
        return fit(self, X, y, **fit_params)

    DeepGXPRegressor.fit = held_fit
    sys.exit(cli.main(sys.argv[2:]))
""")


def test_a_killed_tune_command_continues_to_n_finished_trials(train_file, tmp_path):
    db = tmp_path / "study.db"
    space = tmp_path / "space.json"
    space.write_text(json.dumps(SPACE))
    ready = tmp_path / "second_fit_started"
    args = ["tune", train_file, "--storage", f"sqlite:///{db}", "--study-name", "kill",
            "--n-trials", "3", "--space", str(space), "--epochs", "3", "--batch-size", "32",
            "--params", json.dumps(SENSITIVE), "--heartbeat", "1", "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    log = open(tmp_path / "first_run.err", "w")  # noqa: SIM115 (closed after the kill)
    process = subprocess.Popen([sys.executable, "-c", _HOLD_SECOND_FIT, str(ready), *args],
                               env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 120
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    # Killed after a heartbeat of the held trial: before its first one, Optuna could not
    # tell it from a trial just started on another machine.
    time.sleep(1.5)
    alive = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    log.close()
    assert ready.exists() and alive, (tmp_path / "first_run.err").read_text()
    killed = optuna.load_study(study_name="kill", storage=f"sqlite:///{db}")
    kept = [(t.number, t.params, t.value) for t in killed.trials if t.state.name == "COMPLETE"]
    running = [t.number for t in killed.trials if t.state.name == "RUNNING"]
    assert (len(kept), running) == (1, [1])  # the first trial done, the second held
    time.sleep(2.5)  # past the grace period (2 heartbeats) of the killed trial

    rerun = subprocess.run([sys.executable, "-m", "skgxp", *args], env=env, capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert (f"skgxp tune: warning: trial {running[0]} of study 'kill' was left RUNNING by "
            "a process that stopped (no heartbeat for over 2 s): marked FAIL; it does not "
            "count toward n_trials.") in rerun.stderr
    study = optuna.load_study(study_name="kill", storage=f"sqlite:///{db}")
    assert len(finished(study)) == 3
    assert study.trials[running[0]].state.name == "FAIL"
    assert [(t.number, t.params, t.value) for t in study.trials[:len(kept)]] == kept
    assert f"{len(kept)} of 3 trials finished" in rerun.stdout
    assert rerun.stdout.count(" finished\n") == 3 - len(kept)  # one line per new trial


@pytest.mark.parametrize("cv", [3, None], ids=["between-folds", "between-epochs"])
def test_pruning_stops_a_worse_trial_early(data, tmp_path, cv):
    codes, y = data
    storage = sqlite(tmp_path)
    # Known order: the better learning rate first, then the worse one.
    queued = optuna.create_study(storage=storage, study_name="p", direction="maximize")
    queued.enqueue_trial({"lr": 1e-3})
    queued.enqueue_trial({"lr": 2e-3})
    study = tune(regressor(max_epochs=3), codes, y, {"lr": [1e-3, 2e-3]}, study_name="p",
                 storage=storage, n_trials=2, cv=cv, scoring=by_lr,
                 pruning=optuna.pruners.MedianPruner(n_startup_trials=1))
    good, bad = study.trials
    assert good.state.name == "COMPLETE" and len(good.intermediate_values) == 3
    assert bad.state.name == "PRUNED"
    assert bad.intermediate_values == {0: pytest.approx(-2.0)}  # stopped after one step
    if cv:
        assert bad.user_attrs["fold_scores"] == [pytest.approx(-2.0)]


def test_without_pruning_the_worse_trial_completes(data, tmp_path):
    codes, y = data
    storage = sqlite(tmp_path)
    queued = optuna.create_study(storage=storage, study_name="p", direction="maximize")
    queued.enqueue_trial({"lr": 1e-3})
    queued.enqueue_trial({"lr": 2e-3})
    study = tune(regressor(), codes, y, {"lr": [1e-3, 2e-3]}, study_name="p",
                 storage=storage, n_trials=2, cv=3, scoring=by_lr, pruning=False)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
    assert [t.value for t in study.trials] == [pytest.approx(-1.0), pytest.approx(-2.0)]


def test_a_failed_trial_does_not_count_and_another_runs_in_its_place(data, tmp_path):
    codes, y = data
    calls = []

    def first_fit_fails(estimator, X, y):
        calls.append(1)
        return float("nan") if len(calls) == 1 else 0.5  # NaN: Optuna fails the trial

    study = tune(regressor(), codes, y, SPACE, study_name="s", storage=sqlite(tmp_path),
                 n_trials=2, cv=2, scoring=first_fit_fails, pruning=False)
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE", "COMPLETE"]


def test_a_run_stops_after_n_trials_failures(data, tmp_path):
    codes, y = data
    message = ("2 trials of study 's' failed in this run; stopping it before the study has "
               "all its trials.")
    with pytest.warns(UserWarning, match=re.escape(message)):
        study = tune(regressor(), codes, y, SPACE, study_name="s", storage=sqlite(tmp_path),
                     n_trials=2, cv=2, scoring=lambda *args: float("nan"), pruning=False)
    assert [t.state.name for t in study.trials] == ["FAIL", "FAIL"]


def test_a_study_of_another_space_is_refused(data, tmp_path):
    codes, y = data
    run = dict(study_name="s", storage=sqlite(tmp_path), n_trials=1, cv=None)
    tune(regressor(), codes, y, {"module__fc_size": [8, 16]}, **run)
    message = ("study 's' was started with another search (space: {'module__fc_size': [8, "
               "16]} there, {'module__fc_size': [8, 32]} now); rerun with the same settings "
               "to continue it, or choose another study name.")
    with pytest.raises(ValueError, match=re.escape(message)):
        tune(regressor(), codes, y, {"module__fc_size": [8, 32]}, **run)


@pytest.mark.parametrize("space, message", [
    ({}, "space is empty: give at least one parameter to search."),
    ({"module__fc_siz": [4]},
     "space: 'module__fc_siz' is not a parameter of DeepGXPRegressor; did you mean "
     "'module__fc_size'?"),
    ({"module__fc_size": 64},
     "space['module__fc_size'] must be a list of choices or a range {'low': ..., 'high': "
     "...}; got int 64."),
    ({"module__fc_size": []}, "space['module__fc_size']: the list of choices is empty."),
    ({"module__fc_size": [4, 4]}, "space['module__fc_size']: 4 is listed twice."),
    ({"module__conv1_kernel_sizes": [[9, 15], [9]]},
     "space['module__conv1_kernel_sizes']: choices must be None, bool, int, str or finite "
     "float (Optuna's categorical values); got list [9, 15]."),
    ({"lr": {"low": 1e-4}}, "space['lr']: a range needs 'high'."),
    ({"lr": {"low": 1e-4, "high": "1e-2"}},
     "space['lr']: 'high' must be a finite number; got str '1e-2'."),
    ({"lr": {"low": 1e-2, "high": 1e-4}},
     "space['lr']: 'low' (0.01) is above 'high' (0.0001)."),
    ({"lr": {"low": 0, "high": 1e-2, "log": True}},
     "space['lr']: a log range needs 'low' > 0; got 0."),
    ({"lr": {"low": 1e-4, "high": 1e-2, "log": "yes"}},
     "space['lr']: 'log' must be true or false; got str 'yes'."),
    ({"lr": {"low": 1e-4, "high": 1e-2, "scale": "log"}},
     "space['lr']: unknown key 'scale'; a range has 'low', 'high' and optionally 'log' "
     "(true/false) or 'step'."),
    ({"module__fc_size": {"low": 4, "high": 64, "step": 2.5}},
     "space['module__fc_size']: 'step' must be a positive integer (the range is of "
     "integers); got float 2.5."),
])
def test_bad_spaces_are_refused_naming_the_key(space, message, tmp_path):
    with pytest.raises(ValueError, match=re.escape(message)):
        tune(regressor(), np.zeros((4, 223), np.uint8), np.zeros(4), space, study_name="s",
             storage=sqlite(tmp_path))
    assert not (tmp_path / "study.db").exists()  # refused before any study is made


def test_space_names_follow_skorch_and_pipelines():
    pipeline = make_pipeline(PromoterEncoder(), DeepGXPRegressor())
    space = {"deepgxpregressor__module__fc_size": {"low": 32, "high": 256, "step": 32},
             "deepgxpregressor__optimizer__weight_decay": {"low": 1e-3, "high": 0.1,
                                                           "log": True},
             "deepgxpregressor__callbacks__convergence__max_restarts": [0, 2]}
    assert check_space(space, pipeline) == {
        "deepgxpregressor__module__fc_size": {"low": 32, "high": 256, "log": False,
                                              "step": 32},
        "deepgxpregressor__optimizer__weight_decay": {"low": 1e-3, "high": 0.1,
                                                      "log": True},
        "deepgxpregressor__callbacks__convergence__max_restarts": [0, 2]}
    assert check_space(BHI_SPACE, DeepGXPRegressor()) == BHI_SPACE
    with pytest.raises(ValueError, match=re.escape(
            "space: 'module__fc_size' is not a parameter of Pipeline; did you mean "
            "'deepgxpregressor__module__fc_size'?")):
        check_space({"module__fc_size": [4]}, pipeline)


def test_the_tune_command_searches_the_space_file(train_file, tmp_path, capsys):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"module__fc_size": [8, 16], "lr": {"low": 1e-4,
                                                                    "high": 1e-2}}))
    storage = sqlite(tmp_path)
    assert cli.main(["tune", train_file, "--storage", storage, "--study-name", "c",
                     "--n-trials", "2", "--space", str(space), "--folds", "2",
                     "--epochs", "1", "--batch-size", "32", "--params", json.dumps(SENSITIVE),
                     "--quiet"]) == 0
    out = capsys.readouterr().out
    study = optuna.load_study(study_name="c", storage=storage)
    assert len(finished(study)) == 2
    for trial in study.trials:
        assert trial.params["module__fc_size"] in (8, 16)
        assert 1e-4 <= trial.params["lr"] <= 1e-2
        assert len(trial.user_attrs["fold_scores"]) == 2
        assert f"trial {trial.number} complete: score {trial.value:.4f} (folds " in out
    assert f"Best: trial {study.best_trial.number}, score {study.best_value:.4f}" in out


def test_the_tune_command_names_the_file_and_key_of_a_bad_space(train_file, tmp_path,
                                                                  capsys):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"lr": {"low": 1e-4, "high": 1e-2, "log": 1}}))
    assert cli.main(["tune", train_file, "--study-name", "c", "--space", str(space),
                     "--storage", sqlite(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"skgxp: error: --space {space}: space['lr']: 'log' must be true or false; got "
        "int 1.\n")


class _CtrlCAfterFirstEpoch(Callback):
    """Ctrl-C during training: skorch catches it and ends ``fit`` without an error."""

    def on_epoch_end(self, net, **kwargs):
        raise KeyboardInterrupt


def test_a_trial_interrupted_inside_skorch_is_not_complete(data, tmp_path):
    codes, y = data
    storage = sqlite(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        tune(regressor(max_epochs=3, callbacks=[_CtrlCAfterFirstEpoch()]), codes, y, SPACE,
             study_name="s", storage=storage, n_trials=2, cv=2)
    study = optuna.load_study(study_name="s", storage=storage)
    assert [t.state.name for t in study.trials] == ["FAIL"]


def test_the_tune_command_interrupted_exits_130_with_a_continue_hint(train_file, tmp_path,
                                                                     capsys, monkeypatch):
    def interrupt(self, X, y, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(DeepGXPRegressor, "fit", interrupt)
    storage = sqlite(tmp_path)
    assert cli.main(["tune", train_file, "--study-name", "c", "--storage", storage,
                     "--space", str(_space_file(tmp_path)), "--quiet"]) == 130
    assert capsys.readouterr().err == ("skgxp: error: interrupted. Run the same command "
                                       "again to continue the study.\n")
    study = optuna.load_study(study_name="c", storage=storage)
    assert [t.state.name for t in study.trials] == ["FAIL"]


def test_the_tune_command_has_help_with_exit_codes(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tune", "--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.startswith("usage: skgxp tune")
    assert "exit status:" in out and "2    bad usage or input" in out


def _space_file(tmp_path):
    path = tmp_path / "space.json"
    path.write_text(json.dumps(SPACE))
    return path


def test_importing_skgxp_tuning_does_not_import_optuna():
    code = "import sys, skgxp.tuning; print('optuna' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "False", result.stderr
