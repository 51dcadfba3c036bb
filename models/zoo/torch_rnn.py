"""Recurrent models from torch.nn with random weights (seed 0), batch 1,
exported by the classic exporter at opset 17 (torch's LSTM and GRU become
ONNX LSTM and GRU nodes); the heads are scaled to outputs of unit spread
(common.unit_outputs):

  lstm  text classifier: token ids (seq 24, vocabulary 1000) -> Embedding 64
        -> 2-layer LSTM, hidden 128 -> Linear on the last step -> 5 classes
  gru   sequence regressor: 1x40x16 features -> bidirectional GRU, hidden 32
        -> Linear on every step -> 1x40x4"""
from common import export_torch, unit_outputs

FRAMEWORK = "torch"


def lstm(path):
    import torch

    class TextLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(1000, 64)
            self.rnn = torch.nn.LSTM(64, 128, num_layers=2, batch_first=True)
            self.head = torch.nn.Linear(128, 5)

        def forward(self, ids):
            y, _ = self.rnn(self.embed(ids))
            return self.head(y[:, -1])

    torch.manual_seed(0)
    model = TextLSTM().eval()
    ids = torch.randint(0, 1000, (1, 24))
    unit_outputs(model, model.head, (ids,))
    export_torch(model, (ids,), path, FRAMEWORK, ["ids"], ["logits"], {"ids": (0, 1000)})


def gru(path):
    import torch

    class SeqGRU(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.GRU(16, 32, batch_first=True, bidirectional=True)
            self.head = torch.nn.Linear(64, 4)

        def forward(self, x):
            y, _ = self.rnn(x)
            return self.head(y)

    torch.manual_seed(0)
    model = SeqGRU().eval()
    x = torch.randn(1, 40, 16)
    unit_outputs(model, model.head, (x,))
    export_torch(model, (x,), path, FRAMEWORK, ["x"], ["y"])


MODELS = {"lstm": lstm, "gru": gru}
