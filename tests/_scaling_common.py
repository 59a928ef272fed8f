"""What the Dask and Ray scaling tests share: the pipeline, the two searches, where they ran.

Each search scores a second "metric", the process id of the worker that ran the
fit, so that a test can tell the work really left the test's process.
"""

import os

from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline

from conftest import TINY
from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.metrics import pearson_scorer

GRID = {"deepgxpregressor__lr": [1e-3, 2e-3]}


def worker_pid(estimator, X, y):
    """A scorer whose "score" is the id of the process it runs in."""
    return float(os.getpid())


def visible_gpu(estimator, X, y):
    """A scorer whose "score" is the one GPU index in CUDA_VISIBLE_DEVICES where it runs."""
    return float(os.environ["CUDA_VISIBLE_DEVICES"])


SCORING = {"pearson": pearson_scorer, "pid": worker_pid}


def import_skgxp():
    """Import skgxp where this runs: warms a fresh worker, whose first task would import torch."""
    import skgxp  # noqa: F401


def pipeline():
    return make_pipeline(PromoterEncoder(), DeepGXPRegressor(
        max_epochs=1, batch_size=32, verbose=0, random_state=0, **TINY))


def grid_search(X, y, n_jobs):
    """Pearson r of each fold (2 grid points x 2 folds) and the pids that scored them."""
    search = GridSearchCV(pipeline(), GRID, cv=2, scoring=SCORING, refit=False,
                          n_jobs=n_jobs, error_score="raise").fit(X, y)
    results = search.cv_results_
    return ([results[f"split{i}_test_pearson"] for i in range(2)],
            {int(results[f"split{i}_test_pid"][j]) for i in range(2) for j in range(2)})


def cross_validation(X, y, n_jobs):
    """Pearson r of each of 2 folds and the pids that scored them."""
    result = cross_validate(pipeline(), X, y, cv=2, scoring=SCORING, n_jobs=n_jobs,
                            error_score="raise")
    return result["test_pearson"], {int(pid) for pid in result["test_pid"]}
