"""AcceleratedDeepGXPRegressor: two real ranks on the CPU (gloo) against one process.

The launched fits run tests/_accelerate_fit.py under ``torchrun --standalone
--nproc_per_node 2`` (a free port each time: other runs may share the
machine); each rank writes what it saw, and the single-process reference is
DeepGXPRegressor with the same settings, fitted here.
"""

import json
import os
import re
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone

accelerate = pytest.importorskip("accelerate")

import _accelerate_fit as fitting  # noqa: E402
from conftest import TINY  # noqa: E402
from skgxp import DeepGXPRegressor, PromoterEncoder  # noqa: E402
from skgxp.accelerate import AcceleratedDeepGXPRegressor  # noqa: E402

NO_DROPOUT = {"module__conv_dropout": 0.0, "module__dropout": 0.0}
#: 256 demo sequences, a quarter held out: 192 training rows in 6 global
#: batches of 32 per epoch. Early stopping (patience 1, improvement 0.1%)
#: stops the seeded fits after 2 of at most 3 epochs.
CONFIG = {
    "n": 256, "batch_size": 32, "max_epochs": 3, "valid_fraction": 0.25,
    "threshold": 0.001, "random_state": 40, "module": TINY,
    "fits": {
        "no_dropout": {"params": NO_DROPOUT},
        # A second fit on the first one's checkpoints: it resumes at epoch 2.
        "resumed": {"params": NO_DROPOUT, "resume_of": "no_dropout"},
        "dropout": {},
        # Every attempt fails the stall check at step 3 (no r beats z = 1e6):
        # one restart, then the last attempt trains on with a warning.
        "restart": {"params": {
            "callbacks__convergence__check_steps": 3, "callbacks__convergence__min_z": 1e6,
            "callbacks__convergence__max_restarts": 1,
            "callbacks__convergence__on_failure": "warn"}},
        "unseeded": {"params": {"random_state": None}},
        # 33 rows: shards of 16 and 17, weighted 16/33 and 17/33; with dropout
        # the ranks draw masks of other sizes, from their own generators.
        "uneven": {"params": {**NO_DROPOUT, "batch_size": 33}},
        "uneven_dropout": {"params": {"batch_size": 33}},
    },
}
SEEDED = ("no_dropout", "resumed", "dropout", "restart", "uneven", "uneven_dropout")
#: Without dropout both runs see the same batches, padding and initial
#: weights: only the order of float reductions differs (two half-batch
#: gradients averaged by DDP, the loss summed over ranks). Measured: losses
#: 5e-8 relative, weights 2.3e-5 after 12 AdamW steps (each moves a weight by
#: up to lr = 1.5e-3).
LOSS_RTOL, WEIGHT_ATOL = 1e-5, 2e-4
#: With dropout, each rank draws its own masks (independent, as rows of one
#: process are, but not the same draws): another dropout draw of the same
#: fit. The training loss is measured under those masks, over 5 or 6 batches
#: (2.9% apart in "uneven_dropout"), so the validation loss, a function of
#: the weights alone, is compared. Measured: 0.3% and 0.1%, where other seeds
#: of one process spread it by 3.4% (relative sd, seeds 40-47).
DROPOUT_RTOL = 0.01


def _env(tmp_path):
    # One thread per rank (2 cores); no user accelerate config file is read.
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HOME": str(tmp_path / "hf")}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """The per-rank records of the fits of CONFIG, launched on two CPU ranks."""
    out = tmp_path_factory.mktemp("two_ranks")
    config = out / "config.json"
    config.write_text(json.dumps(CONFIG))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node", "2", fitting.__file__, str(config), str(out)]
    proc = subprocess.run(command, env=_env(out), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The seeded fits of CONFIG in this one process, with DeepGXPRegressor."""
    out = tmp_path_factory.mktemp("one_process")
    X, y = fitting.data(CONFIG)
    fits = {}
    for name in SEEDED:
        fit = CONFIG["fits"][name]
        checkpoints = out / fit.get("resume_of", name)
        fits[name] = fitting.summary(fitting.make(CONFIG, name, checkpoints).fit(X, y))
    return fits


@pytest.fixture(scope="module")
def accelerator():
    acc = accelerate.Accelerator(cpu=True)
    yield acc
    acc.end_training()


@pytest.fixture(scope="module")
def codes(demo):
    X, y = demo
    return PromoterEncoder().fit_transform(X[:128]), y[:128]


def _weights(summary):
    return np.concatenate([np.asarray(v) for _, v in sorted(summary["weights"].items())])


# -- two ranks --------------------------------------------------------------


@pytest.mark.slow
def test_two_distinct_ranks_ran(launched):
    assert sorted(r["rank"] for r in launched) == [0, 1]
    assert [r["world_size"] for r in launched] == [2, 2]
    assert [r["env_rank"] for r in launched] == ["0", "1"]  # as the launcher set them
    assert launched[0]["pid"] != launched[1]["pid"]
    assert {(r["distributed_type"], r["backend"]) for r in launched} == {
        ("DistributedType.MULTI_CPU", "gloo")}


@pytest.mark.slow
@pytest.mark.parametrize("fit", SEEDED)
def test_same_optimizer_steps_as_one_process(launched, reference, fit):
    ref = reference[fit]
    for rank in launched:
        got = rank["fits"][fit]
        assert got["optimizer_steps"] == ref["optimizer_steps"]
        assert got["train_batch_count"] == ref["train_batch_count"]
        # The recorded batches are global ones of 32 rows, not 16-row shards.
        assert got["train_batch_size"] == ref["train_batch_size"]
        assert got["last_lr"] == pytest.approx(ref["last_lr"], rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("fit", ["no_dropout", "resumed", "uneven"])
def test_without_dropout_differences_are_reduction_order(launched, reference, fit):
    ref, got = reference[fit], launched[0]["fits"][fit]
    np.testing.assert_allclose(got["train_loss"], ref["train_loss"], rtol=LOSS_RTOL)
    np.testing.assert_allclose(got["valid_loss"], ref["valid_loss"], rtol=LOSS_RTOL)
    np.testing.assert_allclose(_weights(got), _weights(ref), rtol=0, atol=WEIGHT_ATOL)


@pytest.mark.slow
@pytest.mark.parametrize("fit", ["dropout", "uneven_dropout"])
def test_with_dropout_final_loss_near_one_process(launched, reference, fit):
    got = launched[0]["fits"][fit]["valid_loss"][-1]
    assert got == pytest.approx(reference[fit]["valid_loss"][-1], rel=DROPOUT_RTOL)
    # Other masks than one process's: the fits are not the same fit.
    assert launched[0]["fits"][fit]["weights_sha256"] != reference[fit]["weights_sha256"]


@pytest.mark.slow
@pytest.mark.parametrize("fit", list(CONFIG["fits"]))
def test_ranks_end_with_identical_weights_and_history(launched, fit):
    first, second = (rank["fits"][fit] for rank in launched)
    assert first["weights_sha256"] == second["weights_sha256"]
    assert first["torch_rng_sha256"] == second["torch_rng_sha256"]
    assert first["train_loss"] == second["train_loss"]
    assert first["valid_loss"] == second["valid_loss"]


@pytest.mark.slow
@pytest.mark.parametrize("fit", ["no_dropout", "dropout", "uneven_dropout"])
def test_early_stopping_agrees(launched, reference, fit):
    stops = [(r["fits"][fit]["epochs"], r["fits"][fit]["best_epoch"]) for r in launched]
    ref = reference[fit]
    assert stops == [(ref["epochs"], ref["best_epoch"])] * 2
    assert ref["epochs"] < CONFIG["max_epochs"]  # it did stop early


@pytest.mark.slow
def test_checkpoints_written_by_the_main_process_only(launched):
    main, other = (rank["fits"] for rank in launched)
    # One write per epoch trained: 2 in the first fit, 1 in the resumed one.
    assert [len(main[f]["checkpoint_writes"]) for f in ("no_dropout", "resumed")] == [2, 1]
    assert len(set(main["no_dropout"]["checkpoint_writes"])) == 1  # one file
    assert all(other[f]["checkpoint_writes"] == [] for f in CONFIG["fits"])
    assert all(main[f]["checkpoint_writes"] for f in CONFIG["fits"])


@pytest.mark.slow
def test_every_rank_resumes_from_the_main_process_checkpoint(launched, reference):
    for rank in launched:
        resumed = rank["fits"]["resumed"]
        assert (resumed["epochs"], resumed["optimizer_steps"]) == (3, [18])
        assert resumed["train_loss"][:2] == rank["fits"]["no_dropout"]["train_loss"]
    assert reference["resumed"]["optimizer_steps"] == [18]


@pytest.mark.slow
def test_restarts_agree(launched, reference):
    records = [rank["fits"]["restart"]["restarts"] for rank in launched]
    assert records[0] == records[1] == reference["restart"]["restarts"]
    assert [r["step"] for r in records[0]] == [3]


@pytest.mark.slow
def test_unseeded_ranks_share_one_seed(launched):
    # random_state=None: the main process's seed is sent to the other rank, so
    # both shuffled alike; ranks seeded apart would end with other weights.
    first, second = (rank["fits"]["unseeded"] for rank in launched)
    assert first["weights_sha256"] == second["weights_sha256"]
    assert first["weights_sha256"] != launched[0]["fits"]["dropout"]["weights_sha256"]


# -- launch lines -------------------------------------------------------------

#: One file per process (ranks printing to one pipe interleave their lines).
PROBE = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from accelerate import Accelerator
    acc = Accelerator(cpu=True)
    record = {"rank": acc.process_index, "world": acc.num_processes, "pid": os.getpid()}
    (Path(sys.argv[1]) / f"{os.getpid()}.json").write_text(json.dumps(record))
    acc.wait_for_everyone()
    acc.end_training()
""")
ACCELERATE = [sys.executable, "-m", "accelerate.commands.launch"]
COMMON = ["--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
          "--dynamo_backend", "no"]


@pytest.mark.slow
@pytest.mark.parametrize("launcher, ranks", [
    ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"],
     2),
    # torch.distributed.run underneath; with Accelerator(cpu=True) the ranks use gloo.
    ([*ACCELERATE, "--multi_gpu", *COMMON, "--main_process_port", "PORT"], 2),
    # --cpu takes accelerate's simple launcher: one process, whatever --num_processes.
    ([*ACCELERATE, "--cpu", *COMMON], 1),
], ids=["torchrun", "accelerate-multi_gpu", "accelerate-cpu"])
def test_launch_lines(tmp_path, launcher, ranks):
    script, out = tmp_path / "probe.py", tmp_path / "seen"
    script.write_text(PROBE)
    out.mkdir()
    command = [_free_port() if part == "PORT" else part for part in launcher]
    proc = subprocess.run([*command, str(script), str(out)], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    seen = [json.loads(path.read_text()) for path in out.iterdir()]
    assert sorted(s["rank"] for s in seen) == list(range(ranks))
    assert {s["world"] for s in seen} == {ranks}
    assert len({s["pid"] for s in seen}) == ranks


# -- one process --------------------------------------------------------------


def test_one_process_is_deepgxpregressor(accelerator, codes):
    X, y = codes
    params = dict(max_epochs=2, batch_size=32, verbose=0, precision="fp32", **TINY)
    plain = DeepGXPRegressor(**params).fit(X, y)
    net = AcceleratedDeepGXPRegressor(accelerator=accelerator, **params).fit(X, y)
    assert net.history[:, "train_loss"] == plain.history[:, "train_loss"]
    for (name, a), (_, b) in zip(net.module_.state_dict().items(),
                                 plain.module_.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    np.testing.assert_array_equal(net.predict(X[:8]), plain.predict(X[:8]))
    assert (net.device, net.get_params()["device"]) == ("cpu", None)
    assert net.resolved_precision() == net.resolved_precision(training=False) == "fp32"


def test_device_is_left_to_the_accelerator(accelerator, codes):
    net = AcceleratedDeepGXPRegressor(accelerator=accelerator, device="cpu", max_epochs=1,
                                      verbose=0, **TINY)
    with pytest.raises(ValueError, match=re.escape(
            "device must be None: the accelerator places the network (on cpu); "
            "got device='cpu'.")):
        net.fit(*codes)


def test_precision_must_agree_with_the_accelerator(accelerator, codes):
    net = AcceleratedDeepGXPRegressor(accelerator=accelerator, precision="bf16",
                                      max_epochs=1, verbose=0, **TINY)
    with pytest.raises(ValueError, match=re.escape(
            "precision='bf16' but the accelerator trains with mixed_precision='no': "
            "training precision is the accelerator's; use "
            "Accelerator(mixed_precision='bf16') or precision='auto'.")):
        net.fit(*codes)


def test_gradient_accumulation_is_refused(accelerator, codes):
    try:
        # accelerate's gradient state is shared by every Accelerator of a process.
        accumulating = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=2)
        net = AcceleratedDeepGXPRegressor(accelerator=accumulating, max_epochs=1,
                                          verbose=0, **TINY)
        with pytest.raises(ValueError, match=re.escape(
                "The accelerator's gradient_accumulation_steps must be 1 (got 2)")):
            net.fit(*codes)
    finally:
        accelerate.Accelerator(cpu=True, gradient_accumulation_steps=1)
    assert accelerator.gradient_accumulation_steps == 1


def test_accelerator_must_be_an_accelerator(codes):
    net = AcceleratedDeepGXPRegressor(accelerator="cpu", max_epochs=1, verbose=0, **TINY)
    with pytest.raises(TypeError, match=re.escape(
            "accelerator must be an accelerate.Accelerator; got str.")):
        net.fit(*codes)


def test_verbose_zero_prints_nothing(accelerator, codes, capsys):
    AcceleratedDeepGXPRegressor(accelerator=accelerator, max_epochs=1, verbose=0,
                                **TINY).fit(*codes)
    assert capsys.readouterr().out == ""
    AcceleratedDeepGXPRegressor(accelerator=accelerator, max_epochs=1, verbose=1,
                                **TINY).fit(*codes)
    assert "train_loss" in capsys.readouterr().out


def test_clone_keeps_the_parameters(accelerator, codes):
    net = AcceleratedDeepGXPRegressor(accelerator=accelerator, max_epochs=1, verbose=0,
                                      **TINY).fit(*codes)
    params = clone(net).get_params(deep=False)
    assert params["accelerator"] is accelerator
    assert (params["device"], params["callbacks__print_log__sink"]) == (None, "auto")


@pytest.mark.slow
def test_import_skgxp_does_not_import_accelerate():
    code = "import sys, skgxp; print('accelerate' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
