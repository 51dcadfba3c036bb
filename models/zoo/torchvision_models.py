"""torchvision image classifiers with random weights (seed 0), batch 1,
3x224x224. Nothing is downloaded: the architectures come from the torchvision
package, the weights from the seed (BatchNorm statistics randomised too, and weight
matrices that torchvision starts at zero drawn at random), and the classifier
is scaled so that the logits have unit spread (common.unit_outputs).

vit_tiny is ViT-Ti/16 (DeiT-Tiny's shape: 12 layers, width 192, 3 heads),
built from torchvision's VisionTransformer class; vit_b_16 is ViT-Base/16.
resnet18_dynamo is resnet18 through the dynamo exporter, whose graph differs
from the classic exporter's. squeezenet1_1_functions exports each Fire block
as an ONNX model-local function (export_modules_as_functions), the form
exporters use to keep a model's module structure."""
from common import export_torch, randomise_batchnorm, unit_outputs

FRAMEWORK = "torchvision"


def build(arch):
    import torch
    import torchvision
    torch.manual_seed(0)
    if arch == "vit_tiny":
        from torchvision.models.vision_transformer import VisionTransformer
        model = VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=3,
                                  hidden_dim=192, mlp_dim=768)
    else:
        model = getattr(torchvision.models, arch)(weights=None)
    # some heads start at zero (ViT's classifier), which would make every
    # logit 0 and the comparison vacuous
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1 and not p.any():
                p.normal_(0, 0.02)
    return randomise_batchnorm(model).eval()


def exporter(arch, dynamo=False, functions=False):
    def run(path):
        import torch
        model = build(arch)
        torch.manual_seed(1)
        x = torch.randn(1, 3, 224, 224)
        head = [m for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))][-1]
        unit_outputs(model, head, (x,))
        options = {}
        if functions:
            from torchvision.models.squeezenet import Fire
            options["export_modules_as_functions"] = {Fire}
        label = FRAMEWORK + (" (dynamo)" if dynamo else " (functions)" if functions else "")
        export_torch(model, (x,), path, label, ["input"], ["logits"], dynamo=dynamo, **options)
    return run


MODELS = {n: exporter(n) for n in (
    "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
    "efficientnet_b0", "shufflenet_v2_x1_0", "densenet121", "vit_tiny", "vit_b_16")}
MODELS["resnet18_dynamo"] = exporter("resnet18", dynamo=True)
MODELS["squeezenet1_1_functions"] = exporter("squeezenet1_1", functions=True)
