"""GridSearchCV and cross_validate on a local Ray instance score as the serial run does."""

import os

import joblib
import numpy as np
import pytest
from sklearn.model_selection import cross_validate

import _scaling_common
from _scaling_common import cross_validation, grid_search, pipeline, visible_gpu

# Ray (~80 MB) is not in the "tests" extra; .ci/run installs the "ray" extra for this file.
ray = pytest.importorskip(
    "ray", reason='Ray is not installed: pip install torch==2.13.0 -e ".[ray]"')

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def ray_backend():
    from joblib.pool import PicklingPool
    from ray.util.joblib import register_ray

    # The Ray backend rebases joblib's PicklingPool onto Ray's pool for good:
    # undone after, so joblib's "multiprocessing" backend does not start Ray later.
    bases = PicklingPool.__bases__
    # Two logical GPUs (none is needed): Ray hands them out as if they were real.
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    # Ray's workers do not see this test directory: send the pid scorer by value.
    ray.cloudpickle.register_pickle_by_value(_scaling_common)
    yield
    ray.shutdown()
    PicklingPool.__bases__ = bases
    ray.cloudpickle.unregister_pickle_by_value(_scaling_common)


def test_grid_search_on_ray_scores_as_serial(demo, ray_backend):
    X, y = demo
    serial, here = grid_search(X, y, n_jobs=1)
    assert here == {os.getpid()}
    with joblib.parallel_config(backend="ray"):
        scores, pids = grid_search(X, y, n_jobs=2)
    assert os.getpid() not in pids
    assert np.isfinite(serial).all()
    np.testing.assert_array_equal(scores, serial)


def test_cross_validate_on_ray_scores_as_serial(demo, ray_backend):
    X, y = demo
    serial, _ = cross_validation(X, y, n_jobs=1)
    with joblib.parallel_config(backend="ray"):
        scores, pids = cross_validation(X, y, n_jobs=2)
    assert os.getpid() not in pids
    assert np.isfinite(serial).all()
    np.testing.assert_array_equal(scores, serial)


def test_ray_remote_args_give_each_fit_its_own_gpu(demo, ray_backend):
    X, y = demo
    with joblib.parallel_config(backend="ray", ray_remote_args={"num_gpus": 1}):
        result = cross_validate(pipeline(), X, y, cv=2, scoring={"gpu": visible_gpu},
                                n_jobs=2, error_score="raise")
    # each of the two workers was given one GPU of its own, which device="auto" would use
    assert sorted(result["test_gpu"]) == [0.0, 1.0]
