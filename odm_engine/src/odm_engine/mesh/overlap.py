"""Overlapping bodies: how much of the summed volume and surface the union of the bodies keeps.

A file may hold solids that intersect (a 3MF of overlapping objects, an OBJ of two boxes pushed
into each other). Summing their shells counts the shared volume twice and the surfaces buried
inside another body as outside walls, while every slicer and every machine makes the union. Rays
cast along each axis on a regular grid are cut by the triangles into intervals; the winding
number (+1 entering a body, -1 leaving it) says how many bodies cover each interval. The union
keeps an interval once if any body covers it and keeps only the crossings where the winding
number leaves or reaches zero. The shares are ratios of grid sums, so they are exactly 1 when no
bodies overlap, whatever the grid, and the caller scales its exact volume and area by them.
"""

from dataclasses import dataclass

import numpy as np

# Rays per axis across the longest side of the part's projection (at most GRID**2 rays).
GRID = 128
# Grid points sit off the cell centres by unrelated irrational fractions on the two axes, so that
# rays miss the axis-aligned and diagonal edges of CAD parts drawn in round coordinates.
GRID_OFFSET = np.array([0.5 + 1 / (np.pi * 97), 0.5 - 1 / (np.e * 89)])


@dataclass(frozen=True)
class UnionShare:
    """Fractions of the summed shell volume and face area that belong to the bodies' union."""

    volume: float
    area: float


# What a mesh of one manifold shell has: it cannot overlap itself.
NO_OVERLAP = UnionShare(volume=1.0, area=1.0)


def union_share(vertices: np.ndarray, faces: np.ndarray, grid: int = GRID) -> UnionShare:
    """Union shares of a closed mesh with outward shells (voids wound inward)."""
    corners = vertices[faces]
    totals = np.zeros((2, 2))  # rows: summed, union; columns: volume, crossed area
    for axis in range(3):
        totals += _axis_totals(corners, axis, grid)
    summed, union = totals
    return UnionShare(
        volume=float(union[0] / summed[0]) if summed[0] > 0 else 1.0,
        area=float(union[1] / summed[1]) if summed[1] > 0 else 1.0,
    )


def _axis_totals(corners: np.ndarray, axis: int, grid: int) -> np.ndarray:
    """Summed and union (volume, crossed area) of the rays cast along ``axis``.

    Each crossing stands for one grid cell of surface projected across the ray, so crossing
    counts times the cell area add up the same way on every axis.
    """
    across = [(axis + 1) % 3, (axis + 2) % 3]
    plane, depth = corners[:, :, across], corners[:, :, axis]
    low = plane.min(axis=(0, 1))
    cell = float((plane.max(axis=(0, 1)) - low).max()) / grid
    if cell <= 0:
        return np.zeros((2, 2))
    rays, hit_depth, sign = _crossings(plane, depth, low, cell, grid)
    if not len(rays):
        return np.zeros((2, 2))
    order = np.lexsort((hit_depth, rays))
    rays, hit_depth, sign = rays[order], hit_depth[order], sign[order]
    starts = np.flatnonzero(np.r_[True, rays[1:] != rays[:-1]])
    sizes = np.diff(np.r_[starts, len(rays)])
    running = np.cumsum(sign)
    winding = running - np.repeat(running[starts] - sign[starts], sizes)
    # A ray grazing an edge may see one crossing too many: such rays are left out of both sums.
    balanced = np.repeat(winding[starts + sizes - 1] == 0, sizes)
    gaps = np.diff(hit_depth, append=hit_depth[-1])
    gaps[starts[1:] - 1] = 0.0
    gaps = np.where(balanced, gaps, 0.0)
    inside = winding > 0
    boundary = inside != (winding - sign > 0)
    area = cell * cell
    return np.array(
        [
            [float(np.sum(winding * gaps)) * area, np.count_nonzero(balanced) * area],
            [
                float(np.sum(np.where(inside, gaps, 0.0))) * area,
                np.count_nonzero(boundary & balanced) * area,
            ],
        ]
    )


def _crossings(plane, depth, low, cell, grid):
    """Every (ray, depth, sign) where a grid ray crosses a triangle's projection."""
    p, q = plane[:, :, 0], plane[:, :, 1]
    doubled_area = (p[:, 1] - p[:, 0]) * (q[:, 2] - q[:, 0]) - (p[:, 2] - p[:, 0]) * (
        q[:, 1] - q[:, 0]
    )
    # First and last grid index inside each triangle's projected bounding box.
    first = np.ceil((plane.min(axis=1) - low) / cell - GRID_OFFSET).astype(np.int64)
    last = np.floor((plane.max(axis=1) - low) / cell - GRID_OFFSET).astype(np.int64)
    first, last = np.maximum(first, 0), np.minimum(last, grid)
    spans = np.maximum(last - first + 1, 0)
    counts = spans[:, 0] * spans[:, 1]
    counts[doubled_area == 0] = 0
    triangle = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(len(triangle)) - np.repeat(np.cumsum(counts) - counts, counts)
    width = spans[triangle, 1]
    column = first[triangle, 0] + local // width
    row = first[triangle, 1] + local % width
    point_p = low[0] + (column + GRID_OFFSET[0]) * cell
    point_q = low[1] + (row + GRID_OFFSET[1]) * cell
    # Edge components per triangle, gathered per candidate point (a candidate is one grid point
    # in one triangle's box, many per triangle): the same numbers as computed per candidate.
    p_side, q_side = p[:, 1:] - p[:, :1], q[:, 1:] - q[:, :1]
    dp = point_p - np.take(p[:, 0], triangle)
    dq = point_q - np.take(q[:, 0], triangle)
    twice = np.take(doubled_area, triangle)
    first_weight = (
        dp * np.take(q_side[:, 1], triangle) - np.take(p_side[:, 1], triangle) * dq
    ) / twice
    second_weight = (
        np.take(p_side[:, 0], triangle) * dq - dp * np.take(q_side[:, 0], triangle)
    ) / twice
    hit = np.flatnonzero(
        (first_weight >= 0) & (second_weight >= 0) & (first_weight + second_weight <= 1)
    )
    # Depth and sign only where the ray crosses the triangle.
    triangle, first_weight, second_weight = triangle[hit], first_weight[hit], second_weight[hit]
    depth_side = depth[:, 1:] - depth[:, :1]
    hit_depth = (
        np.take(depth[:, 0], triangle)
        + first_weight * np.take(depth_side[:, 0], triangle)
        + second_weight * np.take(depth_side[:, 1], triangle)
    )
    rays = column[hit] * (grid + 1) + row[hit]
    # Entering a body where the outward normal points against the ray: +1; leaving: -1.
    sign = np.where(twice[hit] < 0, 1, -1)
    return rays, hit_depth, sign


def build_surfaces(
    normals: np.ndarray, areas: np.ndarray, up: np.ndarray, share: float
) -> dict[str, float]:
    """Union surface facing up or down (skin area) and standing (wall area) for a build direction.

    A face of area A whose normal makes the angle t with ``up`` adds A·|cos t| to the area that
    layers cover with top or bottom skins and A·sin t to the wall area that perimeters trace
    (contour length times layer height, summed over layers). ``share`` is the union's area share.
    """
    cosine = normals @ np.asarray(up, dtype=float)
    skins = float(np.sum(areas * np.abs(cosine)))
    walls = float(np.sum(areas * np.sqrt(np.clip(1.0 - cosine * cosine, 0.0, None))))
    return {"skin_area_mm2": skins * share, "wall_area_mm2": walls * share}
