"""Geometric metrics on generated solids whose answers are known."""

import json
import math

import numpy as np
import pytest
import trimesh

from odm_engine.mesh import dfm_geometry
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part
from odm_engine.mesh.orientation import fits

REQUIRED_KEYS = {
    "unit", "unit_inferred", "unit_reason", "volume_mm3", "area_mm2", "bbox_mm", "obb_mm",
    "hull_volume_mm3", "bodies", "triangles", "watertight", "repairs", "min_wall_mm",
    "thin_area_mm2", "overhang_area_mm2", "support_volume_mm3", "orientation",
    "projected_area_mm2", "undercut_area_mm2", "cnc", "dfm",
}  # fmt: skip


def _analyse(triangles, meshgen, **options):
    return analyse(meshgen.part(triangles), **options).to_dict()


def _trimesh_part(mesh):
    return load_part(mesh.export(file_type="stl"), "shape.stl", unit="mm")


def test_box_measures_and_report_shape(meshgen):
    result = _analyse(meshgen.box((40.0, 20.0, 10.0)), meshgen)
    assert result.keys() >= REQUIRED_KEYS
    json.dumps(result)
    assert result["volume_mm3"] == pytest.approx(8000)
    assert result["area_mm2"] == pytest.approx(2 * (800 + 200 + 400))
    assert result["bbox_mm"] == pytest.approx([40, 20, 10])
    assert result["obb_mm"] == pytest.approx([40, 20, 10])
    assert result["hull_volume_mm3"] == pytest.approx(8000)
    assert (result["bodies"], result["watertight"], result["manifold"]) == (1, True, True)
    assert result["repairs"] == [] and result["dfm"] == []
    assert result["min_wall_mm"] == pytest.approx(10, rel=1e-6)
    assert result["cnc"]["setups"] == 2
    assert result["undercut_area_mm2"] == 0
    assert result["moulding"]["pull_direction"] == pytest.approx([0, 0, 1])
    assert result["projected_area_mm2"] == pytest.approx(800, rel=0.005)


def test_analysis_is_deterministic(meshgen):
    triangles = meshgen.voxels(np.random.default_rng(3).random((4, 4, 4)) > 0.4, 2.0)
    assert _analyse(triangles, meshgen) == _analyse(triangles, meshgen)


@pytest.mark.parametrize(
    ("mesh", "volume", "area"),
    [
        (
            trimesh.creation.cylinder(radius=10, height=30, sections=256),
            math.pi * 100 * 30,
            2 * math.pi * 10 * 40,
        ),
        (
            trimesh.creation.icosphere(subdivisions=5, radius=15),
            4 / 3 * math.pi * 15**3,
            4 * math.pi * 225,
        ),
        (
            trimesh.creation.torus(40, 10, major_sections=256, minor_sections=128),
            2 * math.pi**2 * 40 * 100,
            4 * math.pi**2 * 400,
        ),
    ],
    ids=["cylinder", "sphere", "torus"],
)
def test_curved_solids_match_analytic_volume_and_area(mesh, volume, area):
    result = analyse(_trimesh_part(mesh)).to_dict()
    assert result["volume_mm3"] == pytest.approx(volume, rel=0.005)
    assert result["area_mm2"] == pytest.approx(area, rel=0.005)
    assert result["bodies"] == 1 and result["watertight"]
    assert result["hull_volume_mm3"] >= result["volume_mm3"]


def test_torus_hull_and_wall(meshgen):
    mesh = trimesh.creation.torus(40, 10, major_sections=128, minor_sections=64)
    result = analyse(_trimesh_part(mesh)).to_dict()
    assert result["hull_volume_mm3"] == pytest.approx(mesh.convex_hull.volume, rel=1e-7)
    assert result["min_wall_mm"] == pytest.approx(20, rel=0.02)  # the tube's diameter


def test_rotated_box_has_tight_oriented_box_and_exact_hull(meshgen):
    box = trimesh.creation.box((60, 30, 10))
    box.apply_transform(trimesh.transformations.euler_matrix(0.3, 0.5, 0.7))
    result = analyse(_trimesh_part(box)).to_dict()
    assert result["obb_mm"] == pytest.approx([60, 30, 10], rel=1e-6)
    assert np.prod(result["bbox_mm"]) > 1.5 * 18000
    assert result["hull_volume_mm3"] == pytest.approx(18000)
    assert result["cnc"]["frame"] == "part"


def test_t_shape_overhang_support_and_best_orientation(meshgen):
    # A T standing in the XZ plane, 10 mm voxels: the two arms overhang 20 mm above the plate.
    occupied = np.zeros((3, 1, 3), dtype=bool)
    occupied[1, 0, :2] = True
    occupied[:, 0, 2] = True
    result = _analyse(meshgen.voxels(occupied, 10.0), meshgen)
    assert result["overhang_area_mm2"] == pytest.approx(200)
    assert result["support_volume_mm3"] == pytest.approx(200 * 20, rel=0.02)
    best = result["orientation"]
    assert best["support_volume_mm3"] == 0
    assert best["height_mm"] == pytest.approx(10)
    assert sorted(best["footprint_mm"]) == pytest.approx([30, 30])
    rotation = np.array(best["rotation"])
    assert rotation @ rotation.T == pytest.approx(np.eye(3))
    assert np.linalg.det(rotation) == pytest.approx(1)


def test_overhang_angle_is_a_parameter(meshgen):
    # A 30-degree roof (60 degrees from vertical): support at 45 degrees, none at 65.
    roof = trimesh.creation.extrude_triangulation(
        np.array([[0, 0], [40, 0], [40, 10], [0, 10 + 40 * math.tan(math.radians(30))]]),
        np.array([[0, 1, 2], [0, 2, 3]]),
        height=10,
    )
    roof.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, [1, 0, 0]))
    roof.apply_transform(trimesh.transformations.rotation_matrix(math.pi, [1, 0, 0]))
    part = _trimesh_part(roof)
    tilted = analyse(part, overhang_angle_deg=45).to_dict()
    tolerant = analyse(part, overhang_angle_deg=65).to_dict()
    assert tilted["overhang_area_mm2"] > 0
    assert tolerant["overhang_area_mm2"] < tilted["overhang_area_mm2"]


def test_hollow_box_wall_cavity_and_thin_area(meshgen):
    occupied = np.ones((12, 12, 12), dtype=bool)
    occupied[1:-1, 1:-1, 1:-1] = False
    result = _analyse(meshgen.voxels(occupied, 1.0), meshgen, thin_wall_mm=1.5)
    assert result["volume_mm3"] == pytest.approx(12**3 - 10**3)
    assert (result["bodies"], result["shells"], result["cavities"]) == (1, 2, 1)
    assert result["min_wall_mm"] == pytest.approx(1.0, rel=1e-6)
    assert result["wall_thickness_mm"]["median"] == pytest.approx(1.0, rel=1e-6)
    # Everything is 1 mm thick except the outer 1 mm border of each face (the edge beams).
    assert result["thin_area_mm2"] == pytest.approx(6 * 10 * 10 + 6 * 10 * 10, rel=0.02)
    assert result["thin_area_by_threshold_mm2"]["0.8"] == 0
    assert any(f["code"] == "enclosed_cavities" for f in result["dfm"])


def test_two_separated_cubes_are_two_bodies(meshgen):
    triangles = np.concatenate([meshgen.box((10, 10, 10)), meshgen.box((10, 10, 10), (30, 0, 0))])
    result = _analyse(triangles, meshgen)
    assert result["bodies"] == 2
    assert result["volume_mm3"] == pytest.approx(2000)
    assert any(f["code"] == "several_bodies" and f["severity"] == "warning" for f in result["dfm"])


def test_inside_out_and_inconsistent_winding_are_repaired(meshgen):
    cube = meshgen.box((10, 10, 10))
    inverted = _analyse(cube[:, ::-1], meshgen)
    assert inverted["volume_mm3"] == pytest.approx(1000)
    assert inverted["inverted_normals"] and inverted["watertight"]
    assert any("inside-out" in r for r in inverted["repairs"])
    mixed = cube.copy()
    mixed[:3] = mixed[:3, ::-1]
    repaired = _analyse(mixed, meshgen)
    assert repaired["volume_mm3"] == pytest.approx(1000)
    assert repaired["watertight"]
    assert any("Re-oriented 3 triangles" in r for r in repaired["repairs"])


def test_small_hole_duplicates_and_degenerates_are_repaired(meshgen):
    cube = meshgen.voxels(np.ones((2, 2, 2)), 5.0)
    damaged = np.concatenate([cube[1:], cube[1:2], [[[0, 0, 0], [0, 0, 0], [1, 1, 1]]]])
    vertices, faces = meshgen.indexed(damaged)
    text = "".join(f"v {x} {y} {z}\n" for x, y, z in vertices) + "".join(
        f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in faces
    )
    result = analyse(load_part(text.encode(), "damaged.obj", unit="mm")).to_dict()
    assert result["watertight"]
    assert result["volume_mm3"] == pytest.approx(1000)
    joined = " ".join(result["repairs"])
    assert "small holes" in joined and "duplicate" in joined and "degenerate" in joined


def test_thin_fin_is_a_small_feature(meshgen):
    block = meshgen.box((20, 20, 10))
    fin = meshgen.box((0.3, 10, 8), (20, 5, 1))
    result = _analyse(np.concatenate([block, fin]), meshgen, small_feature_mm=0.5)
    assert result["small_features"]["count"] >= 1
    assert result["small_features"]["area_mm2"] > 0
    assert any(f["code"] == "tiny_features" for f in result["dfm"])


def test_through_hole_sets_the_pull_direction_and_undercut(meshgen):
    occupied = np.ones((3, 1, 3), dtype=bool)
    occupied[1, 0, 1] = False  # a ring in XZ, hole along Y
    result = _analyse(meshgen.voxels(occupied, 10.0), meshgen)
    assert result["moulding"]["pull_direction"] == pytest.approx([0, 1, 0])
    assert result["undercut_area_mm2"] == 0
    assert result["projected_area_mm2"] == pytest.approx(800, rel=0.01)
    along_z = next(c for c in result["moulding"]["candidates"] if c["pull_direction"] == [0, 0, 1])
    assert along_z["undercut_area_mm2"] == pytest.approx(400, rel=0.05)  # the hole's four walls


def test_pocket_depth_ratio_and_sharp_inner_edges(meshgen):
    occupied = np.ones((5, 5, 3), dtype=bool)
    occupied[2, 2, 1:] = False  # a 10 x 10 x 20 mm pocket from the top
    cnc = _analyse(meshgen.voxels(occupied, 10.0), meshgen)["cnc"]
    assert cnc["deep_pocket_ratio"] == pytest.approx(2.0, rel=0.01)
    assert cnc["deep_pocket_depth_mm"] == pytest.approx(20, rel=0.01)
    assert cnc["sharp_inner_edges"] == 4
    assert cnc["sharp_inner_edge_length_mm"] == pytest.approx(80)
    assert cnc["setups"] == 2


def test_blind_side_hole_needs_a_setup_from_its_side(meshgen):
    occupied = np.ones((3, 3, 3), dtype=bool)
    occupied[1:, 1, 1] = False  # a blind hole entering from +X
    cnc = _analyse(meshgen.voxels(occupied, 10.0), meshgen)["cnc"]
    assert "+X" in cnc["setup_directions"]
    assert cnc["setups"] == 2
    assert cnc["inaccessible_area_mm2"] == 0
    assert cnc["deep_pocket_ratio"] == pytest.approx(2.0, rel=0.01)


def test_fits_tries_rotations_and_diagonals(meshgen):
    analysis = analyse(meshgen.part(meshgen.box((100, 50, 20))))
    ok, placed = fits(analysis, (60, 110, 30))
    assert ok
    assert np.all(
        np.array([*placed.footprint_mm, placed.height_mm]) <= np.array([60, 110, 30]) + 1e-9
    )
    assert fits(analysis, (40, 40, 200)) == (False, None)
    rod = analyse(meshgen.part(meshgen.box((50, 4, 4))))
    ok, placed = fits(rod, (40, 40, 10))
    assert ok
    assert abs(placed.rotation[0] @ [1, 0, 0]) < 0.99  # only diagonally
    part = meshgen.part(meshgen.box((50, 4, 4)))
    assert fits(part, (40, 40, 10))[0]


def test_deep_pocket_search_bounds_its_rays_without_changing_the_answer(meshgen, monkeypatch):
    """Floors after the worst pocket so far are measured only as far as could beat it."""
    occupied = np.ones((5, 5, 4), dtype=bool)
    occupied[1, 1, 1:] = False  # a 10 x 10 x 30 mm pocket from the top: depth / width 3
    occupied[3, 3, :1] = False  # a 10 x 10 x 10 mm pocket from below: depth / width 1
    part = meshgen.part(meshgen.voxels(occupied, 10.0))
    bounded = analyse(part).to_dict()["cnc"]
    reaches = []
    measure_width = dfm_geometry.floor_width

    def unbounded(surface, floors, up, across, reach=None):
        reaches.append(reach)
        return measure_width(surface, floors, up, across)

    monkeypatch.setattr(dfm_geometry, "floor_width", unbounded)
    assert analyse(part).to_dict()["cnc"] == bounded
    assert any(reach is not None for reach in reaches)  # a later direction was bounded
    assert bounded["deep_pocket_ratio"] == pytest.approx(3.0, rel=0.01)
    assert bounded["deep_pocket_depth_mm"] == pytest.approx(30, rel=0.01)
