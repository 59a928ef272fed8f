"""Bundled DREAM data and the challenge-file reader."""

import csv
import gzip
import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from skgxp.datasets import (
    load_dream_demo,
    load_drosophila_starr_sample,
    load_human_mpra_sample,
    load_public_leaderboard,
    load_public_leaderboard_pairs,
    read_challenge_file,
)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_demo_arrays():
    X, y = load_dream_demo(return_X_y=True)
    assert X.shape == (6370,) and X.dtype == object
    assert y.shape == (6370,) and y.dtype == np.float64
    assert isinstance(X[0], str)
    assert np.isfinite(y).all()


def test_demo_bunch_and_frame():
    bunch = load_dream_demo(as_frame=True)
    assert isinstance(bunch.data, pd.Series) and isinstance(bunch.target, pd.Series)
    assert bunch.frame.shape == (6370, 2)
    assert "DREAM 2022" in bunch.DESCR


def test_public_leaderboard_shape_and_columns():
    labels = load_public_leaderboard()
    assert labels.shape == (8570, 5)
    assert list(labels.columns) == ["index", "subset", "sequence", "expression", "seq_source"]
    assert labels["index"].is_unique


def test_public_leaderboard_pairs():
    pairs = load_public_leaderboard_pairs()
    assert pairs.shape == (4964, 9)
    assert set(pairs["subset"]) == {"SNVs", "motif_perturbation", "motif_tiling"}
    # Every paired index has a label.
    labelled = set(load_public_leaderboard()["index"])
    assert set(pairs["index_ref"]) | set(pairs["index_alt"]) <= labelled


def test_headerless_challenge_file(tmp_path):
    X, y = read_challenge_file(_write(tmp_path, "train.txt", "ACGT\t11.5\nttga\t3\n"))
    assert X.tolist() == ["ACGT", "ttga"]
    assert y.tolist() == [11.5, 3.0]
    assert X.dtype == object and y.dtype == np.float64


def test_gzipped_challenge_file(tmp_path):
    path = tmp_path / "train.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("ACGT\t11.5\nTTGA\t3\n")
    X, y = read_challenge_file(path)
    assert X.tolist() == ["ACGT", "TTGA"] and y.tolist() == [11.5, 3.0]


def test_headered_tsv(tmp_path):
    path = _write(tmp_path, "train.tsv", "sequence\texpression\nACGT\t1\nTTGA\t2\n")
    X, y = read_challenge_file(path)
    assert X.tolist() == ["ACGT", "TTGA"] and y.tolist() == [1.0, 2.0]


def test_headered_csv_with_named_and_extra_columns(tmp_path):
    path = _write(tmp_path, "train.csv", "id,seq,expr\n1,ACGT,1.5\n2,TTGA,2.5\n")
    X, y = read_challenge_file(path, sequence_column="seq", target_column="expr")
    assert X.tolist() == ["ACGT", "TTGA"] and y.tolist() == [1.5, 2.5]


def test_sequences_only(tmp_path):
    X, y = read_challenge_file(_write(tmp_path, "test.txt", "ACGT\nTTGA\nNNNN\n"))
    assert X.tolist() == ["ACGT", "TTGA", "NNNN"]
    assert y is None


def test_headered_file_read_without_targets(tmp_path):
    path = _write(tmp_path, "test.tsv", "sequence\nACGT\nTTGA\n")
    X, y = read_challenge_file(path, target_column=None)
    assert X.tolist() == ["ACGT", "TTGA"] and y is None


def test_malformed_row_names_its_line(tmp_path):
    path = _write(tmp_path, "train.txt", "ACGT\t1\nTTGA\t2\nAAAA\t3\t4\n")
    with pytest.raises(
        ValueError, match=r"train\.txt, line 3: malformed row: expected 2 fields, saw 3\.$"
    ):
        read_challenge_file(path)


def test_malformed_row_line_counts_the_header(tmp_path):
    path = _write(tmp_path, "train.tsv", "sequence\texpression\nACGT\t1\nAAAA\t3\t4\n")
    with pytest.raises(ValueError, match=r"train\.tsv, line 3: malformed row"):
        read_challenge_file(path)


def test_non_numeric_value_names_its_line(tmp_path):
    path = _write(tmp_path, "train.txt", "ACGT\t1\nTTGA\t2\nAAAA\thigh\n")
    with pytest.raises(
        ValueError, match=r"train\.txt, line 3: 'expression' is 'high', not a number\.$"
    ):
        read_challenge_file(path)


def test_empty_value_names_its_line(tmp_path):
    path = _write(tmp_path, "train.tsv", "sequence\texpression\nACGT\t1\nTTGA\t\n")
    with pytest.raises(
        ValueError,
        match=r"train\.tsv, line 3: 'expression' is empty; every row needs a value\.$",
    ):
        read_challenge_file(path)


def test_missing_column_lists_the_header(tmp_path):
    path = _write(tmp_path, "train.tsv", "seq\texpression\nACGT\t1\n")
    with pytest.raises(
        ValueError,
        match=(
            r"train\.tsv: column 'sequence' is not in the header; the columns are "
            r"\['seq', 'expression'\]\. Name the right ones with sequence_column= / "
            r"target_column=\.$"
        ),
    ):
        read_challenge_file(path)


def test_missing_file(tmp_path):
    missing = tmp_path / "absent.txt"
    with pytest.raises(FileNotFoundError, match=r"^No such file: '.*absent\.txt'\.$"):
        read_challenge_file(missing)


def test_empty_first_line(tmp_path):
    path = _write(tmp_path, "train.txt", "\nACGT\t1\n")
    with pytest.raises(ValueError, match=r"the first line is empty; expected sequences\.$"):
        read_challenge_file(path)


def test_line_numbers_count_empty_lines(tmp_path):
    path = _write(tmp_path, "train.txt", "ACGT\t1\n\nTTGA\t2\nAAAA\thigh\n")
    with pytest.raises(ValueError, match=r"train\.txt, line 4: 'expression' is 'high'"):
        read_challenge_file(path)


def test_line_numbers_count_lines_of_spaces(tmp_path):
    path = _write(tmp_path, "train.txt", "ACGT\t1\n   \nAAAA\thigh\n")
    with pytest.raises(ValueError, match=r"train\.txt, line 3: 'expression' is 'high'"):
        read_challenge_file(path)


def test_empty_value_after_an_empty_line_names_its_line(tmp_path):
    path = _write(tmp_path, "train.tsv", "sequence\texpression\n\nACGT\t1\nTTGA\t\n")
    with pytest.raises(ValueError, match=r"train\.tsv, line 4: 'expression' is empty"):
        read_challenge_file(path)


@pytest.mark.parametrize("value", ["NA", "nan", "NaN", "N/A"])
def test_missing_value_marker_is_reported_as_written(tmp_path, value):
    path = _write(tmp_path, "train.txt", f"ACGT\t1\nTTGA\t{value}\n")
    with pytest.raises(
        ValueError, match=rf"train\.txt, line 2: 'expression' is '{value}', not a number\.$"
    ):
        read_challenge_file(path)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999"])
def test_infinite_target_is_reported_as_written(tmp_path, value):
    path = _write(tmp_path, "train.txt", f"ACGT\t1\nTTGA\t{value}\n")
    with pytest.raises(
        ValueError,
        match=rf"train\.txt, line 2: 'expression' is '{value}', not a finite number\.$",
    ):
        read_challenge_file(path)


def test_sequences_spelled_like_missing_values_are_sequences(tmp_path):
    X, _ = read_challenge_file(_write(tmp_path, "train.txt", "NA\t1\nNAN\t2\nnan\t3\n"))
    assert X.tolist() == ["NA", "NAN", "nan"]


def test_first_row_with_a_bad_target_is_data_not_a_header(tmp_path):
    path = _write(tmp_path, "train.txt", "ACGT\tNA\nTTGA\t2\n")
    with pytest.raises(ValueError, match=r"train\.txt, line 1: 'expression' is 'NA'"):
        read_challenge_file(path)


def test_sequences_only_ignore_a_headerless_second_column(tmp_path):
    X, y = read_challenge_file(_write(tmp_path, "test.txt", "ACGT\tNA\nTTGA\t?\n"),
                               target_column=None)
    assert X.tolist() == ["ACGT", "TTGA"] and y is None


# Bundled non-yeast samples, checked against a read of the gzip files with the
# standard library so a pandas parsing quirk cannot hide behind itself.

_HUMAN_FILES = {s: f"human_mpra_sample_{s}.tsv.gz" for s in ("train", "valid", "test")}
_DROSOPHILA_FILES = {
    "train": "drosophila_starr_sample_train.tsv.gz",
    "valid": "drosophila_starr_sample_val.tsv.gz",
    "test": "drosophila_starr_sample_test.tsv.gz",
}
_DROSOPHILA_TARGETS = ["Dev_log2_enrichment", "Hk_log2_enrichment"]
_SPLITS = ["train", "valid", "test"]


def _stdlib_rows(name):
    path = resources.files("skgxp.datasets") / "data" / name
    with path.open("rb") as raw, gzip.open(raw, "rt", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.parametrize("split", _SPLITS)
def test_human_mpra_shapes_and_dtypes(split):
    bunch = load_human_mpra_sample(split)
    assert bunch.data.shape == (1000,) and bunch.data.dtype == object
    assert bunch.target.shape == (1000,) and bunch.target.dtype == np.float64
    assert bunch.ids.shape == (1000,) and bunch.ids.dtype == object
    assert bunch.target_names == ["mean_value"] and bunch.frame is None


@pytest.mark.parametrize("split", _SPLITS)
def test_drosophila_starr_shapes_and_dtypes(split):
    bunch = load_drosophila_starr_sample(split)
    assert bunch.data.shape == (1000,) and bunch.data.dtype == object
    assert bunch.target.shape == (1000, 2) and bunch.target.dtype == np.float64
    assert bunch.ids.shape == (1000,) and bunch.ids.dtype == object
    assert bunch.target_names == _DROSOPHILA_TARGETS and bunch.frame is None


@pytest.mark.parametrize("split", _SPLITS)
def test_human_mpra_first_row_matches_the_file(split):
    first = _stdlib_rows(_HUMAN_FILES[split])[0]
    bunch = load_human_mpra_sample(split)
    assert bunch.data[0] == first["seq"]
    assert bunch.target[0] == float(first["mean_value"])
    assert bunch.ids[0] == first["seq_id"]


@pytest.mark.parametrize("split", _SPLITS)
def test_drosophila_starr_first_row_matches_the_file(split):
    first = _stdlib_rows(_DROSOPHILA_FILES[split])[0]
    bunch = load_drosophila_starr_sample(split)
    assert bunch.data[0] == first["Sequence"]
    assert bunch.target[0].tolist() == [float(first[name]) for name in _DROSOPHILA_TARGETS]
    assert bunch.ids[0] == first["ID"]


@pytest.mark.parametrize("split", _SPLITS)
def test_human_mpra_sequences_are_230bp_between_the_adapters(split):
    X, _ = load_human_mpra_sample(split, return_X_y=True)
    assert all(len(seq) == 230 for seq in X)
    assert all(seq.startswith("AGGACCGGATCAACT") for seq in X)
    assert all(seq.endswith("CATTGCGTGAACCGA") for seq in X)


@pytest.mark.parametrize("split", _SPLITS)
def test_drosophila_starr_sequences_are_249bp(split):
    X, _ = load_drosophila_starr_sample(split, return_X_y=True)
    assert all(len(seq) == 249 for seq in X)


def test_drosophila_valid_split_is_the_val_file():
    rows = _stdlib_rows("drosophila_starr_sample_val.tsv.gz")
    bunch = load_drosophila_starr_sample("valid")
    assert bunch.ids.tolist() == [row["ID"] for row in rows]
    assert bunch.data.tolist() == [row["Sequence"] for row in rows]


@pytest.mark.parametrize("loader", [load_human_mpra_sample, load_drosophila_starr_sample])
def test_unknown_split_names_the_value_and_the_choices(loader):
    message = "split must be one of 'train', 'valid', 'test'; got 'val'."
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        loader("val")


def test_human_mpra_as_frame_types():
    bunch = load_human_mpra_sample(as_frame=True)
    assert isinstance(bunch.data, pd.Series) and isinstance(bunch.target, pd.Series)
    assert list(bunch.frame.columns) == ["seq_id", "seq", "mean_value", "fold"]
    X, y = load_human_mpra_sample(return_X_y=True, as_frame=True)
    assert isinstance(X, pd.Series) and isinstance(y, pd.Series)


def test_drosophila_starr_as_frame_types():
    bunch = load_drosophila_starr_sample(as_frame=True)
    assert isinstance(bunch.data, pd.Series) and isinstance(bunch.target, pd.DataFrame)
    assert list(bunch.target.columns) == _DROSOPHILA_TARGETS
    assert bunch.frame.shape == (1000, 8)
    X, y = load_drosophila_starr_sample(return_X_y=True, as_frame=True)
    assert isinstance(X, pd.Series) and isinstance(y, pd.DataFrame)


def test_other_species_descr_names_source_and_papers():
    human = load_human_mpra_sample().DESCR
    fly = load_drosophila_starr_sample().DESCR
    assert "AGGACCGGATCAACT" in human and "_Reversed:" in human and "Agarwal" in human
    assert "de Almeida" in fly
    assert all("MIT License" in text and "f7b2e19" in text for text in (human, fly))


def test_other_species_files_are_package_data():
    data = resources.files("skgxp.datasets") / "data"
    for name in [*_HUMAN_FILES.values(), *_DROSOPHILA_FILES.values()]:
        assert (data / name).is_file(), name
    licence = (data / "LICENSE-DREAM2022.txt").read_text()
    assert all(name in licence for name in _HUMAN_FILES.values())
    assert all(name in licence for name in _DROSOPHILA_FILES.values())
