#!/usr/bin/env python3
"""Exports torchvision models with random weights (fixed seed) to ONNX, batch 1,
224x224, into OUTDIR (default build/zoo): the torchvision part of the model
zoo, kept as its own command. models/export_zoo.py exports the whole zoo
(models/zoo/torchvision_models.py defines these models).

usage: export_torchvision.py [--out OUTDIR] [NAME...]   (default: resnet18 mobilenet_v2)"""
import argparse
import sys

import export_zoo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=export_zoo.DEFAULT_OUT)
    ap.add_argument("names", nargs="*", default=["resnet18", "mobilenet_v2"])
    args = ap.parse_args()
    return 1 if export_zoo.export(args.names, args.out) else 0


if __name__ == "__main__":
    sys.exit(main())
