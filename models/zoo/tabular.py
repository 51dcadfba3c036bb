"""A fastai-style tabular model (the shape of fastai's TabularModel, written
here in torch: fastai itself is not needed) with random weights (seed 0):
one embedding per categorical column, sized by fastai's rule
min(600, round(1.6 * n**0.56)), concatenated with the BatchNorm'd continuous
columns, then Linear -> ReLU -> BatchNorm1d blocks (fastai's LinBnDrop with
lin_first, dropout off in inference) of 200 and 100, and a Linear head
(scaled so that the logits have unit spread: common.unit_outputs).

Inputs: x_cat int64 1x4 (day of week, month, state, store; every column's
table has at least 8 rows, and the recorded input range is the smallest
table's) and x_cont float 1x6. Output: 1x3 logits."""
from common import export_torch, randomise_batchnorm, unit_outputs

FRAMEWORK = "fastai-style (torch)"
CARDINALITIES = (8, 13, 52, 1001)   # with fastai's extra #na# row each
N_CONT = 6


def emb_size(n):
    return min(600, round(1.6 * n ** 0.56))


def tabular(path):
    import torch
    nn = torch.nn

    class TabularModel(nn.Module):
        def __init__(self, layers=(200, 100), out=3):
            super().__init__()
            self.embeds = nn.ModuleList(nn.Embedding(n, emb_size(n)) for n in CARDINALITIES)
            self.bn_cont = nn.BatchNorm1d(N_CONT)
            sizes = [sum(emb_size(n) for n in CARDINALITIES) + N_CONT, *layers]
            blocks = []
            for a, b in zip(sizes, sizes[1:]):
                blocks += [nn.Linear(a, b, bias=False), nn.ReLU(), nn.BatchNorm1d(b)]
            self.layers = nn.Sequential(*blocks, nn.Linear(sizes[-1], out))

        def forward(self, x_cat, x_cont):
            x = torch.cat([e(x_cat[:, i]) for i, e in enumerate(self.embeds)], 1)
            return self.layers(torch.cat([x, self.bn_cont(x_cont)], 1))

    torch.manual_seed(0)
    model = randomise_batchnorm(TabularModel()).eval()
    x_cat = torch.zeros(1, len(CARDINALITIES), dtype=torch.int64)
    x_cont = torch.randn(1, N_CONT)
    unit_outputs(model, model.layers[-1], (x_cat, x_cont))
    export_torch(model, (x_cat, x_cont), path, FRAMEWORK, ["x_cat", "x_cont"],
                 ["logits"], {"x_cat": (0, min(CARDINALITIES))})


MODELS = {"tabular": tabular}
