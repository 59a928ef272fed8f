"""BHI's Optuna search space, run small, in a study that survives a kill.

BHI tuned DeepGXP with Optuna: 25 TPE trials over the first convolutions'
channels (256/320/512), the LSTM units per direction (256/320/512) and the
dense layers' width (32/64/128/256), scored by validation Pearson r. This
script runs that space (``skgxp.tuning.BHI_SPACE``) on the bundled DREAM demo
set, with one short epoch per trial, against an SQLite file: stop it at any
moment (Ctrl-C, ``kill -9``) and run it again, and the study continues with
its finished trials kept, up to ``--n-trials`` in total.

Run it from a shell (it is not part of the gallery, which would execute it)::

    python examples/scaling/optuna_bhi_space.py                  # 2 trials, CPU
    python examples/scaling/optuna_bhi_space.py --n-trials 4     # 2 more, same study

The space's networks have 4.7 to 19.4 million parameters, so even at this
size a trial is slow on a CPU: the two trials of the default run took 401 s
and 313 s (12 minutes in all, 5.3 minutes of CPU time) on a shared 2-core
machine. The real search is for a GPU and the challenge's 6.7 million
sequences: 25 trials x 5 folds, 15 epochs each, e.g. on every machine of a
cluster sharing one database::

    skgxp tune train_sequences.txt --study-name bhi --n-trials 25 --folds 5 \\
        --storage postgresql://user:pw@host/optuna --seed $MACHINE_NUMBER

(``skgxp tune`` searches BHI's space unless ``--space FILE`` is given.)
"""

import argparse

from skgxp import DeepGXPRegressor, PromoterEncoder
from skgxp.datasets import load_dream_demo
from skgxp.tuning import BHI_SPACE, tune


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=2,
                        help="finished trials the study should hold (BHI: 25)")
    parser.add_argument("--storage", default="sqlite:///optuna-bhi-space.db")
    parser.add_argument("--study-name", default="bhi-space-demo")
    parser.add_argument("--sequences", type=int, default=640,
                        help="demo sequences used (of 6,370)")
    args = parser.parse_args()

    X, y = load_dream_demo(return_X_y=True)
    codes = PromoterEncoder().fit_transform(X[:args.sequences])
    # One epoch at batch 64; the widths come from the space, trial by trial.
    regressor = DeepGXPRegressor(max_epochs=1, batch_size=64, verbose=0)
    print(f"searching {BHI_SPACE} on {len(codes)} demo sequences (10% held out, "
          f"pruned per epoch) in {args.storage}, study {args.study_name!r}")
    study = tune(regressor, codes, y[:args.sequences], BHI_SPACE,
                 study_name=args.study_name, storage=args.storage,
                 n_trials=args.n_trials, cv=None,
                 callbacks=[report])
    best = study.best_trial
    finished = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    print(f"{len(finished)} finished trials in the study; best: trial {best.number}, "
          f"validation Pearson r {best.value:.4f}, {best.params}")


def report(study, trial):
    """Optuna calls this after every trial of this run."""
    score = "no score" if trial.value is None else f"validation Pearson r {trial.value:.4f}"
    print(f"trial {trial.number} {trial.state.name.lower()}: {score}, {trial.params}, "
          f"{trial.duration.total_seconds():.0f} s", flush=True)


if __name__ == "__main__":
    main()
