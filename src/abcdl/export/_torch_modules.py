"""PyTorch modules that ``to_torch`` needs beyond ``torch.nn`` (imported only by ``to_torch``)."""

from __future__ import annotations

import torch

__all__ = ["Recurrent"]


class Recurrent(torch.nn.Module):
    """``nn.RNN/LSTM/GRU(batch_first=True)`` returning what abcdl's recurrent layers return (L40).

    return_sequences=True:  the top layer's h_t for every t, (m, T, H * dirs)  (PyTorch's ``output``)
    return_sequences=False: the top layer's final state of each direction, concatenated, (m, H * dirs)
    """

    def __init__(self, rnn: torch.nn.Module, return_sequences: bool) -> None:
        super().__init__()
        self.rnn = rnn
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, state = self.rnn(x)
        if self.return_sequences:
            return output
        h_n = state[0] if isinstance(state, tuple) else state      # the LSTM's state is (h_n, c_n)
        dirs = 2 if self.rnn.bidirectional else 1
        return torch.cat([h_n[-dirs + d] for d in range(dirs)], dim=1)   # [h_fwd, h_bwd] of the top layer
