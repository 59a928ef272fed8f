"""Cross-validation on Ray, beside the same cross-validation in one process.

Five folds of a reduced DeepGXP, run twice: in this process, then through
joblib's Ray backend, each fold in a Ray worker process. Prints both score
tables and both wall times. Needs the "ray" extra::

    python -m pip install torch==2.13.0 -e ".[ray]"
    python examples/scaling/ray_cross_validate.py                 # a local Ray here
    python examples/scaling/ray_cross_validate.py --rows 200 --epochs 1   # a quick look
    python examples/scaling/ray_cross_validate.py --address auto --gpus-per-fit 1

``--address`` joins a running Ray cluster (``ray start --head`` and ``ray
start --address=...`` on the other machines). ``--gpus-per-fit 1`` passes
``ray_remote_args={"num_gpus": 1}`` to the backend: each fold's worker
reserves one GPU, Ray sets its ``CUDA_VISIBLE_DEVICES``, and ``device="auto"``
trains on that GPU.

Not part of the gallery (which runs only ``examples/plot_*.py``): it starts
processes and is run by hand.
"""

import argparse
import time

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo
from skgxp.metrics import pearson_scorer, spearman_scorer


def run(X, y, epochs, n_jobs):
    """Scores of each fold, and the wall time."""
    model = make_pipeline(
        PromoterEncoder(),
        # random_state: every fit is seeded, so both runs train the same networks
        DeepGXPRegressor(max_epochs=epochs, batch_size=64, verbose=0, random_state=0,
                         module__conv1_channels=16, module__lstm_hidden_size=16,
                         module__conv2_channels=8, module__fc_size=16),
    )
    started = time.perf_counter()
    result = cross_validate(model, X, y, cv=KFold(5, shuffle=True, random_state=123456789),
                            scoring={"pearson": pearson_scorer, "spearman": spearman_scorer},
                            n_jobs=n_jobs)
    seconds = time.perf_counter() - started
    table = pd.DataFrame({"Pearson r": result["test_pearson"],
                          "Spearman rho": result["test_spearman"]})
    return table.rename_axis("fold"), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000, help="demo sequences (default 1000)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (default 3)")
    parser.add_argument("--cpus", type=int, default=2,
                        help="CPUs of the local Ray instance (default 2)")
    parser.add_argument("--address", help="address of a running Ray cluster, or 'auto'")
    parser.add_argument("--gpus-per-fit", type=float, default=0,
                        help="GPUs each fold's worker reserves (default 0)")
    args = parser.parse_args()

    import ray
    from ray.util.joblib import register_ray

    X, y = load_dream_demo(return_X_y=True)
    X, y = X[:args.rows], y[:args.rows]

    torch.set_num_threads(1)  # as each Ray worker (Ray sets OMP_NUM_THREADS=1)
    serial, serial_seconds = run(X, y, args.epochs, n_jobs=1)

    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.cpus, include_dashboard=False)
    register_ray()
    remote_args = {"num_gpus": args.gpus_per_fit} if args.gpus_per_fit else None
    try:
        with joblib.parallel_config(backend="ray", ray_remote_args=remote_args):
            on_ray, ray_seconds = run(X, y, args.epochs, n_jobs=-1)
        cpus = int(ray.cluster_resources()["CPU"])
    finally:
        ray.shutdown()

    fmt = {"float_format": lambda v: f"{v:.4f}"}
    print(f"5 folds of {args.epochs} epoch(s) on {len(X)} sequences\n")
    print(f"in one process (1 torch thread): {serial_seconds:.1f} s")
    print(serial.to_string(**fmt), "\n")
    print(f"on Ray ({cpus} CPUs): {ray_seconds:.1f} s")
    print(on_ray.to_string(**fmt), "\n")
    difference = np.abs(serial.to_numpy() - on_ray.to_numpy()).max()
    print(f"largest difference between the two tables: {difference:.2g}")


if __name__ == "__main__":
    main()
