"""Convex hull: exact for small point sets, within its stated tolerance for large ones."""

import numpy as np
import pytest
import trimesh
from scipy.spatial import ConvexHull

from odm_engine.mesh import hull as hull_module
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.hull import EXACT_HULL_POINTS, HULL_TOLERANCE, convex_hull
from odm_engine.mesh.loaders import load_part


def _bumpy_sphere_points(count: int) -> np.ndarray:
    """Points of a bumped sphere: most of them on or just inside the hull, like a fine mesh."""
    index = np.arange(count) + 0.5
    polar = np.arccos(1 - 2 * index / count)
    azimuth = np.pi * (1 + 5**0.5) * index
    direction = np.column_stack(
        [np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)]
    )
    x, y, z = direction.T
    radius = 40.0 * (1 + 0.1 * np.sin(6 * x) * np.sin(5 * y) * np.sin(4 * z))
    return direction * radius[:, None]


def test_small_point_sets_get_the_exact_hull():
    points = _bumpy_sphere_points(EXACT_HULL_POINTS // 2)
    hull = convex_hull(points)
    assert hull.tolerance == 0.0
    assert hull.volume == pytest.approx(ConvexHull(points).volume, rel=1e-12)


def test_large_point_sets_stay_within_the_tolerance():
    points = _bumpy_sphere_points(EXACT_HULL_POINTS + 10_000)
    exact = ConvexHull(points)
    hull = convex_hull(points)
    diagonal = np.linalg.norm(np.ptp(points, axis=0))
    assert hull.tolerance == HULL_TOLERANCE * diagonal
    assert len(hull.points) < len(exact.vertices)
    # Every point (it suffices to check the exact hull's vertices) within the tolerance of the
    # hull, plus qhull's own rounding, so the volume is low by at most tolerance times area.
    planes = ConvexHull(hull.points).equations
    extreme = points[exact.vertices]
    outside = max(
        float((chunk @ planes[:, :3].T + planes[:, 3]).max())
        for chunk in np.array_split(extreme, 16)
    )
    assert outside <= 1.01 * hull.tolerance
    assert 0.0 <= exact.volume - hull.volume <= hull.tolerance * hull.facet_areas.sum()


def test_ray_metrics_do_not_depend_on_the_hull_tolerance(monkeypatch):
    """Rays from faces on a toleranced hull are cast over the reach the tolerance leaves open."""
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=40.0)
    x, y, z = (sphere.vertices / 40.0).T
    sphere.vertices *= (1 + 0.1 * np.sin(6 * x) * np.sin(5 * y) * np.sin(4 * z))[:, None]
    part = load_part(sphere.export(file_type="stl"), "bumpy.stl", unit="mm")
    exact = analyse(part)
    monkeypatch.setattr(hull_module, "EXACT_HULL_POINTS", 1000)
    toleranced = analyse(part)
    assert toleranced.hull.tolerance > 0 and exact.hull.tolerance == 0
    for key in ("wall_thickness_mm", "min_gap_mm", "narrow_gap_area_mm2", "undercut_area_mm2"):
        assert toleranced[key] == exact[key], key
    assert toleranced["cnc"]["inaccessible_area_mm2"] == exact["cnc"]["inaccessible_area_mm2"]
    # Support columns start from the lowest hull point, which may sit up to the tolerance higher.
    assert toleranced["support_volume_mm3"] == pytest.approx(exact["support_volume_mm3"], rel=1e-4)
    assert toleranced["hull_volume_mm3"] == pytest.approx(exact["hull_volume_mm3"], rel=1e-3)
