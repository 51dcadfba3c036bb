"""What every zoo export script shares: writing the exported file with the
model's framework and the valid range of its integer inputs recorded in the
ONNX metadata, so that tests/models/zoo.py can check any file of the cache
without knowing which script made it.

Metadata keys (all strings):
  mlc_zoo.framework          the framework that exported the model
  mlc_zoo.range.INPUT        "LO HI": integer input INPUT takes values in [LO, HI)
                             (token ids within the vocabulary, embedding
                             indices within their table, masks 0/1); a float
                             input, values drawn uniformly from [LO, HI)
                             (else standard normal), where LO and HI may be
                             lists "a,b,c", one bound per channel (axis 1)

and for the quantized models of models/export_quant.py:
  mlc_zoo.quant              qdq, qoperator or dynamic
  mlc_zoo.quant.source       the float model it was made from
  mlc_zoo.step.OUTPUT        the quantization step of OUTPUT (its
                             DequantizeLinear's scale, 1 for an integer output)
  mlc_zoo.top1               the output whose top-1 class is compared"""
import os

import onnx

FRAMEWORK_KEY = "mlc_zoo.framework"
RANGE_KEY = "mlc_zoo.range."
QUANT_KEY = "mlc_zoo.quant"
STEP_KEY = "mlc_zoo.step."
TOP1_KEY = "mlc_zoo.top1"


def save(model, path, framework, ranges=None, extra=None):
    """Writes `model` (a ModelProto, or the path of an exported file) to
    `path` atomically (a half-written file would be taken as cached), with
    the metadata above (`extra`: more keys and values). A path given as
    `model` is an exporter's scratch file: it is removed."""
    if isinstance(model, str):
        raw, model = model, onnx.load(model)
        os.remove(raw)
    meta = {p.key: p.value for p in model.metadata_props}
    meta[FRAMEWORK_KEY] = framework
    for name, (lo, hi) in (ranges or {}).items():
        meta[RANGE_KEY + name] = f"{bound_text(lo)} {bound_text(hi)}"
    meta.update(extra or {})
    del model.metadata_props[:]
    for k, v in sorted(meta.items()):
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    tmp = path + ".part"
    onnx.save(model, tmp)
    os.replace(tmp, path)


def bound_text(v):
    return ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)


def number(text):
    """an int if text spells one, else a float; a tuple of them for "a,b,c" """
    if "," in text:
        return tuple(number(t) for t in text.split(","))
    try:
        return int(text)
    except ValueError:
        return float(text)


def draw(rng, lo, hi, shape, dtype):
    """values for an input recorded as ranging over [lo, hi): integers drawn
    from it, floats uniformly, per channel (axis 1) where lo and hi are tuples"""
    import numpy as np
    if np.issubdtype(dtype, np.integer):
        return rng.integers(lo, hi, shape).astype(dtype)
    per = (1, -1) + (1,) * max(len(shape) - 2, 0)
    lo, hi = (np.reshape(v, per) if isinstance(v, tuple) else v for v in (lo, hi))
    return rng.uniform(lo, hi, shape).astype(dtype)


def parse_ranges(meta):
    """{input: (lo, hi)} out of a metadata dict"""
    return {k[len(RANGE_KEY):]: tuple(number(x) for x in v.split())
            for k, v in meta.items() if k.startswith(RANGE_KEY)}


def metadata(model):
    """(framework, {input: (lo, hi)}) recorded by save(); framework '?' if none."""
    meta = {p.key: p.value for p in model.metadata_props}
    return meta.get(FRAMEWORK_KEY, "?"), parse_ranges(meta)


def quant_metadata(meta):
    """None for a float model; else {"format": qdq|qoperator|dynamic,
    "source": float model, "steps": {output: step}, "top1": output or None},
    out of a metadata dict"""
    if QUANT_KEY not in meta:
        return None
    return {"format": meta[QUANT_KEY], "source": meta.get(QUANT_KEY + ".source"),
            "steps": {k[len(STEP_KEY):]: float(v) for k, v in meta.items()
                      if k.startswith(STEP_KEY)},
            "top1": meta.get(TOP1_KEY)}


def randomise_batchnorm(model):
    """Random running statistics in every torch BatchNorm layer, so that
    folding them is exercised rather than multiplying by 1 and adding 0."""
    import torch
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model


def unit_outputs(model, head, args):
    """Scales the last layer `head` (Linear or Conv) so that the model's
    output on `args` has a standard deviation of 1: random initialisations
    often give logits of 1e-3, against which an absolute tolerance of 1e-4
    would prove little. The output scales linearly, so this is exact."""
    import torch
    with torch.no_grad():
        out = model(*args)
        k = 1.0 / max(float(out.float().std()), 1e-6)
        head.weight.mul_(k)
        if head.bias is not None:
            head.bias.mul_(k)
    return model


def export_torch(model, args, path, framework, input_names, output_names,
                 ranges=None, dynamo=False, **options):
    """Exports a torch module with fixed shapes (no dynamic axes): the classic
    TorchScript exporter at opset 17 (`options` go to it), or the dynamo
    exporter (torch.export + onnxscript) at opset 18."""
    import warnings
    import torch
    raw = path + ".raw"
    # not under no_grad: there nn.MultiheadAttention takes a fast path
    # (aten::_native_multi_head_attention) that the classic exporter refuses
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            torch.onnx.export(model, args, input_names=input_names, output_names=output_names,
                              opset_version=18, dynamo=True, verbose=False).save(raw)
        else:
            torch.onnx.export(model, args, raw, input_names=input_names,
                              output_names=output_names, opset_version=17, dynamo=False,
                              **options)
    save(raw, path, framework, ranges)
