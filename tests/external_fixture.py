"""Files of a model trained elsewhere, for the tests: latents in every format and an ONNX
decoder built with the onnx helper API (MatMul + Add + Sigmoid + Reshape, channels first,
as PyTorch exports), not by zatlas's Keras code."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def onnx_decoder(path: Path, z_dim: int, size: int, seed: int = 0, dynamic: bool = True) -> Path:
    """A decoder z (n, z_dim) -> sigmoid(z W + b) as (n, 3, size, size)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w = rng.normal(0, 1 / np.sqrt(z_dim), (z_dim, 3 * size * size)).astype(np.float32)
    b = np.zeros(3 * size * size, np.float32)
    batch = "n" if dynamic else 1
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["z", "W"], ["h"]),
            helper.make_node("Add", ["h", "b"], ["a"]),
            helper.make_node("Sigmoid", ["a"], ["s"]),
            helper.make_node("Reshape", ["s", "shape"], ["image"]),
        ],
        "decoder",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [batch, z_dim])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 3, size, size])],
        [
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(b, "b"),
            numpy_helper.from_array(np.array([-1, 3, size, size], np.int64), "shape"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def planted_latents(n: int, d: int, seed: int = 0) -> np.ndarray:
    """Two Gaussian clusters: a cloud with structure the analyses must find."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, d)).astype(np.float32)
    x[: n // 2, 0] += 6.0
    return x
