"""The viewer payload: decimated mesh in the build orientation with per-face findings."""

import numpy as np
import pytest

from bench.bench_mesh_analysis import bumpy_sphere
from odm_engine.mesh import sandbox
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.limits import DEFAULT_LIMITS
from odm_engine.mesh.viewer_export import (
    FORMAT_VERSION,
    cluster_decimate,
    export_viewer,
    read_payload,
    restyle,
)


def _export(part, **options):
    header, arrays = read_payload(export_viewer(part, analyse(part).to_dict(), **options))
    return header, arrays, {channel["name"]: channel for channel in header["channels"]}


def _plate_with_fin(meshgen, fin_voxels):
    """A 10 x 10 x 1 mm plate with a 5 mm high fin (0.5 mm per voxel) standing on it."""
    occupied = np.zeros((20, 20, 12), dtype=bool)
    occupied[:, :, :2] = True
    occupied[:, 9 : 9 + fin_voxels, :] = True
    return meshgen.part(meshgen.voxels(occupied, 0.5))


def test_thin_wall_faces_are_flagged_and_thick_ones_are_not(meshgen):
    header, arrays, channels = _export(_plate_with_fin(meshgen, 1), thin_wall_mm=0.8)
    thickness = arrays["wall_thickness"]
    assert header["format"] == "odm-viewer" and header["version"] == FORMAT_VERSION
    assert header["units"] == "mm" and header["thresholds"]["thin_wall_mm"] == 0.8
    assert channels["wall_thickness"]["flagged"] > 0
    # The flagged faces are the fin's sides: 0.5 mm measured, where the plate is 1 mm or more.
    thin = thickness < 0.8
    assert np.allclose(thickness[thin], 0.5, atol=0.02)
    positions, faces = arrays["positions"], arrays["indices"]
    heights = positions[faces[thin]][:, :, 2].mean(axis=1)
    assert heights.min() > 0.9  # on the fin, above the plate
    _, _, thick = _export(_plate_with_fin(meshgen, 4), thin_wall_mm=0.8)
    assert thick["wall_thickness"]["flagged"] == 0


def test_overhang_faces_need_support_and_the_plate_does_not(meshgen):
    # A T: a 2 mm column under a 10 mm cap. The cap's underside overhangs.
    occupied = np.zeros((10, 10, 10), dtype=bool)
    occupied[4:6, 4:6, :8] = True
    occupied[:, :, 8:] = True
    part = meshgen.part(meshgen.voxels(occupied, 1.0))
    analysis = analyse(part).to_dict()
    analysis["orientation"]["rotation"] = np.eye(3).tolist()  # keep the T standing
    header, arrays = read_payload(export_viewer(part, analysis))
    overhang = arrays["overhang"].astype(bool)
    centres = arrays["positions"][arrays["indices"]].mean(axis=1)
    assert overhang.any()
    assert np.allclose(centres[overhang][:, 2], 8.0)  # the cap's underside, nothing else
    assert header["bbox_mm"][0][2] == 0.0


def test_layout_is_aligned_and_sized(meshgen):
    payload = export_viewer(
        meshgen.part(meshgen.box((20.0, 10.0, 5.0))),
        analyse(meshgen.part(meshgen.box((20.0, 10.0, 5.0)))).to_dict(),
        build_volume_mm=(250, 210, 220),
    )
    header, arrays = read_payload(payload)
    assert payload[:4] == b"ODMV" and (8 + int.from_bytes(payload[4:8], "little")) % 4 == 0
    assert header["build_volume_mm"] == [250.0, 210.0, 220.0]
    assert arrays["indices"].dtype == np.uint16 and arrays["positions"].dtype == np.float32
    # Laid flat in the build orientation: the largest faces on the plate, centred on X = Y = 0.
    low, high = np.array(header["bbox_mm"])
    assert np.allclose(sorted(high - low), [5.0, 10.0, 20.0], atol=1e-4)
    assert np.allclose((low + high)[:2], 0.0, atol=1e-4) and low[2] == 0.0
    assert len(payload) < 2600  # mostly the header: 12 triangles are 300 bytes of arrays


def test_a_million_triangles_decimate_to_the_cap_in_bounded_bytes(meshgen):
    part = meshgen.part(bumpy_sphere(1_000_000))
    header, arrays, channels = _export(part, max_triangles=50_000)
    assert header["source_triangles"] > 1_000_000
    assert 25_000 < header["triangles"] <= 50_000
    assert len(arrays["wall_thickness"]) == header["triangles"]
    # The shape is kept: every vertex stays within a few cells of the sphere's surface.
    radii = np.linalg.norm(arrays["positions"] - arrays["positions"].mean(axis=0), axis=1)
    assert radii.min() > 30.0 and radii.max() < 50.0
    size = sum(entry["bytes"] for entry in header["arrays"])
    assert size < 32 * header["triangles"]
    assert channels["wall_thickness"]["measured"] > 0.9 * header["triangles"]


def test_decimation_keeps_small_meshes_and_maps_every_face(meshgen):
    vertices, faces = meshgen.indexed(bumpy_sphere(20_000))
    same = cluster_decimate(vertices, faces, 50_000)
    assert same[1] is not None and len(same[1]) == len(faces)
    out_vertices, out_faces, source = cluster_decimate(vertices, faces, 5_000)
    assert len(out_faces) <= 5_000 and out_faces.max() < len(out_vertices)
    assert source.max() < len(out_faces) and (source >= 0).mean() > 0.2


def test_the_sandbox_task_exports_in_a_bounded_child(meshgen):
    part = meshgen.part(meshgen.box((10.0, 10.0, 10.0)))
    arguments = {
        "filename": "cube.stl",
        "unit": "mm",
        "limits": DEFAULT_LIMITS.__dict__,
        "analysis": analyse(part).to_dict(),
    }
    result, blobs = sandbox.run(
        "viewer",
        arguments,
        meshgen.stl(meshgen.box((10.0, 10.0, 10.0))),
        sandbox.Bounds(60, DEFAULT_LIMITS.analysis_memory_bytes),
    )
    assert result["bytes"] == len(blobs[0])
    assert read_payload(blobs[0])[0]["triangles"] == 12


def test_damaged_payloads_are_refused():
    with pytest.raises(ValueError):
        read_payload(b"PNG\0" + bytes(20))


def test_restyle_draws_a_stored_payload_against_a_process_as_export_would(meshgen):
    part = meshgen.part(meshgen.box((30.0, 20.0, 0.6)))
    analysis = analyse(part).to_dict()
    settings = {
        "build_volume_mm": [250, 210, 220],
        "thin_wall_mm": 0.8,
        "deep_pocket_ratio": 3.0,
        "process": "FDM printing",
    }
    neutral = export_viewer(part, analysis)
    styled = restyle(neutral, **settings)
    assert styled == export_viewer(part, analysis, **settings)
    header, arrays = read_payload(styled)
    assert header["thresholds"]["thin_wall_mm"] == 0.8
    assert header["process"] == "FDM printing"
    assert {c["name"]: c["flagged"] for c in header["channels"]}["wall_thickness"] == 4
    assert (arrays["positions"] == read_payload(neutral)[1]["positions"]).all()
