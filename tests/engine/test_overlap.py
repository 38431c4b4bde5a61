"""Union of overlapping bodies and the surfaces an FDM print covers with skins and walls."""

import time
from pathlib import Path

import numpy as np
import pytest

from odm_engine.mesh.loaders import load_part
from odm_engine.mesh.overlap import NO_OVERLAP, build_surfaces, union_share
from odm_engine.mesh.repair import clean_mesh

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "meshes"


def boxes(meshgen, *corners, voids=()):
    """Axis-aligned boxes given as (low, high) corners, in one triangle list; ``voids`` lists
    the indices of boxes wound inward, as cavities."""
    triangles = []
    for index, (low, high) in enumerate(corners):
        solid = meshgen.box(np.subtract(high, low), low)
        triangles.append(solid[:, ::-1] if index in voids else solid)
    return meshgen.indexed(np.vstack(triangles))


@pytest.mark.parametrize(
    ("corners", "voids"),
    [
        ([((0, 0, 0), (20, 20, 20))], ()),
        ([((0, 0, 0), (10, 10, 10)), ((20, 0, 0), (30, 10, 10))], ()),
        ([((0, 0, 0), (10, 10, 10)), ((10, 0, 0), (20, 10, 10))], ()),
        ([((0, 0, 0), (10, 10, 10)), ((2, 2, 2), (8, 8, 8))], (1,)),
    ],
    ids=["one box", "apart", "touching", "with a cavity"],
)
def test_bodies_that_do_not_overlap_keep_everything_exactly(meshgen, corners, voids):
    assert union_share(*boxes(meshgen, *corners, voids=voids)) == NO_OVERLAP


def test_overlapping_boxes_count_the_shared_volume_and_buried_faces_once(meshgen):
    share = union_share(*boxes(meshgen, ((0, 0, 0), (10, 10, 10)), ((5, 0, 0), (15, 10, 10))))
    # Union: a 15 x 10 x 10 box, 1500 of 2000 mm³ and 800 of 1200 mm² of surface.
    assert share.volume == pytest.approx(0.75, abs=0.005)
    assert share.area == pytest.approx(800 / 1200, abs=0.005)


def test_a_body_inside_another_adds_nothing(meshgen):
    share = union_share(*boxes(meshgen, ((0, 0, 0), (10, 10, 10)), ((3, 3, 3), (5, 5, 5))))
    assert share.volume == pytest.approx(1000 / 1008, abs=0.002)
    assert share.area == pytest.approx(600 / 624, abs=0.005)


def test_build_surfaces_split_a_box_into_skins_and_walls(meshgen):
    corners = meshgen.box((10, 20, 30))
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    areas = np.linalg.norm(normals, axis=1) / 2
    normals /= (2 * areas)[:, None]
    standing = build_surfaces(normals, areas, (0, 0, 1), 1.0)
    assert standing["skin_area_mm2"] == pytest.approx(2 * 10 * 20)
    assert standing["wall_area_mm2"] == pytest.approx(2 * (10 + 20) * 30)
    # Tilted 45° about X: the 20 x 30 sides stay walls; the rest is half skin, half wall.
    tilted = build_surfaces(normals, areas, (0, np.sqrt(0.5), np.sqrt(0.5)), 0.5)
    half = (2 * 10 * 20 + 2 * 10 * 30) * np.sqrt(0.5)
    assert tilted["skin_area_mm2"] == pytest.approx(half * 0.5)
    assert tilted["wall_area_mm2"] == pytest.approx((half + 2 * 20 * 30) * 0.5)


def test_corpus_part_of_two_overlapping_objects_is_fast_and_measured_once():
    path = CORPUS / "two_objects.obj"
    if not path.is_file():
        pytest.skip(f"shared mesh corpus not found at {CORPUS}")
    part = load_part(path)
    mesh = clean_mesh(part.vertices, part.faces, part.indexed)
    started = time.perf_counter()
    share = union_share(mesh.vertices, mesh.faces)
    elapsed = time.perf_counter() - started
    # A unit cube and a tetrahedron of 1/6 inside it: the union is the cube.
    assert share.volume == pytest.approx(1 / (1 + 1 / 6), abs=0.005)
    assert elapsed < 1.0
