"""The README's main job: train on the bundled demo set, score on the public leaderboard."""

import time
import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from skorch.callbacks import EpochScoring
from skorch.helper import predefined_split
from skorch.dataset import Dataset

from ._calibrator import QuantileCalibrator
from ._cli_io import encoding_report
from ._encoder import PromoterEncoder, SequenceLengthWarning
from ._provenance import describe_training
from ._device import resolve_device
from ._regressor import DeepGXPRegressor
from .datasets import load_dream_demo, load_public_leaderboard
from .metrics import dream_score, pearson_r, pearson_scorer, spearman_r

#: Reduced width for CPUs: the full model trains at ~25 samples/s on 2 cores.
CPU_MODULE = {
    "module__conv1_channels": 64,
    "module__lstm_hidden_size": 64,
    "module__conv2_channels": 32,
}


def run_demo(*, epochs=7, batch_size=64, full=None, device="auto", tta=10, seed=40,
             valid_fraction=0.1, params=None, plots=None, out=print):
    """Train DeepGXP on the bundled demo set and print DREAM scores.

    Parameters
    ----------
    epochs : int, default=7
        Training epochs.
    batch_size : int, default=64
        The demo set has 5.7k training rows; BHI's 512 would give 11 steps an epoch.
    full : bool or None, default=None
        Full-size model (6,875,137 parameters). None: full on CUDA, reduced on CPU.
    device : str, default="auto"
        Torch device.
    tta : int, default=10
        Test-time views.
    seed : int, default=40
        ``random_state`` of the regressor (and of the validation split).
    valid_fraction : float, default=0.1
        Demo rows held out to report a validation Pearson.
    params : dict, default=None
        More :class:`DeepGXPRegressor` parameters (e.g. ``module__*`` for
        another width); they override the reduced CPU width.
    plots : str or None, default=None
        Directory to write PNG figures into (training curves, predicted vs
        measured per DREAM subset, effect of test-time views and calibration);
        needs matplotlib.
    out : callable, default=print
        Where lines of the report go.

    Returns
    -------
    result : dict
        ``score`` (DreamScore of the raw predictions), ``calibrated``
        (DreamScore after QuantileCalibrator), ``valid_pearson``, ``model``,
        ``figures`` (paths of the PNG files written).

    Notes
    -----
    The torch thread count is left as the caller set it: ``skgxp demo`` sets
    one thread for its process on the CPU (steadier on small shared CPUs).
    """
    on_cuda = torch.device(resolve_device(device)).type == "cuda"
    full = on_cuda if full is None else full
    X, y = load_dream_demo(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=valid_fraction, random_state=seed
    )
    encoder = PromoterEncoder()
    regressor = DeepGXPRegressor(
        max_epochs=epochs, batch_size=batch_size, device=device, tta=tta,
        random_state=seed,
        train_split=predefined_split(Dataset(encoder.transform(X_valid),
                                             y_valid.astype(np.float32)[:, None])),
        callbacks=[EpochScoring(pearson_scorer, lower_is_better=False,
                                name="valid_pearson")],
        **{**({} if full else CPU_MODULE), **(params or {})},
    )
    model = make_pipeline(encoder, regressor)
    out(f"skgxp demo: {len(X_train)} training / {len(X_valid)} validation sequences "
        f"of the bundled DREAM demo set; {epochs} epochs, batch {batch_size}, on "
        f"{describe_training(regressor)}.")
    if not full:
        out("On the CPU the demo trains DeepGXP at reduced width (conv 64, LSTM 64, "
            "conv2 32); pass --full for the 6,875,137-parameter model (about 25 "
            "samples/s on 2 cores).")
    calibrated = QuantileCalibrator(model)
    with warnings.catch_warnings():
        # What is trimmed is said once, as a line, not as a warning per fit.
        warnings.simplefilter("ignore", SequenceLengthWarning)
        out(encoding_report(PromoterEncoder().fit(X_train)))
        started = time.perf_counter()
        calibrated.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    fitted = calibrated.regressor_[-1]
    n_params = sum(p.numel() for p in fitted.module_.parameters())
    valid_pred = calibrated.regressor_.predict(X_valid)
    valid_r = pearson_r(y_valid, valid_pred)
    out(f"trained {n_params:,}-parameter DeepGXP in {seconds:.0f} s; validation "
        f"Pearson r {valid_r:.3f}, Spearman {spearman_r(y_valid, valid_pred):.3f}")
    labels = load_public_leaderboard()
    started = time.perf_counter()
    raw = calibrated.regressor_.predict(labels["sequence"].to_numpy(dtype=object))
    out(f"predicted {len(labels)} public-leaderboard sequences ({tta} views each) in "
        f"{time.perf_counter() - started:.0f} s")
    # Arrays aligned with the bundled labels also pick up the bundled pairs.
    score = dream_score(raw)
    quantiles = dream_score(calibrated.transform_predictions(raw))
    out("\nDREAM scores on the public leaderboard (raw predictions):")
    out(str(score))
    out("\nAfter BHI's quantile post-processing (QuantileCalibrator, method='normal'): "
        f"Pearson score {quantiles.pearson_score:.4f}, "
        f"Spearman score {quantiles.spearman_score:.4f}")
    figures = [] if plots is None else _write_plots(
        plots, calibrated, labels, raw, score, quantiles, tta, out)
    return {"score": score, "calibrated": quantiles, "valid_pearson": valid_r,
            "model": calibrated, "figures": figures}


def _write_plots(directory, calibrated, labels, raw, score, quantiles, tta, out):
    """Training curves, predicted vs measured, and what views and calibration change."""
    from .plotting import (
        plot_predicted_vs_measured, plot_score_comparison, plot_training_curves, save_figures,
    )

    pipeline = calibrated.regressor_
    sequences = labels["sequence"].to_numpy(dtype=object)
    variants = {}
    for views in sorted({1, 2, tta}):
        if views == tta:
            variants[f"{views} views"] = score
        else:
            pipeline.set_params(deepgxpregressor__tta=views)
            variants[f"{views} view{'s' * (views > 1)}"] = dream_score(pipeline.predict(sequences))
    pipeline.set_params(deepgxpregressor__tta=tta)
    variants[f"{tta} views + quantile calibration"] = quantiles
    paths = save_figures({
        "training_curves": plot_training_curves(pipeline, title="skgxp demo: training"),
        "predicted_vs_measured": plot_predicted_vs_measured(
            raw, title="skgxp demo: public leaderboard, predicted vs measured"),
        "tta_calibration_effect": plot_score_comparison(
            variants, title="skgxp demo: test-time views and calibration"),
    }, directory)
    for path in paths:
        out(f"wrote {path}")
    return paths
