"""Build orientation for additive processes: overhangs, support volume, best orientation, fit.

A surface needs support when it leans more than ``overhang_angle_deg`` from vertical, i.e. when
its outward normal points down with ``-n.up > sin(angle)``; faces lying on the build plate do
not. The overhang *area* is exact over all triangles. The support *volume* integrates, over
area-weighted surface samples on overhangs, the projected area times the height of the column
under each sample, which ends on the plate or on the part below (found by a ray cast downward),
so material under a bridge is not counted twice.

Candidate orientations are the six axis directions, the six oriented-box directions and "lay the
largest flat faces on the plate"; the best minimises support relative to the part volume plus
``height_weight`` times the height relative to the part diagonal. ``fits`` checks a build
envelope over candidate orientations and rotations about the vertical.
"""

from dataclasses import dataclass, replace

import numpy as np

from odm_engine.mesh.hull import (
    Box,
    Hull,
    convex_hull,
    dominant_directions,
    min_area_rectangle,
    minimal_box,
    orthonormal_frame,
    search_subset,
    turned_frame,
)
from odm_engine.mesh.raycast import extents_along
from odm_engine.mesh.surface import Surface

DEFAULT_OVERHANG_ANGLE_DEG = 45.0
DEFAULT_HEIGHT_WEIGHT = 0.25
# Faces within this angle of facing straight down and touching the plate rest on it.
_PLATE_COS = np.cos(np.radians(1.0))
FLAT_FACE_CANDIDATES = 6
# Candidate directions closer than ~2.5 degrees are one candidate (the first listed is kept).
SAME_DIRECTION_COS = 0.999
_FIT_ANGLES = np.radians(np.arange(0.0, 180.0, 1.0))


@dataclass(frozen=True)
class Orientation:
    """How to place the part: ``rotation`` maps part coordinates to machine coordinates.

    In machine coordinates +Z is the build direction and the footprint's minimal rectangle is
    aligned with X (longer side) and Y.
    """

    rotation: np.ndarray
    height_mm: float
    footprint_mm: np.ndarray
    support_volume_mm3: float | None = None
    overhang_area_mm2: float | None = None

    @property
    def build_direction(self) -> np.ndarray:
        return self.rotation[2]

    def to_dict(self) -> dict:
        return {
            "rotation": np.round(self.rotation, 9).tolist(),
            "build_direction": np.round(self.build_direction, 9).tolist(),
            "height_mm": self.height_mm,
            "footprint_mm": self.footprint_mm.tolist(),
            "support_volume_mm3": self.support_volume_mm3,
            "overhang_area_mm2": self.overhang_area_mm2,
        }


def placement(points: np.ndarray, up: np.ndarray) -> Orientation:
    """Rotation standing the part on ``up`` with its footprint's minimal rectangle on X/Y."""
    frame = orthonormal_frame(up)
    angle, _ = min_area_rectangle(search_subset(points) @ frame[:2].T)
    turned = turned_frame(frame, angle)
    x_axis, y_axis = turned[0], turned[1]
    width, depth, height = extents_along(points, turned)
    if width < depth:
        x_axis, y_axis, width, depth = y_axis, -x_axis, depth, width
    rotation = np.array([x_axis, y_axis, frame[2]])
    return Orientation(rotation, float(height), np.array([width, depth]))


def overhang_areas(surface: Surface, ups: np.ndarray, angle_deg: float) -> np.ndarray:
    """Exact area needing support for each candidate up direction.

    float32 dot products one direction at a time on contiguous normal components (a (faces, ups)
    matrix would be read column by column, once per direction).
    """
    threshold = np.float32(np.sin(np.radians(angle_deg)))
    plate = np.float32(_PLATE_COS)
    normals = surface.normals32
    areas = surface.areas
    result = np.zeros(len(ups))
    for k, up in enumerate(ups):
        u = up.astype(np.float32)
        downward = normals[0] * -u[0]
        downward -= normals[1] * u[1]
        downward -= normals[2] * u[2]
        overhang = downward > threshold
        result[k] = float(areas[overhang].sum(dtype=np.float64))
        resting = np.flatnonzero(downward > plate)
        if resting.size:
            bottom, _ = surface.heights(up)
            centres = surface.vertices[surface.faces[resting]].mean(axis=1)
            on_plate = centres @ up - bottom <= plate_tolerance(surface)
            result[k] -= float(surface.areas[resting[on_plate]].sum())
    return np.maximum(result, 0.0)


def plate_tolerance(surface: Surface) -> float:
    return 1e-5 * surface.diagonal + 1e-4


def support_volumes(surface: Surface, ups: np.ndarray, angle_deg: float) -> np.ndarray:
    """Support material under the overhangs for each up direction, from one batch of rays."""
    samples = surface.samples
    threshold = np.sin(np.radians(angle_deg))
    downward = -(samples.normals @ ups.T)
    bottoms = np.array([surface.heights(up)[0] for up in ups])
    above_plate = samples.points @ ups.T - bottoms
    needs = (downward > threshold) & (above_plate > plate_tolerance(surface))
    column = np.where(needs, above_plate, 0.0)
    # A column ends on the part below if a ray cast downward meets it first (one batch for all
    # ups); under a sample on the hull's boundary only a short reach can hold anything.
    reach = np.minimum(above_plate, samples.reach(downward))
    rows, which = np.nonzero(needs & (reach > samples.ray_start))
    if rows.size:
        distance, _ = surface.grid.first_hit(
            samples.points[rows], -ups[which], samples.faces[rows], t_max=reach[rows, which]
        )
        column[rows, which] = np.minimum(distance, above_plate[rows, which])
    return samples.area_each * np.einsum("ij,ij->j", np.where(needs, downward, 0.0), column)


def candidate_ups(surface: Surface, box: Box) -> np.ndarray:
    """Axis and oriented-box directions, and "largest flat faces down"."""
    flat = -dominant_directions(surface.normals, surface.areas, FLAT_FACE_CANDIDATES)
    axes = np.vstack([np.eye(3), -np.eye(3), box.axes, -box.axes, flat])
    return distinct_directions(axes / np.linalg.norm(axes, axis=1, keepdims=True))


def distinct_directions(directions: np.ndarray, both_ways: bool = True) -> np.ndarray:
    """Directions without repeats (``both_ways=False``: lines, so d and -d are the same)."""
    kept = [directions[0]]
    for direction in directions[1:]:
        cosines = np.asarray(kept) @ direction
        if np.max(cosines if both_ways else np.abs(cosines)) < SAME_DIRECTION_COS:
            kept.append(direction)
    return np.asarray(kept)


def evaluate(surface: Surface, ups: np.ndarray, angle_deg: float) -> list[Orientation]:
    overhangs = overhang_areas(surface, ups, angle_deg)
    supports = support_volumes(surface, ups, angle_deg)
    return [
        replace(
            placement(surface.hull.points, up),
            support_volume_mm3=float(support),
            overhang_area_mm2=float(overhang),
        )
        for up, overhang, support in zip(ups, overhangs, supports, strict=True)
    ]


def pick_best(
    candidates: list[Orientation],
    volume_mm3: float,
    diagonal_mm: float,
    height_weight: float = DEFAULT_HEIGHT_WEIGHT,
) -> Orientation:
    """The candidate with the least support (relative to the part) and height (relative to size)."""
    scores = [
        c.support_volume_mm3 / volume_mm3 + height_weight * c.height_mm / diagonal_mm
        for c in candidates
    ]
    return candidates[int(np.argmin(scores))]


def fits(analysis_or_part, build_xyz_mm, margin_mm: float = 0.0) -> tuple[bool, Orientation | None]:
    """Whether the part fits a build envelope (X, Y, Z in mm), and an orientation that does.

    Tries the analysis' best orientation first, then the axis and oriented-box directions, each
    with rotations about the vertical (rectangle-aligned and every degree).
    """
    hull, preferred = _hull_of(analysis_or_part)
    # Extents measured on a toleranced hull may fall short by its tolerance at either end.
    envelope = np.asarray(build_xyz_mm, dtype=float) - 2 * (margin_mm + hull.tolerance)
    if preferred is not None:
        placed = _placed_within(preferred, envelope)
        if placed is not None:
            return True, placed
    box = minimal_box(hull)
    ups = distinct_directions(np.vstack([box.axes, -box.axes, np.eye(3), -np.eye(3)]))
    for up in ups:
        frame = orthonormal_frame(up)
        if np.ptp(hull.points @ frame[2]) > envelope[2]:
            continue
        angle, _ = min_area_rectangle(search_subset(hull.points) @ frame[:2].T)
        for theta in np.concatenate(([angle, angle + np.pi / 2], _FIT_ANGLES)):
            rotation = turned_frame(frame, theta)
            extents = extents_along(hull.points, rotation)
            if np.all(extents <= envelope):
                return True, Orientation(rotation, float(extents[2]), extents[:2])
    return False, None


def _placed_within(orientation: Orientation, envelope: np.ndarray) -> Orientation | None:
    """The orientation, turned a quarter about Z if that is what makes it fit, or None."""
    width, depth = orientation.footprint_mm
    if orientation.height_mm > envelope[2]:
        return None
    if width <= envelope[0] and depth <= envelope[1]:
        return orientation
    if width <= envelope[1] and depth <= envelope[0]:
        x_axis, y_axis, up = orientation.rotation
        return Orientation(
            np.array([y_axis, -x_axis, up]),
            orientation.height_mm,
            np.array([depth, width]),
            orientation.support_volume_mm3,
            orientation.overhang_area_mm2,
        )
    return None


def _hull_of(analysis_or_part) -> tuple[Hull, Orientation | None]:
    hull = getattr(analysis_or_part, "hull", None)
    if hull is not None:
        return hull, analysis_or_part.best_orientation
    return convex_hull(analysis_or_part.vertices), None
