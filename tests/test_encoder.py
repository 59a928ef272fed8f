"""PromoterEncoder: input containers, trimming, code layout, one-hot, errors, tags."""

import numpy as np
import pandas as pd
import pytest

from skgxp import PromoterEncoder
from skgxp import _encoder

SEQS = ["ACGTNACGTA", "TTGCA", "GATTACA"]


def _encode(X, **params):
    return PromoterEncoder(**params).fit_transform(X)


@pytest.mark.parametrize(
    "container",
    [
        list,
        np.array,  # numpy str (<U) array
        lambda s: np.array(s, dtype=object),
        pd.Series,
        lambda s: pd.DataFrame({"sequence": s}),
        lambda s: np.array(s, dtype=object)[:, None],  # one column
    ],
    ids=["list", "numpy-str", "numpy-object", "series", "dataframe", "column"],
)
def test_containers_give_the_same_codes(container):
    assert np.array_equal(_encode(container(SEQS)), _encode(SEQS))


def test_lower_case_equals_upper_case():
    assert np.array_equal(_encode([s.lower() for s in SEQS]), _encode(SEQS))


def test_codes_shape_and_dtype():
    codes = _encode(SEQS, length=50)
    assert codes.shape == (3, 50 + 113)
    assert codes.dtype == np.uint8


def test_onehot_shape_and_dtype():
    onehot = _encode(SEQS, output="onehot")
    assert onehot.shape == (3, 4, 110)
    assert onehot.dtype == np.float32


def test_code_layout_of_a_short_insert(bhi):
    codes = _encode(["ACGTN"], length=12)[0]
    assert codes.shape == (12 + 113,)
    # 5' flank: last 37 vector bases, marked as vector (bit 8).
    assert bhi.decode([codes[:37]])[0] == bhi.left
    assert (codes[:37] >= 8).all()
    # Insert codes A C G T N = 0 1 2 3 4.
    assert codes[37:42].tolist() == [0, 1, 2, 3, 4]
    # 3' flank right after the insert, then vector N (12) to the end.
    assert bhi.decode([codes[42:118]])[0] == bhi.right
    assert (codes[42:118] >= 8).all()
    assert codes[118:].tolist() == [12] * 7


def test_insert_length_is_the_number_of_codes_below_8():
    codes = _encode(["A" * 5, "C" * 110, "G" * 130])
    assert (codes < 8).sum(axis=1).tolist() == [5, 110, 110]


def test_longer_sequences_lose_bases_from_the_3p_end(bhi):
    rng = np.random.default_rng(0)
    seq = bhi.random_sequences(rng, 1, 130, 130)[0]
    codes = _encode([seq])[0]
    assert bhi.decode([codes[37:147]])[0] == seq[:110]
    # The 3' flank follows the kept bases directly.
    assert bhi.decode([codes[147:223]])[0] == bhi.right


def test_onehot_channels_are_a_c_g_t_and_n_is_zero():
    onehot = _encode(["ACGTN"], length=5, output="onehot")[0]
    expected = np.array(
        [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]],
        dtype=np.float32,
    )
    assert np.array_equal(onehot, expected)


def test_onehot_pads_short_sequences_with_the_3p_flank(bhi):
    seq = bhi.random_sequences(np.random.default_rng(2), 1, 90, 90)[0]
    onehot = _encode([seq], output="onehot")[0]
    assert np.array_equal(onehot, bhi.onehot(bhi.pad(seq, "3p")))


def test_no_flanks_pad_with_vector_n():
    codes = _encode(["ACG"], length=5, flank_5p=None, flank_3p=None)[0]
    assert codes[:37].tolist() == [12] * 37
    assert codes[37:40].tolist() == [0, 1, 2]
    assert codes[40:].tolist() == [12] * (5 + 113 - 40)


def test_custom_flanks_are_cut_or_n_filled_next_to_the_insert():
    codes = _encode(["A"], length=1, flank_5p="c" * 40 + "GT", flank_3p="TTG")[0]
    # 5': the 37 bases adjacent to the insert (its last 37).
    assert codes[:37].tolist() == [9] * 35 + [10, 11]
    assert codes[37] == 0
    # 3': the given bases, then vector N.
    assert codes[38:41].tolist() == [11, 11, 10]
    assert codes[41:].tolist() == [12] * 73


def test_short_custom_5p_flank_is_n_filled_on_its_far_side():
    codes = _encode(["A"], length=1, flank_5p="AC")[0]
    assert codes[:37].tolist() == [12] * 35 + [8, 9]


def test_invalid_flank_raises():
    with pytest.raises(
        ValueError, match=r"^flank_5p may only contain A, C, G, T or N; got \['X'\]\.$"
    ):
        _encode(["ACGT"], flank_5p="ACXT")


def test_invalid_character_names_row_position_and_rule():
    with pytest.raises(
        ValueError,
        match=(
            r"^X\[1\] has invalid character 'Z' at position 2; only A, C, G, T and N "
            r"\(any case\) are allowed\.$"
        ),
    ):
        _encode(["ACGT", "ACZT"])


def test_non_ascii_character_names_row_and_position():
    with pytest.raises(ValueError, match=r"^X\[0\] has invalid character 'é' at position 2;"):
        _encode(["ACéT"])


def test_whitespace_is_not_trimmed_silently():
    with pytest.raises(ValueError, match=r"^X\[0\] has invalid character ' ' at position 4;"):
        _encode(["ACGT "])


def test_empty_string_names_its_row():
    with pytest.raises(
        ValueError, match=r"^X\[1\] is an empty string; every row needs at least one base\.$"
    ):
        _encode(["ACGT", ""])


@pytest.mark.parametrize(
    "missing, shown",
    [
        (None, "None of type NoneType"),
        (np.nan, "nan of type float"),
        (pd.NA, "<NA> of type NAType"),
    ],
)
def test_missing_sequence_names_its_row(missing, shown):
    with pytest.raises(
        TypeError,
        match=(
            rf"^X\[1\] is {shown}; every row must be a str of A, C, G, T, N "
            r"\(missing sequences are not allowed\)\.$"
        ),
    ):
        _encode(["ACGT", missing])


def test_missing_value_in_a_series_names_its_row():
    with pytest.raises(TypeError, match=r"^X\[2\] is nan of type float; .*missing sequences"):
        _encode(pd.Series(["ACGT", "TTGA", None]))


def test_bytes_row_suggests_decoding():
    with pytest.raises(
        TypeError,
        match=(
            r"^X\[0\] is b'ACGT' of type bytes; every row must be a str of A, C, G, T, N "
            r"\(decode bytes first, e.g\. seq\.decode\('ascii'\)\)\.$"
        ),
    ):
        _encode([b"ACGT"])


def test_scalar_string_is_refused():
    with pytest.raises(
        TypeError,
        match=(
            r"^X must be a 1-D array-like of str \(one promoter per row\), got a single "
            r"str; wrap it in a list: \[X\]\.$"
        ),
    ):
        _encode("ACGT")


def test_two_dimensional_array_with_several_columns_is_refused():
    with pytest.raises(
        ValueError,
        match=(
            r"^X must be 1-D \(one promoter string per row\) or a single column; got an "
            r"array of shape \(2, 2\)\.$"
        ),
    ):
        _encode(np.array([["ACGT", "ACGT"], ["TTGA", "TTGA"]]))


def test_dataframe_with_two_columns_is_refused():
    frame = pd.DataFrame({"sequence": ["ACGT"], "expression": [1.0]})
    with pytest.raises(
        ValueError,
        match=(
            r"^X as a DataFrame must have exactly one column of sequences; got 2 columns "
            r"\['sequence', 'expression'\]\.$"
        ),
    ):
        _encode(frame)


@pytest.mark.parametrize("empty", [[], np.array([], dtype=str), pd.Series([], dtype=object)])
def test_zero_rows_are_refused(empty):
    with pytest.raises(ValueError, match=r"^X has 0 sequences; at least one is required\.$"):
        _encode(empty)


def test_non_sequence_container_is_refused():
    with pytest.raises(TypeError, match=r"^X must be a 1-D array-like of str .*; got int\.$"):
        _encode(5)


def test_bad_parameter_is_refused_at_transform():
    with pytest.raises(ValueError, match="'output' parameter of PromoterEncoder"):
        PromoterEncoder(output="fasta").fit_transform(["ACGT"])


def test_tags_say_string_input_not_a_2d_array():
    tags = PromoterEncoder().__sklearn_tags__()
    assert tags.input_tags.string
    assert tags.input_tags.one_d_array
    assert not tags.input_tags.two_d_array
    assert not tags.input_tags.allow_nan
    assert not tags.requires_fit


def test_set_output_pandas_is_refused():
    with pytest.raises(
        ValueError,
        match=(
            r"^PromoterEncoder cannot output 'pandas' containers; its output is a uint8 "
            r"code array or a 3-D one-hot array\. Use set_output\(transform='default'\)\.$"
        ),
    ):
        PromoterEncoder().set_output(transform="pandas")


def test_set_output_default_is_accepted():
    encoder = PromoterEncoder()
    assert encoder.set_output(transform="default") is encoder


#: A C G T N -> 0-4; any case.
_BASE_CODES = bytes.maketrans(b"ACGTNacgtn", bytes([0, 1, 2, 3, 4] * 2))


def _codes_row_by_row(seqs, bhi, length=110):
    """Codes built one row at a time with bytes.translate: 5' flank (vector bit
    set), the insert cut to ``length``, the 3' flank, then vector N."""
    left = bhi.left.encode().translate(_BASE_CODES)
    right = bhi.right.encode().translate(_BASE_CODES)
    left, right = bytes(c | 8 for c in left), bytes(c | 8 for c in right)
    rows = []
    for seq in seqs:
        insert = seq[:length].encode().translate(_BASE_CODES)
        rows.append(left + insert + right + bytes([12]) * (length - len(insert)))
    return np.frombuffer(b"".join(rows), np.uint8).reshape(len(seqs), -1)


def test_row_by_row_reference_matches_the_documented_layout(bhi):
    # The reference below is itself checked on one row against the layout test.
    assert np.array_equal(_codes_row_by_row(["ACGTN"], bhi, length=12),
                          _encode(["ACGTN"], length=12))


def test_small_chunks_give_the_codes_of_a_row_by_row_encoding(bhi, monkeypatch):
    # 1,000 bytes: 5 rows per chunk (the next 1,024 rows hold one of about
    # 200 bp), so 600 chunks, each padded to the width of its own longest row.
    monkeypatch.setattr(_encoder, "_CHUNK_BYTES", 1000)
    rng = np.random.default_rng(1)
    seqs = bhi.random_sequences(rng, 3000, 1, 200, alphabet="ACGTNacgtn")
    np.testing.assert_array_equal(_encode(seqs), _codes_row_by_row(seqs, bhi))


def test_a_bad_character_in_a_later_chunk_names_its_row(bhi, monkeypatch):
    monkeypatch.setattr(_encoder, "_CHUNK_BYTES", 1000)
    seqs = ["ACGT" * 50] * 30
    seqs[23] = "ACGT" * 10 + "Z"  # chunk 5 (rows 20-24)
    with pytest.raises(ValueError, match=r"^X\[23\] has invalid character 'Z' at position 40;"):
        _encode(seqs)


def test_an_empty_string_in_a_later_chunk_names_its_row(monkeypatch):
    monkeypatch.setattr(_encoder, "_CHUNK_BYTES", 1000)
    seqs = ["ACGT" * 50] * 30
    seqs[27] = ""
    with pytest.raises(ValueError, match=r"^X\[27\] is an empty string;"):
        _encode(seqs)


def test_a_missing_sequence_in_a_later_chunk_names_its_row(monkeypatch):
    monkeypatch.setattr(_encoder, "_CHUNK_BYTES", 1000)
    seqs = ["ACGT" * 50] * 30
    seqs[26] = None
    with pytest.raises(TypeError, match=r"^X\[26\] is None of type NoneType;"):
        _encode(seqs)


def test_rows_across_real_4_mib_chunks_give_the_codes_of_a_row_by_row_encoding(bhi):
    # 200-bp rows: 4 MiB / 200 = 20,971 rows per chunk, so 45,000 rows span
    # three chunks (boundaries at rows 20,971 and 41,942).
    assert _encoder._CHUNK_BYTES == 1 << 22
    rng = np.random.default_rng(2)
    letters = np.frombuffer(b"ACGTNacgtn", np.uint8)
    text = letters[rng.integers(0, 10, size=45_000 * 200)].tobytes().decode()
    seqs = [text[i : i + 200] for i in range(0, len(text), 200)]
    np.testing.assert_array_equal(_encode(seqs), _codes_row_by_row(seqs, bhi))
