"""skgxp.interpret.saturation_mutagenesis and ``skgxp ism``: cells against brute force.

The brute-force reference builds every mutant as a string in plain Python and
calls ``model.predict``. The cells are compared to float tolerance (atol
2e-6, two float32 ulps of a prediction near 11): the mutants go through the
network in other batches than in the reference, and batch shapes may change
the last bit of a float32 prediction. The effects themselves are ~1e-3.
"""

import re

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skgxp
from skgxp import DeepGXPRegressor, KmerCounts, PromoterEncoder, QuantileCalibrator, cli
from skgxp.interpret import saturation_mutagenesis
from conftest import SENSITIVE, TINY

LENGTH = 110
ATOL = 2e-6


def fit_model(X, y, **params):
    regressor = DeepGXPRegressor(max_epochs=1, batch_size=32, verbose=0, **SENSITIVE, **params)
    return make_pipeline(PromoterEncoder(), regressor).fit(X, y)


@pytest.fixture(scope="module")
def model(demo):
    return fit_model(*demo)


@pytest.fixture(scope="module")
def seqs(demo):
    X, _ = demo
    short = X[1][:70]
    with_n = X[2][:40] + "N" + X[2][41:]
    long = X[3] + "ACGTACGTAC"  # trimmed to its first 110 bases
    return [X[0], short, with_n, long]


def brute_force(model, seq, length=LENGTH):
    """``(4, length)`` of predict(mutant) - predict(seq), built from strings."""
    kept = seq[:length]
    mutants, cells = [], []
    for pos, ref in enumerate(kept):
        for channel, base in enumerate("ACGT"):
            if base != ref:
                mutants.append(kept[:pos] + base + kept[pos + 1:])
                cells.append((channel, pos))
    predicted = model.predict(mutants) - model.predict([seq])[0]
    out = np.full((4, length), np.nan)  # NaN: not a substitution
    for (channel, pos), value in zip(cells, predicted):
        out[channel, pos] = value
    return out


@pytest.fixture(scope="module")
def effects(model, seqs):
    return saturation_mutagenesis(model, seqs)


@pytest.fixture(scope="module")
def expected(model, seqs):
    return np.stack([brute_force(model, s) for s in seqs])


def test_shape_is_sequences_bases_insert_length(effects, seqs):
    assert effects.shape == (len(seqs), 4, LENGTH)


def test_dtype_is_that_of_predict(model, effects, seqs):
    assert effects.dtype == model.predict(seqs[:1]).dtype


def test_cells_equal_brute_force_predict_differences(effects, expected):
    done = ~np.isnan(expected)
    assert np.abs(expected[done]).max() > 50 * ATOL  # the model does respond
    np.testing.assert_allclose(effects[done], expected[done], rtol=0, atol=ATOL)


def test_reference_base_cells_are_exactly_zero(effects, seqs):
    for i in (0, 1, 3):
        kept = seqs[i][:LENGTH]
        channels = ["ACGT".index(base) for base in kept]
        assert (effects[i, channels, np.arange(len(kept))] == 0).all()


def test_cells_past_the_end_of_a_shorter_insert_are_exactly_zero(effects):
    assert (effects[1, :, 70:] == 0).all()
    assert (effects[1, :, :70] != 0).sum(axis=0).tolist() == [3] * 70


def test_an_n_gets_the_effects_of_all_four_bases(effects, expected):
    assert not np.isnan(expected[2, :, 40]).any()
    assert (effects[2, :, 40] != 0).all()
    np.testing.assert_allclose(effects[2, :, 40], expected[2, :, 40], rtol=0, atol=ATOL)


def test_batch_size_does_not_change_the_effects(model, seqs, effects):
    # 7 splits the mutants of a sequence across batches and groups.
    np.testing.assert_allclose(saturation_mutagenesis(model, seqs, batch_size=7), effects,
                               rtol=0, atol=ATOL)


def test_test_time_views_are_the_models(model, seqs):
    one_view = model[-1].set_params(tta=1)
    try:
        got = saturation_mutagenesis(model, seqs[:1])
        want = brute_force(model, seqs[0])
    finally:
        one_view.set_params(tta=10)
    done = ~np.isnan(want)
    np.testing.assert_allclose(got[0][done], want[done], rtol=0, atol=ATOL)
    assert np.abs(got[0] - saturation_mutagenesis(model, seqs[:1])[0]).max() > 10 * ATOL


def test_a_regressor_alone_equals_its_pipeline(model, seqs, effects):
    np.testing.assert_array_equal(saturation_mutagenesis(model[-1], seqs), effects)


def test_a_frozen_pipeline_equals_the_pipeline(model, seqs, effects):
    np.testing.assert_array_equal(saturation_mutagenesis(FrozenEstimator(model), seqs),
                                  effects)


def test_encoder_trim_rule_decides_the_kept_insert(model, seqs):
    got = saturation_mutagenesis(model[-1], seqs[3:], encoder=PromoterEncoder(trim="5p"))
    want = brute_force(model, seqs[3][-LENGTH:])  # the 5'-trimmed insert as the reference
    done = ~np.isnan(want)
    np.testing.assert_allclose(got[0][done], want[done], rtol=0, atol=ATOL)


def test_several_outputs_give_one_map_per_output(demo, seqs):
    X, y = demo
    model = fit_model(X, np.column_stack([y, np.sqrt(y)]), target_center="mean")
    got = saturation_mutagenesis(model, seqs[:2])
    assert got.shape == (2, 2, 4, LENGTH)
    mutant = seqs[0][:10] + ("A" if seqs[0][10] != "A" else "C") + seqs[0][11:]
    channel = "ACGT".index(mutant[10])
    want = model.predict([mutant])[0] - model.predict(seqs[:1])[0]
    np.testing.assert_allclose(got[0, :, channel, 10], want, rtol=0, atol=ATOL)
    assert (got[1, :, :, 70:] == 0).all()


# -- bad input ---------------------------------------------------------------------


def test_an_unfitted_model_is_refused(seqs):
    model = make_pipeline(PromoterEncoder(), DeepGXPRegressor(**TINY))
    message = ("This DeepGXPRegressor is not fitted yet; fit it before interpreting it "
               "with skgxp.interpret.")
    with pytest.raises(NotFittedError, match=re.escape(message)):
        saturation_mutagenesis(model, seqs)


def test_a_model_without_promoter_encoder_is_refused(demo):
    X, y = demo
    encode = FunctionTransformer(PromoterEncoder().transform)
    model = make_pipeline(encode, DeepGXPRegressor(max_epochs=1, verbose=0, **TINY))
    model.fit(X, y)
    message = ("skgxp.interpret needs a fitted Pipeline(PromoterEncoder(), "
               "DeepGXPRegressor()) or a fitted DeepGXPRegressor trained on PromoterEncoder "
               "codes; got a Pipeline of FunctionTransformer, DeepGXPRegressor.")
    with pytest.raises(TypeError, match=re.escape(message)):
        saturation_mutagenesis(model, X[:2])


def test_a_regressor_fitted_on_one_hot_is_refused(demo):
    X, y = demo
    onehot = PromoterEncoder(output="onehot").fit_transform(X)
    regressor = DeepGXPRegressor(max_epochs=1, tta=2, verbose=0, **TINY).fit(onehot, y)
    message = ("This DeepGXPRegressor was fitted on one-hot input; skgxp.interpret needs "
               "a fitted Pipeline(PromoterEncoder(), DeepGXPRegressor()) or a fitted "
               "DeepGXPRegressor trained on PromoterEncoder codes (mutants and test-time "
               "shifts are made from the codes).")
    with pytest.raises(ValueError, match=re.escape(message)):
        saturation_mutagenesis(regressor, X[:2])


def test_another_kind_of_model_is_refused(demo):
    X, y = demo
    model = make_pipeline(KmerCounts(), Ridge()).fit(X, y)
    with pytest.raises(TypeError, match=re.escape("got a Pipeline of KmerCounts, Ridge.")):
        saturation_mutagenesis(model, X[:2])


def test_a_calibrator_is_refused_with_what_to_pass(model, seqs):
    calibrated = QuantileCalibrator(FrozenEstimator(model)).fit(None, np.arange(10.0))
    message = ("skgxp.interpret predicts effects in the units of the regressor's targets, "
               "not of a QuantileCalibrator's quantiles; pass the model inside it: "
               "model.regressor_.")
    with pytest.raises(TypeError, match=re.escape(message)):
        saturation_mutagenesis(calibrated, seqs)


def test_an_encoder_with_a_pipeline_is_refused(model, seqs):
    message = ("encoder= is for a DeepGXPRegressor alone; this Pipeline encodes with its "
               "own PromoterEncoder.")
    with pytest.raises(ValueError, match=re.escape(message)):
        saturation_mutagenesis(model, seqs, encoder=PromoterEncoder())


def test_an_encoder_of_another_construct_is_refused(model, seqs):
    message = ("encoder encodes for a 110-bp insert, 37-bp 5' flank, 10-bp 3' flank, but "
               "the regressor was fitted for a 110-bp insert, 37-bp 5' flank, 76-bp 3' "
               "flank (flank_3p of 10 bp vs 76 bp); use "
               "PromoterEncoder.from_construct(regressor.construct_).")
    with pytest.raises(ValueError, match=re.escape(message)):
        saturation_mutagenesis(model[-1], seqs, encoder=PromoterEncoder(context=(37, 10)))


def test_a_bad_base_is_reported_with_its_row(model, seqs):
    message = "X[1] has invalid character 'U' at position 3"
    with pytest.raises(ValueError, match=re.escape(message)):
        saturation_mutagenesis(model, [seqs[0], "ACGUA"])


def test_a_single_string_is_refused(model, seqs):
    message = "got a single str; wrap it in a list: [X]."
    with pytest.raises(TypeError, match=re.escape(message)):
        saturation_mutagenesis(model, seqs[0])


@pytest.mark.parametrize("batch_size", [0, 2.5, True])
def test_a_bad_batch_size_is_refused(model, seqs, batch_size):
    message = f"batch_size must be a positive int or None; got {batch_size!r}."
    with pytest.raises(ValueError, match=re.escape(message)):
        saturation_mutagenesis(model, seqs, batch_size=batch_size)


# -- skgxp ism ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(model, tmp_path_factory):
    directory = tmp_path_factory.mktemp("ism") / "model"
    skgxp.save(model, directory)
    return directory


@pytest.fixture(scope="module")
def seqs_file(seqs, tmp_path_factory):
    path = tmp_path_factory.mktemp("ism-seqs") / "seqs.txt"
    path.write_text("".join(f"{s}\n" for s in seqs))
    return path


def test_cli_writes_effects_sequences_and_predictions(model_dir, seqs_file, seqs, tmp_path,
                                                      capsys):
    out = tmp_path / "ism.npz"
    assert cli.main(["ism", str(model_dir), str(seqs_file), "--out", str(out)]) == 0
    saved = skgxp.load(model_dir)
    with np.load(out) as arrays:
        assert sorted(arrays) == ["effects", "prediction", "sequences", "targets"]
        np.testing.assert_array_equal(arrays["effects"], saturation_mutagenesis(saved, seqs))
        np.testing.assert_array_equal(arrays["prediction"], saved.predict(seqs))
        assert arrays["sequences"].tolist() == seqs
        assert arrays["targets"].tolist() == ["expression"]
    err = capsys.readouterr().err
    assert "encoded 4 sequences for a 110-bp insert" in err and "1 trimmed" in err


def test_cli_npy_holds_the_effects_alone(model_dir, seqs_file, seqs, tmp_path):
    out = tmp_path / "ism.npy"
    status = cli.main(["ism", str(model_dir), str(seqs_file), "--out", str(out), "--tta", "1"])
    assert status == 0
    saved = skgxp.load(model_dir).set_params(deepgxpregressor__tta=1)
    np.testing.assert_array_equal(np.load(out), saturation_mutagenesis(saved, seqs))


def test_cli_other_output_suffix_exits_2(model_dir, seqs_file, tmp_path, capsys):
    out = str(tmp_path / "x.tsv")
    status = cli.main(["ism", str(model_dir), str(seqs_file), "--out", out])
    assert status == 2
    assert capsys.readouterr().err == (
        f"skgxp: error: --out must name a .npz or .npy file; got '{tmp_path / 'x.tsv'}'.\n")


def test_cli_bad_base_names_the_line(model_dir, tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("ACGTACGT\n\nACGTXCGT\n")
    status = cli.main(["ism", str(model_dir), str(path), "--out", str(tmp_path / "o.npz")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"skgxp: error: {path}, line 3: the sequence has invalid character 'X' at "
        "character 5 (1-based); only A, C, G, T and N (any case) are allowed.\n")
    assert not (tmp_path / "o.npz").exists()
