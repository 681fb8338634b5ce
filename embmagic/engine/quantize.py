"""Opt-in int8 MiniLM: dynamic int8 quantisation of the MatMuls that keep the vectors close.

Quantising every MatMul of MiniLM (`quantize_dynamic`, per-tensor QInt8 weights) runs 2.4x
faster than fp32 but drops the cosine to the fp32 vectors to 0.91 on some sentences. Measured per
role and layer on Lee news and stdlib docstring sentences (docs/engine.md): per-channel weight
scales recover most of it; the MatMuls whose input has the widest range (each layer's FFN output
projection, fed by GELU, and the first and last layers' others) cost the most cosine. The recipe
below quantises only the rest. onnxruntime quantises activations per tensor over the whole batch,
so an int8 vector depends slightly on which texts share its batch (cosine >= 0.99 either way).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

INT8_RECIPE = "int8-v1"
"""Names the recipe in the cached file's name: a changed recipe never reuses an old file."""
INT8_ROLES = ("query", "key", "value", "attention/output", "intermediate")
"""Per-layer MatMuls that are quantised; `output/dense` (the FFN output) stays fp32."""
INT8_LAYERS = range(1, 5)
"""Layers whose `INT8_ROLES` MatMuls are quantised: not the first and last of MiniLM's six."""

_LAYER = re.compile(r"/layer\.(\d+)/")


def int8_nodes(node_names: list[str]) -> list[str]:
    """The weight MatMuls of the exported MiniLM graph that the recipe quantises."""
    chosen = []
    for name in node_names:
        layer = _LAYER.search(name)
        if layer is None or int(layer.group(1)) not in INT8_LAYERS:
            continue
        if any(f"/{role}/" in name for role in INT8_ROLES):
            chosen.append(name)
    return chosen


def quantize_int8(fp32_file: Path, out: Path) -> None:
    """Write the int8 model for `fp32_file` (the engine's own export) to `out`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32_file), load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    names = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    root = logging.getLogger()
    root.addFilter(_no_preprocess_hint)
    try:
        quantize_dynamic(
            str(fp32_file), str(out), nodes_to_quantize=int8_nodes(names),
            op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8,
            extra_options={"MatMulConstBOnly": True},
        )  # fmt: skip
    finally:
        root.removeFilter(_no_preprocess_hint)


def _no_preprocess_hint(record: logging.LogRecord) -> bool:
    """Drop onnxruntime's "consider pre-processing" hint (for static quantisation; it would
    land in a notebook cell's output the first time int8 is loaded)."""
    return "pre-processing before quantization" not in record.getMessage()
