"""KmerCounts: counts against a plain-Python count, names, N, errors, sparse output,
tags, pickle, clone, pipelines."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from skgxp import KmerCounts, PromoterEncoder
from skgxp import _kmer

_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _kmers(k):
    """Every k-mer in lexicographic order, written out letter by letter."""
    words = [""]
    for _ in range(k):
        words = [word + base for word in words for base in "ACGT"]
    return words


def _canonical(word):
    return min(word, word.translate(_COMPLEMENT)[::-1])


def _names(k_range, canonical):
    names = []
    for k in range(k_range[0], k_range[1] + 1):
        words = _kmers(k)
        names += sorted({_canonical(w) for w in words}) if canonical else words
    return names


def _count_by_hand(seqs, k_range, canonical):
    """Dense counts by slicing every k-mer out of every sequence."""
    names = _names(k_range, canonical)
    column = {name: j for j, name in enumerate(names)}
    counts = np.zeros((len(seqs), len(names)), dtype=np.int64)
    for i, seq in enumerate(seqs):
        seq = seq.upper()
        for k in range(k_range[0], k_range[1] + 1):
            for start in range(len(seq) - k + 1):
                word = seq[start : start + k]
                if "N" not in word:
                    counts[i, column[_canonical(word) if canonical else word]] += 1
    return counts


def _random_sequences(n, seed, alphabet="ACGTNacgtn", low=1, high=40):
    rng = np.random.default_rng(seed)
    letters = np.array(list(alphabet))
    return ["".join(rng.choice(letters, rng.integers(low, high + 1))) for _ in range(n)]


SEQS = _random_sequences(60, seed=0)


@pytest.mark.parametrize("k_range", [(1, 1), (1, 3), (2, 4), (1, 6), (5, 7)])
@pytest.mark.parametrize("canonical", [True, False])
def test_counts_equal_a_count_by_hand(k_range, canonical):
    counts = KmerCounts(k=k_range, canonical=canonical).fit_transform(SEQS)
    np.testing.assert_array_equal(counts.toarray(), _count_by_hand(SEQS, k_range, canonical))


@pytest.mark.parametrize("canonical", [True, False])
def test_feature_names_are_the_kmers_by_k_then_lexicographic(canonical):
    names = KmerCounts(k=(1, 4), canonical=canonical).get_feature_names_out()
    assert names.tolist() == _names((1, 4), canonical)
    assert names.dtype == object


@pytest.mark.parametrize("k_range, n_columns", [((1, 6), 2772), ((4, 4), 136), ((1, 1), 2)])
def test_canonical_columns_are_one_per_reverse_complement_pair(k_range, n_columns):
    assert KmerCounts(k=k_range).get_feature_names_out().size == n_columns


def test_canonical_name_is_the_smaller_of_the_pair():
    names = KmerCounts(k=2).get_feature_names_out().tolist()
    assert "AC" in names and "GT" not in names


def test_canonical_counts_a_kmer_and_its_reverse_complement_together():
    counts = KmerCounts(k=2).fit_transform(["ACGT"])  # AC, CG, GT
    names = KmerCounts(k=2).get_feature_names_out().tolist()
    assert counts[0, names.index("AC")] == 2
    assert counts[0, names.index("CG")] == 1  # a palindrome, counted once


def test_canonical_counts_are_the_same_on_both_strands():
    reverse = [s.upper().translate(_COMPLEMENT)[::-1] for s in SEQS]
    kmers = KmerCounts()
    assert (kmers.fit_transform(SEQS) != kmers.fit_transform(reverse)).nnz == 0


def test_an_int_k_counts_one_length():
    assert KmerCounts(k=3, canonical=False).get_feature_names_out().tolist() == _kmers(3)


def test_kmers_with_n_are_not_counted():
    counts = KmerCounts(k=(1, 2), canonical=False).fit_transform(["ANC"]).toarray()[0]
    names = KmerCounts(k=(1, 2), canonical=False).get_feature_names_out().tolist()
    assert counts.sum() == 2  # A and C; AN and NC are skipped
    assert counts[names.index("A")] == counts[names.index("C")] == 1


def test_a_sequence_of_n_has_no_counts():
    assert KmerCounts().fit_transform(["NNNN"]).nnz == 0


def test_a_sequence_shorter_than_k_has_no_kmers_of_that_length():
    counts = KmerCounts(k=(1, 3), canonical=False).fit_transform(["AC"])
    assert counts.sum() == 3  # A, C, AC


def test_lower_case_counts_as_upper_case():
    kmers = KmerCounts()
    assert (kmers.fit_transform(SEQS) != kmers.fit_transform([s.upper() for s in SEQS])).nnz == 0


def test_output_is_int32_csr_of_n_rows_and_one_column_per_kmer():
    counts = KmerCounts().fit_transform(SEQS)
    assert sp.issparse(counts) and counts.format == "csr"
    assert counts.dtype == np.int32
    assert counts.shape == (len(SEQS), 2772)
    assert counts.has_sorted_indices


@pytest.mark.parametrize(
    "container",
    [np.array, lambda s: np.array(s, dtype=object), pd.Series,
     lambda s: pd.DataFrame({"sequence": s})],
    ids=["numpy-str", "numpy-object", "series", "dataframe"],
)
def test_containers_give_the_counts_of_a_list(container):
    kmers = KmerCounts()
    assert (kmers.fit_transform(container(SEQS)) != kmers.fit_transform(SEQS)).nnz == 0


def test_small_chunks_give_the_counts_of_one_chunk(monkeypatch):
    seqs = _random_sequences(500, seed=3, high=120)
    whole = KmerCounts().fit_transform(seqs)
    # 24 bytes per base at k = 1..6, rows of up to 120 bases: a row per chunk.
    monkeypatch.setattr(_kmer, "_CHUNK_BYTES", 2000)
    assert (KmerCounts().fit_transform(seqs) != whole).nnz == 0


def test_a_denser_later_chunk_grows_the_output(monkeypatch):
    # The first chunk (short rows) sizes the output far too small for the rest.
    monkeypatch.setattr(_kmer, "_CHUNK_BYTES", 5000)
    seqs = ["ACGT"] * 50 + _random_sequences(200, seed=4, alphabet="ACGT", low=100, high=120)
    counts = KmerCounts(canonical=False).fit_transform(seqs)
    np.testing.assert_array_equal(counts.toarray(), _count_by_hand(seqs, (1, 6), False))


# Every refusal is PromoterEncoder's, word for word.
_BAD_INPUTS = {
    "bad character": ["ACGT", "ACZT"],
    "non-ascii": ["ACéT"],
    "whitespace": ["ACGT "],
    "empty string": ["ACGT", ""],
    "None": ["ACGT", None],
    "nan": ["ACGT", np.nan],
    "pd.NA": ["ACGT", pd.NA],
    "bytes": [b"ACGT"],
    "int row": ["ACGT", 5],
    "scalar string": "ACGT",
    "two columns": np.array([["ACGT", "ACGT"], ["TTGA", "TTGA"]]),
    "zero rows": [],
    "not a container": 5,
}


def _raised(transformer, X):
    with pytest.raises((TypeError, ValueError)) as info:
        transformer.fit_transform(X)
    return info.type, str(info.value)


@pytest.mark.parametrize("X", list(_BAD_INPUTS.values()), ids=list(_BAD_INPUTS))
def test_bad_input_raises_what_promoter_encoder_raises(X):
    assert _raised(KmerCounts(), X) == _raised(PromoterEncoder(), X)


def test_invalid_character_names_row_position_and_rule():
    with pytest.raises(
        ValueError,
        match=(
            r"^X\[1\] has invalid character 'Z' at position 2; only A, C, G, T and N "
            r"\(any case\) are allowed\.$"
        ),
    ):
        KmerCounts().fit_transform(["ACGT", "ACZT"])


def test_missing_sequence_names_its_row():
    with pytest.raises(
        TypeError,
        match=(
            r"^X\[1\] is None of type NoneType; every row must be a str of A, C, G, T, N "
            r"\(missing sequences are not allowed\)\.$"
        ),
    ):
        KmerCounts().fit_transform(["ACGT", None])


def test_empty_string_names_its_row():
    with pytest.raises(
        ValueError, match=r"^X\[1\] is an empty string; every row needs at least one base\.$"
    ):
        KmerCounts().fit_transform(["ACGT", ""])


def test_a_bad_row_in_a_later_chunk_is_named(monkeypatch):
    monkeypatch.setattr(_kmer, "_CHUNK_BYTES", 2000)
    seqs = ["ACGT" * 5] * 40
    seqs[33] = "ACGT" * 2 + "Z"
    with pytest.raises(ValueError, match=r"^X\[33\] has invalid character 'Z' at position 8;"):
        KmerCounts().fit_transform(seqs)


@pytest.mark.parametrize(
    "k", [(0, 3), (4, 2), (1, 13), 0, 13, (1, 2, 3), (1.0, 2), (True, 2), True, "16", None]
)
def test_a_bad_k_is_refused_at_fit(k):
    with pytest.raises(ValueError, match=r"^k must be an int or a \(min, max\) pair of ints"):
        KmerCounts(k=k).fit()


def test_a_list_k_is_a_range():
    assert KmerCounts(k=[1, 2]).get_feature_names_out().size == 12


def test_a_bad_k_message_names_the_bounds():
    with pytest.raises(
        ValueError,
        match=(
            r"^k must be an int or a \(min, max\) pair of ints with 1 <= min <= max <= 12; "
            r"got \(4, 2\)\.$"
        ),
    ):
        KmerCounts(k=(4, 2)).fit()


def test_a_bad_canonical_is_refused_at_fit():
    with pytest.raises(ValueError, match="'canonical' parameter of KmerCounts must be"):
        KmerCounts(canonical="yes").fit()


def test_init_only_stores_the_parameters():
    kmers = KmerCounts(k=(0, 99), canonical="nonsense")  # refused only at fit
    assert kmers.get_params() == {"k": (0, 99), "canonical": "nonsense"}


def test_fit_returns_the_transformer_and_learns_nothing():
    kmers = KmerCounts()
    assert kmers.fit(SEQS) is kmers
    assert vars(kmers) == {"k": (1, 6), "canonical": True}


def test_transform_needs_no_fit():
    counts = KmerCounts().transform(SEQS)
    assert counts.shape == (len(SEQS), 2772)


def test_tags_say_string_input_not_a_2d_array():
    tags = KmerCounts().__sklearn_tags__()
    assert tags.input_tags.string
    assert tags.input_tags.one_d_array
    assert not tags.input_tags.two_d_array
    assert not tags.requires_fit


def test_pickle_round_trip_gives_the_same_counts():
    kmers = KmerCounts(k=(2, 5), canonical=False).fit(SEQS)
    again = pickle.loads(pickle.dumps(kmers))
    assert again.get_params() == kmers.get_params()
    assert (again.transform(SEQS) != kmers.transform(SEQS)).nnz == 0


def test_clone_keeps_the_parameters():
    assert clone(KmerCounts(k=(2, 3), canonical=False)).get_params() == {
        "k": (2, 3), "canonical": False
    }


def test_in_a_pipeline_with_ridge():
    rng = np.random.default_rng(5)
    seqs = _random_sequences(200, seed=5, alphabet="ACGT", low=30, high=40)
    y = np.array([s.count("GC") for s in seqs]) + rng.normal(0, 0.1, len(seqs))
    model = make_pipeline(KmerCounts(k=(1, 2), canonical=False), Ridge(alpha=1.0))
    model.fit(seqs[:150], y[:150])
    assert np.corrcoef(model.predict(seqs[150:]), y[150:])[0, 1] > 0.9
    assert model[:-1].get_feature_names_out()[0] == "A"
