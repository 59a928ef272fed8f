"""Windows, padding modes, test-time shifts, one-hot and reverse complement,
checked against BHI's own rules re-typed in plain Python (conftest.py)."""

import numpy as np
import pytest
import torch

from skgxp import PromoterEncoder
from skgxp._views import (
    PAD_3P,
    PAD_5P,
    PAD_BOTH,
    draw_padding_modes,
    gather_windows,
    insert_lengths,
    one_hot,
    padding_starts,
    reverse_complement,
    shifted_windows,
    training_windows,
)

MODES = {"3p": PAD_3P, "5p": PAD_5P, "both": PAD_BOTH}
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def _codes(seqs, length=110):
    return torch.from_numpy(PromoterEncoder(length=length).fit_transform(seqs))


def _windows_in_mode(codes, mode, length=110):
    modes = torch.full((codes.shape[0],), MODES[mode], dtype=torch.long)
    starts = padding_starts(insert_lengths(codes), modes, length)
    return gather_windows(codes, starts, length)


@pytest.mark.parametrize("mode", ["3p", "5p", "both"])
def test_padding_mode_matches_bhi_on_random_sequences(bhi, mode):
    rng = np.random.default_rng({"3p": 0, "5p": 1, "both": 2}[mode])
    # 73..110 bp: the lengths BHI's three modes all handle.
    seqs = bhi.random_sequences(rng, 500, 73, 110, alphabet="ACGTN")
    windows = bhi.decode(_windows_in_mode(_codes(seqs), mode).numpy())
    expected = [bhi.pad(s, mode) for s in seqs]
    assert windows == expected


def test_every_length_from_73_to_110_in_every_mode(bhi):
    rng = np.random.default_rng(3)
    seqs = [bhi.random_sequences(rng, 1, n, n)[0] for n in range(73, 111)]
    codes = _codes(seqs)
    for mode in MODES:
        assert bhi.decode(_windows_in_mode(codes, mode).numpy()) == [
            bhi.pad(s, mode) for s in seqs
        ], mode


def test_longer_sequences_are_trimmed_in_every_mode(bhi):
    rng = np.random.default_rng(4)
    seqs = bhi.random_sequences(rng, 50, 111, 200)
    codes = _codes(seqs)
    for mode in MODES:
        assert bhi.decode(_windows_in_mode(codes, mode).numpy()) == [s[:110] for s in seqs]


def _extended_pad(seq, mode, bhi, length=110):
    """BHI's padding for any length: vector flank first, then N beyond it."""
    pad = length - len(seq)
    left = {"3p": 0, "5p": pad, "both": pad // 2}[mode]
    right = pad - left
    five = ("N" * left + bhi.left)[-left:] if left else ""
    three = (bhi.right + "N" * length)[:right]
    return five + seq + three


@pytest.mark.parametrize("n_bases", [1, 20, 33, 50, 72])
@pytest.mark.parametrize("mode", ["3p", "5p", "both"])
def test_short_sequences_keep_every_base_at_bhis_offset(bhi, n_bases, mode):
    # BHI's code returns a too-short row here (at most 37 + 76 padding bases);
    # skgxp keeps the window length and fills past the flanks with N.
    seq = bhi.random_sequences(np.random.default_rng(n_bases), 1, n_bases, n_bases)[0]
    windows = _windows_in_mode(_codes([seq]), mode)
    assert windows.shape == (1, 110)
    assert bhi.decode(windows.numpy()) == [_extended_pad(seq, mode, bhi)]
    # Insert bases are exactly the sequence; everything else is vector.
    assert int((windows < 8).sum()) == n_bases


def test_training_windows_of_short_sequences_have_the_model_length():
    codes = _codes(["A", "ACGT" * 5, "C" * 50])
    for _ in range(20):
        windows = training_windows(codes, 110)
        assert windows.shape == (3, 110)
        assert (windows < 8).sum(dim=1).tolist() == [1, 20, 50]


def test_mode_frequencies_match_bhis_two_draws():
    n = 200_000
    modes = draw_padding_modes(n, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(modes, minlength=3).double() / n
    expected = {PAD_3P: 0.333, PAD_5P: 0.667 * 0.334, PAD_BOTH: 0.667 * 0.666}
    for mode, p in expected.items():
        sd = (p * (1 - p) / n) ** 0.5
        assert abs(freq[mode].item() - p) < 5 * sd, (mode, freq[mode].item(), p)


def test_modes_are_redrawn_on_every_call():
    generator = torch.Generator().manual_seed(1)
    first = draw_padding_modes(1000, generator=generator)
    second = draw_padding_modes(1000, generator=generator)
    assert not torch.equal(first, second)


def test_training_windows_change_between_calls():
    codes = _codes(["ACGT" * 20] * 64)  # 80 bp: every mode gives a different window
    generator = torch.Generator().manual_seed(2)
    first = training_windows(codes, 110, generator=generator)
    second = training_windows(codes, 110, generator=generator)
    assert not torch.equal(first, second)


def test_training_windows_use_all_three_placements(bhi):
    seq = "ACGT" * 20
    codes = _codes([seq] * 300)
    windows = training_windows(codes, 110, generator=torch.Generator().manual_seed(3))
    windows = set(bhi.decode(windows.numpy()))
    assert windows == {bhi.pad(seq, mode) for mode in MODES}


@pytest.mark.parametrize("shift", [-2, -1, 0, 1, 2])
def test_tta_shift_matches_bhi_on_random_110bp_sequences(bhi, shift):
    rng = np.random.default_rng(10 + shift)
    seqs = bhi.random_sequences(rng, 300, 110, 110, alphabet="ACGTN")
    windows = shifted_windows(_codes(seqs), 110, (shift,))
    assert bhi.decode(windows.numpy()) == [bhi.shift(s, shift) for s in seqs]


def test_tta_views_against_hand_written_sequences(bhi):
    insert = "TGCATTTTTTTCACATC" + "ACGT" * 20 + "GGTTACGGCTGTT"
    assert len(insert) == 110
    expected = {
        -2: "AC" + insert[:-2],
        -1: "C" + insert[:-1],
        0: insert,
        1: insert[1:] + "T",
        2: insert[2:] + "TC",
    }
    windows = shifted_windows(_codes([insert]), 110, (-2, -1, 0, 1, 2))
    assert bhi.decode(windows.numpy()) == [expected[s] for s in (-2, -1, 0, 1, 2)]
    # The bases brought in are vector bases, the rest the insert.
    assert (windows < 8).sum(dim=1).tolist() == [108, 109, 110, 109, 108]


def test_ten_view_onehots_equal_bhis_tensors(bhi):
    rng = np.random.default_rng(5)
    seqs = bhi.random_sequences(rng, 4, 110, 110, alphabet="ACGTN")
    shifts = (-2, -1, 0, 1, 2)
    views = one_hot(shifted_windows(_codes(seqs), 110, shifts))
    views = torch.cat([views, reverse_complement(views)]).numpy()
    expected = [bhi.onehot(bhi.shift(s, k)) for k in shifts for s in seqs]
    expected += [e[::-1, ::-1] for e in expected]
    assert np.array_equal(views, np.stack(expected))


def test_n_is_all_zeros_in_insert_and_vector():
    onehot = one_hot(torch.tensor([[4, 12, 0, 8]], dtype=torch.uint8))[0]
    assert onehot[:, :2].abs().sum() == 0
    assert onehot[:, 2].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert onehot[:, 3].tolist() == [1.0, 0.0, 0.0, 0.0]


def test_reverse_complement_is_the_complementary_strand(bhi):
    rng = np.random.default_rng(6)
    seqs = bhi.random_sequences(rng, 50, 110, 110, alphabet="ACGTN")
    windows = shifted_windows(_codes(seqs), 110, (0,))
    rc = reverse_complement(one_hot(windows)).numpy()
    expected = np.stack([bhi.onehot(s.translate(COMPLEMENT)[::-1]) for s in seqs])
    assert np.array_equal(rc, expected)


def test_one_hot_dtype_follows_the_request():
    windows = torch.zeros((2, 5), dtype=torch.uint8)
    assert one_hot(windows, dtype=torch.bfloat16).dtype == torch.bfloat16
    assert one_hot(windows).shape == (2, 4, 5)
