"""The bundled JASPAR motifs, skgxp.interpret.match_motifs, and a planted-motif model.

The planted-motif test is the one that cannot be passed by a model that
learned nothing: 2,000 random 110-bp inserts (seeded), REB1's JASPAR
consensus (MA0363.3, ATTACCCGG) planted at a random position in about half,
expression 10 + 2 if planted + N(0, 0.3) noise. A small DeepGXP (8 channels
everywhere, no dropout, 6 epochs; ~12 s on one thread) must predict held-out
inserts (r >= 0.8; the noise allows ~0.96), put its largest ISM effect inside
the planted site in >= 80% of held-out planted inserts, and match_motifs must
find the site as the strongest seqlet and name REB1 among its 3 best matches
there in >= 80% of them, but in <= 30% of inserts without it.
"""

import gzip
import importlib.util
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

import skgxp
from skgxp import DeepGXPRegressor, PromoterEncoder, cli
from skgxp.datasets import load_jaspar_fungi
from skgxp.interpret import match_motifs, saturation_mutagenesis

#: memelite (TOMTOM) is in the "interpret" extra, not in "tests" (it pulls numba).
needs_memelite = pytest.mark.skipif(importlib.util.find_spec("memelite") is None,
                                    reason="needs memelite: pip install 'skgxp[interpret]'")

REB1 = "MA0363.3"
SITE = "ATTACCCGG"  # the argmax of each column of MA0363.3 (A and G tie at the first)
LENGTH = 110


def planted_set(n, seed):
    """Random inserts, SITE planted in about half: (X, y, planted, starts)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGT"))
    X = ["".join(rng.choice(letters, LENGTH)) for _ in range(n)]
    planted = rng.random(n) < 0.5
    starts = rng.integers(0, LENGTH - len(SITE) + 1, n)
    X = [x[:s] + SITE + x[s + len(SITE):] if p else x for x, p, s in zip(X, planted, starts)]
    y = 10 + 2.0 * planted + rng.normal(0, 0.3, n)
    return X, y, planted, starts


def site_map(seq_length=LENGTH, at=40, width=9, value=-1.0):
    maps = np.zeros((1, 4, seq_length))
    maps[0, :, at:at + width] = value
    return maps


# -- the bundled motifs --------------------------------------------------------------


def test_jaspar_fungi_has_178_probability_matrices():
    motifs = load_jaspar_fungi()
    assert len(motifs) == 178 and len({name for name, _ in motifs.values()}) == 178
    for name, pwm in motifs.values():
        assert pwm.shape[0] == 4 and pwm.shape[1] >= 5
        np.testing.assert_allclose(pwm.sum(axis=0), 1, atol=1e-5)
    name, pwm = motifs[REB1]
    assert name == "REB1" and "".join("ACGT"[i] for i in pwm.argmax(axis=0)) == SITE


@needs_memelite
def test_jaspar_fungi_reads_as_memelites_reader_reads_the_file(tmp_path):
    from importlib import resources

    from memelite.io import read_meme

    packed = resources.files("skgxp.datasets") / "data" / (
        "jaspar2024_core_fungi_nonredundant.meme.gz")
    plain = tmp_path / "fungi.meme"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    theirs = read_meme(str(plain))
    ours = load_jaspar_fungi()
    assert list(theirs) == [f"{motif_id} {name}" for motif_id, (name, _) in ours.items()]
    for motif_id, (name, pwm) in ours.items():
        np.testing.assert_array_equal(pwm, theirs[f"{motif_id} {name}"])


def test_the_license_names_jaspar_2024_and_cc_by():
    from importlib import resources

    text = (resources.files("skgxp.datasets") / "data" / "LICENSE-JASPAR2024.txt").read_text()
    assert "CC BY 4.0" in text and "Rauluseviciute" in text and "gkad1059" in text


# -- seqlets and matches ---------------------------------------------------------------


@needs_memelite
def test_a_seqlet_is_the_thresholded_smoothed_run_plus_flanks():
    # Scores 1 at 40-48; the 5-wide running mean is >= 0.5 at 40-48 exactly.
    table = match_motifs(site_map(), ["A" * 40 + SITE + "A" * 61])
    assert table[["start", "end", "bases"]].drop_duplicates().values.tolist() == [
        [38, 51, "AA" + SITE + "AA"]]
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["importance"].iloc[0] == pytest.approx(9 / 13)  # 9 ones over 13 bases


@needs_memelite
def test_the_planted_consensus_is_named_reb1_on_either_strand():
    reverse = SITE[::-1].translate(str.maketrans("ACGT", "TGCA"))
    seqs = ["A" * 40 + SITE + "A" * 61, "A" * 40 + reverse + "A" * 61]
    table = match_motifs(np.concatenate([site_map(), site_map()]), seqs)
    reb1 = table[table["motif_id"] == REB1]
    assert reb1["sequence"].tolist() == [0, 1]
    assert reb1["strand"].tolist() == ["+", "-"]
    assert (reb1["p_value"] < 1e-3).all()
    assert (reb1["motif_name"] == "REB1").all()


@needs_memelite
def test_e_value_is_p_value_times_the_number_of_motifs():
    table = match_motifs(site_map(), ["A" * 40 + SITE + "A" * 61])
    np.testing.assert_allclose(table["e_value"], table["p_value"] * 178)
    assert table["p_value"].is_monotonic_increasing


@needs_memelite
def test_separate_stretches_are_separate_seqlets_and_close_ones_merge():
    maps = site_map(value=-1.0)
    maps[0, 2, 80:86] = 0.9  # a second stretch, far away
    table = match_motifs(maps, ["A" * 40 + SITE + "A" * 61])
    spans = table[["seqlet", "start", "end"]].drop_duplicates().values.tolist()
    assert spans == [[0, 38, 51], [1, 78, 88]]  # smoothed >= 0.5 at 80-85
    maps = site_map(width=4)
    maps[0, :, 46:50] = -1.0  # runs 40-43 and 46-49, 2 bases apart
    spans = match_motifs(maps, ["C" * LENGTH], window=1, flank=2)[["start", "end"]]
    assert spans.drop_duplicates().values.tolist() == [[38, 52]]  # flanks overlap: merged
    spans = match_motifs(maps, ["C" * LENGTH], window=1, flank=0)[["start", "end"]]
    assert spans.drop_duplicates().values.tolist() == [[40, 44], [46, 50]]


@needs_memelite
def test_a_wide_run_is_cut_to_max_width_around_its_peak():
    maps = np.full((1, 4, LENGTH), 0.8)
    maps[0, 0, 70] = 3.0
    table = match_motifs(maps, ["ACGT" * 27 + "AC"], max_width=12, window=1, threshold=0.2)
    spans = table[["start", "end"]].drop_duplicates().values.tolist()
    assert spans == [[64, 76]]


@needs_memelite
def test_positions_past_the_end_of_a_shorter_sequence_are_ignored():
    maps = site_map(at=40)
    maps[0, :, 90:100] = -5.0  # past the end of a 60-bp sequence
    table = match_motifs(maps, ["A" * 40 + SITE + "A" * 11])
    assert table[["start", "end"]].drop_duplicates().values.tolist() == [[38, 51]]


def test_a_flat_map_gives_an_empty_table_with_the_columns():
    table = match_motifs(np.zeros((2, 4, LENGTH)), ["A" * LENGTH] * 2)
    assert len(table) == 0
    assert list(table.columns) == ["sequence", "seqlet", "start", "end", "bases",
                                   "importance", "rank", "motif_id", "motif_name",
                                   "p_value", "e_value", "strand"]


@needs_memelite
def test_torch_keeps_its_thread_count():
    import torch

    threads = torch.get_num_threads()  # 1 here (conftest)
    match_motifs(site_map(), ["A" * 40 + SITE + "A" * 61], n_jobs=-1)
    assert torch.get_num_threads() == threads


@needs_memelite
def test_motifs_may_be_given_as_matrices_alone():
    jaspar = load_jaspar_fungi()
    # 30 other motifs (not REB1 or NSI1, whose site is REB1's), and REB1 renamed.
    mine = {motif_id: pwm for motif_id, (name, pwm) in jaspar.items()
            if name not in ("REB1", "NSI1")}
    mine = dict(list(mine.items())[:30])
    mine["mine"] = jaspar[REB1][1]
    table = match_motifs(site_map(), ["A" * 40 + SITE + "A" * 61], motifs=mine, n_matches=1)
    assert table[["motif_id", "motif_name"]].values.tolist() == [["mine", "mine"]]


@pytest.mark.parametrize("kwargs, message", [
    (dict(maps=np.zeros((1, 2, 4, LENGTH))), "maps must have shape (n_sequences, 4, length) "
     "(the maps of a model of several outputs: pass one output's, effects[:, j]); got "
     "(1, 2, 4, 110)."),
    (dict(maps=np.zeros((4, LENGTH))), "maps must have shape (n_sequences, 4, length); got "
     "(4, 110)."),
    (dict(X=["A", "C"]), "X has 2 sequences but maps has 1; give the sequences of the maps, "
     "in their order."),
    (dict(X=["ACGU"]), "X[0] has invalid character 'U' at position 3; only A, C, G, T and N "
     "are allowed."),
    (dict(threshold=0), "threshold must be a number in (0, 1]; got 0."),
    (dict(n_matches=0), "n_matches must be a positive int; got 0."),
    (dict(flank=-1), "flank must be a non-negative int; got -1."),
    (dict(motifs={"x": np.ones((3, 5))}), "motif 'x' must be a matrix of shape (4, width) "
     "(rows A, C, G, T); got (3, 5)."),
])
def test_bad_input_is_refused(kwargs, message):
    args = dict(maps=site_map(), X=["A" * LENGTH]) | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        match_motifs(args.pop("maps"), args.pop("X"), **args)


def test_a_single_string_is_refused():
    with pytest.raises(TypeError, match=re.escape("got a single str; wrap it in a list: [X].")):
        match_motifs(site_map(), "A" * LENGTH)


# -- a model that learned a planted motif ------------------------------------------------


@pytest.fixture(scope="module")
def planted():
    X, y, _, _ = planted_set(2000, seed=0)
    regressor = DeepGXPRegressor(
        max_epochs=6, lr=5e-3, batch_size=32, tta=2, random_state=0, verbose=0,
        module__conv1_channels=8, module__lstm_hidden_size=8, module__conv2_channels=8,
        module__fc_size=8, module__dropout=0.0, module__conv_dropout=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a restart of the convergence monitor is fine
        model = make_pipeline(PromoterEncoder(), regressor).fit(X, y)
    X_test, y_test, with_site, starts = planted_set(200, seed=1)
    rows = np.flatnonzero(with_site)[:40]
    others = np.flatnonzero(~with_site)[:40]
    return dict(model=model, X=X_test, y=y_test, rows=rows, others=others, starts=starts,
                effects=saturation_mutagenesis(model, [X_test[i] for i in rows]),
                control=saturation_mutagenesis(model, [X_test[i] for i in others]))


def _inside(start, end, site_start):
    return (start < site_start + len(SITE)) & (end > site_start)


@pytest.mark.slow
def test_the_model_predicts_held_out_inserts(planted):
    r = np.corrcoef(planted["model"].predict(planted["X"]), planted["y"])[0, 1]
    assert r >= 0.8


@pytest.mark.slow
def test_the_largest_ism_effect_lies_in_the_planted_site(planted):
    top = np.abs(planted["effects"]).max(axis=1).argmax(axis=1)
    starts = planted["starts"][planted["rows"]]
    inside = (top >= starts) & (top < starts + len(SITE))
    assert inside.mean() >= 0.8


@needs_memelite
@pytest.mark.slow
def test_match_motifs_names_reb1_at_the_strongest_seqlet(planted):
    rows = planted["rows"]
    table = match_motifs(planted["effects"], [planted["X"][i] for i in rows])
    found = []
    for k, i in enumerate(rows):
        mine = table[table["sequence"] == k]
        strongest = mine[mine["importance"] == mine["importance"].max()]
        on_site = _inside(strongest["start"], strongest["end"], planted["starts"][i]).all()
        found.append(on_site and (strongest["motif_id"] == REB1).any())
    assert np.mean(found) >= 0.8
    control = match_motifs(planted["control"], [planted["X"][i] for i in planted["others"]])
    named = control.groupby("sequence")["motif_id"].agg(lambda ids: (ids == REB1).any())
    assert named.mean() <= 0.3
    strength = table.groupby("sequence")["importance"].max().median()
    assert strength >= 5 * control.groupby("sequence")["importance"].max().median()


@needs_memelite
@pytest.mark.slow
def test_cli_ism_writes_the_motif_table(planted, tmp_path):
    model_dir = tmp_path / "model"
    skgxp.save(planted["model"], model_dir)
    seqs = [planted["X"][i] for i in planted["rows"][:3]]
    (tmp_path / "seqs.txt").write_text("".join(f"{s}\n" for s in seqs))
    out, motifs = tmp_path / "ism.npz", tmp_path / "motifs.tsv"
    status = cli.main(["ism", str(model_dir), str(tmp_path / "seqs.txt"), "--out", str(out),
                       "--tta", "2", "--motifs", str(motifs)])
    assert status == 0
    saved = skgxp.load(model_dir).set_params(deepgxpregressor__tta=2)
    want = match_motifs(saturation_mutagenesis(saved, seqs), seqs)
    got = pd.read_csv(motifs, sep="\t")
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


# -- without the extra -------------------------------------------------------------------


def test_without_memelite_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "memelite", None)  # import memelite fails
    message = ("skgxp.interpret.match_motifs needs memelite; install it with pip install "
               "'skgxp[interpret]' (or pip install memelite).")
    with pytest.raises(ImportError, match=re.escape(message)):
        match_motifs(site_map(), ["A" * 40 + SITE + "A" * 61])


def test_cli_motifs_without_memelite_exits_2_before_the_work(demo, tiny, tmp_path, capsys,
                                                             monkeypatch):
    model = make_pipeline(PromoterEncoder(), DeepGXPRegressor(max_epochs=1, verbose=0, **tiny))
    skgxp.save(model.fit(*demo), tmp_path / "model")
    (tmp_path / "seqs.txt").write_text(demo[0][0] + "\n")
    monkeypatch.setitem(sys.modules, "memelite", None)
    status = cli.main(["ism", str(tmp_path / "model"), str(tmp_path / "seqs.txt"), "--out",
                       str(tmp_path / "ism.npz"), "--motifs", str(tmp_path / "m.tsv")])
    assert status == 2
    assert capsys.readouterr().err == (
        "skgxp: error: --motifs needs memelite; install it with pip install "
        "'skgxp[interpret]'.\n")
    assert not (tmp_path / "ism.npz").exists()


@needs_memelite
def test_cli_motifs_of_several_targets_have_a_target_column(demo, sensitive, tmp_path):
    X, y = demo
    model = make_pipeline(PromoterEncoder(), DeepGXPRegressor(
        max_epochs=1, verbose=0, target_center="mean", **sensitive))
    skgxp.save(model.fit(X, np.column_stack([y, np.sqrt(y)])), tmp_path / "model")
    (tmp_path / "seqs.txt").write_text(f"{X[0]}\n{X[1]}\n")
    status = cli.main(["ism", str(tmp_path / "model"), str(tmp_path / "seqs.txt"), "--out",
                       str(tmp_path / "ism.npy"), "--tta", "1", "--motifs",
                       str(tmp_path / "m.tsv")])
    assert status == 0
    got = pd.read_csv(tmp_path / "m.tsv", sep="\t")
    assert got.columns[0] == "target"
    effects = np.load(tmp_path / "ism.npy")
    kept = [X[0][:LENGTH], X[1][:LENGTH]]
    for j, (_, rows) in enumerate(got.groupby("target", sort=False)):
        pd.testing.assert_frame_equal(rows.drop(columns="target").reset_index(drop=True),
                                      match_motifs(effects[:, j], kept), check_dtype=False)
    assert got["target"].nunique() == 2
