"""What every zoo export script shares: writing the exported file with the
model's framework and the valid range of its integer inputs recorded in the
ONNX metadata, so that tests/models/zoo.py can check any file of the cache
without knowing which script made it.

Metadata keys (all strings):
  mlc_zoo.framework          the framework that exported the model
  mlc_zoo.range.INPUT        "LO HI": integer input INPUT takes values in [LO, HI)
                             (token ids within the vocabulary, embedding
                             indices within their table, masks 0/1)"""
import os

import onnx

FRAMEWORK_KEY = "mlc_zoo.framework"
RANGE_KEY = "mlc_zoo.range."


def save(model, path, framework, ranges=None):
    """Writes `model` (a ModelProto, or the path of an exported file) to
    `path` atomically (a half-written file would be taken as cached). A path
    given as `model` is an exporter's scratch file: it is removed."""
    if isinstance(model, str):
        raw, model = model, onnx.load(model)
        os.remove(raw)
    meta = {p.key: p.value for p in model.metadata_props}
    meta[FRAMEWORK_KEY] = framework
    for name, (lo, hi) in (ranges or {}).items():
        meta[RANGE_KEY + name] = f"{lo} {hi}"
    del model.metadata_props[:]
    for k, v in sorted(meta.items()):
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    tmp = path + ".part"
    onnx.save(model, tmp)
    os.replace(tmp, path)


def metadata(model):
    """(framework, {input: (lo, hi)}) recorded by save(); framework '?' if none."""
    meta = {p.key: p.value for p in model.metadata_props}
    ranges = {k[len(RANGE_KEY):]: tuple(int(x) for x in v.split())
              for k, v in meta.items() if k.startswith(RANGE_KEY)}
    return meta.get(FRAMEWORK_KEY, "?"), ranges


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
