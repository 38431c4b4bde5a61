"""2D nesting of part footprints on build plates (FDM, SLA): bottom-left fill with no-fit polygons.

A footprint is the convex hull of the part projected on the plate in its build orientation (mm);
any outline given is replaced by its convex hull, so parts are never placed inside one another's
concavities. ``nest(items, plate)`` places every copy of every item, largest footprint first, on
the first plate where it fits, opening plates as needed, and returns the placements, each plate's
utilisation and the items that fit no plate with the reason.

Placing one copy: for each allowed rotation the feasible positions of the rotated footprint are
the inner-fit rectangle of the usable plate minus the interiors of the no-fit polygons (NFP) of
the parts already there. For convex polygons the NFP is the Minkowski sum ``A + (-B)``, computed
exactly by merging edges by angle; spacing is honoured by first growing both outlines by an
octagon whose sides touch the circle of radius ``spacing / 2`` (a slight excess at the octagon's
corners only, never less than the spacing). The bottom-left position (lowest, then leftmost) of
that region lies on a vertex of it: a corner of the rectangle, an NFP vertex, or a crossing of
two NFP edges or of an NFP edge and the rectangle, so those candidates are generated, ordered and
tested until the first free one; all rotations are searched at once and the lowest, then
leftmost, position wins (ties: the earlier rotation). Edges lying inside another NFP (both ends
inside one convex polygon) are dropped before the crossings are computed, which keeps the work
near the free region. Outlines with more than ``MAX_VERTICES`` corners are packed as an enclosing
polygon with that many (dropping the edges that add least area: typically 1-2 % more area, never
an overlap); placements and utilisation use the real outline.

Limits: parts never go into one another's concavities (convex hulls), the bottom-left rule is
greedy (no search over orders), and a plate refusing a part is asked again by every smaller part.

A placement ``(x, y, rotation_deg)`` maps a point ``p`` of the item's outline, as given, to
``R(rotation_deg) @ p + (x, y)`` on the plate, whose usable area starts at ``(margin, margin)``.
Utilisation is the sum of the real footprint areas over the usable area
``(width - 2 margin) * (depth - 2 margin)``.

Helpers turn parts into footprints: ``footprint_along`` (mesh vertices and an up direction),
``footprint_in`` (vertices and the rotation odm_quote's orientation gives) and
``footprint_from_analysis`` (a stored analysis, which keeps the footprint's minimal rectangle and
not the hull: a rectangle).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from odm_engine.mesh.hull import orthonormal_frame

# Lengths closer than this (mm) are equal: parts may touch, never overlap by more.
TOLERANCE_MM = 1e-6
# Candidate positions tested against the no-fit polygons at once.
_CHUNK = 512
# Outlines with more corners are replaced by an enclosing polygon with this many (bounded work).
MAX_VERTICES = 16
# The spacing octagon adds up to eight edges to an outline.
_PADDED_EDGES = MAX_VERTICES + 8
_OCTAGON_ANGLES = np.radians(np.arange(22.5, 360.0, 45.0))


class PackingError(ValueError):
    """An item, plate or chamber that cannot be packed as given; the message says why."""


@dataclass(frozen=True)
class NestItem:
    """A footprint (convex outline, mm, any winding) and how many copies to place."""

    key: Any
    outline: Sequence[Sequence[float]]
    quantity: int = 1


@dataclass(frozen=True)
class Plate:
    """A build plate: parts stay ``margin_mm`` from its edges and ``spacing_mm`` apart."""

    width_mm: float
    depth_mm: float
    margin_mm: float = 0.0
    spacing_mm: float = 0.0

    def __post_init__(self) -> None:
        if min(self.margin_mm, self.spacing_mm) < 0:
            raise PackingError("Plate margin and spacing cannot be negative.")
        if min(self.usable_width_mm, self.usable_depth_mm) <= 0:
            raise PackingError(
                f"Plate {self.width_mm:g} x {self.depth_mm:g} mm has no usable area inside a "
                f"margin of {self.margin_mm:g} mm."
            )

    @property
    def usable_width_mm(self) -> float:
        return self.width_mm - 2 * self.margin_mm

    @property
    def usable_depth_mm(self) -> float:
        return self.depth_mm - 2 * self.margin_mm

    @property
    def usable_area_mm2(self) -> float:
        return self.usable_width_mm * self.usable_depth_mm


@dataclass(frozen=True)
class Placement:
    """One copy on a plate: its outline turned by ``rotation_deg``, then moved by ``(x, y)``."""

    key: Any
    copy: int
    x: float
    y: float
    rotation_deg: float
    outline: np.ndarray = field(repr=False, compare=False)  # placed convex outline, CCW


@dataclass(frozen=True)
class PlateLayout:
    placements: list[Placement]
    area_mm2: float  # sum of the placed footprints' areas
    utilisation: float  # area_mm2 over the plate's usable area


@dataclass(frozen=True)
class Unfitted:
    key: Any
    quantity: int
    reason: str


@dataclass(frozen=True)
class NestResult:
    plates: list[PlateLayout]
    unfitted: list[Unfitted]


@dataclass(frozen=True)
class _Edges:
    """A convex CCW polygon as its edges by increasing angle, from its lowest vertex."""

    lowest: np.ndarray
    vectors: np.ndarray
    angles: np.ndarray

    @property
    def area(self) -> float:
        return polygon_area(self.lowest + np.cumsum(self.vectors, axis=0))


@dataclass(frozen=True)
class _Pose:
    """An item's footprint turned by one allowed rotation, moved so its box starts at 0."""

    rotation_deg: float
    outline: np.ndarray  # real outline, CCW
    shift: np.ndarray  # from the rotated given outline to ``outline``
    obstacle: _Edges  # outline simplified and grown by half the spacing, once placed
    mover: _Edges  # the same reflected through the origin, while being placed


class _Piece:
    """An item ready to place: its real area, its poses that fit an empty plate, padded."""

    def __init__(self, key: Any, quantity: int, area: float, poses: list[_Pose]):
        self.key, self.quantity, self.area, self.poses = key, quantity, area, poses
        self.grown_area = poses[0].obstacle.area
        self.sizes = np.array([np.ptp(pose.outline, axis=0) for pose in poses])
        self.lowest, self.vectors, self.angles = _padded([pose.mover for pose in poses])


class _Sheet:
    """A plate being filled: its placements and their grown outlines, padded to one width.

    Grown outlines never overlap and stay within the usable area grown by half the spacing all
    round: a piece whose grown area exceeds the ``room_mm2`` left cannot fit, no search needed.
    """

    def __init__(self, plate: Plate):
        self.placements: list[Placement] = []
        self.area_mm2 = 0.0
        self.room_mm2 = (plate.usable_width_mm + plate.spacing_mm) * (
            plate.usable_depth_mm + plate.spacing_mm
        )
        self.lowest, self.vectors, self.angles = _padded([])

    def put(self, piece: _Piece, copy: int, pose: _Pose, position: np.ndarray) -> None:
        x, y = (float(v) for v in position + pose.shift)
        outline = pose.outline + position
        self.placements.append(Placement(piece.key, copy, x, y, pose.rotation_deg, outline))
        self.area_mm2 += piece.area
        self.room_mm2 -= piece.grown_area
        lowest, vectors, angles = _padded([pose.obstacle])
        self.lowest = np.vstack([self.lowest, lowest + position])
        self.vectors = np.concatenate([self.vectors, vectors])
        self.angles = np.concatenate([self.angles, angles])


def _padded(polygons: list[_Edges]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lowest vertices, edge vectors and angles of polygons, padded with zero edges at angle inf."""
    lowest = np.array([p.lowest for p in polygons]).reshape(-1, 2)
    vectors = np.zeros((len(polygons), _PADDED_EDGES, 2))
    angles = np.full((len(polygons), _PADDED_EDGES), np.inf)
    for row, polygon in enumerate(polygons):
        vectors[row, : len(polygon.angles)] = polygon.vectors
        angles[row, : len(polygon.angles)] = polygon.angles
    return lowest, vectors, angles


def nest(items: Iterable[NestItem], plate: Plate, rotation_step_deg: float = 90.0) -> NestResult:
    """Places every copy of every item on as few plates as the bottom-left fill finds."""
    if not 0 < rotation_step_deg <= 360:
        raise PackingError("The rotation step must be between 0 (excluded) and 360 degrees.")
    rotations = np.arange(0.0, 360.0 - TOLERANCE_MM, rotation_step_deg)
    usable = np.array([plate.usable_width_mm, plate.usable_depth_mm])
    prepared, unfitted = [], []
    for item in items:
        outline = convex_outline(item.outline, item.key)
        if item.quantity < 1:
            raise PackingError(f"Item {item.key}: the quantity must be at least 1.")
        simplified = enclosing_polygon(outline, MAX_VERTICES)
        poses = [_pose(outline, simplified, angle, plate.spacing_mm) for angle in rotations]
        poses = [p for p in poses if np.all(np.ptp(p.outline, axis=0) <= usable + TOLERANCE_MM)]
        if poses:
            prepared.append(_Piece(item.key, item.quantity, polygon_area(outline), poses))
        else:
            width, depth = np.ptp(outline, axis=0)
            unfitted.append(
                Unfitted(
                    item.key,
                    item.quantity,
                    f"Footprint {width:.1f} x {depth:.1f} mm does not fit the usable plate "
                    f"{plate.usable_width_mm:g} x {plate.usable_depth_mm:g} mm in any allowed "
                    f"rotation (every {rotation_step_deg:g} degrees).",
                )
            )
    prepared.sort(key=lambda piece: -piece.area)
    sheets: list[_Sheet] = []
    for piece in prepared:
        first_sheet = 0  # plates only fill up: one that refused a copy refuses the next ones
        for copy in range(piece.quantity):
            first_sheet = _place_copy(piece, copy, plate, sheets, first_sheet)
    layouts = [
        PlateLayout(sheet.placements, sheet.area_mm2, sheet.area_mm2 / plate.usable_area_mm2)
        for sheet in sheets
    ]
    return NestResult(layouts, unfitted)


def _place_copy(piece: _Piece, copy: int, plate: Plate, sheets: list, first_sheet: int) -> int:
    """Index of the first plate, from ``first_sheet``, that takes the copy (a new one if none)."""
    for index in range(first_sheet, len(sheets)):
        sheet = sheets[index]
        if piece.grown_area > sheet.room_mm2 + TOLERANCE_MM:
            continue
        found = _bottom_left(piece, sheet, plate)
        if found is not None:
            sheet.put(piece, copy, *found)
            return index
    sheet = _Sheet(plate)
    sheets.append(sheet)
    sheet.put(piece, copy, *_bottom_left(piece, sheet, plate))
    return len(sheets) - 1


def _bottom_left(piece: _Piece, sheet: _Sheet, plate: Plate):
    """(pose, position): the lowest, then leftmost, free position over all poses, or None.

    Candidates carry the index of their pose; ties go to the earlier pose.
    """
    low = np.array([plate.margin_mm, plate.margin_mm])
    highs = np.maximum(
        np.array([plate.width_mm, plate.depth_mm]) - plate.margin_mm - piece.sizes, low
    )
    blockers = _NoFitPolygons(sheet, piece, low, highs)
    if not blockers.count:
        return piece.poses[0], low
    starts, vectors, owners = blockers.starts, blockers.vectors, blockers.owners
    edge_poses = blockers.pose[owners]
    # Only edges reaching their pose's inner-fit rectangle can bound a candidate position.
    tips = starts + vectors
    far = highs[edge_poses] + TOLERANCE_MM
    top, bottom = np.maximum(starts, tips), np.minimum(starts, tips)
    relevant = (top[:, 0] >= low[0] - TOLERANCE_MM) & (top[:, 1] >= low[1] - TOLERANCE_MM)
    relevant &= (bottom[:, 0] <= far[:, 0]) & (bottom[:, 1] <= far[:, 1])
    tested = np.zeros(len(starts), dtype=bool)
    tested[relevant] = True
    tested[blockers.ends[relevant]] = True
    index = np.flatnonzero(tested)
    vertex, holder = blockers.containing(starts[index], edge_poses[index])
    vertex = index[vertex]
    # An edge whose two ends lie inside one convex polygon lies inside it: no vertex of the free
    # region can be on it, so only the other edges are crossed with the walls and each other.
    inside = vertex * blockers.count + holder
    buried = np.zeros(len(starts), dtype=bool)
    buried[vertex[np.isin(blockers.ends[vertex] * blockers.count + holder, inside)]] = True
    exposed = relevant & ~buried
    free = tested.copy()
    free[vertex] = False
    best = _first(*_within(starts[free], edge_poses[free], low, highs))
    poses = np.arange(len(highs))
    corners = np.vstack([np.column_stack([low[0], low[1]]).repeat(len(poses), axis=0), highs])
    corners = np.vstack(
        [
            corners,
            np.column_stack([highs[:, 0], np.full(len(poses), low[1])]),
            np.column_stack([np.full(len(poses), low[0]), highs[:, 1]]),
        ]
    )
    walls = _wall_crossings(starts[exposed], vectors[exposed], edge_poses[exposed], low, highs)
    crossings = _edge_crossings(starts[exposed], vectors[exposed], owners[exposed], blockers)
    points = np.vstack([corners, walls[0], crossings[0]])
    point_poses = np.concatenate([np.tile(poses, 4), walls[1], crossings[1]])
    points, point_poses = _in_order(*_within(points, point_poses, low, highs))
    if best is not None:
        before = _ranks_before(points, point_poses, *best)
        points, point_poses = points[before], point_poses[before]
    for first in range(0, len(points), _CHUNK):
        chunk = slice(first, first + _CHUNK)
        open_ = np.flatnonzero(~blockers.blocks(points[chunk], point_poses[chunk]))
        if open_.size:
            best = points[chunk][open_[0]], point_poses[chunk][open_[0]]
            break
    return None if best is None else (piece.poses[best[1]], best[0])


def _within(points, poses, low, highs):
    """The points (and their poses) inside their pose's inner-fit rectangle, clipped onto it."""
    high = highs[poses]
    keep = (points >= low - TOLERANCE_MM) & (points <= high + TOLERANCE_MM)
    keep = keep[:, 0] & keep[:, 1]
    return np.clip(points[keep], low, high[keep]), poses[keep]


def _in_order(points, poses):
    """Bottom-left order: lowest first, then leftmost, then earliest pose."""
    order = np.lexsort((poses, points[:, 0], np.round(points[:, 1], 6)))
    return points[order], poses[order]


def _first(points, poses):
    if not len(points):
        return None
    points, poses = _in_order(points, poses)
    return points[0], int(poses[0])


def _ranks_before(points, poses, point, pose) -> np.ndarray:
    rows, row = np.round(points[:, 1], 6), round(float(point[1]), 6)
    same_row = rows == row
    return (
        (rows < row)
        | (same_row & (points[:, 0] < point[0]))
        | (same_row & (points[:, 0] == point[0]) & (poses < pose))
    )


class _NoFitPolygons:
    """No-fit polygons of every pose of a piece around a plate's parts, where they matter.

    All are computed at once: each placed outline's edges and a reflected pose's edges, merged by
    angle row by row, summed from the two lowest vertices (Minkowski sum ``A + (-B)``); rows
    whose box misses the pose's inner-fit rectangle are dropped. Coordinates are kept apart (x,
    y arrays): numpy reduces small trailing axes slowly.
    """

    def __init__(self, sheet: _Sheet, piece: _Piece, low: np.ndarray, highs: np.ndarray):
        placed, poses = len(sheet.lowest), len(highs)
        row_pose = np.repeat(np.arange(poses), placed)
        vectors = np.concatenate(
            [np.tile(sheet.vectors, (poses, 1, 1)), piece.vectors[row_pose]], axis=1
        )
        angles = np.concatenate([np.tile(sheet.angles, (poses, 1)), piece.angles[row_pose]], axis=1)
        order = np.argsort(angles, axis=1, kind="stable")
        dx = np.take_along_axis(vectors[..., 0], order, axis=1)
        dy = np.take_along_axis(vectors[..., 1], order, axis=1)
        start = np.tile(sheet.lowest, (poses, 1)) + piece.lowest[row_pose]
        x = start[:, 0, None] + np.cumsum(dx, axis=1) - dx
        y = start[:, 1, None] + np.cumsum(dy, axis=1) - dy
        valid = np.isfinite(np.take_along_axis(angles, order, axis=1))
        low_x = np.where(valid, x, np.inf).min(axis=1)
        low_y = np.where(valid, y, np.inf).min(axis=1)
        high_x = np.where(valid, x, -np.inf).max(axis=1)
        high_y = np.where(valid, y, -np.inf).max(axis=1)
        far = highs[row_pose]
        reach = (low_x < far[:, 0]) & (low_y < far[:, 1]) & (high_x > low[0]) & (high_y > low[1])
        x, y, dx, dy, valid = x[reach], y[reach], dx[reach], dy[reach], valid[reach]
        self.count = int(reach.sum())
        self.pose = row_pose[reach]
        self.low = np.column_stack([low_x[reach], low_y[reach]]) + TOLERANCE_MM
        self.high = np.column_stack([high_x[reach], high_y[reach]]) - TOLERANCE_MM
        lengths = np.where(valid, np.hypot(dx, dy), 1.0)
        self.normal_x, self.normal_y = dy / lengths, -dx / lengths
        self.offsets = np.where(valid, self.normal_x * x + self.normal_y * y, np.inf)
        self.starts = np.column_stack([x[valid], y[valid]])
        self.vectors = np.column_stack([dx[valid], dy[valid]])
        self.owners = np.nonzero(valid)[0]
        counts = valid.sum(axis=1)
        firsts = np.cumsum(counts) - counts
        self.ends = np.arange(len(self.owners)) + 1
        self.ends[firsts + counts - 1] = firsts

    def containing(self, points: np.ndarray, poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, polygon) index pairs: the point lies strictly inside a polygon of its pose."""
        found_points, found_polygons = [], []
        for pose in np.unique(poses):
            which = np.flatnonzero(poses == pose)
            polygons = np.flatnonzero(self.pose == pose)
            x, y = points[which, 0, None], points[which, 1, None]
            low, high = self.low[polygons], self.high[polygons]
            near = (x > low[:, 0]) & (x < high[:, 0]) & (y > low[:, 1]) & (y < high[:, 1])
            point, polygon = np.nonzero(near)
            polygon = polygons[polygon]
            depth = self.normal_x[polygon] * x[point]
            depth += self.normal_y[polygon] * y[point]
            depth -= self.offsets[polygon]
            strictly = depth.max(axis=1) < -TOLERANCE_MM
            found_points.append(which[point[strictly]])
            found_polygons.append(polygon[strictly])
        if not found_points:
            return np.empty(0, dtype=int), np.empty(0, dtype=int)
        return np.concatenate(found_points), np.concatenate(found_polygons)

    def blocks(self, points: np.ndarray, poses: np.ndarray) -> np.ndarray:
        """Whether each point lies strictly inside a polygon of its pose (touching is free)."""
        blocked = np.zeros(len(points), dtype=bool)
        blocked[self.containing(points, poses)[0]] = True
        return blocked


def _wall_crossings(starts, vectors, poses, low, highs):
    """Where edges cross the lines bounding their pose's inner-fit rectangle, and that pose."""
    found, found_poses = [], []
    for axis in (0, 1):
        for line in (np.full(len(starts), low[axis]), highs[poses, axis]):
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (line - starts[:, axis]) / vectors[:, axis]
            hit = (t >= 0) & (t <= 1)
            found.append(starts[hit] + t[hit, None] * vectors[hit])
            found_poses.append(poses[hit])
    return np.vstack(found), np.concatenate(found_poses)


def _edge_crossings(starts, vectors, owners, blockers: _NoFitPolygons):
    """Crossings of the given edges of every two polygons of one pose whose boxes overlap."""
    low, high, pose = blockers.low, blockers.high, blockers.pose
    first, second = np.triu_indices(blockers.count, k=1)
    overlap = (low[first] < high[second]) & (low[second] < high[first])
    keep = overlap[:, 0] & overlap[:, 1] & (pose[first] == pose[second])
    first, second = first[keep], second[keep]
    counts = np.bincount(owners, minlength=blockers.count)
    sizes = counts[first] * counts[second]
    offsets = np.cumsum(counts) - counts
    pair = np.repeat(np.arange(len(first)), sizes)
    local = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    a = offsets[first][pair] + local // counts[second][pair]
    b = offsets[second][pair] + local % counts[second][pair]
    p, r, q, s = starts[a], vectors[a], starts[b], vectors[b]
    denominator = _cross(r, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = _cross(q - p, s) / denominator
        u = _cross(q - p, r) / denominator
    hit = (np.abs(denominator) > 1e-12) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    return p[hit] + t[hit, None] * r[hit], pose[owners[a[hit]]]


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _pose(outline: np.ndarray, simplified: np.ndarray, angle_deg: float, spacing_mm: float):
    """The outline turned by ``angle_deg``; ``simplified`` (enclosing it) is what is packed."""
    theta = np.radians(angle_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    turned = outline @ rotation.T
    shift = -turned.min(axis=0)
    grown = simplified @ rotation.T + shift
    if spacing_mm > 0:
        grown = minkowski_sum(grown, spacing_octagon(spacing_mm))
    return _Pose(
        float(angle_deg), turned + shift, shift, _edges_by_angle(grown), _edges_by_angle(-grown)
    )


def enclosing_polygon(polygon: np.ndarray, max_vertices: int) -> np.ndarray:
    """A convex polygon of at most ``max_vertices`` corners containing ``polygon`` (convex, CCW).

    Repeatedly drops the edge whose neighbours, extended until they meet, add the least area.
    """
    polygon = np.array(polygon, dtype=float)  # a copy: corners move below
    while len(polygon) > max_vertices:
        directions = np.roll(polygon, -1, axis=0) - polygon  # edge i runs from vertex i
        before, after = np.roll(directions, 1, axis=0), np.roll(directions, -1, axis=0)
        turn = _cross(before, after)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = _cross(directions, after) / turn
        meeting = polygon + reach[:, None] * before
        added = 0.5 * np.abs(_cross(meeting - polygon, directions))
        added[turn <= 1e-12 * float(np.ptp(polygon)) ** 2] = np.inf
        drop = int(np.argmin(added))
        if not np.isfinite(added[drop]):
            break
        polygon[drop] = meeting[drop]
        polygon = np.delete(polygon, (drop + 1) % len(polygon), axis=0)
    return polygon


def spacing_octagon(spacing_mm: float) -> np.ndarray:
    """Octagon around the circle of radius ``spacing / 2``: grown outlines keep the spacing."""
    radius = spacing_mm / 2 / np.cos(np.pi / 8)
    return radius * np.column_stack([np.cos(_OCTAGON_ANGLES), np.sin(_OCTAGON_ANGLES)])


def minkowski_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sum of two convex CCW polygons: their edges merged by angle from the lowest vertices."""
    first, second = _edges_by_angle(a), _edges_by_angle(b)
    edges = np.vstack([first.vectors, second.vectors])
    ordered = edges[np.argsort(np.concatenate([first.angles, second.angles]), kind="stable")]
    start = first.lowest + second.lowest
    return _without_collinear(start + np.cumsum(ordered, axis=0) - ordered)


def _edges_by_angle(polygon: np.ndarray) -> _Edges:
    polygon = _without_collinear(polygon)
    start = int(np.lexsort((polygon[:, 0], polygon[:, 1]))[0])
    rolled = np.roll(polygon, -start, axis=0)
    vectors = np.roll(rolled, -1, axis=0) - rolled
    angles = np.round(np.mod(np.arctan2(vectors[:, 1], vectors[:, 0]), 2 * np.pi), 12)
    return _Edges(rolled[0], vectors, angles)


def _without_collinear(polygon: np.ndarray) -> np.ndarray:
    before = polygon - np.roll(polygon, 1, axis=0)
    after = np.roll(polygon, -1, axis=0) - polygon
    scale = max(float(np.ptp(polygon)), 1.0)
    turning = _cross(before, after) > 1e-12 * scale * scale
    return polygon[turning]


def convex_outline(points, key: Any = None) -> np.ndarray:
    """Convex hull of 2D points, counter-clockwise; a clear error for no area or bad numbers."""
    label = "The footprint" if key is None else f"The footprint of {key}"
    try:
        points = np.asarray(points, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError) as error:
        raise PackingError(f"{label} must be a list of (x, y) points in mm.") from error
    if len(points) < 3 or not np.all(np.isfinite(points)):
        raise PackingError(f"{label} needs at least three finite (x, y) points.")
    try:
        hull = ConvexHull(points)
    except QhullError as error:
        raise PackingError(f"{label} has no area: its points lie on a line.") from error
    return points[hull.vertices]  # scipy lists 2D hull vertices counter-clockwise


def polygon_area(polygon: np.ndarray) -> float:
    return float(0.5 * abs(_cross(polygon, np.roll(polygon, -1, axis=0)).sum()))


def footprint_in(vertices, rotation) -> np.ndarray:
    """Footprint of a part turned by ``rotation`` (rows: machine X, Y, Z in part coordinates)."""
    rotation = np.asarray(rotation, dtype=float).reshape(3, 3)
    return convex_outline(np.asarray(vertices, dtype=float) @ rotation[:2].T)


def footprint_along(vertices, up) -> np.ndarray:
    """Footprint of a part standing on ``up`` (a direction in part coordinates)."""
    up = np.asarray(up, dtype=float)
    if up.shape != (3,) or not np.linalg.norm(up) > 0:
        raise PackingError("The up direction must be a non-zero 3D vector.")
    return footprint_in(vertices, orthonormal_frame(up))


def footprint_from_analysis(analysis: Mapping[str, Any]) -> np.ndarray:
    """The footprint rectangle odm_quote stores for the best orientation (the hull is not kept)."""
    try:
        width, depth = (float(v) for v in analysis["orientation"]["footprint_mm"])
    except (KeyError, TypeError, ValueError) as error:
        raise PackingError("The part analysis holds no orientation footprint.") from error
    return convex_outline([(0.0, 0.0), (width, 0.0), (width, depth), (0.0, depth)])
