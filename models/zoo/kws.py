"""A small keyword-spotting CNN in the shape of the DS-CNN of "Hello Edge:
Keyword Spotting on Microcontrollers" (Zhang et al., 2017), defined here in
torch with random weights (seed 0): a 1x1x49x10 MFCC input (49 frames of 10
coefficients), a 10x4 stride-2 convolution, four depthwise-separable blocks
(3x3 depthwise, 1x1 pointwise, each followed by BatchNorm and ReLU), average
pooling over the whole 25x5 map and a linear layer to 12 classes.

  kws_dscnn    64 channels (the paper's small DS-CNN width), about 24K
               parameters: the model of the int8 benchmark rows and of the
               Cortex-M size table (models/export_quant.py quantizes it)
  kws_dscnn16  the same at 16 channels (about 2K parameters): the model the
               quantized CI check commits (tests/models/quant/)

Its input is drawn as normalized features (standard normal), which the
checks and the benchmark draw too."""
from common import export_torch, randomise_batchnorm, unit_outputs

FRAMEWORK = "torch"
CLASSES = 12


def build(width):
    import torch
    from torch import nn

    def block(cin, cout, k, stride, pad, groups=1):
        return [nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False),
                nn.BatchNorm2d(cout), nn.ReLU()]

    torch.manual_seed(0)
    layers = block(1, width, (10, 4), 2, (5, 1))
    for _ in range(4):
        layers += block(width, width, 3, 1, 1, groups=width)  # depthwise
        layers += block(width, width, 1, 1, 0)  # pointwise
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(width, CLASSES))
    return randomise_batchnorm(model).eval()


def exporter(width):
    def run(path):
        import torch
        model = build(width)
        torch.manual_seed(1)
        x = torch.randn(1, 1, 49, 10)
        unit_outputs(model, model[-1], (x,))
        export_torch(model, (x,), path, FRAMEWORK, ["mfcc"], ["logits"])
    return run


MODELS = {"kws_dscnn": exporter(64), "kws_dscnn16": exporter(16)}
