"""Grid search on a Dask cluster, beside the same search in one process.

A grid over the learning rate and the LSTM width of a reduced DeepGXP, run
twice: in this process, then through joblib's Dask backend on a cluster of
worker processes with one thread each (the layout of one GPU per worker).
Prints both score tables and both wall times. Needs the "dask" extra::

    python -m pip install torch==2.13.0 -e ".[dask]"
    python examples/scaling/dask_grid_search.py                 # a LocalCluster here
    python examples/scaling/dask_grid_search.py --rows 200 --epochs 1   # a quick look
    python examples/scaling/dask_grid_search.py --scheduler tcp://scheduler:8786

With ``--scheduler`` the search runs on the workers of an existing cluster
(for example one ``CUDA_VISIBLE_DEVICES=i dask worker tcp://scheduler:8786
--nthreads 1`` per GPU: ``device="auto"`` trains on the GPU each worker sees).
``--checkpoint DIR`` adds a ``TrainingCheckpoint(DIR)`` to the Dask run: every
fit writes its own subdirectory of DIR (on a cluster, a file system all
workers share), and a rerun resumes each fit from its own checkpoint (a
finished one trains 0 more epochs: the rerun only scores).

Not part of the gallery (which runs only ``examples/plot_*.py``): it starts
processes and is run by hand.
"""

import argparse
import time

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.callbacks import TrainingCheckpoint
from skgxp.datasets import load_dream_demo
from skgxp.metrics import pearson_scorer

GRID = {
    "deepgxpregressor__lr": [1.5e-3, 5e-3],
    "deepgxpregressor__module__lstm_hidden_size": [8, 24],
}


def make_search(epochs, checkpoint, n_jobs):
    callbacks = None if checkpoint is None else [("checkpoint", TrainingCheckpoint(checkpoint))]
    model = make_pipeline(
        PromoterEncoder(),
        # random_state: every fit is seeded, so both runs train the same networks
        DeepGXPRegressor(max_epochs=epochs, batch_size=64, verbose=0, random_state=0,
                         callbacks=callbacks, module__conv1_channels=16,
                         module__conv2_channels=8, module__fc_size=16),
    )
    return GridSearchCV(model, GRID, scoring=pearson_scorer, refit=False, n_jobs=n_jobs,
                        cv=KFold(2, shuffle=True, random_state=0))


def score_table(search):
    """Mean validation Pearson r: one row per LSTM width, one column per lr."""
    results = pd.DataFrame(search.cv_results_)
    return results.pivot_table(index="param_deepgxpregressor__module__lstm_hidden_size",
                               columns="param_deepgxpregressor__lr",
                               values="mean_test_score")


def import_skgxp():
    """Run on each worker before timing: a fresh worker's first task imports torch."""
    import skgxp  # noqa: F401


def timed_fit(search, X, y):
    started = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600, help="demo sequences (default 600)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (default 3)")
    parser.add_argument("--workers", type=int, default=2,
                        help="LocalCluster worker processes (default 2)")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler")
    parser.add_argument("--checkpoint", help="directory of the fits' training checkpoints")
    parser.add_argument("--serial-threads", type=int, default=1,
                        help="torch threads of the serial run (default 1, as each worker)")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    X, y = load_dream_demo(return_X_y=True)
    X, y = X[:args.rows], y[:args.rows]

    # One thread, as each Dask worker has (its nanny sets OMP_NUM_THREADS=1): the
    # same arithmetic in both runs, so the two tables can be compared exactly.
    torch.set_num_threads(args.serial_threads)
    serial = make_search(args.epochs, None, n_jobs=1)
    serial_seconds = timed_fit(serial, X, y)

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    with client:
        workers = len(client.scheduler_info()["workers"])
        client.run(import_skgxp)
        on_dask = make_search(args.epochs, args.checkpoint, n_jobs=-1)
        with joblib.parallel_config(backend="dask"):
            dask_seconds = timed_fit(on_dask, X, y)
    if not args.scheduler:
        cluster.close()

    fits = len(serial.cv_results_["params"]) * serial.n_splits_
    print(f"{fits} fits of {args.epochs} epoch(s) on {len(X)} sequences\n")
    print(f"in one process ({args.serial_threads} torch thread(s)): {serial_seconds:.1f} s")
    print(score_table(serial).to_string(float_format=lambda v: f"{v:.4f}"), "\n")
    print(f"on Dask ({workers} workers): {dask_seconds:.1f} s")
    print(score_table(on_dask).to_string(float_format=lambda v: f"{v:.4f}"), "\n")
    difference = np.abs(score_table(serial).to_numpy() - score_table(on_dask).to_numpy())
    print(f"largest difference between the two tables: {difference.max():.2g}")


if __name__ == "__main__":  # Dask's worker processes import this file
    main()
