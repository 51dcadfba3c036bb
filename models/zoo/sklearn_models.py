"""scikit-learn pipelines converted by skl2onnx (opset 17, ai.onnx.ml 3, batch 1),
fitted on a fixed synthetic data set (make_classification, seed 0):

  sklearn_mlp  StandardScaler -> PCA 8 -> MLPClassifier (32, 16), 3 classes:
               outputs the label (int64) and the class probabilities (no
               ZipMap, so both are plain tensors)"""
from common import save

FRAMEWORK = "scikit-learn (skl2onnx)"


def sklearn_mlp(path):
    import warnings

    import numpy as np
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    x, y = make_classification(n_samples=300, n_features=12, n_informative=6, n_classes=3,
                               random_state=0)
    model = make_pipeline(StandardScaler(), PCA(8, random_state=0),
                          MLPClassifier((32, 16), max_iter=50, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged: the weights need not be good
        model.fit(x.astype(np.float32), y)
    proto = to_onnx(model, initial_types=[("X", FloatTensorType([1, 12]))],
                    target_opset={"": 17, "ai.onnx.ml": 3}, options={"zipmap": False})
    save(proto, path, FRAMEWORK)


MODELS = {"sklearn_mlp": sklearn_mlp}
