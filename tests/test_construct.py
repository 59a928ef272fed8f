"""Constructs other than DREAM's: the described thing, its codes and windows."""

import pickle
import re

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

import skgxp
from skgxp import Construct, DeepGXPRegressor, PromoterCodes, PromoterEncoder
from skgxp._views import gather_windows, padding_starts, shifted_windows
from skgxp.datasets import load_drosophila_starr_sample, load_human_mpra_sample

ADAPTER_5P, ADAPTER_3P = "AGGACCGGATCAACT", "CATTGCGTGAACCGA"


def _decode(row):
    return "".join("ACGTN"[c & 7] for c in np.asarray(row))


def _net(tiny, **params):
    return DeepGXPRegressor(**{"max_epochs": 1, "batch_size": 32, "verbose": 0,
                               "callbacks__convergence": None, **tiny, **params})


# -- the construct --------------------------------------------------------------


def test_construct_json_round_trip(tmp_path):
    construct = Construct(200, flank_5p=ADAPTER_5P, flank_3p=ADAPTER_3P)
    construct.to_json(tmp_path / "c.json")
    assert Construct.from_json(tmp_path / "c.json") == construct


def test_construct_json_with_an_unknown_key_is_refused(tmp_path):
    (tmp_path / "c.json").write_text('{"length": 5, "flank5p": "A"}')
    with pytest.raises(ValueError, match=re.escape(
            f"{tmp_path / 'c.json'} has unknown key(s) ['flank5p']; allowed: "
            "['flank_3p', 'flank_5p', 'length'].")):
        Construct.from_json(tmp_path / "c.json")


def test_construct_with_a_bad_flank_base_is_refused():
    with pytest.raises(ValueError, match=re.escape(
            "flank_3p may only contain A, C, G, T or N; got ['X'].")):
        Construct(10, flank_3p="ACX")


def test_dream_construct_is_the_default_encoders():
    assert PromoterEncoder().get_construct() == Construct()


def test_from_construct_encodes_its_layout():
    construct = Construct(6, flank_5p="GGATC", flank_3p="TTA")
    codes = PromoterEncoder.from_construct(construct).transform(["ACG"])
    assert codes.construct == construct
    assert codes.shape == (1, 5 + 6 + 3)
    assert codes[0].tolist() == [10, 10, 8, 11, 9, 0, 1, 2, 11, 11, 8, 12, 12, 12]


def test_codes_keep_their_construct_through_row_selection_and_pickle():
    codes = PromoterEncoder(length=5, flank_5p="AC", flank_3p="", context="flanks").transform(
        ["ACG", "TT", "A"])
    for copy in (codes[1:], codes[[0, 2]], pickle.loads(pickle.dumps(codes))):
        assert isinstance(copy, PromoterCodes) and copy.construct == codes.construct
    assert type(codes[:, 1:]) is np.ndarray


# -- windows of other flank widths ------------------------------------------------


@pytest.mark.parametrize(("mode", "expected"), [(0, "ACGTTA"), (1, "ATCACG"), (2, "CACGTT")])
def test_padding_windows_of_a_5_and_3_bp_flank(mode, expected):
    construct = Construct(6, flank_5p="GGATC", flank_3p="TTA")
    codes = torch.from_numpy(np.asarray(PromoterEncoder.from_construct(construct).transform(
        ["ACG"])))
    starts = padding_starts(torch.tensor([3]), torch.tensor([mode]), 6, offset=5)
    assert _decode(gather_windows(codes, starts, 6)[0]) == expected


def test_shifted_windows_of_a_5_and_3_bp_flank():
    construct = Construct(6, flank_5p="GGATC", flank_3p="TTA")
    codes = torch.from_numpy(np.asarray(PromoterEncoder.from_construct(construct).transform(
        ["ACG"])))
    views = shifted_windows(codes, 6, (-2, -1, 0, 1, 2), offset=5)
    assert [_decode(v) for v in views] == ["TCACGT", "CACGTT", "ACGTTA", "CGTTAN", "GTTANN"]


def test_windows_without_flanks_are_n_outside_the_insert():
    codes = torch.from_numpy(np.asarray(PromoterEncoder.from_construct(Construct(6, "", "")).
                                        transform(["ACG"])))
    starts = padding_starts(torch.tensor([3]), torch.tensor([2]), 6, offset=0)
    assert _decode(gather_windows(codes, starts, 6)[0]) == "NACGNN"
    assert [_decode(v) for v in shifted_windows(codes, 6, (-1, 1), offset=0)] == [
        "NACGNN", "CGNNNN"]


# -- pipelines of the human (230 bp) and Drosophila (249 bp) constructs ------------


@pytest.fixture(scope="module")
def human():
    X, y = load_human_mpra_sample(return_X_y=True)
    inserts = np.array([s[15:-15] for s in X], dtype=object)
    return inserts[:256], y[:256]


def _human_pipeline(tiny, **params):
    construct = Construct(200, flank_5p=ADAPTER_5P, flank_3p=ADAPTER_3P)
    return make_pipeline(PromoterEncoder.from_construct(construct),
                         _net(tiny, target_center="mean", **params))


def test_human_pipeline_learns_the_encoders_construct(tiny, human):
    model = _human_pipeline(tiny).fit(*human)
    assert model[-1].construct_ == Construct(200, ADAPTER_5P, ADAPTER_3P)
    assert model[-1].input_length_ == 200


def test_human_pipeline_survives_clone_pickle_and_save(tiny, human, tmp_path):
    X, y = human
    model = _human_pipeline(tiny).fit(X, y)
    expected = model.predict(X[:20])
    again = clone(model).fit(X, y).predict(X[:20])
    np.testing.assert_array_equal(again, expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X[:20]), expected)
    skgxp.save(model, tmp_path / "m")
    loaded = skgxp.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X[:20]), expected)
    assert loaded[-1].construct_ == model[-1].construct_


def test_drosophila_pipeline_predicts_two_targets(tiny):
    X, y = load_drosophila_starr_sample(return_X_y=True)
    model = make_pipeline(PromoterEncoder.from_construct(Construct(249, "", "")),
                          _net(tiny, target_center="mean"))
    model.fit(X[:128], y[:128])
    assert model.predict(X[:5]).shape == (5, 2)


def test_drosophila_pipeline_survives_clone_pickle_and_save(tiny, tmp_path):
    X, y = load_drosophila_starr_sample(return_X_y=True)
    model = make_pipeline(PromoterEncoder.from_construct(Construct(249, "", "")),
                          _net(tiny, target_center="mean")).fit(X[:128], y[:128])
    expected = model.predict(X[:9])
    np.testing.assert_array_equal(clone(model).fit(X[:128], y[:128]).predict(X[:9]), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X[:9]), expected)
    skgxp.save(model, tmp_path / "m")
    loaded = skgxp.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X[:9]), expected)
    assert loaded[-1].construct_ == Construct(249, "", "") and loaded[-1].n_outputs_ == 2


def test_codes_of_another_construct_are_refused(tiny, human):
    X, y = human
    model = _human_pipeline(tiny).fit(X, y)
    other = PromoterEncoder.from_construct(Construct(200, ADAPTER_5P, "CATTGCGTGAACCGT"))
    with pytest.raises(ValueError, match=re.escape(
            "X was encoded for a construct with a 200-bp insert, 15-bp 5' flank, 15-bp 3' "
            "flank, but this model was fitted for a 200-bp insert, 15-bp 5' flank, 15-bp "
            "3' flank (flank_3p differs at position 14 ('T' vs 'A')); encode with "
            "PromoterEncoder.from_construct(model.construct_).")):
        model[-1].predict(other.transform(X[:3]))


def test_plain_codes_with_other_flanks_are_refused(tiny, human):
    X, y = human
    model = _human_pipeline(tiny).fit(X, y)
    other = PromoterEncoder.from_construct(Construct(200, "AGGACCGGATCAACA", ADAPTER_3P))
    with pytest.raises(ValueError, match=re.escape(
            "X[0] column 14 holds vector base 'A' where the model's construct (200-bp "
            "insert, 15-bp 5' flank, 15-bp 3' flank) has 'T'")):
        model[-1].predict(np.asarray(other.transform(X[:3])))


def test_plain_codes_of_a_construct_that_are_not_dreams_are_refused_at_fit(tiny, human):
    X, y = human
    codes = np.asarray(PromoterEncoder.from_construct(
        Construct(200, ADAPTER_5P, ADAPTER_3P)).transform(X))
    with pytest.raises(ValueError, match=re.escape(
            "X[0] is not laid out as PromoterEncoder codes (vector codes 8-12 in columns "
            "0-36, then the insert's codes 0-4 in one run, then vector codes): column 15 "
            "holds")):
        _net(tiny).fit(codes[:, :-5], y)


# -- trimming -----------------------------------------------------------------


def test_trim_5p_keeps_the_last_bases():
    codes = PromoterEncoder(length=3, flank_5p="", flank_3p="", context="flanks",
                            trim="5p").transform(["ACGTT"])
    assert _decode(codes[0]) == "GTT"


def test_trim_error_names_the_first_long_row():
    with pytest.raises(ValueError, match=re.escape(
            "X[1] has 5 bases, more than length=3 (trim='error'); shorten it or choose "
            "trim='3p' or '5p'.")):
        PromoterEncoder(length=3, trim="error").transform(["ACG", "ACGTT"])


def test_fit_reports_trimmed_and_padded_counts():
    encoder = PromoterEncoder(length=3)
    with pytest.warns(skgxp.SequenceLengthWarning, match=re.escape(
            "1 of 3 sequences are longer than length=3 (5-5 bp) and lose bases from "
            "their 3' end (trim='3p'); pass trim='error' to refuse them.")):
        encoder.fit(["ACG", "ACGTT", "A"])
    assert (encoder.n_trimmed_, encoder.n_padded_, encoder.n_sequences_) == (1, 1, 3)
