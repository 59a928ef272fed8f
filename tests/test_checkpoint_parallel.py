"""TrainingCheckpoint shared by clones fitted side by side: one file per fit, each resumable."""

import hashlib
import json

import joblib
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline

from _training_callbacks import CountEpochs, Crash
from conftest import TINY
from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.callbacks import TrainingCheckpoint
from skgxp.datasets import load_dream_demo

EPOCHS = 3


def _rows(start):
    X, y = load_dream_demo(return_X_y=True)
    return PromoterEncoder().fit_transform(X[start:start + 200]), y[start:start + 200]


def _net(callbacks):
    # The convergence monitor is off: resuming, not restarting, is tested here.
    return DeepGXPRegressor(max_epochs=EPOCHS, batch_size=32, tta=2, verbose=0,
                            random_state=0, callbacks=callbacks,
                            callbacks__convergence=None, **TINY)


def _fit_in_a_process(dirname, start, crash_at):
    """One fit in a joblib worker process: its checkpoint's path, epochs run, predictions."""
    torch.set_num_threads(1)
    codes, y = _rows(start)
    checkpoint, count = TrainingCheckpoint(dirname), CountEpochs()
    extra = [Crash(crash_at)] if crash_at else []
    net = _net([checkpoint, count, *extra])
    try:
        net.fit(codes, y)
    except RuntimeError as exc:
        assert str(exc) == "simulated crash"
        return str(checkpoint.path), count.epochs_, None
    return str(checkpoint.path), count.epochs_, net.predict(codes)


def test_parallel_fits_on_other_data_write_distinct_resumable_checkpoints(tmp_path):
    starts = (0, 200)
    parallel = joblib.Parallel(n_jobs=2, backend="loky")
    crashed = parallel(joblib.delayed(_fit_in_a_process)(tmp_path, s, 1) for s in starts)
    paths = [path for path, _, _ in crashed]
    assert len(set(paths)) == 2
    assert sorted(map(str, tmp_path.glob("*/training_checkpoint.pt"))) == sorted(paths)
    for path, start in zip(paths, starts):
        state = torch.load(path, weights_only=True)
        assert state["epochs"] == 1
        codes, y = _rows(start)
        # each file holds the fit of its own rows (hashed here independently)
        fingerprint = json.loads(state["fingerprint"])
        assert fingerprint["X"][2] == hashlib.sha256(codes.tobytes()).hexdigest()
        # y as the regressor trains on it: float32, one column
        column = np.asarray(y, dtype=np.float32).reshape(-1, 1)
        assert fingerprint["y"] == hashlib.sha256(column.tobytes()).hexdigest()

    resumed = parallel(joblib.delayed(_fit_in_a_process)(tmp_path, s, 0) for s in starts)
    for (path, epochs, pred), old_path, start in zip(resumed, paths, starts):
        assert (path, epochs) == (old_path, EPOCHS - 1)
        codes, y = _rows(start)
        reference = _net(None).fit(codes, y)
        assert np.array_equal(pred, reference.predict(codes))


def _pipeline(callbacks):
    return make_pipeline(PromoterEncoder(), DeepGXPRegressor(
        max_epochs=1, batch_size=32, verbose=0, random_state=0, callbacks=callbacks, **TINY))


def test_grid_search_in_processes_shares_one_checkpoint_dirname(demo, tmp_path):
    X, y = demo
    grid = {"deepgxpregressor__lr": [1e-3, 2e-3]}
    serial = GridSearchCV(_pipeline(None), grid, cv=2, refit=False).fit(X, y)
    checkpointed = _pipeline([("checkpoint", TrainingCheckpoint(tmp_path))])
    search = GridSearchCV(checkpointed, grid, cv=2, refit=False, n_jobs=2,
                          error_score="raise").fit(X, y)
    assert len(list(tmp_path.glob("*/training_checkpoint.pt"))) == 4
    for key in ("split0_test_score", "split1_test_score"):
        assert np.array_equal(search.cv_results_[key], serial.cv_results_[key])


def test_rerun_cross_validation_resumes_every_fold_from_its_checkpoint(demo, tmp_path):
    X, y = demo
    pipe = _pipeline([("checkpoint", TrainingCheckpoint(tmp_path))])
    first = cross_validate(pipe, X, y, cv=2, n_jobs=2, return_estimator=True)
    again = cross_validate(pipe, X, y, cv=2, n_jobs=2, return_estimator=True)
    assert len(list(tmp_path.glob("*/training_checkpoint.pt"))) == 2
    # restored histories keep the first run's epoch timings: no fold trained again
    for a, b in zip(first["estimator"], again["estimator"]):
        assert a[-1].history[:, "dur"] == b[-1].history[:, "dur"]
    assert np.array_equal(first["test_score"], again["test_score"])
