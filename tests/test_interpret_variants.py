"""skgxp.interpret.variant_effects and ``skgxp variants`` against predict differences.

With the default batch size each side runs in the batches ``predict`` uses,
so the effects equal ``predict(alt) - predict(ref)`` exactly (same inputs,
same shapes, same arithmetic on the CPU). With another batch size the
batches differ, and a float32 prediction may differ in its last bit: there
the comparison is to atol 2e-6 (two float32 ulps near 11).
"""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

import skgxp
from skgxp import DeepGXPRegressor, PromoterEncoder, cli
from skgxp.datasets import load_public_leaderboard_pairs
from skgxp.interpret import variant_effects
from conftest import SENSITIVE, TINY

ATOL = 2e-6


def fit_model(X, y, **params):
    regressor = DeepGXPRegressor(max_epochs=1, batch_size=32, verbose=0, **SENSITIVE, **params)
    return make_pipeline(PromoterEncoder(), regressor).fit(X, y)


@pytest.fixture(scope="module")
def model(demo):
    return fit_model(*demo)


@pytest.fixture(scope="module")
def pairs(demo):
    """Substitutions, a deletion, an insertion and unrelated pairs of demo sequences."""
    X, _ = demo
    ref = list(X[:40])
    alt = [s[:30] + ("A" if s[30] != "A" else "G") + s[31:] for s in X[:10]]
    alt += [s[:50] + s[55:] for s in X[10:20]]
    alt += [s[:50] + "GATTACA" + s[50:] for s in X[20:30]]
    alt += list(X[100:110])
    return ref, alt


@pytest.fixture(scope="module")
def snv_pairs():
    table = load_public_leaderboard_pairs()
    return table[table["subset"] == "SNVs"].head(40)


def test_effects_equal_predict_differences_exactly(model, pairs):
    ref, alt = pairs
    effects = variant_effects(model, ref, alt)
    expected = model.predict(alt) - model.predict(ref)
    assert np.abs(expected).max() > 1e-3  # the model does respond
    np.testing.assert_array_equal(effects, expected)


def test_batched_effects_equal_predict_differences(model, pairs):
    ref, alt = pairs
    effects = variant_effects(model, ref, alt, batch_size=7)
    np.testing.assert_allclose(effects, model.predict(alt) - model.predict(ref),
                               rtol=0, atol=ATOL)


def test_leaderboard_snv_effects_equal_predict_differences(model, snv_pairs):
    ref, alt = snv_pairs["seq_ref"].tolist(), snv_pairs["seq_alt"].tolist()
    assert all(sum(a != b for a, b in zip(r, s)) == 1 for r, s in zip(ref, alt))
    np.testing.assert_array_equal(variant_effects(model, ref, alt),
                                  model.predict(alt) - model.predict(ref))


def test_shape_is_one_effect_per_pair(model, pairs):
    ref, alt = pairs
    assert variant_effects(model, ref[:3], alt[:3]).shape == (3,)


def test_several_outputs_give_pairs_by_outputs(demo, pairs):
    X, y = demo
    model = fit_model(X, np.column_stack([y, np.sqrt(y)]), target_center="mean")
    ref, alt = pairs
    effects = variant_effects(model, ref, alt)
    assert effects.shape == (len(ref), 2)
    np.testing.assert_array_equal(effects, model.predict(alt) - model.predict(ref))


def test_a_regressor_alone_equals_its_pipeline(model, pairs):
    ref, alt = pairs
    np.testing.assert_array_equal(variant_effects(model[-1], ref, alt),
                                  variant_effects(model, ref, alt))


def test_identical_pairs_have_no_effect(model, pairs):
    ref, _ = pairs
    assert (variant_effects(model, ref, ref) == 0).all()


# -- bad input ---------------------------------------------------------------------


def test_ref_and_alt_of_different_lengths_are_refused(model, pairs):
    ref, alt = pairs
    message = "ref and alt must have the same number of sequences; got 3 and 2."
    with pytest.raises(ValueError, match=re.escape(message)):
        variant_effects(model, ref[:3], alt[:2])


def test_an_unfitted_model_is_refused(pairs):
    model = make_pipeline(PromoterEncoder(), DeepGXPRegressor(**TINY))
    message = ("This DeepGXPRegressor is not fitted yet; fit it before interpreting it "
               "with skgxp.interpret.")
    with pytest.raises(NotFittedError, match=re.escape(message)):
        variant_effects(model, *pairs)


def test_a_model_without_promoter_encoder_is_refused(demo, pairs):
    X, y = demo
    regressor = DeepGXPRegressor(max_epochs=1, tta=2, verbose=0, **TINY)
    model = make_pipeline(PromoterEncoder(output="onehot"), regressor).fit(X, y)
    message = ("This DeepGXPRegressor was fitted on one-hot input; skgxp.interpret needs "
               "a fitted Pipeline(PromoterEncoder(), DeepGXPRegressor()) or a fitted "
               "DeepGXPRegressor trained on PromoterEncoder codes (mutants and test-time "
               "shifts are made from the codes).")
    with pytest.raises(ValueError, match=re.escape(message)):
        variant_effects(model, *pairs)


def test_a_bad_alt_base_names_alt_and_its_row(model, pairs):
    ref, _ = pairs
    message = ("alt[1] has invalid character 'X' at position 2; only A, C, G, T and N "
               "(any case) are allowed.")
    with pytest.raises(ValueError, match=re.escape(message)):
        variant_effects(model, ref[:2], ["ACGT", "ACXT"])


def test_a_single_string_is_refused_by_name(model, pairs):
    ref, _ = pairs
    message = ("ref must be a 1-D array-like of str (one promoter per row), got a single "
               "str; wrap it in a list: [ref].")
    with pytest.raises(TypeError, match=re.escape(message)):
        variant_effects(model, ref[0], ref[:1])


# -- skgxp variants -----------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(model, tmp_path_factory):
    directory = tmp_path_factory.mktemp("variants") / "model"
    skgxp.save(model, directory)
    return directory


def write_pairs(path, rows, header="name\tref\talt"):
    path.write_text(header + "\n" + "".join("\t".join(row) + "\n" for row in rows))
    return path


def test_cli_adds_an_effect_column_to_the_pairs(model_dir, snv_pairs, tmp_path, capsys):
    ref, alt = snv_pairs["seq_ref"].tolist(), snv_pairs["seq_alt"].tolist()
    names = [f"pair{i}" for i in range(len(ref))]
    path = write_pairs(tmp_path / "pairs.tsv", zip(names, ref, alt))
    out = tmp_path / "effects.tsv"
    assert cli.main(["variants", str(model_dir), str(path), "--out", str(out)]) == 0
    table = pd.read_csv(out, sep="\t", dtype={"name": str, "ref": str, "alt": str})
    assert list(table.columns) == ["name", "ref", "alt", "effect"]
    assert table["name"].tolist() == names and table["alt"].tolist() == alt
    expected = variant_effects(skgxp.load(model_dir), ref, alt)
    np.testing.assert_allclose(table["effect"], expected, rtol=1e-7, atol=1e-7)
    assert f"wrote {len(ref)} variant effects" in capsys.readouterr().err


def test_cli_columns_are_named_by_options(model_dir, tmp_path, demo):
    X, _ = demo
    path = write_pairs(tmp_path / "pairs.tsv", [(X[0], X[1], "x")], header="a\tb\tc")
    out = tmp_path / "effects.tsv"
    status = cli.main(["variants", str(model_dir), str(path), "--out", str(out),
                       "--ref-column", "a", "--alt-column", "b"])
    assert status == 0
    expected = variant_effects(skgxp.load(model_dir), X[:1], X[1:2])
    np.testing.assert_allclose(pd.read_csv(out, sep="\t")["effect"], expected, atol=1e-7)


def test_cli_bad_base_names_the_line_and_column(model_dir, tmp_path, capsys):
    path = write_pairs(tmp_path / "pairs.tsv", [("p", "ACGT", "ACGT"), ("q", "ACGT", "ACGU")])
    status = cli.main(["variants", str(model_dir), str(path), "--out", str(tmp_path / "o")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"skgxp: error: {path}, line 3: the 'alt' sequence has invalid character 'U' at "
        "character 4 (1-based); only A, C, G, T and N (any case) are allowed.\n")


def test_cli_empty_field_names_the_line(model_dir, tmp_path, capsys):
    path = write_pairs(tmp_path / "pairs.tsv", [("p", "ACGT", "ACGT"), ("q", "", "ACGT")])
    status = cli.main(["variants", str(model_dir), str(path), "--out", str(tmp_path / "o")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"skgxp: error: {path}, line 3: 'ref' is empty; every row needs a value.\n")


def test_cli_missing_column_exits_2(model_dir, tmp_path, capsys):
    path = write_pairs(tmp_path / "pairs.tsv", [("p", "ACGT", "ACGT")], header="n\tref\tvar")
    status = cli.main(["variants", str(model_dir), str(path), "--out", str(tmp_path / "o")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"skgxp: error: {path}: column 'alt' is not in the header; the columns are "
        "['n', 'ref', 'var']. Name the right ones with --ref-column / --alt-column.\n")


def test_cli_headerless_pairs_exit_2(model_dir, tmp_path, capsys):
    path = tmp_path / "pairs.tsv"
    path.write_text("ACGT\tACGA\nACGT\tACGC\n")
    status = cli.main(["variants", str(model_dir), str(path), "--out", str(tmp_path / "o")])
    assert status == 2
    assert capsys.readouterr().err == (
        f"skgxp: error: {path}: column 'ref' is not in the header; the columns are "
        "['ACGT', 'ACGA']. Name the right ones with --ref-column / --alt-column.\n")


def test_cli_header_without_pairs_exits_2(model_dir, tmp_path, capsys):
    path = write_pairs(tmp_path / "pairs.tsv", [])
    status = cli.main(["variants", str(model_dir), str(path), "--out", str(tmp_path / "o")])
    assert status == 2
    assert capsys.readouterr().err == f"skgxp: error: {path} has a header but no pairs.\n"


def test_cli_several_targets_write_one_effect_column_each(demo, pairs, tmp_path):
    X, y = demo
    model = fit_model(X, np.column_stack([y, np.sqrt(y)]), target_center="mean")
    skgxp.save(model, tmp_path / "model")  # without provenance: targets named by number
    ref, alt = pairs
    path = write_pairs(tmp_path / "pairs.tsv", zip(map(str, range(len(ref))), ref, alt))
    out = tmp_path / "effects.tsv"
    assert cli.main(["variants", str(tmp_path / "model"), str(path), "--out", str(out)]) == 0
    table = pd.read_csv(out, sep="\t")
    effect_columns = ["effect_output_0", "effect_output_1"]
    assert list(table.columns) == ["name", "ref", "alt", *effect_columns]
    np.testing.assert_allclose(table[effect_columns].to_numpy(),
                               variant_effects(skgxp.load(tmp_path / "model"), ref, alt),
                               rtol=1e-7, atol=1e-7)
