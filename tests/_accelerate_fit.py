"""Fit AcceleratedDeepGXPRegressor in every process of a launch; write what each rank saw.

Usage: ``torchrun --standalone --nproc_per_node 2 _accelerate_fit.py CONFIG.json OUTDIR``.
Each process writes ``OUTDIR/rank<k>.json``: its rank and world size as the
accelerator and the launcher see them, its pid, and for every fit of the
config the per-epoch losses, the optimizer steps, early stopping's chosen
epoch, a checksum of the final weights and the checkpoint files it wrote.
tests/test_accelerate.py imports :func:`make` and :func:`summary` to fit the
single-process reference with the same settings.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import torch
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.callbacks import TrainingCheckpoint
from skgxp.datasets import load_dream_demo


def data(config):
    """The first ``config["n"]`` demo sequences as codes, and their expression."""
    X, y = load_dream_demo(return_X_y=True)
    n = config["n"]
    return PromoterEncoder().fit_transform(X[:n]), y[:n]


def make(config, fit, checkpoint_dir, accelerator=None):
    """The regressor of fit ``fit`` of ``config``: accelerated when given an accelerator.

    ``config["fits"][fit]["params"]`` override the shared settings.
    """
    params = dict(
        max_epochs=config["max_epochs"], batch_size=config["batch_size"],
        precision="fp32", verbose=0, random_state=config["random_state"],
        train_split=ValidSplit(config["valid_fraction"], random_state=0),
        callbacks=[
            # Before early stopping, whose stop ends the epoch: every epoch is written.
            ("checkpoint", TrainingCheckpoint(checkpoint_dir)),
            ("early_stopping", EarlyStopping(patience=1, threshold=config["threshold"])),
        ],
    )
    params.update(config["module"])
    params.update(config["fits"][fit].get("params", {}))
    if accelerator is None:
        return DeepGXPRegressor(**params)
    from skgxp.accelerate import AcceleratedDeepGXPRegressor

    return AcceleratedDeepGXPRegressor(accelerator=accelerator, **params)


def weights_sha256(net):
    digest = hashlib.sha256()
    for key, value in sorted(net.module_.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def summary(net):
    """What a fit did, as JSON data."""
    history = net.history
    stopper = dict(net.callbacks_)["early_stopping"]
    steps = {int(s["step"]) for s in net.optimizer_.state_dict()["state"].values()}
    return {
        "epochs": len(history),
        "train_batch_count": history[:, "train_batch_count"],
        "train_batch_size": [b["train_batch_size"] for e in history for b in e["batches"]
                             if "train_batch_size" in b],
        "train_loss": history[:, "train_loss"],
        "valid_loss": history[:, "valid_loss"],
        "optimizer_steps": sorted(steps),
        "best_epoch": int(stopper.best_epoch_),
        "last_lr": [b["lr"] for b in history[-1]["batches"] if "lr" in b][-1],
        "restarts": [{k: r[k] for k in ("seed", "next_seed", "step", "kinds")}
                     for r in net.restarts_],
        "weights_sha256": weights_sha256(net),
        # The shared generator (shuffles, padding): in step on every rank.
        "torch_rng_sha256": hashlib.sha256(torch.get_rng_state().numpy().tobytes()).hexdigest(),
        "weights": {k: v.detach().cpu().flatten().tolist()
                    for k, v in net.module_.state_dict().items()},
    }


def main(config_path, out):
    from accelerate import Accelerator

    import skgxp._resume

    torch.set_num_threads(1)
    config = json.loads(Path(config_path).read_text())
    out = Path(out)
    accelerator = Accelerator(cpu=True)
    writes = []
    write = skgxp._resume.write_checkpoint

    def counting_write(path, state):  # which checkpoint files this process wrote
        writes.append(str(path))
        write(path, state)

    skgxp._resume.write_checkpoint = counting_write
    X, y = data(config)
    fits = {}
    for name, fit in config["fits"].items():
        del writes[:]
        # "resume_of": fit again with that fit's checkpoints, which it resumes.
        checkpoints = out / f"checkpoints_{fit.get('resume_of', name)}"
        net = make(config, name, checkpoints, accelerator).fit(X, y)
        fits[name] = {**summary(net), "checkpoint_writes": list(writes)}
    record = {
        "rank": accelerator.process_index, "world_size": accelerator.num_processes,
        "env_rank": os.environ.get("RANK"), "env_world_size": os.environ.get("WORLD_SIZE"),
        "pid": os.getpid(), "distributed_type": str(accelerator.distributed_type),
        "backend": accelerator.state.backend, "fits": fits,
    }
    (out / f"rank{accelerator.process_index}.json").write_text(json.dumps(record))
    accelerator.wait_for_everyone()
    # A gloo group left alive at exit can abort the interpreter.
    accelerator.end_training()


if __name__ == "__main__":
    main(*sys.argv[1:])
