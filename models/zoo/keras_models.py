"""TensorFlow/Keras models with random weights (seed 0), batch 1, converted
by tf2onnx at opset 17. tf2onnx's from_keras does not take Keras 3 models,
so each model is wrapped in a tf.function and converted with from_function
(the route tf2onnx documents for saved functions); the output is renamed to
the model's.

  keras_mlp  the seed model's Sequential MLP (models/mlp.onnxtxt):
             10 inputs -> Dense 64 relu -> Dense 1
  keras_cnn  a small image CNN, 32x32x3 NHWC -> (Conv2D 3x3 relu, BatchNorm,
             MaxPool) x2 -> Flatten -> Dense 64 relu -> Dropout -> Dense 10
             softmax

Biases are random too (Keras starts them at zero, and tf2onnx would drop an
Add of zeros), and BatchNorm moving statistics are randomised."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from common import save

FRAMEWORK = "keras (tf2onnx)"


def convert(model, shape, input_name, output_name, path):
    import numpy as np
    import tensorflow as tf
    import tf2onnx
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if layer.__class__.__name__ == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta, rng.uniform(-0.1, 0.1, mean.shape).astype(np.float32),
                               rng.uniform(0.5, 1.5, var.shape).astype(np.float32)])
    spec = (tf.TensorSpec(shape, tf.float32, name=input_name),)
    fn = tf.function(lambda x: model(x, training=False), input_signature=spec)
    proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=17)
    old = proto.graph.output[0].name
    proto.graph.output[0].name = output_name
    for node in proto.graph.node:
        node.output[:] = [output_name if o == old else o for o in node.output]
    save(proto, path, FRAMEWORK)


def keras_mlp(path):
    import keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((10,), batch_size=1),
        keras.layers.Dense(64, activation="relu", bias_initializer="random_normal"),
        keras.layers.Dense(1, bias_initializer="random_normal")])
    convert(model, (1, 10), "dense_input", "dense_1", path)


def keras_cnn(path):
    import keras
    L = keras.layers
    keras.utils.set_random_seed(0)
    bias = {"bias_initializer": "random_normal"}
    model = keras.Sequential([
        keras.Input((32, 32, 3), batch_size=1),
        L.Conv2D(16, 3, padding="same", activation="relu", **bias), L.BatchNormalization(),
        L.MaxPooling2D(),
        L.Conv2D(32, 3, activation="relu", **bias), L.BatchNormalization(), L.MaxPooling2D(),
        L.Flatten(), L.Dense(64, activation="relu", **bias), L.Dropout(0.5),
        L.Dense(10, activation="softmax", **bias)])
    convert(model, (1, 32, 32, 3), "image", "probs", path)


MODELS = {"keras_mlp": keras_mlp, "keras_cnn": keras_cnn}
