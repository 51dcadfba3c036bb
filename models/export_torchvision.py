#!/usr/bin/env python3
"""Exports torchvision models with random weights (fixed seed) to ONNX, batch 1,
224x224, into OUTDIR (default build/zoo). Nothing is downloaded: the
architectures come from the torchvision package, the weights from the seed.

usage: export_torchvision.py [--out OUTDIR] [NAME...]   (default: resnet18 mobilenet_v2)"""
import argparse
import os
import warnings

import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def export(name, out):
    path = os.path.join(out, name + ".onnx")
    if os.path.exists(path):
        return path
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    # random BatchNorm statistics too, so folding them is actually exercised
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    x = torch.randn(1, 3, 224, 224)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path + ".tmp", input_names=["input"],
                          output_names=["logits"], opset_version=17, dynamo=False)
    os.replace(path + ".tmp", path)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "zoo"))
    ap.add_argument("names", nargs="*", default=["resnet18", "mobilenet_v2"])
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for n in args.names:
        print(export(n, args.out))


if __name__ == "__main__":
    main()
