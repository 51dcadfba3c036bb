"""JAX models with random weights (PRNG key 0), batch 1, converted by
jax2onnx at opset 18:

  jax_mlp        a plain JAX function over a parameter pytree:
                 784 -> 256 gelu (tanh form) -> 10 log-softmax
  jax_cnn        a Flax NNX module, 28x28x1 NHWC: Conv 3x3 8 -> BatchNorm ->
                 relu -> Conv 3x3 stride 2 16 -> gelu -> 2x2 average pool
                 (stride 1, SAME) -> Linear 10 -> log-softmax
  jax_attention  a Flax NNX pre-norm transformer encoder block, seq 16, width
                 64, 4 heads: LayerNorm -> MultiHeadAttention -> residual ->
                 LayerNorm -> Linear 256 gelu -> Linear 64 -> residual"""
from common import save

FRAMEWORK = "jax (jax2onnx)"


def convert(fn, shape, input_name, output_name, path):
    from jax2onnx import to_onnx
    proto = to_onnx(fn, [shape], opset=18, input_names=[input_name], output_names=[output_name])
    # jax2onnx's layout pass (NHWC convolutions turned NCHW, transposes
    # removed) leaves value_info with the old NHWC shapes, which
    # onnxruntime refuses to load; the hints carry no meaning, so drop them
    del proto.graph.value_info[:]
    save(proto, path, FRAMEWORK)


def jax_mlp(path):
    import jax
    k1, k2, k3, k4 = jax.random.split(jax.random.key(0), 4)
    params = {"w1": jax.random.normal(k1, (784, 256)) * 0.05,
              "b1": jax.random.normal(k2, (256,)) * 0.1,
              "w2": jax.random.normal(k3, (256, 10)) * 0.05,
              "b2": jax.random.normal(k4, (10,)) * 0.1}

    def mlp(x):
        h = jax.nn.gelu(x @ params["w1"] + params["b1"], approximate=True)
        return jax.nn.log_softmax(h @ params["w2"] + params["b2"])
    convert(mlp, (1, 784), "x", "logp", path)


def jax_cnn(path):
    import jax
    from flax import nnx

    class CNN(nnx.Module):
        def __init__(self, rngs):
            self.c1 = nnx.Conv(1, 8, (3, 3), rngs=rngs)
            self.bn = nnx.BatchNorm(8, rngs=rngs)
            self.c2 = nnx.Conv(8, 16, (3, 3), strides=2, rngs=rngs)
            self.fc = nnx.Linear(16 * 14 * 14, 10, rngs=rngs)

        def __call__(self, x):
            x = nnx.relu(self.bn(self.c1(x)))
            x = nnx.gelu(self.c2(x))
            x = nnx.avg_pool(x, window_shape=(2, 2), strides=(1, 1), padding="SAME")
            return nnx.log_softmax(self.fc(x.reshape(x.shape[0], -1)))

    model = CNN(nnx.Rngs(0))
    k1, k2 = jax.random.split(jax.random.key(1))
    model.bn.mean.value = jax.random.uniform(k1, (8,), minval=-0.1, maxval=0.1)
    model.bn.var.value = jax.random.uniform(k2, (8,), minval=0.5, maxval=1.5)
    model.eval()
    convert(model, (1, 28, 28, 1), "image", "logp", path)


def jax_attention(path):
    from flax import nnx

    class Block(nnx.Module):
        def __init__(self, rngs, d=64, heads=4):
            self.ln1 = nnx.LayerNorm(d, rngs=rngs)
            self.attn = nnx.MultiHeadAttention(heads, d, decode=False, rngs=rngs)
            self.ln2 = nnx.LayerNorm(d, rngs=rngs)
            self.up = nnx.Linear(d, 4 * d, rngs=rngs)
            self.down = nnx.Linear(4 * d, d, rngs=rngs)

        def __call__(self, x):
            h = self.ln1(x)
            x = x + self.attn(h, h, h)
            return x + self.down(nnx.gelu(self.up(self.ln2(x))))

    model = Block(nnx.Rngs(0))
    model.eval()
    convert(model, (1, 16, 64), "x", "y", path)


MODELS = {"jax_mlp": jax_mlp, "jax_cnn": jax_cnn, "jax_attention": jax_attention}
