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
