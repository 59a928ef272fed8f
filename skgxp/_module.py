"""The DeepGXP network (BHI, Random Promoter DREAM Challenge 2022)."""

import torch
from torch import nn


class _ConvBranches(nn.Module):
    """Parallel same-padded convolutions, each with ReLU and dropout, concatenated."""

    def __init__(self, in_channels, out_channels, kernel_sizes, dropout):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(in_channels, out_channels, k, padding="same"),
                nn.ReLU(),
                nn.Dropout(dropout),
            )
            for k in kernel_sizes
        )

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class DeepGXP(nn.Module):
    """CNN-BiLSTM-CNN regressor of expression from one-hot promoter DNA.

    Defaults are BHI's submitted configuration: 6,875,137 parameters for a
    110-bp input. Layers: convolutions with kernels 9 and 15 (256 channels
    each) -> bidirectional LSTM (320 per direction, whole output sequence) ->
    convolutions with kernels 9 and 15 (160 channels each) -> dropout ->
    position-major flatten -> 64 -> 64 -> 1, ReLU between.

    Parameters
    ----------
    input_length : int, default=110
        Sequence length; the first dense layer depends on it.
    conv1_channels : int, default=256
        Channels of each first-block convolution.
    conv1_kernel_sizes : tuple of int, default=(9, 15)
        Kernel sizes of the first block, one convolution each.
    lstm_hidden_size : int, default=320
        LSTM units per direction.
    conv2_channels : int, default=160
        Channels of each second-block convolution (BHI: half the LSTM width).
    conv2_kernel_sizes : tuple of int, default=(9, 15)
        Kernel sizes of the second block.
    fc_size : int, default=64
        Width of the two hidden dense layers.
    conv_dropout : float, default=0.2
        Dropout after every convolution.
    dropout : float, default=0.5
        Dropout before the flatten.
    n_outputs : int, default=1
        Targets predicted per sequence (the last layer's width).

    Examples
    --------
    >>> import torch
    >>> from skgxp import DeepGXP
    >>> net = DeepGXP()
    >>> sum(p.numel() for p in net.parameters())
    6875137
    >>> net(torch.zeros(2, 4, 110)).shape
    torch.Size([2, 1])
    """

    def __init__(
        self,
        input_length=110,
        conv1_channels=256,
        conv1_kernel_sizes=(9, 15),
        lstm_hidden_size=320,
        conv2_channels=160,
        conv2_kernel_sizes=(9, 15),
        fc_size=64,
        conv_dropout=0.2,
        dropout=0.5,
        n_outputs=1,
    ):
        super().__init__()
        self.input_length = input_length
        self.conv1 = _ConvBranches(4, conv1_channels, conv1_kernel_sizes, conv_dropout)
        self.lstm = nn.LSTM(
            conv1_channels * len(conv1_kernel_sizes),
            lstm_hidden_size,
            batch_first=True,
            bidirectional=True,
        )
        self.conv2 = _ConvBranches(
            2 * lstm_hidden_size, conv2_channels, conv2_kernel_sizes, conv_dropout
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(
            nn.Linear(input_length * conv2_channels * len(conv2_kernel_sizes), fc_size),
            nn.ReLU(),
            nn.Linear(fc_size, fc_size),
            nn.ReLU(),
            nn.Linear(fc_size, n_outputs),
        )

    def forward(self, x, **kwargs):
        """Predict from one-hot ``x`` of shape ``(batch, 4, input_length)``.

        Extra keyword arguments (metadata routed by scikit-learn through skorch)
        are accepted and ignored.
        """
        x = self.conv1(x)
        x, _ = self.lstm(x.transpose(1, 2))
        x = self.conv2(x.transpose(1, 2))
        # Position-major flatten (index = position * channels + channel), as BHI.
        x = self.dropout(x.transpose(1, 2)).flatten(1)
        return self.head(x)
