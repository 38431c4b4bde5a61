"""3D packing of parts' boxes in build chambers (SLS, MJF): extreme points with best fit.

Each part is its box (x, y, z in mm, e.g. the minimal oriented box odm_quote measures) and may
turn to any of the six axis-aligned orientations unless told otherwise. ``pack(items, chamber)``
places every copy, largest box first, in the first chamber (run) where it fits, opening chambers
as needed, and returns the placements, each chamber's build height and packing density, and the
items that fit no chamber with the reason.

Placing one copy follows Crainic, Perboli and Tadei's extreme points (2008): positions are the
corners a placed box offers (its far x, y and z corners), projected back along the axes onto the
nearest box or wall. Every extreme point and orientation that stays inside the chamber is ranked
by the build height it leaves, then the area of the occupied footprint (the box around all parts
seen from above), then the lowest, nearest-the-corner position; the first free one in that order
wins. Spacing is kept exactly by growing each box and the chamber by the spacing on the far side.

Coordinates are mm from the chamber's usable corner (``margin`` in from its walls, on its floor);
a placement's ``size`` is the box as placed and ``axes`` says which item axis lies along x, y, z.
Density is the parts' volume (the real part volume when given, else the box's) over the usable
footprint times the build height.
"""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from odm_engine.packing.nesting import TOLERANCE_MM, PackingError, Unfitted

# Candidate positions tested against the placed boxes at once.
_CHUNK = 256
_ORIENTATIONS = tuple(itertools.permutations(range(3)))


@dataclass(frozen=True)
class BoxItem:
    """A part's box (mm) and how many copies to pack; ``turnable``: any axis may point up."""

    key: Any
    size: Sequence[float]
    quantity: int = 1
    volume_mm3: float | None = None
    turnable: bool = True


@dataclass(frozen=True)
class Chamber:
    """A build chamber: parts stay ``margin_mm`` from its walls and ``spacing_mm`` apart."""

    x_mm: float
    y_mm: float
    z_mm: float
    margin_mm: float = 0.0
    spacing_mm: float = 0.0

    def __post_init__(self) -> None:
        if min(self.margin_mm, self.spacing_mm) < 0:
            raise PackingError("Chamber margin and spacing cannot be negative.")
        if np.min(self.usable_mm) <= 0:
            raise PackingError(
                f"Chamber {self.x_mm:g} x {self.y_mm:g} x {self.z_mm:g} mm has no usable volume "
                f"inside a margin of {self.margin_mm:g} mm."
            )

    @property
    def usable_mm(self) -> np.ndarray:
        return np.array([self.x_mm, self.y_mm, self.z_mm], dtype=float) - 2 * self.margin_mm


@dataclass(frozen=True)
class BoxPlacement:
    key: Any
    copy: int
    position: tuple[float, float, float]  # the box's lowest corner
    size: tuple[float, float, float]  # as placed
    axes: tuple[int, int, int]  # item axis lying along x, y and z


@dataclass(frozen=True)
class ChamberLoad:
    placements: list[BoxPlacement]
    build_height_mm: float
    parts_volume_mm3: float
    density: float  # parts volume over usable x * y * build height


@dataclass(frozen=True)
class PackResult:
    chambers: list[ChamberLoad]
    unfitted: list[Unfitted]


class _Piece:
    """An item ready to pack: its orientations that fit an empty chamber, grown by the spacing."""

    def __init__(self, item: BoxItem, size: np.ndarray, orientations: list, spacing: float):
        self.key, self.quantity = item.key, item.quantity
        self.volume = float(item.volume_mm3) if item.volume_mm3 else float(np.prod(size))
        self.box_volume = float(np.prod(size))
        self.axes = orientations
        self.sizes = np.array([size[list(axes)] for axes in orientations])
        self.grown = self.sizes + spacing


class _Run:
    """A chamber being filled: grown boxes placed, extreme points, occupied extents."""

    def __init__(self):
        self.placements: list[BoxPlacement] = []
        self.low = np.empty((0, 3))
        self.high = np.empty((0, 3))  # grown boxes' far corners
        self.points = np.zeros((1, 3))
        self.height = 0.0
        self.footprint = np.array([np.inf, np.inf, -np.inf, -np.inf])  # x0, y0, x1, y1
        self.volume = 0.0

    def put(self, piece: _Piece, copy: int, orientation: int, position: np.ndarray) -> None:
        size, grown = piece.sizes[orientation], piece.grown[orientation]
        self.placements.append(
            BoxPlacement(
                piece.key,
                copy,
                tuple(float(v) for v in position),
                tuple(float(v) for v in size),
                piece.axes[orientation],
            )
        )
        self.low = np.vstack([self.low, position])
        self.high = np.vstack([self.high, position + grown])
        self.height = max(self.height, float(position[2] + size[2]))
        self.footprint = _footprint_with(self.footprint, position, size)
        self.volume += piece.volume
        corners = position + np.diag(grown)  # far x, far y and far z corners
        projected = [
            self._project(corners[source], axis) for source in range(3) for axis in range(3)
        ]
        points = np.vstack([self.points, corners, *projected])
        inside = np.all((points >= position - TOLERANCE_MM) & (points < position + grown), axis=1)
        self.points = np.unique(np.round(points[~inside], 9), axis=0)

    def _project(self, point: np.ndarray, axis: int) -> np.ndarray:
        """The point moved along -axis until it meets a box or the wall."""
        others = [a for a in range(3) if a != axis]
        across = np.all(
            (self.low[:, others] <= point[others] + TOLERANCE_MM)
            & (self.high[:, others] > point[others] + TOLERANCE_MM),
            axis=1,
        )
        below = across & (self.high[:, axis] <= point[axis] + TOLERANCE_MM)
        moved = point.copy()
        moved[axis] = self.high[below, axis].max() if below.any() else 0.0
        return moved[None]


def pack(items: Iterable[BoxItem], chamber: Chamber) -> PackResult:
    """Packs every copy of every item into as few chambers as the extreme points find."""
    usable = chamber.usable_mm
    prepared, unfitted = [], []
    for item in items:
        size = box_size(item)
        orientations = _ORIENTATIONS if item.turnable else _ORIENTATIONS[:1]
        fitting = list(dict.fromkeys(a for a in orientations if np.all(size[list(a)] <= usable)))
        if fitting:
            prepared.append(_Piece(item, size, fitting, chamber.spacing_mm))
        else:
            x, y, z = size
            unfitted.append(
                Unfitted(
                    item.key,
                    item.quantity,
                    f"Box {x:.1f} x {y:.1f} x {z:.1f} mm does not fit the usable chamber "
                    f"{usable[0]:g} x {usable[1]:g} x {usable[2]:g} mm in any allowed orientation.",
                )
            )
    prepared.sort(key=lambda piece: -piece.box_volume)
    room = usable + chamber.spacing_mm  # grown boxes may reach one spacing past the far walls
    runs: list[_Run] = []
    for piece in prepared:
        first_run = 0  # chambers only fill up: one that refused a copy refuses the next ones
        for copy in range(piece.quantity):
            first_run = _place_copy(piece, copy, room, runs, first_run)
    floor = usable[0] * usable[1]
    loads = [
        ChamberLoad(run.placements, run.height, run.volume, run.volume / (floor * run.height))
        for run in runs
    ]
    return PackResult(loads, unfitted)


def box_size(item: BoxItem) -> np.ndarray:
    """The item's box as an array, or a clear error for bad lengths, quantity or volume."""
    try:
        size = np.asarray(item.size, dtype=float).reshape(3)
    except (TypeError, ValueError) as error:
        raise PackingError(f"Item {item.key}: the box must be three lengths in mm.") from error
    if not np.all(np.isfinite(size)) or np.min(size) <= 0:
        raise PackingError(f"Item {item.key}: the box lengths must be positive, got {size}.")
    if item.quantity < 1:
        raise PackingError(f"Item {item.key}: the quantity must be at least 1.")
    if item.volume_mm3 is not None and not 0 < item.volume_mm3 <= np.prod(size) * (1 + 1e-6):
        raise PackingError(f"Item {item.key}: the part volume must be positive and fit its box.")
    return size


def _place_copy(piece: _Piece, copy: int, room: np.ndarray, runs: list, first_run: int) -> int:
    """Index of the first chamber, from ``first_run``, that takes the copy (a new one if none)."""
    for index in range(first_run, len(runs)):
        found = _best_fit(piece, runs[index], room)
        if found is not None:
            runs[index].put(piece, copy, *found)
            return index
    run = _Run()
    runs.append(run)
    run.put(piece, copy, *_best_fit(piece, run, room))
    return len(runs) - 1


def _best_fit(piece: _Piece, run: _Run, room: np.ndarray):
    """(orientation, position) leaving the lowest build, then the smallest footprint, or None."""
    orientation = np.repeat(np.arange(len(piece.axes)), len(run.points))
    position = np.tile(run.points, (len(piece.axes), 1))
    grown, size = piece.grown[orientation], piece.sizes[orientation]
    inside = (position + grown <= room + TOLERANCE_MM).all(axis=1)
    orientation, position, grown, size = (
        orientation[inside],
        position[inside],
        grown[inside],
        size[inside],
    )
    height = np.maximum(run.height, position[:, 2] + size[:, 2])
    x0 = np.minimum(run.footprint[0], position[:, 0])
    y0 = np.minimum(run.footprint[1], position[:, 1])
    x1 = np.maximum(run.footprint[2], position[:, 0] + size[:, 0])
    y1 = np.maximum(run.footprint[3], position[:, 1] + size[:, 1])
    rank = np.lexsort(
        (
            orientation,
            position[:, 0],
            position[:, 1],
            position[:, 2],
            np.round((x1 - x0) * (y1 - y0), 6),
            np.round(height, 6),
        )
    )
    for first in range(0, len(rank), _CHUNK):
        chosen = rank[first : first + _CHUNK]
        low, high = position[chosen], position[chosen] + grown[chosen]
        overlap = np.ones((len(chosen), len(run.low)), dtype=bool)
        for axis in range(3):  # axis by axis: numpy reduces a trailing axis of 3 slowly
            overlap &= low[:, axis, None] < run.high[:, axis] - TOLERANCE_MM
            overlap &= run.low[:, axis] < high[:, axis, None] - TOLERANCE_MM
        overlaps = overlap.any(axis=1)
        free = np.flatnonzero(~overlaps)
        if free.size:
            best = chosen[free[0]]
            return int(orientation[best]), position[best]
    return None


def _footprint_with(footprint: np.ndarray, position: np.ndarray, size: np.ndarray) -> np.ndarray:
    return np.array(
        [
            min(footprint[0], position[0]),
            min(footprint[1], position[1]),
            max(footprint[2], position[0] + size[0]),
            max(footprint[3], position[1] + size[1]),
        ]
    )


def box_from_analysis(analysis: Mapping[str, Any]) -> tuple[tuple[float, float, float], float]:
    """A part's minimal oriented box (mm) and volume (mm3) from odm_quote's stored analysis."""
    try:
        size = tuple(float(v) for v in analysis["obb_mm"])
        volume = float(analysis["volume_mm3"])
    except (KeyError, TypeError, ValueError) as error:
        raise PackingError("The part analysis holds no oriented box or volume.") from error
    if len(size) != 3:
        raise PackingError("The part analysis' oriented box must have three lengths.")
    return size, volume
