#!/usr/bin/env python3
"""Exports the quantized models of the zoo: onnxruntime's post-training
quantization (onnxruntime.quantization) applied to float models of
models/export_zoo.py (exported first where missing), written beside them as
OUT/NAME.onnx (default build/zoo). Nothing is downloaded and every step has
a fixed seed, so a second export writes the same files.

  static   (resnet18, mobilenet_v2, squeezenet1_1, kws_dscnn, kws_dscnn16)
           quantize_static in both of onnxruntime's formats: NAME_int8_qdq
           (QuantFormat.QDQ: QuantizeLinear/DequantizeLinear pairs around
           the float ops) and NAME_int8_qop (QuantFormat.QOperator: QLinearConv,
           QLinearMatMul and onnxruntime's com.microsoft ops QLinearAdd,
           QLinearGlobalAveragePool, QGemm, ...). Weights int8, per channel,
           in 7 bits (reduce_range, below); activations int8 (onnxruntime's default for quantize_static,
           QuantType.QInt8, asymmetric: scale and zero point per tensor);
           MinMax calibration over CALIBRATION random inputs (seed 0):
           normalized image-like values for the image models (pixels uniform
           in [0, 1), normalized with the ImageNet mean and deviation),
           standard normal features for the keyword spotters
  dynamic  (bert_tiny) quantize_dynamic: NAME_int8_dynamic, int8 weights
           (per tensor), activations quantized at run time
           (DynamicQuantizeLinear, MatMulInteger)

Every float model first goes through onnxruntime's quantization
pre-processing (quant_pre_process: graph optimization and shape inference),
the route onnxruntime documents. The quantized file keeps the float model's
metadata (framework; integer inputs' ranges) and adds (models/zoo/common.py):

  mlc_zoo.quant             qdq, qoperator or dynamic
  mlc_zoo.quant.source      the float model it was made from
  mlc_zoo.range.INPUT       "LO HI" for the image models' float input: the
                            ranges, per channel, the calibration values are
                            drawn from ("l0,l1,l2 h0,h1,h2"), so that the
                            checks and the benchmark draw theirs alike
  mlc_zoo.step.OUTPUT       the quantization step of an output: the scale of
                            the DequantizeLinear that makes it (1 for an
                            integer output); what the checks' tolerance of
                            3 steps is counted in
  mlc_zoo.top1              the output whose top-1 class the checks compare

Prints one line per model: `exported|cached NAME FILE`, `skipped NAME: ...`
or `FAILED NAME: error`; exits 1 if one failed.

usage: export_quant.py [--out OUT] [--list] [NAME...]   (default: all)"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "zoo"))
import common  # noqa: E402
import export_zoo  # noqa: E402

CALIBRATION = {"image": 8, "normal": 16}
# 7-bit weights (in int8): onnxruntime's x86 kernels without VNNI (AVX2)
# add pairs of 8-bit products in 16 bits, which saturate on full-range
# weights: their results then stray far from the model's arithmetic (tens
# of steps inside a network), and would be no reference to check against.
# quantize_static's documentation asks for reduce_range on such CPUs.
REDUCE_RANGE = True
SEED = 0
IMAGE_MEAN, IMAGE_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

# float model -> (input kind, quantization): the models quantized statically
# are written in both formats
SOURCES = {
    "resnet18": ("image", "static"),
    "mobilenet_v2": ("image", "static"),
    "squeezenet1_1": ("image", "static"),
    "kws_dscnn": ("normal", "static"),
    "kws_dscnn16": ("normal", "static"),
    "bert_tiny": (None, "dynamic"),
}
FORMATS = {"static": ("qdq", "qop"), "dynamic": ("dynamic",)}
QUANT_NAMES = {"qdq": "qdq", "qop": "qoperator", "dynamic": "dynamic"}
VIEW_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity")


def catalog():
    """{quantized model name: (float model, format)} in export order"""
    return {f"{src}_int8_{fmt}": (src, fmt) for src, (_, q) in SOURCES.items()
            for fmt in FORMATS[q]}


def image_range():
    """([lo], [hi)) of normalized pixels, per channel"""
    return (tuple(round((0.0 - m) / s, 6) for m, s in zip(IMAGE_MEAN, IMAGE_STD)),
            tuple(round((1.0 - m) / s, 6) for m, s in zip(IMAGE_MEAN, IMAGE_STD)))


def calibration_inputs(model, kind):
    """CALIBRATION[kind] feeds for the float model's inputs (seed SEED)"""
    import numpy as np
    rng = np.random.default_rng(SEED)
    inputs = [i for i in model.graph.input
              if i.name not in {t.name for t in model.graph.initializer}]
    feeds = []
    for _ in range(CALIBRATION[kind]):
        feed = {}
        for vi in inputs:
            shape = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
            if kind == "image":
                x = common.draw(rng, *image_range(), shape, np.float32)
            else:
                x = rng.standard_normal(shape).astype(np.float32)
            feed[vi.name] = x
        feeds.append(feed)
    return feeds


class Reader:
    """onnxruntime's CalibrationDataReader over a fixed list of feeds"""

    def __init__(self, feeds):
        self.feeds = iter(feeds)

    def get_next(self):
        return next(self.feeds, None)

    def rewind(self):  # not needed by MinMax; the interface has it
        pass


def output_steps(model):
    """{output: its quantization step}: the scale of the DequantizeLinear
    that makes it (through ops that only move elements), 1 for an integer
    output; outputs of neither kind are left out"""
    import numpy as np
    from onnx import TensorProto, numpy_helper
    inits = {t.name: t for t in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    steps = {}
    for out in model.graph.output:
        if out.type.tensor_type.elem_type in (TensorProto.INT8, TensorProto.UINT8):
            steps[out.name] = 1.0
            continue
        node = producer.get(out.name)
        while node is not None and node.op_type in VIEW_OPS:
            node = producer.get(node.input[0])
        if node is not None and node.op_type == "DequantizeLinear" and node.input[1] in inits:
            scale = numpy_helper.to_array(inits[node.input[1]])
            steps[out.name] = float(np.max(np.abs(scale)))
    return steps


def quantize(name, src_path, fmt, kind, out_path):
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quant_pre_process, quantize_dynamic, quantize_static)
    import onnx
    source = onnx.load(src_path)
    framework, ranges = common.metadata(source)
    with tempfile.TemporaryDirectory() as tmp:
        pre, raw = os.path.join(tmp, "pre.onnx"), os.path.join(tmp, "quant.onnx")
        quant_pre_process(src_path, pre)
        if fmt == "dynamic":
            quantize_dynamic(pre, raw, weight_type=QuantType.QInt8)
        else:
            quantize_static(pre, raw, Reader(calibration_inputs(source, kind)),
                            quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
                            per_channel=True, reduce_range=REDUCE_RANGE,
                            activation_type=QuantType.QInt8,
                            weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax)
        model = onnx.load(raw)
    if kind == "image":
        ranges = dict(ranges)
        for vi in model.graph.input:
            ranges[vi.name] = image_range()
    extra = {common.QUANT_KEY: QUANT_NAMES[fmt], common.QUANT_KEY + ".source": name}
    for out, step in output_steps(model).items():
        extra[common.STEP_KEY + out] = repr(step)
    if kind is not None:
        extra[common.TOP1_KEY] = model.graph.output[0].name
    common.save(model, out_path, f"{framework} (int8 {QUANT_NAMES[fmt]})", ranges, extra)


def up_to_date(path, source):
    deps = [source, os.path.abspath(__file__), os.path.join(HERE, "zoo", "common.py")]
    return os.path.exists(path) and os.path.getmtime(path) >= max(map(os.path.getmtime, deps))


def export(names, out):
    """Exports the missing (or stale) quantized models of names (all if
    empty), their float sources first; returns the number of failures."""
    cat = catalog()
    unknown = [n for n in names if n not in cat]
    if unknown:
        sys.exit(f"export_quant: unknown model(s) {', '.join(unknown)}; --list lists them")
    todo = [n for n in cat if not names or n in names]
    sources = sorted({cat[n][0] for n in todo}, key=list(SOURCES).index)
    r = subprocess.run([sys.executable, os.path.join(HERE, "export_zoo.py"), "--out", out,
                        *sources], capture_output=True, text=True)
    missing = {}
    for line in r.stdout.splitlines():
        parts = line.split(" ", 2)
        if parts[0] in ("skipped", "FAILED"):
            missing[parts[1].rstrip(":")] = line
    failed = 0
    for n in todo:
        src, fmt = cat[n]
        src_path, path = os.path.join(out, src + ".onnx"), os.path.join(out, n + ".onnx")
        if src in missing or not os.path.exists(src_path):
            print(f"skipped {n}: float model {src} not exported "
                  f"({missing.get(src, r.stderr.strip()[-200:])})", flush=True)
            failed += not missing.get(src, "").startswith("skipped")
            continue
        if up_to_date(path, src_path):
            print(f"cached {n} {path}", flush=True)
            continue
        try:
            quantize(src, src_path, fmt, SOURCES[src][0], path)
            print(f"exported {n} {path}", flush=True)
        except Exception as e:  # report it, export the rest
            export_zoo.report_failure(n, e)
            failed += 1
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=export_zoo.DEFAULT_OUT, help="folder (default build/zoo)")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.list:
        for n, (src, fmt) in catalog().items():
            print(f"{n:28} {QUANT_NAMES[fmt]:10} from {src}")
        return 0
    os.makedirs(args.out, exist_ok=True)
    return 1 if export(args.names, args.out) else 0


if __name__ == "__main__":
    sys.exit(main())
