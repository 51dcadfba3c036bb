"""Recurrent models from torch.nn with random weights (seed 0), batch 1,
exported by the classic exporter at opset 17 (torch's LSTM and GRU become
ONNX LSTM and GRU nodes); the heads are scaled to outputs of unit spread
(common.unit_outputs):

  lstm  text classifier: token ids (seq 24, vocabulary 1000) -> Embedding 64
        -> 2-layer LSTM, hidden 128 -> Linear on the last step -> 5 classes
  gru   sequence regressor: 1x40x16 features -> bidirectional GRU, hidden 32
        -> Linear on every step -> 1x40x4
  crnn  text-line recognizer (CNN + LSTM, CTC-style head): a 1x1x32xW
        grayscale line -> two Conv 3x3 + ReLU + MaxPool 2 (16, 32 channels)
        -> columns as steps (W/4 of them, 256 features) -> bidirectional
        LSTM, hidden 48 -> Linear to 37 classes -> log-softmax, (W/4)x1x37;
        the width is the symbolic dim `width` (exported at 128), for
        compiles with run-time dims (mlc compile --dim)"""
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


def crnn(path):
    import torch

    class CRNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            c = torch.nn
            self.cnn = c.Sequential(c.Conv2d(1, 16, 3, padding=1), c.ReLU(), c.MaxPool2d(2),
                                    c.Conv2d(16, 32, 3, padding=1), c.ReLU(), c.MaxPool2d(2))
            self.rnn = c.LSTM(256, 48, bidirectional=True)
            self.head = c.Linear(96, 37)

        def forward(self, x):
            f = self.cnn(x)                                  # N, 32, 8, W/4
            n, ch, h, w = f.shape
            f = f.permute(3, 0, 1, 2).reshape(w, n, ch * h)  # W/4, N, 256
            y, _ = self.rnn(f)
            return torch.log_softmax(self.head(y), dim=2)

    torch.manual_seed(0)
    model = CRNN().eval()
    x = torch.rand(1, 1, 32, 128)
    export_torch(model, (x,), path, FRAMEWORK, ["line"], ["log_probs"],
                 dynamic_axes={"line": {3: "width"}, "log_probs": {0: "steps"}})


MODELS = {"lstm": lstm, "gru": gru, "crnn": crnn}
