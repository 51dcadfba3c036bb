"""torchvision image classifiers with random weights (seed 0), batch 1,
3x224x224, exported by torch's classic (TorchScript) exporter at opset 17.
Nothing is downloaded: the architectures come from the torchvision package,
the weights from the seed. BatchNorm running statistics are randomised too,
so that folding them is exercised rather than multiplying by 1 and adding 0.

vit_tiny is ViT-Ti/16 (DeiT-Tiny's shape: 12 layers, width 192, 3 heads),
built from torchvision's VisionTransformer class; vit_b_16 is the full
ViT-Base. resnet18_dynamo is resnet18 through the dynamo exporter
(torch.export + onnxscript, opset 18), whose graphs differ from the classic
exporter's (and may carry model-local functions)."""
import warnings

import torch
import torchvision

from common import save

FRAMEWORK = "torchvision"


def randomise_batchnorm(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model


def build(name):
    torch.manual_seed(0)
    if name == "vit_tiny":
        from torchvision.models.vision_transformer import VisionTransformer
        model = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=3,
                                  hidden_dim=192, mlp_dim=768)
    else:
        model = getattr(torchvision.models, name)(weights=None)
    return randomise_batchnorm(model).eval()


def export_torch(model, args, path, input_names, output_names, dynamo=False):
    """Shared by the torch-based scripts: fixed shapes (no dynamic axes)."""
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        if dynamo:
            prog = torch.onnx.export(model, args, input_names=input_names,
                                     output_names=output_names, opset_version=18,
                                     dynamo=True, verbose=False)
            prog.save(path)
        else:
            torch.onnx.export(model, args, path, input_names=input_names,
                              output_names=output_names, opset_version=17, dynamo=False)


def exporter(name, arch=None, dynamo=False):
    def run(path):
        model = build(arch or name)
        torch.manual_seed(1)
        x = torch.randn(1, 3, 224, 224)
        export_torch(model, (x,), path + ".raw", ["input"], ["logits"], dynamo)
        save(path + ".raw", path, FRAMEWORK + (" (dynamo)" if dynamo else ""))
    return run


MODELS = {n: exporter(n) for n in (
    "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
    "efficientnet_b0", "shufflenet_v2_x1_0", "densenet121", "vit_tiny", "vit_b_16")}
MODELS["resnet18_dynamo"] = exporter("resnet18_dynamo", "resnet18", dynamo=True)
