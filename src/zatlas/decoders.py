"""One small interface for every decoder: `decoder(z)` -> images (n, H, W, 3) in [0, 1].

A trained model's `decoder.keras` and a user's decoder (`.keras`, or `.onnx` run with ONNX
Runtime, as PyTorch's `torch.onnx.export` or JAX's exporters write it) are opened by
`load_decoder`; the decoding stages call nothing else. ONNX outputs in channels-first
layout (n, C, H, W), PyTorch's, are transposed; one channel is repeated to three.
`static_shapes` reads the latent width and image shape from the file alone (no framework
import for .keras), for the checks made when the config is parsed.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from zatlas.errors import ZatlasError

LAYOUTS = ("auto", "channels_first", "channels_last")


def resolve_layout(dims: tuple, layout: str = "auto") -> str:
    """channels_first or channels_last for an image output of per-sample `dims` (3 axes)."""
    if layout != "auto":
        return layout
    first, last = dims[0], dims[-1]
    if first in (1, 3) and last not in (1, 3):
        return "channels_first"
    return "channels_last"


def to_nhwc(x: np.ndarray, layout: str) -> np.ndarray:
    """(n, H, W, 3) from a decoder's output in `layout` (auto: by where the channels are)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise ZatlasError(
            f"the decoder returned shape {x.shape}; expected (n, C, H, W) or (n, H, W, C)"
        )
    if resolve_layout(x.shape[1:], layout) == "channels_first":
        x = np.transpose(x, (0, 2, 3, 1))
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    if x.shape[-1] != 3:
        raise ZatlasError(f"the decoder returned {x.shape[-1]} channels; expected 1 or 3")
    return x


class KerasDecoder:
    def __init__(self, path, layout: str = "auto"):
        from zatlas.encoding import load_model

        self.model = load_model(path)
        self.layout = layout
        self.latent_dim = self.model.inputs[0].shape[-1]

    def __call__(self, z, training: bool = False) -> np.ndarray:
        out = self.model(np.asarray(z, dtype=np.float32), training=False)
        import keras

        return to_nhwc(keras.ops.convert_to_numpy(out), self.layout)


class OnnxDecoder:
    def __init__(self, path, layout: str = "auto"):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # the rule's thread count is the stage's business
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ZatlasError(f"cannot load the ONNX decoder {path}: {exc}") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ZatlasError(
                f"the ONNX decoder {path} takes {len(inputs)} inputs; expected z alone"
            )
        self.input = inputs[0].name
        width = inputs[0].shape[-1]
        self.latent_dim = width if isinstance(width, int) else None
        self.layout = layout

    def __call__(self, z, training: bool = False) -> np.ndarray:
        out = self.session.run(None, {self.input: np.asarray(z, dtype=np.float32)})[0]
        return to_nhwc(out, self.layout)


def load_decoder(path, layout: str = "auto"):
    """The decoder at `path` behind the one interface."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return OnnxDecoder(path, layout)
    if suffix == ".keras":
        return KerasDecoder(path, layout)
    raise ZatlasError(f"decoder {path}: expected a .keras or .onnx file")


def _dim(d) -> int | None:
    return d if isinstance(d, int) and d > 0 else None


def static_shapes(path, layout: str = "auto") -> tuple[int | None, tuple | None]:
    """(latent width, (H, W, C) image shape) as far as the file states them, else None."""
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        import onnx

        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as exc:
            raise ZatlasError(f"cannot read the ONNX decoder {path}: {exc}") from None
        graph = model.graph
        weights = {i.name for i in graph.initializer}
        inputs = [i for i in graph.input if i.name not in weights]
        if len(inputs) != 1:
            raise ZatlasError(
                f"the ONNX decoder {path} takes {len(inputs)} inputs; expected z alone"
            )

        def dims(value):
            shape = value.type.tensor_type.shape.dim
            return tuple(_dim(d.dim_value) if d.HasField("dim_value") else None for d in shape)

        width = dims(inputs[0])[-1] if dims(inputs[0]) else None
        out = dims(graph.output[0])[1:]
        if len(out) != 3 or None in out:
            return width, None
        if resolve_layout(out, layout) == "channels_first":
            out = (out[1], out[2], out[0])
        return width, out
    if path.suffix.lower() == ".keras":
        try:
            config = json.loads(zipfile.ZipFile(path).read("config.json"))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ZatlasError(f"cannot read the Keras decoder {path}: {exc}") from None
        layers = config.get("config", {}).get("layers") or []
        shapes = [
            lay["config"].get("batch_shape")
            for lay in layers
            if lay.get("class_name") == "InputLayer"
        ]
        width = _dim(shapes[0][-1]) if len(shapes) == 1 and shapes[0] else None
        return width, None
    raise ZatlasError(f"decoder {path}: expected a .keras or .onnx file")
