"""The SLA layer table's section areas and support geometry, pinned against plain sectioning.

``sla_layers.section_areas`` is vectorised for speed (the table is built on every upload);
these figures hold it to an independent reckoning, so a faster version that changes the table
fails here.
"""

import numpy as np
import pytest
import trimesh

from odm_engine.slicing import sla_layers


def _tilted(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """The mesh turned off every axis: its triangles' corners come in every height order."""
    turned = mesh.copy()
    turned.apply_transform(trimesh.transformations.euler_matrix(0.3, 0.7, 0.2))
    turned.apply_translation([0.0, 0.0, -turned.bounds[0][2]])
    return turned


def _plane_by_plane(mesh: trimesh.Trimesh, levels: np.ndarray) -> np.ndarray:
    """The section areas the plain way: per level, the segment each crossing triangle leaves,
    oriented with the material on its left (along z x n), summed by the shoelace formula."""
    corners = mesh.vertices[mesh.faces]
    along = np.stack([-mesh.face_normals[:, 1], mesh.face_normals[:, 0]], axis=1)
    areas = []
    for level in levels:
        below = corners[:, :, 2] < level
        crossing = below.any(axis=1) & ~below.all(axis=1)
        ends = []
        for first, second in ((0, 1), (1, 2), (2, 0)):
            a, b = corners[crossing, first], corners[crossing, second]
            cut = below[crossing, first] != below[crossing, second]
            share = (level - a[:, 2]) / np.where(cut, b[:, 2] - a[:, 2], 1.0)
            ends.append((a[:, :2] + share[:, None] * (b[:, :2] - a[:, :2]), cut))
        points = [np.where(cut[:, None], point, np.nan) for point, cut in ends]
        stacked = np.stack(points, axis=1)
        start, end = (np.array([row[~np.isnan(row[:, 0])][i] for row in stacked]) for i in (0, 1))
        flip = np.einsum("ij,ij->i", end - start, along[crossing]) < 0
        start[flip], end[flip] = end[flip], start[flip].copy()
        areas.append(float(np.sum(start[:, 0] * end[:, 1] - start[:, 1] * end[:, 0])) / 2)
    return np.array(areas)


@pytest.mark.parametrize(
    "mesh",
    [
        # Small triangles, each crossing a few levels.
        trimesh.creation.icosphere(subdivisions=4, radius=20),
        # Large triangles crossing hundreds of levels (the cumulative sum), and a hole.
        trimesh.creation.annulus(r_min=10, r_max=25, height=30, sections=24),
    ],
    ids=["fine_sphere", "coarse_ring"],
)
def test_section_areas_match_a_plane_by_plane_sectioning(mesh):
    turned = _tilted(mesh)
    levels = (np.arange(int(turned.bounds[1][2] / 0.05)) + 0.5) * 0.05
    areas = sla_layers.section_areas(turned.vertices, turned.faces, levels)
    probe = np.linspace(0, len(levels) - 1, 40).astype(int)
    assert areas[probe] == pytest.approx(_plane_by_plane(turned, levels[probe]), rel=1e-9, abs=1e-9)


def test_section_areas_do_not_depend_on_the_chunking(monkeypatch):
    sphere = _tilted(trimesh.creation.icosphere(subdivisions=3, radius=10))
    levels = (np.arange(400) + 0.5) * 0.05
    whole = sla_layers.section_areas(sphere.vertices, sphere.faces, levels)
    monkeypatch.setattr(sla_layers, "SECTION_CHUNK_FACES", 97)
    chunked = sla_layers.section_areas(sphere.vertices, sphere.faces, levels)
    assert chunked == pytest.approx(whole, rel=1e-12, abs=1e-9)


def test_table_from_the_meshs_normals_is_the_table_from_its_corners():
    """The analysis passes the cleaned mesh's unit normals and areas instead of recomputing
    them: the table is the same but for float noise."""
    ring = trimesh.creation.annulus(r_min=30, r_max=40, height=12)
    rotation = trimesh.transformations.euler_matrix(0.2, 0.1, 0.0)[:3, :3]
    computed = sla_layers.layer_table(ring.vertices, ring.faces, rotation)
    reused = sla_layers.layer_table(
        ring.vertices,
        ring.faces,
        rotation,
        face_normals=(ring.face_normals, ring.area_faces),
    )
    assert reused["areas"] == computed["areas"] is not None
    assert reused["part_ml"] == pytest.approx(computed["part_ml"], rel=1e-12)
    assert reused["part_ml"] == pytest.approx(ring.volume / 1000, rel=1e-9)
    assert reused["supports"]["islands"] == computed["supports"]["islands"]
    for key in ("hopeless_mm2", "sloped_mm2", "others_z_mm", "down_outline", "part_outline"):
        assert reused["supports"][key] == pytest.approx(computed["supports"][key], rel=1e-9), key
    reused_footprint, computed_footprint = (
        sla_layers.Footprint.from_dict(table["supports"]["footprint"])
        for table in (reused, computed)
    )
    assert (reused_footprint.held == computed_footprint.held).all()
    assert np.allclose(
        reused_footprint.sloped_z, computed_footprint.sloped_z, atol=0.05, equal_nan=True
    )
