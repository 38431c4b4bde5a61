"""The analysis of two generated parts, pinned value by value.

Speed work on the mesh pipeline (welding, topology, hull, sampling, ray casting) must not change
what a part measures. The expected values are in ``data/analysis_pinned.json``, written by the
code as it stood before such work; floats must agree to 1e-9 (relative), everything else exactly.
If a change is *meant* to alter the measurements, rewrite the file and say why in the commit:

    .odm/venv/bin/python -m tests.engine.test_analysis_pinned
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from bench.bench_mesh_analysis import bumpy_sphere
from odm_engine.mesh.geometry import analyse
from tests.engine.shapes import faceted_tube, stl_part

PINNED = Path(__file__).parent / "data" / "analysis_pinned.json"
# What the mesh pipeline measures; findings, notes and identity keys belong to other code.
KEYS = (
    "volume_mm3",
    "area_mm2",
    "bbox_mm",
    "obb_mm",
    "obb_axes",
    "hull_volume_mm3",
    "triangles",
    "vertices",
    "bodies",
    "shells",
    "cavities",
    "watertight",
    "manifold",
    "inverted_normals",
    "repairs",
    "min_wall_mm",
    "wall_thickness_mm",
    "thin_area_mm2",
    "thin_area_by_threshold_mm2",
    "min_gap_mm",
    "narrow_gap_area_mm2",
    "small_features",
    "overhang_area_mm2",
    "support_volume_mm3",
    "orientation",
    "orientations_evaluated",
    "skin_area_mm2",
    "wall_area_mm2",
    "projected_area_mm2",
    "undercut_area_mm2",
    "moulding",
    "cnc",
    "samples",
)
RELATIVE = 1e-9


def _repaired_hollow() -> np.ndarray:
    """A bumpy sphere with a bumpy cavity, one triangle missing, a block of triangles wound the
    wrong way and the whole file inside out: every repair of the pipeline has work to do."""
    outer = bumpy_sphere(20_000)
    cavity = bumpy_sphere(5_000)[:, ::-1] * 0.5 + 3.0
    triangles = np.concatenate([outer[1:], cavity])
    triangles[100:140] = triangles[100:140, ::-1]
    return triangles[:, ::-1]


PARTS = {
    # Above 50,000 vertices: the convex hull is the toleranced one.
    "bumpy_sphere_130k": lambda: bumpy_sphere(130_000),
    "repaired_hollow": _repaired_hollow,
    "faceted_tube": faceted_tube,
}


def measured(name: str) -> dict:
    values = analyse(stl_part(PARTS[name](), f"{name}.stl")).to_dict()
    return {key: values[key] for key in KEYS}


def _differences(expected, actual, path: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return [f"{path}: keys {sorted(expected)} != {sorted(actual)}"]
        return [d for k in expected for d in _differences(expected[k], actual[k], f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} entries != {len(actual)}"]
        return [
            d
            for i, pair in enumerate(zip(expected, actual, strict=True))
            for d in _differences(*pair, f"{path}[{i}]")
        ]
    if isinstance(expected, float) or isinstance(actual, float):
        if (
            isinstance(expected, (int, float))
            and isinstance(actual, (int, float))
            and (math.isclose(expected, actual, rel_tol=RELATIVE, abs_tol=RELATIVE))
        ):
            return []
        return [f"{path}: {expected!r} != {actual!r}"]
    return (
        []
        if expected == actual and type(expected) is type(actual)
        else [f"{path}: {expected!r} != {actual!r}"]
    )


@pytest.mark.parametrize("name", sorted(PARTS))
def test_analysis_values_are_pinned(name):
    expected = json.loads(PINNED.read_text())[name]
    differences = _differences(expected, json.loads(json.dumps(measured(name))))
    assert not differences, "\n".join(differences[:20])


def test_pinning_notices_a_changed_value():
    expected = {"volume_mm3": 1000.0, "cnc": {"setups": 2, "frame": [1.0, 0.0]}}
    assert not _differences(
        expected, {"volume_mm3": 1000.0 * (1 + 1e-12), "cnc": {"setups": 2, "frame": [1.0, 0.0]}}
    )
    assert _differences(
        expected, {"volume_mm3": 1000.0 * (1 + 1e-6), "cnc": {"setups": 2, "frame": [1.0, 0.0]}}
    )
    assert _differences(expected, {"volume_mm3": 1000.0, "cnc": {"setups": 3, "frame": [1.0, 0.0]}})


if __name__ == "__main__":
    PINNED.write_text(json.dumps({name: measured(name) for name in sorted(PARTS)}, indent=1) + "\n")
