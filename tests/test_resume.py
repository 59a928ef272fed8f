"""TrainingCheckpoint: an interrupted fit resumes and ends as an uninterrupted one."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.dataset import ValidSplit

from _training_callbacks import CountEpochs, Crash
from skgxp import DeepGXPRegressor, ModelFileError
from skgxp.callbacks import ConvergenceError, TrainingCheckpoint

EPOCHS = 4


def _net(tiny, callbacks, **params):
    # The tiny network collapses at seed 40 on these rows: resuming is what is tested
    # here; restarts and resuming are in test_restart_does_not_resume_the_abandoned_attempt.
    settings = {"max_epochs": EPOCHS, "batch_size": 32, "tta": 2, "verbose": 0,
                "callbacks__convergence": None, **tiny}
    settings.update(params)
    return DeepGXPRegressor(callbacks=callbacks, **settings)


def _only_checkpoint(dirname):
    """The single per-fit checkpoint file under ``dirname``."""
    (path,) = dirname.glob("*/training_checkpoint.pt")
    return path


def _steps(net):
    return sum(row["train_batch_count"] for row in net.history)


def _assert_same_fit(resumed, reference, codes):
    assert _steps(resumed) == _steps(reference)
    assert len(resumed.history) == len(reference.history) == EPOCHS
    assert resumed.history[:, "train_loss"] == reference.history[:, "train_loss"]
    for (name, a), b in zip(resumed.module_.state_dict().items(),
                            reference.module_.state_dict().values()):
        assert torch.equal(a, b), name
    assert np.array_equal(resumed.predict(codes), reference.predict(codes))


@pytest.mark.parametrize("split", [None, ValidSplit(0.25)], ids=["all-rows", "valid-split"])
def test_fit_after_a_crash_equals_an_uninterrupted_fit(tiny, demo_codes, tmp_path, split):
    codes, y = demo_codes
    reference = _net(tiny, None, train_split=split).fit(codes, y)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _net(tiny, [TrainingCheckpoint(tmp_path), Crash(2)], train_split=split).fit(codes, y)
    count = CountEpochs()
    resumed = _net(tiny, [TrainingCheckpoint(tmp_path), count], train_split=split)
    resumed.fit(codes, y)
    assert count.epochs_ == EPOCHS - 2
    _assert_same_fit(resumed, reference, codes)


def test_lr_schedule_continues_from_the_checkpoint(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    reference = _net(tiny, None).fit(codes, y)
    with pytest.raises(RuntimeError):
        _net(tiny, [TrainingCheckpoint(tmp_path), Crash(3)]).fit(codes, y)
    resumed = _net(tiny, [TrainingCheckpoint(tmp_path)]).fit(codes, y)
    assert resumed.history[:, "batches", :, "lr"] == reference.history[:, "batches", :, "lr"]
    assert resumed.optimizer_.param_groups[0]["lr"] == 0.0


def test_finished_checkpoint_trains_no_more_epochs(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    first = _net(tiny, [TrainingCheckpoint(tmp_path)]).fit(codes, y)
    count = CountEpochs()
    again = _net(tiny, [TrainingCheckpoint(tmp_path), count]).fit(codes, y)
    assert count.epochs_ == 0
    assert np.array_equal(again.predict(codes), first.predict(codes))


def test_resume_false_starts_over(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    _net(tiny, [TrainingCheckpoint(tmp_path)]).fit(codes, y)
    count = CountEpochs()
    _net(tiny, [TrainingCheckpoint(tmp_path, resume=False), count]).fit(codes, y)
    assert count.epochs_ == EPOCHS


def test_fit_with_other_data_starts_in_its_own_subdirectory(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    _net(tiny, [TrainingCheckpoint(tmp_path)]).fit(codes, y)
    first = _only_checkpoint(tmp_path)
    before = first.read_bytes()
    count = CountEpochs()
    _net(tiny, [TrainingCheckpoint(tmp_path), count]).fit(codes, y + 1)
    assert count.epochs_ == EPOCHS
    assert len(list(tmp_path.glob("*/training_checkpoint.pt"))) == 2
    assert first.read_bytes() == before


def test_single_fit_directory_checkpoint_of_other_data_is_not_overwritten(
        tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    _net(tiny, [TrainingCheckpoint(tmp_path, per_fit=False)]).fit(codes, y)
    before = (tmp_path / "training_checkpoint.pt").read_bytes()
    with pytest.raises(ValueError, match=r"was written by a fit with other data or "
                                         r"parameters \(differs in: y\)"):
        _net(tiny, [TrainingCheckpoint(tmp_path, per_fit=False)]).fit(codes, y + 1)
    assert (tmp_path / "training_checkpoint.pt").read_bytes() == before


def test_single_fit_directory_checkpoint_of_other_parameters_names_them(
        tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    _net(tiny, [TrainingCheckpoint(tmp_path, per_fit=False)]).fit(codes, y)
    with pytest.raises(ValueError, match=r"differs in: lr \(0.0015 -> 0.01\)"):
        _net(tiny, [TrainingCheckpoint(tmp_path, per_fit=False)], lr=0.01).fit(codes, y)


def test_path_before_fit_is_refused_per_fit(tmp_path):
    assert TrainingCheckpoint(tmp_path, per_fit=False).path == tmp_path / "training_checkpoint.pt"
    with pytest.raises(AttributeError, match="TrainingCheckpoint.path is known once fit "
                                             "has seen the data"):
        TrainingCheckpoint(tmp_path).path


def test_checkpoint_holds_the_full_training_state(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    checkpoint = TrainingCheckpoint(tmp_path)
    net = _net(tiny, [checkpoint], max_epochs=1).fit(codes, y)
    (subdir,) = tmp_path.iterdir()
    assert sorted(p.name for p in subdir.iterdir()) == ["training_checkpoint.pt"]
    assert checkpoint.path == subdir / "training_checkpoint.pt"
    state = torch.load(subdir / "training_checkpoint.pt", weights_only=True)
    # the subdirectory is named by the digest of the fingerprint stored inside
    assert subdir.name == hashlib.sha256(state["fingerprint"].encode()).hexdigest()[:16]
    assert state["epochs"] == 1
    assert state["target_scale"] == pytest.approx(net.target_scale_)
    assert set(state["rng"]) == {"torch", "cuda", "numpy", "random"}
    assert state["optimizer"]["state"]  # Adam moments
    assert len(json.loads(state["history"])) == 1
    assert all(torch.equal(state["module"][k], v) for k, v in net.module_.state_dict().items())


def test_damaged_checkpoint_is_reported(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    _net(tiny, [TrainingCheckpoint(tmp_path)], max_epochs=1).fit(codes, y)
    path = _only_checkpoint(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="is not a readable training checkpoint"):
        _net(tiny, [TrainingCheckpoint(tmp_path)], max_epochs=1).fit(codes, y)


def test_checkpoint_with_missing_fields_is_reported(tiny, demo_codes, tmp_path):
    codes, y = demo_codes
    _net(tiny, [TrainingCheckpoint(tmp_path)], max_epochs=1).fit(codes, y)
    path = _only_checkpoint(tmp_path)
    state = torch.load(path, weights_only=True)
    del state["rng"]
    torch.save(state, path)
    with pytest.raises(ModelFileError,
                       match=r"is a damaged training checkpoint \(KeyError\('rng'"):
        _net(tiny, [TrainingCheckpoint(tmp_path)], max_epochs=1).fit(codes, y)


class _Constant(torch.nn.Module):
    """A dead network (constant output); refuses to be rebuilt endlessly."""

    built = 0

    def __init__(self, input_length=110):
        super().__init__()
        type(self).built += 1
        if type(self).built > 5:
            raise RuntimeError("rebuilt more than 5 times: restarts loop")
        self.bias = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.bias.expand(len(x), 1)


def test_restart_does_not_resume_the_abandoned_attempt(demo_codes, tmp_path):
    codes, y = demo_codes
    _Constant.built = 0
    # 200 rows / 32 = 6 steps per epoch: epoch 1 is checkpointed before the check.
    net = DeepGXPRegressor(_Constant, max_epochs=3, batch_size=32, tta=2, verbose=0,
                           callbacks=[TrainingCheckpoint(tmp_path)],
                           callbacks__convergence__check_steps=9,
                           callbacks__convergence__max_restarts=1)
    with pytest.warns(ConvergenceWarning), pytest.raises(ConvergenceError):
        net.fit(codes, y)
    assert _Constant.built == 2
    assert len(net.restarts_) == 1


_SCRIPT = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import torch
    from skorch.callbacks import Callback
    from skgxp import DeepGXPRegressor, PromoterEncoder
    from skgxp.callbacks import TrainingCheckpoint
    from skgxp.datasets import load_dream_demo

    class Pause(Callback):
        def __init__(self, seconds):
            self.seconds = seconds
        def on_epoch_end(self, net, **kwargs):
            time.sleep(self.seconds)

    class Count(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self
        def on_epoch_begin(self, net, **kwargs):
            self.epochs_ += 1

    checkpoint, out, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    torch.set_num_threads(1)  # the test runs two of these side by side
    X, y = load_dream_demo(return_X_y=True)
    codes = PromoterEncoder().transform(X[:192])
    count = Count()
    net = DeepGXPRegressor(
        max_epochs=6, batch_size=32, tta=2, verbose=0, module__conv1_channels=4,
        module__lstm_hidden_size=4, module__conv2_channels=4, module__fc_size=4,
        callbacks=[TrainingCheckpoint(checkpoint), Pause(pause), count],
        callbacks__convergence=None)  # the tiny network collapses at this seed
    net.fit(codes, y[:192])
    np.save(out + "/pred.npy", net.predict(codes))
    np.savez(out + "/weights.npz", **{k: v.numpy() for k, v in net.module_.state_dict().items()})
    with open(out + "/summary.json", "w") as f:
        json.dump({"epochs_run": count.epochs_, "history": len(net.history),
                   "steps": sum(r["train_batch_count"] for r in net.history),
                   "losses": net.history[:, "train_loss"]}, f)
""")


def _run(script, checkpoint, out, pause=0.0):
    out.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, str(script), str(checkpoint), str(out), str(pause)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _result(out):
    summary = json.loads((out / "summary.json").read_text())
    return summary, np.load(out / "pred.npy"), dict(np.load(out / "weights.npz"))


def test_sigkilled_training_process_resumes_to_the_same_result(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    checkpoint = tmp_path / "checkpoint"
    reference_run = _run(script, tmp_path / "fresh", tmp_path / "reference")
    victim = _run(script, checkpoint, tmp_path / "killed", pause=1.0)
    deadline = time.monotonic() + 120
    while not list(checkpoint.glob("*/training_checkpoint.pt")):
        assert victim.poll() is None, victim.stdout.read().decode()
        assert time.monotonic() < deadline, "no checkpoint written within 120 s"
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    done = torch.load(_only_checkpoint(checkpoint), weights_only=True)["epochs"]
    assert 1 <= done < 6

    for proc in (_run(script, checkpoint, tmp_path / "resumed"), reference_run):
        output = proc.communicate(timeout=300)[0].decode()
        assert proc.returncode == 0, output
    resumed, pred, weights = _result(tmp_path / "resumed")
    reference, ref_pred, ref_weights = _result(tmp_path / "reference")
    assert resumed["epochs_run"] == 6 - done
    assert reference["epochs_run"] == 6
    assert (resumed["steps"], resumed["history"]) == (reference["steps"], reference["history"])
    assert resumed["losses"] == reference["losses"]
    assert all(np.array_equal(weights[k], ref_weights[k]) for k in ref_weights)
    assert np.array_equal(pred, ref_pred)
