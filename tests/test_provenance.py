"""One JSON writer and reader for every file skgxp writes: strict, atomic, fsynced."""

import json
import os
import sys

import numpy as np
import pytest

from skgxp import cli
from skgxp._jsonio import ModelFileError, atomic_write, read_json, write_json
from skgxp._provenance import provenance_record

from conftest import TINY


def test_write_json_writes_non_finite_floats_as_null(tmp_path):
    write_json(tmp_path / "f.json", {"nan": float("nan"), "inf": np.float32("inf")})
    assert json.loads((tmp_path / "f.json").read_text()) == {"nan": None, "inf": None}


def test_write_json_leaves_no_temporary_file(tmp_path):
    write_json(tmp_path / "f.json", {"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_atomic_write_that_fails_keeps_the_old_file_and_no_temporary(tmp_path):
    atomic_write(tmp_path / "f.json", b"old")
    with pytest.raises(TypeError):
        atomic_write(tmp_path / "f.json", "not bytes")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
    assert (tmp_path / "f.json").read_bytes() == b"old"


def test_atomic_write_does_not_touch_another_writers_temporary_file(tmp_path):
    # The fixed name the old implementation used: a concurrent writer's file.
    (tmp_path / "f.json.tmp").write_bytes(b"another writer's")
    atomic_write(tmp_path / "f.json", b"mine")
    assert (tmp_path / "f.json.tmp").read_bytes() == b"another writer's"
    assert (tmp_path / "f.json").read_bytes() == b"mine"


def test_atomic_write_creates_files_with_the_umask_mode(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    atomic_write(tmp_path / "f.json", b"x")
    assert (tmp_path / "f.json").stat().st_mode & 0o777 == 0o666 & ~umask


def test_read_json_refuses_nan_naming_the_file(tmp_path):
    (tmp_path / "f.json").write_text('{"a": NaN}')
    with pytest.raises(ModelFileError, match=r"f\.json is not valid JSON \(truncated or "
                       r"edited\?\): non-standard JSON constant NaN$"):
        read_json(tmp_path / "f.json", "a test file")


def test_provenance_record_describes_objects_by_class_and_parameters():
    from skorch.dataset import ValidSplit

    record = provenance_record(parameters={"split": ValidSplit(0.1), "cls": ValidSplit},
                               data={}, training={}, command=[])
    assert record["parameters"] == {
        "split": {"class": "skorch.dataset.ValidSplit",
                  "params": {"cv": 0.1, "stratified": False, "random_state": None}},
        "cls": "skorch.dataset.ValidSplit",
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_fit_fsyncs_every_file_it_writes(tmp_path, monkeypatch):
    from skgxp.datasets import load_dream_demo

    X, y = load_dream_demo(return_X_y=True)
    train = tmp_path / "train.txt"
    train.write_text("".join(f"{s}\t{v}\n" for s, v in zip(X[:96], y[:96])))
    fsynced, fsync = set(), os.fsync

    def record(fd):
        fsynced.add(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    out = tmp_path / "m"
    assert cli.main(["fit", str(train), "--out", str(out), "--epochs", "1",
                     "--batch-size", "32", "--params", json.dumps(TINY), "--quiet"]) == 0
    written = {p.name for p in out.iterdir()} | {"fit_settings.json",
                                                 "training_checkpoint.pt"}
    # Each file is fsynced under its unique temporary name, NAME.<pid>.<random>.tmp.
    unsynced = {name for name in written if not any(
        synced.startswith(f"{name}.") and synced.endswith(".tmp") for synced in fsynced)}
    assert unsynced == set()
