"""Building generated C into a shared library and calling it through ctypes:
the header's macros give the names, shapes and types of the inputs and
outputs; the runtime is compiled from the bundled sources once per C
compiler and flags, and cached."""
import ctypes
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._compile import MlcError, data_dir

# element types of the generated code, by mlc's type name: the numpy dtype
# of its C type (16- and 8-bit float formats are their bits, as in C)
_DTYPES = {
    "float": np.float32, "double": np.float64, "float16": np.float16,
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "bool": np.bool_, "bfloat16": np.uint16, "float8e4m3fn": np.uint8,
    "float8e4m3fnuz": np.uint8, "float8e5m2": np.uint8, "float8e5m2fnuz": np.uint8,
    "float8e8m0": np.uint8, "float4e2m1": np.uint8, "uint4": np.uint8, "int4": np.int8,
    "uint2": np.uint8, "int2": np.int8, "string": object,
}

CFLAGS = ["-std=c99", "-O2", "-fPIC", "-fno-strict-aliasing"]


def _cstring(lit):
    """the bytes of a C string literal as mlc writes it (\\", \\\\, \\ooo)"""
    body = lit[1:-1].encode("latin-1")
    out, i = bytearray(), 0
    while i < len(body):
        c = body[i]
        if c == 0x5C:  # backslash
            if body[i + 1:i + 4].isdigit():
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            out.append(body[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return out.decode("utf-8", "replace")


class Tensor:
    """an input or output of a compiled model: name, mlc type, numpy dtype, shape"""

    def __init__(self, name, type_name, shape):
        self.name, self.type, self.shape = name, type_name, tuple(shape)
        self.dtype = np.dtype(_DTYPES[type_name])
        self.count = int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def __repr__(self):
        return f"Tensor({self.name!r}, {self.type}, {self.shape})"


def parse_header(text):
    """(macro prefix, inputs, outputs, has load_weights) from a header mlc wrote"""
    m = re.search(r"^#define (\w+)_NUM_INPUTS (\d+)$", text, re.M)
    if not m:
        raise MlcError("not a header mlc wrote: no _NUM_INPUTS macro")
    M = m.group(1)
    lists = {}
    for kind in ("INPUT", "OUTPUT"):
        n = int(re.search(rf"^#define {M}_NUM_{kind}S (\d+)$", text, re.M).group(1))
        ts = []
        for i in range(n):
            name = _cstring(re.search(rf'^#define {M}_{kind}{i}_NAME (".*")$', text, re.M).group(1))
            rank = int(re.search(rf"^#define {M}_{kind}{i}_RANK (\d+)$", text, re.M).group(1))
            dims = re.search(rf"^#define {M}_{kind}{i}_DIMS \{{(.*)\}}$", text, re.M).group(1)
            shape = [int(d) for d in dims.split(",")][:rank] if rank else []
            comment = re.search(rf"^/\* {kind} {i} '(.*)$", text, re.M).group(1)
            type_name = next((t for t in re.findall(r"': (\w+)", comment) if t in _DTYPES), None)
            if type_name is None:
                raise MlcError(f"{kind.lower()} {i} '{name}': no element type in the header")
            ts.append(Tensor(name, type_name, shape))
        lists[kind] = ts
    weights = re.search(r"\bint \w+_load_weights\(", text) is not None
    return M, lists["INPUT"], lists["OUTPUT"], weights


def _cc():
    return shlex.split(os.environ.get("CC", "cc"))


def _cache_root():
    root = os.environ.get("MLC_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "mlc_compiler")
    return root


def runtime_library(cc=None, cflags=None):
    """the runtime as a static library of position-independent code, compiled
    from the bundled sources (share/mlc/runtime) with the C compiler cc ($CC or
    cc) and cflags; cached by compiler, flags and sources ($MLC_CACHE_DIR or
    ~/.cache/mlc_compiler). Returns (the library, the headers' folder)."""
    cc = list(cc) if cc else _cc()
    cflags = list(cflags) if cflags is not None else CFLAGS
    src = os.path.join(data_dir(), "share", "mlc", "runtime")
    sources = sorted(f for f in os.listdir(src) if f.endswith(".c"))
    h = hashlib.sha256(repr((cc, cflags)).encode())
    for f in sorted(os.listdir(src)):
        with open(os.path.join(src, f), "rb") as fp:
            h.update(f.encode() + b"\0" + fp.read())
    lib_dir = os.path.join(_cache_root(), "runtime-" + h.hexdigest()[:16])
    lib = os.path.join(lib_dir, "libmlc_rt.a")
    if os.path.exists(lib):
        return lib, src
    os.makedirs(_cache_root(), exist_ok=True)
    tmp = tempfile.mkdtemp(dir=_cache_root(), prefix=".build-")
    try:
        def one(f):
            obj = os.path.join(tmp, f[:-2] + ".o")
            r = subprocess.run(cc + cflags + ["-I", src, "-c", os.path.join(src, f), "-o", obj],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise MlcError(f"compiling the runtime's {f} failed:\n{r.stderr.strip()}")
            return obj
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            objs = list(pool.map(one, sources))
        ar = shutil.which("ar") or "ar"
        subprocess.run([ar, "rcs", os.path.join(tmp, "libmlc_rt.a")] + objs, check=True)
        for o in objs:
            os.remove(o)
        try:
            os.replace(tmp, lib_dir)  # another process may have made it first
        except OSError:
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return lib, src


class Model:
    """a compiled model built into a shared library: call it with numpy arrays
    (by position or by input name); it returns {output name: array}, or a
    list in output order when made with as_list=True"""

    def __init__(self, so_path, header_path, name, weights_path=None, as_list=False):
        with open(header_path, encoding="utf-8", errors="replace") as f:
            self.macro, self.inputs, self.outputs, has_weights = parse_header(f.read())
        self.name, self.path, self.as_list = name, so_path, as_list
        self._lib = ctypes.CDLL(os.path.abspath(so_path))
        self._run = getattr(self._lib, f"{name}_run")
        self._run.restype = ctypes.c_int
        self._weights = None
        if has_weights:
            if not weights_path or not os.path.exists(weights_path):
                raise MlcError(f"the model's weights file {weights_path} is missing")
            # 8-byte aligned, alive as long as the model
            raw = np.fromfile(weights_path, dtype=np.uint8)
            self._weights = np.zeros((raw.size + 7) // 8, dtype=np.uint64)
            self._weights.view(np.uint8)[:raw.size] = raw
            load = getattr(self._lib, f"{name}_load_weights")
            load.restype = ctypes.c_int
            rc = load(ctypes.c_void_p(self._weights.ctypes.data), ctypes.c_size_t(raw.size))
            if rc != 0:
                raise MlcError(f"{name}_load_weights returned {rc}")

    def _input(self, t, x):
        if t.type == "string":
            flat = [s if isinstance(s, bytes) else str(s).encode("utf-8")
                    for s in np.asarray(x, dtype=object).reshape(-1)]
            if len(flat) != t.count:
                raise ValueError(f"input '{t.name}': {len(flat)} strings, expected {t.count}")
            arr = (ctypes.c_char_p * max(t.count, 1))(*flat)
            return arr, ctypes.cast(arr, ctypes.c_void_p)
        a = np.ascontiguousarray(np.asarray(x), dtype=t.dtype)
        if a.size != t.count:
            raise ValueError(f"input '{t.name}': shape {a.shape}, expected {t.shape}")
        return a, ctypes.c_void_p(a.ctypes.data)

    def __call__(self, *args, **kwargs):
        if len(args) > len(self.inputs):
            raise TypeError(f"{len(args)} inputs given, the model has {len(self.inputs)}")
        given = dict(zip((t.name for t in self.inputs), args))
        for k, v in kwargs.items():
            if k in given:
                raise TypeError(f"input '{k}' given twice")
            given[k] = v
        unknown = set(given) - {t.name for t in self.inputs}
        if unknown:
            raise TypeError(f"no input named {sorted(unknown)}; inputs: "
                            f"{[t.name for t in self.inputs]}")
        keep, ptrs = [], []
        for t in self.inputs:
            if t.name not in given:
                raise TypeError(f"input '{t.name}' missing")
            obj, p = self._input(t, given[t.name])
            keep.append(obj)
            ptrs.append(p)
        outs = []
        for t in self.outputs:
            if t.type == "string":
                o = (ctypes.c_char_p * max(t.count, 1))()
                ptrs.append(ctypes.cast(o, ctypes.c_void_p))
            else:
                o = np.empty(t.shape, dtype=t.dtype)
                ptrs.append(ctypes.c_void_p(o.ctypes.data))
            outs.append(o)
        rc = self._run(*ptrs)
        if rc != 0:
            raise MlcError(f"{self.name}_run returned {rc}")
        res = []
        for t, o in zip(self.outputs, outs):
            if t.type == "string":
                o = np.array([(s or b"").decode("utf-8", "replace") for s in o[:t.count]],
                             dtype=object).reshape(t.shape)
            res.append(o)
        if self.as_list:
            return res
        return {t.name: o for t, o in zip(self.outputs, res)}

    def __repr__(self):
        return f"Model({self.name!r}, inputs={self.inputs}, outputs={self.outputs})"


def load(dir_or_c_file, name="model", as_list=False, cc=None, cflags=None):
    """builds the C that mlc wrote (a folder holding NAME.c, or the .c file)
    with the system's C compiler into a shared library beside it (NAME.HASH.so),
    linked with the bundled runtime (runtime_library()), and returns it as a
    Model. A weights file (NAME.weights beside the C) is loaded."""
    path = os.fspath(dir_or_c_file)
    c_file = os.path.join(path, f"{name}.c") if os.path.isdir(path) else path
    if not os.path.exists(c_file):
        raise MlcError(f"{c_file}: no such file (the .c that mlc compile wrote)")
    stem = c_file[:-2] if c_file.endswith(".c") else c_file
    header = stem + ".h"
    with open(header, encoding="utf-8", errors="replace") as f:
        m = re.search(r"^int (\w+)_run\(", f.read(), re.M)
    if m and not os.path.isdir(path):
        name = m.group(1)
    cc = list(cc) if cc else _cc()
    cflags = list(cflags) if cflags is not None else CFLAGS
    lib, inc = runtime_library(cc, cflags)
    # named by what it is built from: a model compiled again gets a new
    # library (the process keeps the old one loaded), the same one is reused
    h = hashlib.sha256(repr((cc, cflags, lib)).encode())
    for f in (c_file, header):
        with open(f, "rb") as fp:
            h.update(fp.read())
    so = f"{stem}.{h.hexdigest()[:12]}.so"
    if os.path.exists(so):
        return Model(so, header, name, stem + ".weights", as_list)
    r = subprocess.run(cc + cflags + ["-shared", "-I", os.path.dirname(os.path.abspath(c_file)),
                                      "-I", inc, c_file, lib, "-lm", "-o", so],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise MlcError(f"building {c_file} failed:\n{r.stderr.strip()}")
    return Model(so, header, name, stem + ".weights", as_list)
