"""Convex hull and minimal oriented bounding box.

A mesh whose every edge is convex *is* its own hull (common for turned and simple prismatic
parts, and the worst case for qhull); otherwise qhull runs on the welded vertices. Up to
``EXACT_HULL_POINTS`` of them the hull is exact. Beyond that, a curved part can have a hull with a
hundred thousand vertices (a finely meshed bumpy sphere of a million triangles: 160,000, a second
of qhull), so qhull only adds points more than ``HULL_TOLERANCE`` of the diagonal outside the hull
built so far (its ``W`` option): every vertex of the part then lies within ``Hull.tolerance`` of
the hull, whose volume is low by at most that times its area (measured on that sphere: 3.7e-4 of
the volume, 8,200 vertices, a fifth of the time). Extents and heights taken from the hull's
points are then short by at most the tolerance (15 um on that 146 mm sphere). No pre-filter of
interior points (Akl-Toussaint) is applied: qhull discards them about as fast as any numpy test
of them could, and with ``W`` the hull qhull returns depends on which interior points it was
given (on that sphere, given only the exact hull's vertices it returns 8,258 vertices instead
of 8,199 and a volume 5e-7 lower), so a filter would change the reported hull. Even a filter
that keeps every point outside a polytope inscribed in the extreme points in 26 directions
changes it (8,232 vertices), while sparing qhull only 7 % of the points (on a surface mesh
almost every vertex lies outside such a polytope). Only points inside qhull's own first simplex
are dropped by it without effect on the rest, and a surface mesh has hardly any. A coarser
tolerance buys little: ten times ``HULL_TOLERANCE`` still costs two thirds of the time, most of
it qhull's partitioning of the half a million points.

The oriented box searches candidate axes (hull facet normals weighted by area, principal axes,
world axes), fits the minimal-area rectangle of the projection by rotating calipers, keeps the
smallest volume, and measures the final extents on *all* hull points (plus the hull's tolerance)
so the box always contains the part even when the search ran on a subset.
"""

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.raycast import bounds, extents_along

# Larger point sets get a hull to within HULL_TOLERANCE of the diagonal (module doc).
EXACT_HULL_POINTS = 50_000
HULL_TOLERANCE = 1e-4
# Bounded work for the box search: at most this many points and candidate axes.
SEARCH_POINTS = 4000
SEARCH_AXES = 24
_DIRECTION_BINS = 50


@dataclass(frozen=True)
class Hull:
    points: np.ndarray  # hull vertices (all vertices when the mesh is convex)
    volume: float
    facet_normals: np.ndarray  # unit normals of hull facets (or mesh faces)
    facet_areas: np.ndarray
    # Triangles of the hull as indices into the points it was computed from (None: the hull is
    # the mesh itself, every face of which lies on it).
    simplices: np.ndarray | None = None
    # Points of the part may lie up to this far outside the hull (mm; 0: the hull is exact).
    tolerance: float = 0.0


@dataclass(frozen=True)
class Box:
    axes: np.ndarray  # (3, 3), rows are the box axes, longest first
    extents: np.ndarray  # (3,), along ``axes``, descending

    @property
    def volume(self) -> float:
        return float(np.prod(self.extents))


def convex_hull(
    vertices: np.ndarray, vertex_bounds: tuple[np.ndarray, np.ndarray] | None = None
) -> Hull:
    """Convex hull of all vertices: exact, or within ``HULL_TOLERANCE`` for large point sets.

    ``vertex_bounds``: (low, high) of the vertices, when the caller has them.
    """
    tolerance = 0.0
    if len(vertices) > EXACT_HULL_POINTS:
        low, high = bounds(vertices) if vertex_bounds is None else vertex_bounds
        tolerance = HULL_TOLERANCE * float(np.linalg.norm(high - low))
    # Q5 skips qhull's closing pass over every point, which only sharpens its outer-plane report.
    options = f"Q5 W{tolerance:.6g}" if tolerance else "Q5"
    try:
        hull = ConvexHull(vertices, qhull_options=options)
    except QhullError as exc:
        raise MeshError(errors.FLAT, "The part is flat: all its points lie in one plane.") from exc
    corners = vertices[hull.simplices]
    areas = 0.5 * np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    return Hull(
        vertices[hull.vertices],
        float(hull.volume),
        hull.equations[:, :3],
        areas,
        hull.simplices,
        tolerance,
    )


def convex_mesh_hull(
    vertices: np.ndarray, normals: np.ndarray, areas: np.ndarray, volume: float
) -> Hull:
    """Hull of a mesh already known to be convex: the mesh itself."""
    return Hull(vertices, volume, normals, areas)


def supporting_faces(
    hull: Hull,
    vertices: np.ndarray,
    faces: np.ndarray,
    normals: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Which of the given faces lie in a supporting plane of the hull (on its boundary).

    A plane through a hull vertex is supporting iff no hull neighbour of that vertex rises above
    it (local support is global support on a convex polytope). A face passes if the plane through
    one of its corners along its normal is supporting within ``tolerance``; nothing of the hull
    is then further than ``tolerance`` beyond the face's plane. Faces whose corners qhull did not
    keep as vertices simply fail, which only costs the caller a ray. (The part itself may rise
    above such a plane by ``hull.tolerance`` more.)
    """
    if hull.simplices is None:
        return np.ones(len(faces), dtype=bool)
    simplices = hull.simplices
    wanted = np.zeros(len(vertices), dtype=bool)
    wanted[faces.ravel()] = True
    incident = simplices[wanted[simplices].any(axis=1)]
    centre = np.concatenate([incident[:, k] for k in range(3)] * 2)
    other = np.concatenate(
        [incident[:, (k + 1) % 3] for k in range(3)] + [incident[:, (k + 2) % 3] for k in range(3)]
    )
    own = wanted[centre]
    centre, other = centre[own], other[own]
    order = np.argsort(centre, kind="stable")
    centre, other = centre[order], other[order]
    corner = faces.ravel()
    begin = np.searchsorted(centre, corner, side="left")
    end = np.searchsorted(centre, corner, side="right")
    sizes = end - begin
    onto = np.repeat(np.arange(len(corner)), sizes)
    slots = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes) + begin[onto]
    normal = normals[onto // 3]
    rise = np.einsum("ij,ij->i", normal, vertices[other[slots]] - vertices[corner[onto]])
    worst = np.full(len(corner), np.inf)
    if len(onto):
        starts = np.flatnonzero(np.concatenate(([True], onto[1:] != onto[:-1])))
        worst[onto[starts]] = np.maximum.reduceat(rise, starts)
    return (worst.reshape(-1, 3) <= tolerance).any(axis=1)


def orthonormal_frame(axis: np.ndarray) -> np.ndarray:
    """Rows (u, v, axis): a right-handed frame whose third axis is ``axis``."""
    axis = axis / np.linalg.norm(axis)
    helper = np.eye(3)[np.argmin(np.abs(axis))]
    u = np.cross(helper, axis)
    u /= np.linalg.norm(u)
    return np.array([u, np.cross(axis, u), axis])


def turned_frame(frame: np.ndarray, angle: float) -> np.ndarray:
    """The frame's rows (u, v, axis) with u and v turned by ``angle`` (radians) about its axis."""
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([cos * frame[0] + sin * frame[1], -sin * frame[0] + cos * frame[1], frame[2]])


def min_area_rectangle(points_2d: np.ndarray) -> tuple[float, np.ndarray]:
    """Angle (radians) and (width, height) of the smallest rectangle around 2D points."""
    try:
        polygon = points_2d[ConvexHull(points_2d).vertices]
    except (QhullError, ValueError):
        return 0.0, np.ptp(points_2d, axis=0)
    edges = np.roll(polygon, -1, axis=0) - polygon
    angles = np.unique(np.round(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2), 12))
    cos, sin = np.cos(angles), np.sin(angles)
    along = polygon @ np.vstack([cos, sin])
    across = polygon @ np.vstack([-sin, cos])
    widths, heights = np.ptp(along, axis=0), np.ptp(across, axis=0)
    best = int(np.argmin(widths * heights))
    return float(angles[best]), np.array([widths[best], heights[best]])


def search_subset(points: np.ndarray) -> np.ndarray:
    """An evenly strided subset for orientation searches; results are re-measured on all."""
    return points[:: max(1, len(points) // SEARCH_POINTS)]


def minimal_box(hull: Hull) -> Box:
    """Smallest-volume oriented box found among candidate axes; always encloses the part.

    (A toleranced hull may miss the part by its tolerance on each side: the box adds it.)
    """
    points = hull.points
    search = search_subset(points)
    best_volume, best_axes = np.inf, np.eye(3)
    for axis in candidate_axes(hull, search):
        frame = orthonormal_frame(axis)
        projected = search @ frame.T
        angle, _ = min_area_rectangle(projected[:, :2])
        axes = turned_frame(frame, angle)
        volume = float(np.prod(np.ptp(search @ axes.T, axis=0)))
        if volume < best_volume:
            best_volume, best_axes = volume, axes
    extents = extents_along(points, best_axes) + 2 * hull.tolerance
    order = np.argsort(-extents)
    return Box(best_axes[order], extents[order])


def dominant_directions(normals: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` unit directions carrying most weight, normals binned to 0.02 per component.

    A bincount over a fixed grid of direction bins: linear time, no sort of a million normals.
    """
    bins = 2 * _DIRECTION_BINS + 1
    index = np.rint(normals * _DIRECTION_BINS).astype(np.int64) + _DIRECTION_BINS
    keys = (index[:, 0] * bins + index[:, 1]) * bins + index[:, 2]
    totals = np.bincount(keys, weights=weights, minlength=bins**3)
    occupied = np.flatnonzero(totals > 0)  # usually a few thousand of the million bins
    top = occupied[np.argsort(-totals[occupied], kind="stable")[:count]]
    centres = np.column_stack([top // bins**2, (top // bins) % bins, top % bins]) - _DIRECTION_BINS
    lengths = np.linalg.norm(centres, axis=1)
    return centres[lengths > 0] / lengths[lengths > 0, None]


def candidate_axes(hull: Hull, search: np.ndarray) -> np.ndarray:
    """World axes, principal axes and the normals of the largest hull facet groups."""
    facet_axes = dominant_directions(hull.facet_normals, hull.facet_areas, SEARCH_AXES)
    centred = search - search.mean(axis=0)
    principal = np.linalg.svd(centred, full_matrices=False)[2] if len(search) > 3 else np.eye(3)
    axes = np.vstack([np.eye(3), principal, facet_axes])
    axes = axes / np.linalg.norm(axes, axis=1, keepdims=True)
    distinct = [axes[0]]
    for axis in axes[1:]:
        if np.max(np.abs(np.asarray(distinct) @ axis)) < 0.9999:
            distinct.append(axis)
    return np.asarray(distinct)
