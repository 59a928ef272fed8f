"""GridSearchCV and cross_validate on a real Dask cluster score as the serial run does."""

import os

import joblib
import numpy as np
import pytest

from _scaling_common import cross_validation, grid_search, import_skgxp

distributed = pytest.importorskip(
    "distributed", reason='Dask is not installed: pip install torch==2.13.0 -e ".[tests]"')

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def client():
    # Worker processes, one thread each: the layout of one GPU per worker.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.run(import_skgxp)
        yield client


@pytest.fixture(scope="module")
def worker_pids(client):
    return set(client.run(os.getpid).values())


def test_grid_search_on_dask_scores_as_serial(demo, client, worker_pids):
    X, y = demo
    serial, here = grid_search(X, y, n_jobs=1)
    assert here == {os.getpid()}
    with joblib.parallel_config(backend="dask"):
        scores, pids = grid_search(X, y, n_jobs=2)
    assert pids <= worker_pids
    assert np.isfinite(serial).all()
    np.testing.assert_array_equal(scores, serial)


def test_cross_validate_on_dask_scores_as_serial(demo, client, worker_pids):
    X, y = demo
    serial, _ = cross_validation(X, y, n_jobs=1)
    with joblib.parallel_config(backend="dask"):
        scores, pids = cross_validation(X, y, n_jobs=2)
    assert pids <= worker_pids
    assert np.isfinite(serial).all()
    np.testing.assert_array_equal(scores, serial)
