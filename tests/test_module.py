"""The DeepGXP network: size, shapes, and identity with an independent
re-typing of BHI's network (reference doc, section 1) given the same weights."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from skgxp import DeepGXP


class _BHIConvBlock(nn.Module):
    """conv (same padding) -> ReLU -> MaxPool1d(1) -> Dropout."""

    def __init__(self, in_channels, out_channels, kernel_size, dropout):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding="same")
        self.mp = nn.MaxPool1d(kernel_size=1, stride=1)
        self.do = nn.Dropout(dropout)

    def forward(self, x):
        return self.do(self.mp(F.relu(self.conv(x))))


class _BHIDeepGXP(nn.Module):
    """BHI's network as described in the reference: two conv blocks (k=9 first)
    -> BiLSTM with explicit zero h0/c0 -> two conv blocks 2*hidden -> hidden/2
    each -> Dropout(0.5) -> position-major flatten -> 64 -> 64 -> 1."""

    def __init__(self, conv_each=256, kernels=(9, 15), hidden=320, fc=64, length=110):
        super().__init__()
        self.hidden = hidden
        self.conv_blocks1 = nn.ModuleList(_BHIConvBlock(4, conv_each, k, 0.2) for k in kernels)
        self.bi_lstm = nn.LSTM(
            conv_each * len(kernels), hidden, batch_first=True, bidirectional=True
        )
        conv2_each = hidden // len(kernels)
        self.conv_blocks2 = nn.ModuleList(
            _BHIConvBlock(2 * hidden, conv2_each, k, 0.2) for k in kernels
        )
        self.do2 = nn.Dropout(0.5)
        self.linear1 = nn.Linear(conv2_each * len(kernels) * length, fc)
        self.linear2 = nn.Linear(fc, fc)
        self.linear3 = nn.Linear(fc, 1)

    def forward(self, x):
        bsz = x.shape[0]
        h0 = torch.zeros(2, bsz, self.hidden)
        c0 = torch.zeros(2, bsz, self.hidden)
        x = torch.cat([block(x) for block in self.conv_blocks1], dim=1)
        x, _ = self.bi_lstm(x.permute(0, 2, 1), (h0, c0))
        x = x.permute(0, 2, 1)
        x = torch.cat([block(x) for block in self.conv_blocks2], dim=1).permute(0, 2, 1)
        x = self.do2(x)
        x = F.relu(self.linear1(x.reshape(bsz, -1)))
        x = F.relu(self.linear2(x))
        return self.linear3(x)


def _bhi_state_dict(net):
    """skgxp's weights under BHI's parameter names."""
    renames = {
        "conv1.branches.0.0.": "conv_blocks1.0.conv.",
        "conv1.branches.1.0.": "conv_blocks1.1.conv.",
        "lstm.": "bi_lstm.",
        "conv2.branches.0.0.": "conv_blocks2.0.conv.",
        "conv2.branches.1.0.": "conv_blocks2.1.conv.",
        "head.0.": "linear1.",
        "head.2.": "linear2.",
        "head.4.": "linear3.",
    }
    out = {}
    for key, value in net.state_dict().items():
        prefix = next(p for p in renames if key.startswith(p))
        out[renames[prefix] + key[len(prefix) :]] = value
    return out


def _random_onehot(n, length, seed):
    generator = torch.Generator().manual_seed(seed)
    bases = torch.randint(0, 5, (n, length), generator=generator)
    # Index 4 is N: a zero column.
    return torch.eye(5)[bases][:, :, :4].transpose(1, 2).contiguous()


def _count(net):
    return sum(p.numel() for p in net.parameters())


def test_parameter_count_at_defaults():
    assert _count(DeepGXP()) == 6_875_137


def test_bhi_retyping_has_the_same_parameter_count():
    assert _count(_BHIDeepGXP()) == 6_875_137


def test_output_shape():
    net = DeepGXP(input_length=30, conv1_channels=4, lstm_hidden_size=4,
                  conv2_channels=2, fc_size=4)
    assert net(torch.zeros(5, 4, 30)).shape == (5, 1)


def test_matches_bhi_network_with_the_same_weights_small():
    torch.manual_seed(0)
    net = DeepGXP(input_length=40, conv1_channels=6, lstm_hidden_size=8,
                  conv2_channels=4, fc_size=5).eval()
    ref = _BHIDeepGXP(conv_each=6, hidden=8, fc=5, length=40).eval()
    ref.load_state_dict(_bhi_state_dict(net), strict=True)
    x = _random_onehot(16, 40, seed=1)
    with torch.no_grad():
        assert torch.allclose(net(x), ref(x), rtol=1e-5, atol=1e-6)


def test_matches_bhi_network_with_the_same_weights_full_size():
    torch.manual_seed(0)
    net = DeepGXP().eval()
    ref = _BHIDeepGXP().eval()
    ref.load_state_dict(_bhi_state_dict(net), strict=True)
    x = _random_onehot(2, 110, seed=2)
    with torch.no_grad():
        assert torch.allclose(net(x), ref(x), rtol=1e-5, atol=1e-6)


def test_flatten_is_position_major():
    torch.manual_seed(0)
    net = DeepGXP(input_length=7, conv1_channels=3, lstm_hidden_size=4,
                  conv2_channels=2, fc_size=3).eval()
    x = _random_onehot(3, 7, seed=3)
    with torch.no_grad():
        conv2 = net.conv2(net.lstm(net.conv1(x).transpose(1, 2))[0].transpose(1, 2))
        # (B, channels, L) -> features ordered position by position.
        features = conv2.permute(0, 2, 1).reshape(3, -1)
        assert torch.allclose(net(x), net.head(features), rtol=1e-5, atol=1e-6)


def test_dropout_is_active_only_in_training_mode():
    torch.manual_seed(0)
    net = DeepGXP(input_length=20, conv1_channels=4, lstm_hidden_size=4,
                  conv2_channels=4, fc_size=4)
    x = _random_onehot(8, 20, seed=4)
    with torch.no_grad():
        net.eval()
        assert torch.equal(net(x), net(x))
        net.train()
        assert not torch.equal(net(x), net(x))


def test_forward_accepts_and_ignores_keyword_arguments():
    torch.manual_seed(0)
    net = DeepGXP(input_length=20, conv1_channels=4, lstm_hidden_size=4,
                  conv2_channels=4, fc_size=4).eval()
    x = _random_onehot(3, 20, seed=5)
    with torch.no_grad():
        assert torch.equal(net(x, groups=torch.arange(3)), net(x))


@pytest.mark.parametrize("kernels", [(5,), (3, 9, 15)])
def test_kernel_size_knobs_change_the_branches(kernels):
    net = DeepGXP(input_length=20, conv1_channels=4, conv1_kernel_sizes=kernels,
                  lstm_hidden_size=4, conv2_channels=3, conv2_kernel_sizes=kernels,
                  fc_size=4)
    assert len(net.conv1.branches) == len(kernels)
    assert net.lstm.input_size == 4 * len(kernels)
    assert net.head[0].in_features == 20 * 3 * len(kernels)
    assert net(torch.zeros(2, 4, 20)).shape == (2, 1)
