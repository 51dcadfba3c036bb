#!/usr/bin/env python3
"""Writes the ONNX backend node tests that ship (as code) in the installed
`onnx` package into DIR, in the backend test layout:
DIR/test_x/model.onnx, DIR/test_x/test_data_set_0/{input,output}_K.pb.
Also copies the data folders the package ships as files (pytorch-converted,
pytorch-operator, simple) next to them as DIR/../<kind>/.
Usage: gen_node_tests.py DIR"""
import os
import shutil
import sys
import warnings

import onnx
from onnx import numpy_helper


def write_proto(path, proto):
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


def as_proto(value, name, type_proto):
    if type_proto.HasField("sequence_type"):
        return numpy_helper.from_list(value, name)
    if type_proto.HasField("optional_type"):
        return numpy_helper.from_optional(value, name)
    if type_proto.HasField("map_type"):
        return numpy_helper.from_dict(value, name)
    if isinstance(value, onnx.TensorProto):
        return value
    return numpy_helper.from_array(value, name)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    warnings.simplefilter("ignore")
    from onnx.backend.test.case import node as node_cases

    stamp = os.path.join(out, ".onnx-version")
    if os.path.exists(stamp) and open(stamp).read() == onnx.__version__:
        return
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cases = node_cases.collect_testcases()
    for case in cases:
        d = os.path.join(out, case.name)
        os.makedirs(d, exist_ok=True)
        write_proto(os.path.join(d, "model.onnx"), case.model)
        g = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(ds, exist_ok=True)
            for j, v in enumerate(inputs):
                write_proto(os.path.join(ds, f"input_{j}.pb"),
                            as_proto(v, g.input[j].name, g.input[j].type))
            for j, v in enumerate(outputs):
                write_proto(os.path.join(ds, f"output_{j}.pb"),
                            as_proto(v, g.output[j].name, g.output[j].type))
    data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    parent = os.path.dirname(os.path.abspath(out))
    for kind in ("pytorch-converted", "pytorch-operator", "simple"):
        dst = os.path.join(parent, kind)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(os.path.join(data, kind), dst)
    with open(stamp, "w") as f:
        f.write(onnx.__version__)
    print(f"{len(cases)} node tests for onnx {onnx.__version__} in {out}")


if __name__ == "__main__":
    main()
