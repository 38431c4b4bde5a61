"""Layer-based instant FDM estimate: what a slicer would print, layer by layer, in milliseconds.

Two steps, split where the mesh stops being available:

1. ``layer_table`` (run by the mesh analysis, in the print orientation it chose) sections the
   mesh at a fine pitch (``PITCH_MM``) and keeps, per fine layer, what any slicing profile needs:
   contour length and area, loops and holes, the length of small loops (printed slower), corners
   by sharpness, contour length by direction, the projected area of the surfaces facing up and
   down by slope (which become top and bottom skins) and the contour across them (their slope,
   layer by layer), and the area of support columns and of
   the overhangs they hold, with the length of the overhangs' free edges and outlines. It is
   vectorised end to end: one pass over the (triangle, plane) crossings in runs of triangles
   small enough to stay in the processor's cache, each crossing a few multiply-adds on its
   half triangle's coefficients, the loops from scipy's connected components on a successor
   graph written directly (each crossing has exactly one successor: the next triangle across
   the edge the contour leaves by). The table is stored packed in the analysis under
   ``ANALYSIS_KEY``, so a quote is re-priced from the stored analysis with any printer and
   material profile without the mesh.
2. ``estimate(table, profile)`` aggregates the fine layers into the profile's layers and builds
   the toolpaths a slicer would: perimeters on every contour, offset by the extrusion width (a
   closed loop offset inward by d shortens by 2*pi*d, a hole grows by as much; thin layers hold
   only as many lines as their area allows), top and bottom solid skins from the up- and
   down-facing surfaces within ``top_solid_layers`` / ``bottom_solid_layers``, clipped to the
   region inside the perimeters (the vertical shells on slopes regularised as PrusaSlicer's
   discover_vertical_shells opens them), bridges over air, sparse infill from the remaining
   region at the profile's density with its anchors along the boundary, supports and their
   interface layers under the overhangs grown by PrusaSlicer's contact margin and snapped to its
   support grid (none under an overhang too near the plate for a contact layer), travel and
   retractions to every loop, fill piece and island. Time comes from a
   motion model: per-feature speeds capped by the filament's volumetric flow and the machine's
   feed rates, trapezoidal acceleration on every run between corners (with the jerk-limited
   junction speed of each corner class), the first-layer speed and acceleration, the retraction
   and Z-lift moves with their own accelerations, and the cooling slow-down to
   ``slowdown_below_layer_time`` reckoned as PrusaSlicer's CoolingBuffer does. Material is the
   extrusion cross-section (PrusaSlicer's rounded rectangle) times the path length. Overlapping
   bodies are counted once (the union's share of their summed volume and surface), and the
   outlines they overlap with on a layer as one island (``_merged_outlines``).

Every figure comes from the PrusaSlicer profile set (``FdmProfile.load``: the same ``.ini``
files the precise mode and the machine link slice with). There is no constant fitted to parts:
calibration against recorded slices and real prints is applied on top, and shown as such.
A profile with another layer height is aggregated from the same fine table (to the nearest
multiple of the pitch); another perimeter count, density or speed needs nothing new.
"""

import base64
import functools
import itertools
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from odm_engine.slicing import profile_reader

ANALYSIS_KEY = "fdm_layers"
TABLE_VERSION = 2
PITCH_MM = 0.1
# Beyond these no FDM machine prints the part, or sectioning it would take more memory than an
# analysis may: the analysis stores no table and quotes fall back to the volume formula.
MAX_HEIGHT_MM = 1000.0
MAX_PIECES = 25_000_000
# Pieces are worked in runs of about this many: arrays that stay in the processor's cache, and
# memory used again rather than asked of the system anew (a million-triangle part is cut in
# millions of pieces).
RUN_PIECES = 1 << 16
# PrusaSlicer grows every overhang's support contact area by this margin past its free edges
# (SUPPORT_MATERIAL_MARGIN in its SupportMaterial.cpp).
SUPPORT_MARGIN_MM = 1.5
# PrusaSlicer prints loops no longer than a 6.5 mm radius circle at small_perimeter_speed.
SMALL_LOOP_MM = 2 * math.pi * 6.5
# Outline pairs tested point by point per fine layer when bodies overlap (bounded time for a
# lattice of many overlapping bodies); past it, outlines whose boxes meet are taken as one.
MAX_OUTLINE_PAIRS = 200
# Corner classes by turn angle (degrees): below the first a contour is smooth.
CORNER_EDGES_DEG = (3.0, 10.0, 30.0, 60.0, 120.0)
# Surface classes by slope, as tan(angle from horizontal): flat, shallow ... steep.
SLOPE_EDGES_TAN = (0.05, 0.3, 1.0, 3.0)
# Table columns, one value per fine layer.
_BASE_COLUMNS = (
    "contour_mm",
    "area_mm2",
    "loops",
    "holes",
    "large_holes",
    "small_loop_mm",
    "support_mm2",
    "overhang_mm2",
    "bridged_support_mm2",
    "bridged_overhang_mm2",
    "support_edge_mm",
    "overhang_edge_mm",
    "bridged_support_edge_mm",
    "bridged_overhang_edge_mm",
    "overhang_contour_mm",
)
_CORNER_COLUMNS = tuple(f"corners_{i}" for i in range(len(CORNER_EDGES_DEG)))
# Contour length by direction, folded onto a quarter turn: where fill lines end on it.
DIRECTION_BINS = 6
_DIRECTION_COLUMNS = tuple(f"contour_mm_dir_{i}" for i in range(DIRECTION_BINS))
_UP_COLUMNS = tuple(f"up_mm2_{i}" for i in range(len(SLOPE_EDGES_TAN) + 1))
_DOWN_COLUMNS = tuple(f"down_mm2_{i}" for i in range(len(SLOPE_EDGES_TAN) + 1))
# Contour length across the faces of each surface class: with the class's projected area, the
# slope its surfaces have in that layer (tables stored before these columns lack them).
_UP_CONTOUR_COLUMNS = tuple(f"up_contour_mm_{i}" for i in range(len(SLOPE_EDGES_TAN) + 1))
_DOWN_CONTOUR_COLUMNS = tuple(f"down_contour_mm_{i}" for i in range(len(SLOPE_EDGES_TAN) + 1))
COLUMNS = (
    _BASE_COLUMNS
    + _CORNER_COLUMNS
    + _UP_COLUMNS
    + _DOWN_COLUMNS
    + _DIRECTION_COLUMNS
    + _UP_CONTOUR_COLUMNS
    + _DOWN_CONTOUR_COLUMNS
)
# Surface classes per fine layer: facing up or down, by slope.
_SURFACE_CLASSES = len(_UP_COLUMNS) + len(_DOWN_COLUMNS)


# --- Sectioning (analysis time) --------------------------------------------------------------


def layer_table(
    vertices: np.ndarray,
    faces: np.ndarray,
    neighbour: np.ndarray,
    rotation: np.ndarray,
    *,
    supports: tuple[np.ndarray, ...] | None = None,
    overhang_angle_deg: float = 45.0,
    union_share: tuple[float, float] = (1.0, 1.0),
    pitch: float = PITCH_MM,
) -> dict | None:
    """The packed fine-layer table of a closed, outward-facing mesh turned by ``rotation``.

    None for a part taller than ``MAX_HEIGHT_MM`` or that would be cut in more than
    ``MAX_PIECES`` triangle pieces (no printer takes it; the memory stays bounded).

    ``neighbour[f, k]`` is the face across edge k of face f (corner k to k + 1), -1 on an
    open or non-manifold edge, as ``repair.EdgeTopology.neighbour``. ``supports`` is (top z,
    bottom z, projected area, bridged, edge length) of the support columns under the overhang
    samples and along the overhangs' free edges (``support_columns``), in the same turned
    frame (z from the plate). Faces leaning more than ``overhang_angle_deg`` from vertical are
    overhangs: the length of the contour across them is kept per layer (the slicer's contact
    layers follow it). ``union_share`` (volume, area) is the share of the summed bodies the
    union keeps (``overlap.union_share``): overlapping bodies are printed once, so their
    sections' areas and contours are scaled down by it; below 1, the outlines of a layer that
    overlap are counted as one loop (``_merged_outlines``).

    The triangles are worked in runs of about ``RUN_PIECES`` pieces (``_runs``): arrays that
    stay in the processor's cache, and memory used again rather than asked of the system anew
    for each of the many steps (a million-triangle part is cut in millions of pieces).
    """
    turned = np.asarray(vertices, dtype=np.float64) @ np.asarray(rotation, dtype=np.float64).T
    turned[:, 2] -= turned[:, 2].min()
    height = float(turned[:, 2].max())
    # Heights stored in float32 may exceed a whole number of fine layers by a hair.
    bins = max(1, math.ceil(height / pitch - 1e-3))
    if height > MAX_HEIGHT_MM:
        return None
    x, y, z = (np.ascontiguousarray(turned[:, axis]) for axis in range(3))
    corner_z = [z.take(faces[:, corner]) for corner in range(3)]
    bottom = np.minimum(np.minimum(corner_z[0], corner_z[1]), corner_z[2])
    top = np.maximum(np.maximum(corner_z[0], corner_z[1]), corner_z[2])
    del corner_z
    if float(np.sum(top - bottom)) / pitch + len(faces) > MAX_PIECES:
        return None
    # Leaning more than the angle from vertical, downwards: the tangent of the face's angle
    # from horizontal (horizontal / |normal_z|) is under the angle's cotangent.
    cotangent = 1 / math.tan(math.radians(overhang_angle_deg))
    # Overlapping bodies: the outlines that overlap on a layer are one island.
    sections = _Sections(bottom, top, pitch, bins, outlines=union_share[1] < 1.0)
    del bottom, top
    surfaces = np.zeros(bins * _SURFACE_CLASSES)
    for start, stop in _runs(sections.offsets):
        run = _SortedFaces.of(x, y, z, faces[start:stop], neighbour[start:stop])
        normal_z, horizontal = _tilt(run)
        overhanging = (normal_z < 0) & (horizontal < -normal_z * cotangent)
        face_class = _surface_class(normal_z, horizontal)
        sections.add(run, start, stop, overhanging, face_class)
        surfaces += _surfaces(run, normal_z, face_class, pitch, bins)
    columns = sections.columns()
    surfaces = surfaces.reshape(bins, 2, len(_UP_COLUMNS))
    for facing, names in enumerate((_UP_COLUMNS, _DOWN_COLUMNS)):
        for index, name in enumerate(names):
            columns[name] = surfaces[:, facing, index]
    _supports(supports, pitch, bins, columns)
    volume_share, area_share = union_share
    for name in COLUMNS:
        if name == "area_mm2":
            columns[name] = np.asarray(columns[name]) * volume_share
        elif name.startswith(
            (
                "contour",
                "small_loop",
                "corners_",
                "up_mm2",
                "down_mm2",
                "up_contour",
                "down_contour",
            )
        ):
            columns[name] = np.asarray(columns[name]) * area_share
    data = np.stack([np.asarray(columns[name], dtype=np.float32) for name in COLUMNS])
    return {
        "version": TABLE_VERSION,
        "pitch_mm": pitch,
        "height_mm": height,
        "layers": bins,
        "columns": list(COLUMNS),
        "slope_edges_tan": list(SLOPE_EDGES_TAN),
        "corner_edges_deg": list(CORNER_EDGES_DEG),
        "data": base64.b64encode(zlib.compress(data.tobytes(), 6)).decode("ascii"),
    }


def unpack(table: Mapping) -> dict[str, np.ndarray]:
    """The table's columns as float64 arrays (one value per fine layer)."""
    if table.get("version") != TABLE_VERSION:
        raise ValueError(f"unsupported layer table version {table.get('version')!r}")
    raw = np.frombuffer(zlib.decompress(base64.b64decode(table["data"])), dtype=np.float32)
    names = table["columns"]
    data = raw.reshape(len(names), int(table["layers"])).astype(np.float64)
    return dict(zip(names, data, strict=True))


def _runs(offsets: np.ndarray):
    """(start, stop) runs of triangles holding about ``RUN_PIECES`` pieces together
    (``offsets``: where each triangle's pieces start, then the total)."""
    total = int(offsets[-1])
    cuts = np.searchsorted(offsets, np.arange(RUN_PIECES, total, RUN_PIECES))
    bounds = np.unique(np.concatenate([[0], cuts, [len(offsets) - 1]]))
    return zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)


@dataclass(frozen=True)
class _SortedFaces:
    """Each triangle's corners sorted by height: a (low), b (middle), c (high).

    ``forward`` says the winding runs a -> b -> c; ``across_*`` is the neighbouring triangle
    across edge a-c, a-b and b-c (-1 on an open or non-manifold edge).
    """

    xa: np.ndarray
    ya: np.ndarray
    za: np.ndarray
    xb: np.ndarray
    yb: np.ndarray
    zb: np.ndarray
    xc: np.ndarray
    yc: np.ndarray
    zc: np.ndarray
    forward: np.ndarray
    across_long: np.ndarray
    across_ab: np.ndarray
    across_bc: np.ndarray

    @classmethod
    def of(
        cls, x: np.ndarray, y: np.ndarray, z: np.ndarray, faces: np.ndarray, neighbour: np.ndarray
    ) -> "_SortedFaces":
        """``x``, ``y``, ``z``: the vertices' coordinates; ``neighbour`` as ``layer_table``."""
        z0, z1, z2 = (z.take(faces[:, corner]) for corner in range(3))
        # argmin and argmax of each row (first of equals), by comparisons: a third of the time.
        low = np.where((z0 <= z1) & (z0 <= z2), 0, np.where(z1 <= z2, 1, 2))
        high = np.where((z0 >= z1) & (z0 >= z2), 0, np.where(z1 >= z2, 1, 2))
        high = np.where(high == low, (low + 2) % 3, high)  # flat triangles
        mid = 3 - low - high
        row = np.arange(0, 3 * len(faces), 3)
        corners = np.ascontiguousarray(faces).ravel()
        edges = np.ascontiguousarray(neighbour).ravel()

        def across(u, v):
            return edges.take(row + np.where(v == (u + 1) % 3, u, v))

        ids = [corners.take(row + corner) for corner in (low, mid, high)]
        return cls(
            *(coordinate.take(vertex) for vertex in ids for coordinate in (x, y, z)),
            forward=mid == (low + 1) % 3,
            across_long=across(low, high),
            across_ab=across(low, mid),
            across_bc=across(mid, high),
        )

    def __len__(self) -> int:
        return len(self.za)


def _tilt(faces: _SortedFaces) -> tuple[np.ndarray, np.ndarray]:
    """Each face's outward normal (twice its area long): vertical component, horizontal length."""
    ab = (faces.xb - faces.xa, faces.yb - faces.ya, faces.zb - faces.za)
    ac = (faces.xc - faces.xa, faces.yc - faces.ya, faces.zc - faces.za)
    sign = np.where(faces.forward, 1.0, -1.0)
    normal_z = (ab[0] * ac[1] - ab[1] * ac[0]) * sign
    normal_x = ab[1] * ac[2] - ab[2] * ac[1]
    normal_y = ab[2] * ac[0] - ab[0] * ac[2]
    return normal_z, np.hypot(normal_x, normal_y)


class _Sections:
    """The contours of every fine layer, gathered run by run of triangles (``add``), then
    counted per layer (``columns``).

    A plane between a and c cuts the long edge a-c and one short edge; the contour (material
    on its left) enters by the falling edge and leaves by the rising one, so for a -> b -> c
    windings it leaves by the short edge, else by the long one. The work is per half triangle
    (below and above b), where everything but the height is fixed (``_HalfTriangles``): a
    piece costs a few multiply-adds on its half's coefficients. Pieces run triangle by
    triangle, each triangle's planes upwards; what the loops and corners need of every piece
    is kept whole.
    """

    def __init__(
        self, bottom: np.ndarray, top: np.ndarray, pitch: float, bins: int, outlines: bool = False
    ):
        """``bottom`` and ``top``: each triangle's lowest and highest corner; ``outlines``
        keeps every piece's ends (overlapping bodies: ``_merged_outlines``)."""
        self.pitch, self.bins = pitch, bins
        # Planes at the middle of every fine layer: (k + 0.5) * pitch, strictly below the top.
        self.first = np.ceil(bottom / pitch - 0.5).astype(np.int64)
        self.last = np.minimum(np.ceil(top / pitch - 0.5).astype(np.int64) - 1, bins - 1)
        self.counts = np.maximum(self.last - self.first + 1, 0)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])
        self.plane_start = self.first - self.offsets[:-1]
        # Where each piece's successor is (the triangle across the edge the contour leaves
        # by); one past the end for an open edge: no plane there.
        self.after_first = np.concatenate([self.first, [np.iinfo(np.int64).max]])
        self.after_last = np.concatenate([self.last, [-1]])
        self.after_base = np.concatenate([-self.plane_start, [0]])
        total = int(self.offsets[-1])
        self.plane = np.empty(total, dtype=np.int64)
        self.length = np.empty(total)
        self.twice_area = np.empty(total)
        self.direction = np.empty(total)
        self.after_index = np.empty(total, dtype=np.int64)
        self.cornered = np.empty(total, dtype=bool)
        self.contour = np.zeros(bins)
        # Contour length by surface class of the face it crosses, and whether it overhangs.
        self.by_class = np.zeros(bins * _SURFACE_CLASSES * 2)
        self.by_direction = np.zeros(bins * DIRECTION_BINS)
        # Each piece's ends (x, y where it enters, x, y where it leaves), when kept.
        self.ends = np.empty((total, 4)) if outlines else None

    def add(
        self,
        run: _SortedFaces,
        start: int,
        stop: int,
        overhanging: np.ndarray,
        face_class: np.ndarray,
    ) -> None:
        """The pieces of triangles start to stop (``run``, sorted; ``face_class`` as
        ``_surface_class``)."""
        pitch, bins = self.pitch, self.bins
        first, counts = self.first[start:stop], self.counts[start:stop]
        # The first plane at or above b (the same float test as comparing each plane with zb).
        middle = np.ceil(run.zb / pitch - 0.5).astype(np.int64)
        middle -= (middle - 0.5) * pitch >= run.zb
        middle += (middle + 0.5) * pitch < run.zb
        middle = np.clip(middle, first, first + counts)
        size = stop - start
        # Each piece's half: row t of the run's halves below b, row size + t of those above.
        half_of_piece = np.repeat(
            np.stack([np.arange(size), np.arange(size, 2 * size)], axis=1).ravel(),
            np.stack([middle - first, first + counts - middle], axis=1).ravel(),
        )
        half = _HalfTriangles.of(run)
        pieces = slice(self.offsets[start], self.offsets[stop])
        index = np.arange(self.offsets[start], self.offsets[stop])
        plane = np.repeat(self.plane_start[start:stop], counts)
        plane += index
        self.plane[pieces] = plane
        if self.ends is not None:
            self.ends[pieces] = _piece_ends(run, plane * pitch + pitch / 2, half_of_piece)
        u = (plane + 0.5) * pitch
        u -= half.base_z.take(half_of_piece)
        length = half.length_rate.take(half_of_piece)
        length *= u
        length += half.length_at_base.take(half_of_piece)
        np.maximum(length, 0.0, out=length)
        self.length[pieces] = length
        area = half.area_curve.take(half_of_piece)
        area *= u
        area += half.area_rate.take(half_of_piece)
        area *= u
        area += half.area_at_base.take(half_of_piece)
        self.twice_area[pieces] = area
        del u, area
        after = np.concatenate(
            [
                np.where(run.forward, run.across_ab, run.across_long),
                np.where(run.forward, run.across_bc, run.across_long),
            ]
        ).take(half_of_piece)
        after[after < 0] = len(self.first)
        valid = plane >= self.after_first.take(after)
        valid &= plane <= self.after_last.take(after)
        successor = self.after_base.take(after)
        successor += plane
        self.after_index[pieces] = np.where(valid, successor, index)
        del after, successor, index
        valid &= length > 0
        self.cornered[pieces] = valid
        self.direction[pieces] = half.direction.take(half_of_piece)
        self.contour += np.bincount(plane, weights=length, minlength=bins)
        # One count for both: the face's surface class, and whether it overhangs.
        code = face_class * 2 + overhanging
        self.by_class += np.bincount(
            plane * (_SURFACE_CLASSES * 2) + np.concatenate([code, code]).take(half_of_piece),
            weights=length,
            minlength=bins * _SURFACE_CLASSES * 2,
        )
        # Contour length by direction (each half's pieces all point one way).
        folded = np.remainder(half.direction, math.pi / 2)
        folded /= math.pi / 2
        folded *= DIRECTION_BINS
        direction_bin = folded.astype(np.int8)
        np.minimum(direction_bin, DIRECTION_BINS - 1, out=direction_bin)
        plane *= DIRECTION_BINS
        plane += direction_bin.take(half_of_piece)
        self.by_direction += np.bincount(plane, weights=length, minlength=bins * DIRECTION_BINS)

    def columns(self) -> dict[str, np.ndarray]:
        """Per fine layer: contour length, area, loops, holes, small loop length, corners by
        class, contour length by direction and across overhanging faces."""
        bins, plane, total = self.bins, self.plane, len(self.plane)
        # Loops: each piece has one successor, so the loops are the graph's components (float
        # weights and 32-bit indices are what scipy works in: no conversion of the edges).
        graph = csr_matrix(
            (
                np.ones(total),
                self.after_index.astype(np.int32),
                np.arange(total + 1, dtype=np.int32),
            ),
            shape=(total, total),
        )
        loops, label = connected_components(graph, directed=True, connection="weak")
        del graph
        loop_plane = np.zeros(loops, dtype=np.int64)
        loop_plane[label] = plane
        loop_length = np.bincount(label, weights=self.length, minlength=loops)
        loop_area = np.bincount(label, weights=self.twice_area, minlength=loops) / 2
        closed = loop_length > 0
        hole = closed & (loop_area < 0)
        merged = np.zeros(bins, dtype=np.int64)
        if self.ends is not None:
            merged = _merged_outlines(
                self.ends, label, loop_plane, closed=closed, hole=hole, bins=bins
            )
        del label
        small = closed & (loop_length <= SMALL_LOOP_MM)
        by_class = self.by_class.reshape(bins, _SURFACE_CLASSES, 2)
        columns = {
            "contour_mm": self.contour,
            "overhang_contour_mm": by_class[:, :, 1].sum(axis=1),
            "area_mm2": np.bincount(plane, weights=self.twice_area, minlength=bins) / 2,
            "loops": np.bincount(loop_plane[closed], minlength=bins) - merged,
            "holes": np.bincount(loop_plane[hole], minlength=bins),
            "large_holes": np.bincount(loop_plane[hole & ~small], minlength=bins),
            "small_loop_mm": np.bincount(
                loop_plane[small], weights=loop_length[small], minlength=bins
            ),
        }
        by_direction = self.by_direction.reshape(bins, DIRECTION_BINS)
        for index, name in enumerate(_DIRECTION_COLUMNS):
            columns[name] = by_direction[:, index]
        for index, name in enumerate(_UP_CONTOUR_COLUMNS + _DOWN_CONTOUR_COLUMNS):
            columns[name] = by_class[:, index].sum(axis=1)
        # The corner at the leaving edge: the turn between this piece's direction and its
        # successor's. Class -1 (smooth) goes to a column of its own, dropped.
        classes = len(CORNER_EDGES_DEG) + 1
        corner_counts = np.zeros(bins * classes, dtype=np.int64)
        for start, stop in _runs(np.arange(total + 1)):
            turn = self.direction.take(self.after_index[start:stop])
            turn -= self.direction[start:stop]
            turn += np.pi
            np.remainder(turn, 2 * np.pi, out=turn)
            turn -= np.pi
            np.abs(turn, out=turn)
            turn_deg = np.degrees(np.where(self.cornered[start:stop], turn, 0.0))
            key = np.searchsorted(CORNER_EDGES_DEG, turn_deg, side="right")
            key += plane[start:stop] * classes
            corner_counts += np.bincount(key, minlength=bins * classes)
        corner_counts = corner_counts.reshape(bins, classes)
        for index, name in enumerate(_CORNER_COLUMNS):
            columns[name] = corner_counts[:, index + 1]
        return columns


def _piece_ends(run: _SortedFaces, z: np.ndarray, half_of_piece: np.ndarray) -> np.ndarray:
    """Where each piece crosses its triangle's long edge and its short edge (x, y, x, y)."""
    size = len(run)
    low = half_of_piece < size
    row = np.where(low, half_of_piece, half_of_piece - size)

    def along(start, end):
        (x0, y0, z0), (x1, y1, z1) = start, end
        z0, z1 = z0.take(row), z1.take(row)
        share = np.clip((z - z0) / np.where(z1 > z0, z1 - z0, 1.0), 0.0, 1.0)
        x0, y0 = x0.take(row), y0.take(row)
        return x0 + share * (x1.take(row) - x0), y0 + share * (y1.take(row) - y0)

    a, b, c = (run.xa, run.ya, run.za), (run.xb, run.yb, run.zb), (run.xc, run.yc, run.zc)
    long_x, long_y = along(a, c)
    below_x, below_y = along(a, b)
    above_x, above_y = along(b, c)
    return np.stack(
        [long_x, long_y, np.where(low, below_x, above_x), np.where(low, below_y, above_y)], axis=1
    )


def _merged_outlines(ends, label, loop_plane, *, closed, hole, bins, points=8) -> np.ndarray:
    """Per fine layer, how many outer outlines of overlapping bodies merge into another.

    Bodies that overlap are printed as their union (the slicer slices a mesh by the union of
    its shells), whose section has one outline where each body has its own. Two outer outlines
    of a layer are one island when one has a point inside the other: up to ``points`` probes
    each, the middles of pieces spread along it (off the corners two outlines may share),
    tested by crossings of the other's pieces. An outline lying in a hole's box stands in that
    hole, apart from the outline around it, and is kept apart.
    """
    merged = np.zeros(bins, dtype=np.int64)
    order = np.argsort(label, kind="stable")
    piece_start = np.searchsorted(label[order], np.arange(len(loop_plane) + 1))
    # Each loop's box (x low, y low, x high, y high): every loop has one piece at least.
    sorted_ends = ends[order]
    box = np.concatenate(
        [
            np.minimum.reduceat(
                np.minimum(sorted_ends[:, :2], sorted_ends[:, 2:]), piece_start[:-1]
            ),
            np.maximum.reduceat(
                np.maximum(sorted_ends[:, :2], sorted_ends[:, 2:]), piece_start[:-1]
            ),
        ],
        axis=1,
    )
    del sorted_ends
    outer = closed & ~hole
    by_plane = np.argsort(loop_plane, kind="stable")
    plane_start = np.searchsorted(loop_plane[by_plane], np.arange(bins + 1))
    for plane in range(bins):
        here = by_plane[plane_start[plane] : plane_start[plane + 1]]
        mine, holes = here[outer[here]], box[here[hole[here]]]
        if len(mine) < 2:
            continue
        in_hole = (
            (box[mine, None, :2] >= holes[None, :, :2]).all(axis=2)
            & (box[mine, None, 2:] <= holes[None, :, 2:]).all(axis=2)
        ).any(axis=1)
        mine = mine[~in_hole]
        meet = (box[mine, None, :2] <= box[None, mine, 2:]).all(axis=2) & (
            box[None, mine, :2] <= box[mine, None, 2:]
        ).all(axis=2)
        np.fill_diagonal(meet, False)
        if not meet.any():
            continue
        if np.count_nonzero(meet) > MAX_OUTLINE_PAIRS:
            groups, _ = connected_components(csr_matrix(meet), directed=False)
            merged[plane] = len(mine) - groups
            continue
        pieces = [order[piece_start[loop] : piece_start[loop + 1]] for loop in mine]
        probes = [
            ends[p[np.linspace(0, len(p) - 1, min(points, len(p))).astype(int)]] for p in pieces
        ]
        inside = np.zeros_like(meet)
        for other, probing in zip(*np.nonzero(meet), strict=True):
            probe = probes[probing]
            px = (probe[:, 0] + probe[:, 2])[:, None] / 2
            py = (probe[:, 1] + probe[:, 3])[:, None] / 2
            x0, y0, x1, y1 = (ends[pieces[other], k][None, :] for k in range(4))
            straddles = (y0 > py) != (y1 > py)
            rise = np.where(straddles, y1 - y0, 1.0)
            crossings = (straddles & (px < x0 + (py - y0) * (x1 - x0) / rise)).sum(axis=1)
            inside[probing, other] = (crossings % 2 == 1).any()
        groups, _ = connected_components(csr_matrix(inside | inside.T), directed=False)
        merged[plane] = len(mine) - groups
    return merged


@dataclass(frozen=True)
class _HalfTriangles:
    """Per half triangle (rows t and triangles + t: triangle t below and above its middle
    corner b), the piece a plane at height ``base_z + u`` cuts, from where the contour
    enters (p) to where it leaves (q).

    Both crossing points move linearly with u, so ``q - p`` grows from a point at a (lower
    half) or shrinks to a point at c (upper half) pointing one way: its length is
    ``length_at_base + u length_rate`` and its ``direction`` is fixed. Twice the area it
    sweeps about the origin, ``p x q``, is ``area_at_base + u area_rate + u^2 area_curve``.
    """

    base_z: np.ndarray
    length_at_base: np.ndarray
    length_rate: np.ndarray
    area_at_base: np.ndarray
    area_rate: np.ndarray
    area_curve: np.ndarray
    direction: np.ndarray

    @classmethod
    def of(cls, faces: _SortedFaces) -> "_HalfTriangles":
        # Every figure is written in place, into its half of the result: on millions of
        # triangles fresh memory costs the kernel as much as the arithmetic costs numpy.
        triangles = len(faces)
        ax, ay, bx, by = faces.xa, faces.ya, faces.xb, faces.yb

        def per_height(x_to, x_from, y_to, y_from, rise):
            scale = np.where(rise > 0, rise, 1.0)
            np.reciprocal(scale, out=scale)
            dx = x_to - x_from
            dx *= scale
            dy = y_to - y_from
            dy *= scale
            return dx, dy

        def cross(out, ux, uy, vx, vy):
            np.multiply(ux, vy, out=out)
            out -= vx * uy
            return out

        def halves():
            whole = np.empty(2 * triangles)
            return whole, whole[:triangles], whole[triangles:]

        rise_ab = faces.zb - faces.za
        # Per unit of height: along the long edge a-c, the edge a-b and the edge b-c.
        long_x, long_y = per_height(faces.xc, ax, faces.yc, ay, faces.zc - faces.za)
        ab_x, ab_y = per_height(bx, ax, by, ay, rise_ab)
        bc_x, bc_y = per_height(faces.xc, bx, faces.yc, by, faces.zc - faces.zb)
        # At the base of the upper half, the long edge's point level with b.
        mid_x = long_x * rise_ab
        mid_x += ax
        mid_y = long_y * rise_ab
        mid_y += ay
        del rise_ab
        # Taken from the long edge (p) to the short one (q), then turned round where the
        # contour enters by the short edge: p x q changes sign, q - p too.
        sign = np.where(faces.forward, 1.0, -1.0)
        area_at_base, low, high = halves()
        low[:] = 0.0
        cross(high, mid_x, mid_y, bx, by)
        high *= sign
        area_rate, low, high = halves()
        cross(low, ax, ay, ab_x, ab_y)
        low += cross(np.empty(triangles), long_x, long_y, ax, ay)
        low *= sign
        cross(high, mid_x, mid_y, bc_x, bc_y)
        high += cross(mid_x, long_x, long_y, bx, by)  # mid_x is free from here
        high *= sign
        del mid_x, mid_y
        area_curve, low, high = halves()
        cross(low, long_x, long_y, ab_x, ab_y)
        low *= sign
        cross(high, long_x, long_y, bc_x, bc_y)
        high *= sign
        # q - p per unit of height: its length and direction.
        ab_x -= long_x
        ab_x *= sign
        ab_y -= long_y
        ab_y *= sign
        long_x -= bc_x
        long_x *= sign
        long_y -= bc_y
        long_y *= sign
        direction, low, high = halves()
        np.arctan2(ab_y, ab_x, out=low)
        np.arctan2(long_y, long_x, out=high)
        length_rate, low, high = halves()
        np.hypot(ab_x, ab_y, out=low)
        np.hypot(long_x, long_y, out=high)
        length_at_base, low_base, high_base = halves()
        low_base[:] = 0.0
        np.subtract(faces.zc, faces.zb, out=high_base)
        high_base *= high
        np.negative(high, out=high)
        return cls(
            base_z=np.concatenate([faces.za, faces.zb]),
            length_at_base=length_at_base,
            length_rate=length_rate,
            area_at_base=area_at_base,
            area_rate=area_rate,
            area_curve=area_curve,
            direction=direction,
        )


def _surface_class(normal_z: np.ndarray, horizontal: np.ndarray) -> np.ndarray:
    """Each face's surface class (``normal_z``, ``horizontal``: its normal, as ``_tilt``): its
    slope class, facing up, or that plus the number of slope classes facing down."""
    slopes = len(SLOPE_EDGES_TAN) + 1
    slope = np.searchsorted(SLOPE_EDGES_TAN, horizontal / np.maximum(np.abs(normal_z), 1e-300))
    return slope + slopes * ~(normal_z > 0)


def _surfaces(
    faces: _SortedFaces, normal_z: np.ndarray, face_class: np.ndarray, pitch: float, bins: int
) -> np.ndarray:
    """Projected area of the up- and down-facing surface in each fine layer, by surface class
    (``normal_z``: each face's normal's vertical component, as ``_tilt``; ``face_class`` as
    ``_surface_class``), as (layer, facing, slope) flattened: up-facing classes first, then
    down-facing.

    A triangle's projected area below height h grows with the square of h - z0 up to its
    middle corner and then falls short of the whole by the square of z2 - h: each piece is
    the difference between the shares below two fine-layer boundaries.
    """
    projected = np.abs(normal_z) / 2
    z0, z1, z2 = faces.za, faces.zb, faces.zc
    span = np.maximum(z2 - z0, 1e-300)
    # Share of the projected area below h: (h - z0)^2 / low_scale, or 1 - (z2 - h)^2 / high_scale.
    low_scale = span * np.maximum(z1 - z0, 1e-300)
    high_scale = span * np.maximum(z2 - z1, 1e-300)
    # Fine-layer boundaries k * pitch strictly inside each triangle's z range.
    first = np.floor(z0 / pitch).astype(np.int64) + 1
    last = np.ceil(z2 / pitch).astype(np.int64) - 1
    counts = np.maximum(last - first + 1, 0)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    face = np.repeat(np.arange(len(counts)), counts)
    boundary = (first - offsets[:-1]).take(face)
    boundary += np.arange(offsets[-1])
    level = boundary * pitch
    below_low = level - z0.take(face)
    below_low *= below_low
    below_low /= low_scale.take(face)
    above = z2.take(face) - level
    above *= above
    above /= high_scale.take(face)
    np.subtract(1.0, above, out=above)
    below = np.where(level <= z1.take(face), below_low, above)
    np.clip(below, 0.0, 1.0, out=below)
    below *= projected.take(face)
    # The piece under boundary k lies in fine layer k - 1; the last piece above the last one.
    piece_area = below.copy()
    piece_area[1:] -= below[:-1]
    crossed = np.flatnonzero(counts)
    starts = offsets.take(crossed)
    piece_area[starts] = below.take(starts)
    tail = projected.copy()
    tail[crossed] -= below.take(offsets.take(crossed + 1) - 1)
    # A face crossing no boundary (a flat top or bottom) goes where the sections see it: a
    # face up tops the last fine layer whose mid-plane lies under it, a face down is the bottom
    # of the first one whose mid-plane lies over it. A flat top modelled at a round height,
    # a boundary give or take the file's rounding, tops the layer under that boundary.
    tail_layer = np.where(
        normal_z > 0, np.ceil(z2 / pitch - 0.5) - 1, np.floor(z0 / pitch - 0.5) + 1
    ).astype(np.int64)
    tail_layer[crossed] = last.take(crossed)
    key = np.concatenate([boundary - 1, tail_layer])
    np.clip(key, 0, bins - 1, out=key)
    key *= _SURFACE_CLASSES
    key += np.concatenate([face_class.take(face), face_class])
    return np.bincount(
        key, weights=np.concatenate([piece_area, tail]), minlength=bins * _SURFACE_CLASSES
    )


def _supports(supports, pitch, bins, columns) -> None:
    """Area of the support columns crossing each fine layer, and of the overhangs they hold;
    the same for the length of the overhangs' free edges (where the slicer grows them).

    Columns under flat overhangs that stand on the part (a cavity's ceiling, a bridge over a
    slot) are kept apart: a slicer told not to support bridges prints them in the air.
    """
    if supports is None or not len(supports[0]):
        supports = (np.zeros(0),) * 3 + (np.zeros(0, dtype=bool), np.zeros(0))
    top, bottom, area = (np.asarray(values, dtype=np.float64) for values in supports[:3])
    bridged = np.asarray(supports[3], dtype=bool)
    edge = np.asarray(supports[4], dtype=np.float64)
    top_layer = np.clip(np.floor(top / pitch).astype(np.int64), 0, bins - 1)
    bottom_layer = np.clip(np.floor(bottom / pitch).astype(np.int64), 0, bins)
    for prefix, chosen in (("", ~bridged), ("bridged_", bridged)):
        for held, column, size in (
            ("overhang_mm2", "support_mm2", area),
            ("overhang_edge_mm", "support_edge_mm", edge),
        ):
            crossing = np.bincount(bottom_layer[chosen], size[chosen], minlength=bins + 1)
            crossing -= np.bincount(top_layer[chosen], size[chosen], minlength=bins + 1)
            columns[f"{prefix}{column}"] = np.maximum(np.cumsum(crossing)[:bins], 0.0)
            columns[f"{prefix}{held}"] = np.bincount(
                top_layer[chosen], weights=size[chosen], minlength=bins
            )


# --- Profile ----------------------------------------------------------------------------------


def _number(config: Mapping[str, str], key: str, base: float | None = None) -> float:
    """A PrusaSlicer option as a float: first value of a vector, ``%`` of ``base`` if given."""
    text = str(config.get(key, "")).split(",")[0].strip()
    if text.endswith("%"):
        if base is None:
            raise ValueError(f"slicer option {key} is a percentage without a base")
        return float(text[:-1]) / 100 * base
    return float(text)


@dataclass(frozen=True)
class FdmProfile:
    """The figures of a PrusaSlicer profile set the estimate uses (mm, mm/s, mm/s2, s, g/cm3)."""

    name: str
    layer_height: float
    first_layer_height: float
    min_layer_height: float
    nozzle: float
    perimeters: int
    top_layers: int
    vertical_shells: bool
    bottom_layers: int
    top_min_mm: float
    bottom_min_mm: float
    infill_density: float
    fill_pattern: str
    fill_angle_deg: float
    infill_anchor_max: float
    widths: Mapping[str, float]
    speeds: Mapping[str, float]
    accelerations: Mapping[str, float]
    first_layer_speed: float
    first_layer_acceleration: float
    travel_speed: float
    travel_speed_z: float
    max_feed_xy: float
    max_feed_z: float
    max_acceleration_extruding: float
    max_acceleration_z: float
    max_acceleration_retracting: float
    max_acceleration_e: float
    jerk_xy: float
    jerk_z: float
    jerk_e: float
    max_volumetric_speed: float
    retract_length: float
    retract_speed: float
    deretract_speed: float
    retract_lift: float
    retract_before_travel: float
    slowdown_below_layer_time: float
    min_print_speed: float
    support: bool
    dont_support_bridges: bool
    support_threshold_deg: float
    support_spacing: float
    support_interface_layers: int
    support_interface_spacing: float
    support_contact_distance: float
    bridge_flow_ratio: float
    filament_diameter: float
    density: float

    @classmethod
    def load(
        cls, printer: str, material: str, overrides: Mapping[str, object] | None = None
    ) -> "FdmProfile":
        """Reads the profile set (print, printer, material, overrides) as the slicer would."""
        return _shipped_profile(printer, material, tuple(sorted((overrides or {}).items())))

    @classmethod
    def from_config(cls, config: Mapping[str, str], name: str = "") -> "FdmProfile":
        nozzle = _number(config, "nozzle_diameter")
        height = _number(config, "layer_height")
        default_width = _number(config, "extrusion_width", nozzle) or 1.125 * nozzle

        def width(key: str) -> float:
            return _number(config, key, nozzle) or default_width

        widths = {
            "external": width("external_perimeter_extrusion_width"),
            "perimeter": width("perimeter_extrusion_width"),
            "infill": width("infill_extrusion_width"),
            "solid": width("solid_infill_extrusion_width"),
            "top": width("top_infill_extrusion_width"),
            "support": width("support_material_extrusion_width"),
            "first": width("first_layer_extrusion_width"),
        }
        perimeter_speed = _number(config, "perimeter_speed")
        solid_speed = _number(config, "solid_infill_speed", _number(config, "infill_speed"))
        support_speed = _number(config, "support_material_speed")
        speeds = {
            "external": _number(config, "external_perimeter_speed", perimeter_speed),
            "perimeter": perimeter_speed,
            "small": _number(config, "small_perimeter_speed", perimeter_speed),
            "infill": _number(config, "infill_speed"),
            "solid": solid_speed,
            "top": _number(config, "top_solid_infill_speed", solid_speed),
            "bridge": _number(config, "bridge_speed"),
            "support": support_speed,
            "interface": _number(config, "support_material_interface_speed", support_speed),
        }
        default_accel = _number(config, "default_acceleration")

        def acceleration(key: str) -> float:
            return _number(config, key) or default_accel

        perimeter_accel = acceleration("perimeter_acceleration")
        infill_accel = acceleration("infill_acceleration")
        accelerations = {
            "external": perimeter_accel,
            "perimeter": perimeter_accel,
            "small": perimeter_accel,
            "infill": infill_accel,
            "solid": infill_accel,
            "top": infill_accel,
            "bridge": acceleration("bridge_acceleration"),
            "support": default_accel,
            "interface": default_accel,
            "travel": default_accel,
        }
        first_layer = _number(config, "first_layer_height", height)
        return cls(
            name=name,
            layer_height=height,
            first_layer_height=first_layer,
            min_layer_height=_number(config, "min_layer_height"),
            nozzle=nozzle,
            perimeters=int(_number(config, "perimeters")),
            top_layers=int(_number(config, "top_solid_layers")),
            vertical_shells=config.get("ensure_vertical_shell_thickness") == "1",
            bottom_layers=int(_number(config, "bottom_solid_layers")),
            top_min_mm=_number(config, "top_solid_min_thickness"),
            bottom_min_mm=_number(config, "bottom_solid_min_thickness"),
            infill_density=_number(config, "fill_density", 1.0),
            fill_pattern=str(config.get("fill_pattern", "")),
            fill_angle_deg=_number(config, "fill_angle"),
            infill_anchor_max=_number(config, "infill_anchor_max", widths["infill"]),
            widths=widths,
            speeds=speeds,
            accelerations=accelerations,
            first_layer_speed=_number(config, "first_layer_speed"),
            first_layer_acceleration=_number(config, "first_layer_acceleration") or default_accel,
            travel_speed=_number(config, "travel_speed"),
            travel_speed_z=_number(config, "travel_speed_z") or _number(config, "travel_speed"),
            max_feed_xy=min(
                _number(config, "machine_max_feedrate_x"),
                _number(config, "machine_max_feedrate_y"),
            ),
            max_feed_z=_number(config, "machine_max_feedrate_z"),
            max_acceleration_extruding=_number(config, "machine_max_acceleration_extruding"),
            max_acceleration_z=_number(config, "machine_max_acceleration_z"),
            max_acceleration_retracting=_number(config, "machine_max_acceleration_retracting"),
            max_acceleration_e=_number(config, "machine_max_acceleration_e"),
            jerk_xy=min(
                _number(config, "machine_max_jerk_x"), _number(config, "machine_max_jerk_y")
            ),
            jerk_z=_number(config, "machine_max_jerk_z"),
            jerk_e=_number(config, "machine_max_jerk_e"),
            max_volumetric_speed=_number(config, "filament_max_volumetric_speed") or math.inf,
            retract_length=_number(config, "retract_length"),
            retract_speed=_number(config, "retract_speed"),
            deretract_speed=_number(config, "deretract_speed") or _number(config, "retract_speed"),
            retract_lift=_number(config, "retract_lift"),
            retract_before_travel=_number(config, "retract_before_travel"),
            slowdown_below_layer_time=(
                _number(config, "slowdown_below_layer_time") if config.get("cooling") == "1" else 0
            ),
            min_print_speed=_number(config, "min_print_speed"),
            support=config.get("support_material") == "1",
            dont_support_bridges=config.get("dont_support_bridges") == "1",
            support_threshold_deg=_number(config, "support_material_threshold"),
            support_spacing=_number(config, "support_material_spacing"),
            support_interface_layers=int(_number(config, "support_material_interface_layers")),
            support_interface_spacing=_number(config, "support_material_interface_spacing"),
            support_contact_distance=_number(config, "support_material_contact_distance"),
            bridge_flow_ratio=_number(config, "bridge_flow_ratio"),
            filament_diameter=_number(config, "filament_diameter"),
            density=_number(config, "filament_density"),
        )


@functools.lru_cache(maxsize=64)
def _shipped_profile(printer: str, material: str, overrides: tuple) -> FdmProfile:
    """A shipped profile set with overrides, read once per process (the files ship with the
    engine)."""
    config = profile_reader.load_profile(printer, material, dict(overrides))
    return FdmProfile.from_config(config, f"{printer}/{material}")


# --- Estimate (pricing time) ------------------------------------------------------------------


@dataclass(frozen=True)
class LayerEstimate:
    """Print time and filament of one part with one profile, and where they go."""

    print_time_s: float
    material_g: float
    extruded_mm3: float
    layers: int
    time_by_feature_s: Mapping[str, float]
    grams_by_feature: Mapping[str, float]

    def to_dict(self) -> dict:
        return {
            "print_time_s": self.print_time_s,
            "material_g": self.material_g,
            "extruded_mm3": self.extruded_mm3,
            "layers": self.layers,
            "time_by_feature_s": dict(self.time_by_feature_s),
            "grams_by_feature": dict(self.grams_by_feature),
        }


def cross_section(width: float, height: float) -> float:
    """PrusaSlicer's extrusion cross-section: a rectangle with round ends (mm2)."""
    return (width - height) * height + math.pi * height**2 / 4


def spacing(width: float, height: float) -> float:
    """Distance between neighbouring lines of that width and height (mm)."""
    return width - height * (1 - math.pi / 4)


def _run_time(length, count, speed, acceleration, junction):
    """Time of ``count`` runs sharing ``length`` at ``speed``, accelerating from ``junction``."""
    count = np.maximum(count, 1e-12)
    run = length / count
    junction = np.minimum(junction, speed)
    full = run >= (speed**2 - junction**2) / acceleration
    cruise = run / speed + (speed - junction) ** 2 / (acceleration * speed)
    peak = np.sqrt(junction**2 + acceleration * run)
    short = 2 * (peak - junction) / acceleration
    return count * np.where(full, cruise, short) * (length > 0)


def _move_time(distance: float, speed: float, acceleration: float, start: float) -> float:
    return float(_run_time(np.array(distance), np.array(1.0), speed, acceleration, start))


def _drop_unprintable_contacts(columns: dict, pitch: float, profile: FdmProfile) -> None:
    """Drops the support columns of overhangs too near the plate for a contact layer.

    PrusaSlicer puts an overhang's contact layer one contact distance under the layer the
    overhang shows in, and does not support the overhang if that is below the first layer's
    height (new_contact_layer: "not printable"). An overhang shows in the first layer whose
    mid-plane is above it: one lower than first layer + gap - half a layer is not supported.
    Such a low column stands on the plate, across every fine layer under its top.
    """
    gap = round(profile.support_contact_distance / profile.layer_height) * profile.layer_height
    low = int(max(0.0, profile.first_layer_height + gap - profile.layer_height / 2) / pitch)
    for prefix in ("", "bridged_"):
        for held, column in (
            ("overhang_mm2", "support_mm2"),
            ("overhang_edge_mm", "support_edge_mm"),
        ):
            if f"{prefix}{held}" not in columns or low < 1:
                continue
            tops = columns[f"{prefix}{held}"][:low].copy()
            # A column topped in fine layer t crosses fine layers 0 to t - 1.
            above = np.cumsum(tops[::-1])[::-1]
            crossing = np.concatenate([above[1:], [0.0]])
            columns[f"{prefix}{column}"][:low] = np.maximum(
                columns[f"{prefix}{column}"][:low] - crossing, 0.0
            )
            columns[f"{prefix}{held}"][:low] = 0.0


def _layer_bounds(total: int, pitch: float, profile: FdmProfile) -> list[tuple[int, int]]:
    """Fine-layer index ranges [start, end) of every print layer, as the slicer stacks them."""
    first = max(1, round(profile.first_layer_height / pitch))
    step = max(1, round(profile.layer_height / pitch))
    bounds, start = [(0, min(first, total))], min(first, total)
    minimum = max(1, round(profile.min_layer_height / pitch))
    while start < total:
        end = min(start + step, total)
        if end - start < minimum and bounds:
            bounds[-1] = (bounds[-1][0], end)
        else:
            bounds.append((start, end))
        start = end
    return bounds


def estimate(table: Mapping, profile: FdmProfile) -> LayerEstimate:
    """Print time and filament of the part of ``table`` printed with ``profile``."""
    columns = unpack(table)
    pitch = float(table["pitch_mm"])
    bounds = _layer_bounds(int(table["layers"]), pitch, profile)
    starts = np.array([b[0] for b in bounds])
    ends = np.array([b[1] for b in bounds])
    count = len(bounds)
    # Every layer is printed at the profile's height, the last one too (rounded up).
    thickness = np.full(count, profile.layer_height)
    thickness[0] = profile.first_layer_height

    _drop_unprintable_contacts(columns, pitch, profile)

    def at_middle(name: str) -> np.ndarray:
        """Value at each print layer's mid-plane, between the fine layers around it."""
        values = columns[name]
        middle = (starts + ends) / 2 - 0.5
        low = np.clip(np.floor(middle).astype(int), 0, len(values) - 1)
        high = np.clip(low + 1, 0, len(values) - 1)
        share = middle - np.floor(middle)
        return values[low] * (1 - share) + values[high] * share

    def summed(name: str) -> np.ndarray:
        cumulative = np.concatenate([[0.0], np.cumsum(columns[name])])
        return cumulative[ends] - cumulative[starts]

    contour = at_middle("contour_mm")
    area = np.maximum(at_middle("area_mm2"), 0.0)
    loops = np.round(at_middle("loops"))
    holes = np.round(at_middle("holes"))
    islands = np.maximum(loops - holes, 0)
    euler = islands - holes
    small_share = np.clip(at_middle("small_loop_mm") / np.maximum(contour, 1e-9), 0, 1)
    corners = np.stack([at_middle(name) for name in _CORNER_COLUMNS])
    up = np.stack([summed(name) for name in _UP_COLUMNS])
    down = np.stack([summed(name) for name in _DOWN_COLUMNS])
    # Contour across each class's faces, per print layer (none in tables stored before it).
    up_contour, down_contour = (
        np.stack(
            [summed(name) * pitch if name in columns else np.full(count, np.nan) for name in names]
        )
        for names in (_UP_CONTOUR_COLUMNS, _DOWN_CONTOUR_COLUMNS)
    )
    h = thickness
    widths = profile.widths

    # Perimeters: the external one at half its width inside the contour, the others one
    # spacing further each. A layer thinner than the band holds only what its area allows.
    ext_w = np.where(starts == 0, widths["first"], widths["external"])
    per_w = np.where(starts == 0, widths["first"], widths["perimeter"])
    ext_s, per_s = spacing(ext_w, h), spacing(per_w, h)
    offsets = [ext_w / 2] + [
        ext_w / 2 + (ext_s + per_s) / 2 + k * per_s for k in range(profile.perimeters - 1)
    ]
    loop_lengths = [np.maximum(contour - 2 * math.pi * d * euler, 0.0) for d in offsets]
    line_spacings = [ext_s] + [per_s] * (len(loop_lengths) - 1)
    band_area = sum(length * s for length, s in zip(loop_lengths, line_spacings, strict=True))
    fill = np.clip(area / np.maximum(band_area, 1e-9), 0.0, 1.0)
    external_mm = loop_lengths[0] * fill
    perimeter_mm = sum(loop_lengths[1:], np.zeros(count)) * fill
    inner = np.maximum(area - band_area, 0.0)
    # A region left inside the perimeters narrower than one infill line is filled by the
    # perimeters themselves (Arachne widens them): mean width = twice its area over its edge.
    inner_edge = np.maximum(loop_lengths[-1], 1e-9)
    absorbed = (inner > 0) & (2 * inner / inner_edge < widths["infill"])
    perimeter_mm = perimeter_mm + np.where(absorbed, inner / per_s, 0.0)
    inner = np.where(absorbed, 0.0, inner)

    # Skins: each surface piece becomes solid in the layers within reach. Only the part of it
    # inside the perimeters shows as a top surface (a slope of tangent t moves h/t per layer);
    # with ensure_vertical_shell_thickness the slicer makes solid whatever part of a layer's
    # inside is not inside in every layer within reach (discover_vertical_shells), so the
    # layers below a surface keep its whole reach solid, measured from the inner edge of the
    # perimeters; the surface's own layer shows only what lies inside its perimeters. That
    # shell is then regularised (``_regular_shell_share``): on a steep slope the ring is too
    # narrow for a line of solid infill and is dropped, a wider one grows a little inward.
    band = np.array(offsets[-1]) + per_s / 2
    slope_tan = _class_middles(SLOPE_EDGES_TAN, first=0.0)
    top_layers = max(profile.top_layers, math.ceil(profile.top_min_mm / profile.layer_height))
    bottom_layers = max(
        profile.bottom_layers, math.ceil(profile.bottom_min_mm / profile.layer_height)
    )
    top_solid = np.zeros(count)
    top_surface = np.zeros(count)
    bottom_solid = np.zeros(count)
    bridge = np.zeros(count)
    opening = 1.05 * spacing(widths["solid"], profile.layer_height)
    for cls, tan in enumerate(slope_tan):
        # Horizontal reach of one layer on that slope, in units of the perimeter band.
        band_layers = band * tan / np.maximum(h, 1e-9)
        top_shell = _regular_shell(
            up[cls], up_contour[cls], tan, reach=top_layers - 1, h=h, opening=opening
        )
        for j in range(top_layers):
            visible = np.clip(1 + j - band_layers, 0.0, 1.0)
            # A surface in print layer i is solid in layers i - j.
            solid_here = (
                top_shell[j == 1] if profile.vertical_shells and j > 0 else up[cls] * visible
            )
            shifted = np.zeros(count)
            if j < count:
                shifted[: count - j] = solid_here[j:]
            top_solid += shifted
            if j == 0:
                top_surface += up[cls] * visible
        bottom_shell = _regular_shell(
            down[cls], down_contour[cls], tan, reach=bottom_layers - 1, h=h, opening=opening
        )
        for j in range(bottom_layers):
            visible = np.clip(1 + j - band_layers, 0.0, 1.0)
            solid_here = (
                bottom_shell[j == 1] if profile.vertical_shells and j > 0 else down[cls] * visible
            )
            shifted = np.zeros(count)
            if j < count:
                shifted[j:] = solid_here[: count - j]
            bottom_solid += shifted
            if j == 0 and cls <= 1:
                bridge += down[cls] * visible
    bridge[0] = 0.0  # the first layer lies on the plate: a bottom layer, whatever is above
    top_surface[0] = 0.0
    solid = np.minimum(inner, top_solid + bottom_solid)
    top_surface = np.minimum(top_surface, solid)
    # The first solid layer over sparse infill is bridged too (PrusaSlicer's internal bridge).
    over_sparse = np.maximum(np.diff(np.minimum(top_solid, inner), prepend=0.0), 0.0)
    over_sparse[0] = 0.0
    bridge = np.minimum(bridge + over_sparse * (profile.infill_density < 1), solid - top_surface)
    solid_rest = solid - top_surface - bridge
    sparse = inner - solid

    solid_w = np.where(starts == 0, widths["first"], widths["solid"])
    infill_w = np.where(starts == 0, widths["first"], widths["infill"])
    top_w = widths["top"]
    solid_mm = solid_rest / spacing(solid_w, h)
    top_mm = top_surface / spacing(top_w, h)
    bridge_line = profile.nozzle * math.sqrt(profile.bridge_flow_ratio)
    bridge_mm = bridge / (bridge_line + 0.05 * profile.nozzle)
    sparse_mm = sparse * profile.infill_density / spacing(infill_w, h)
    # Infill anchors: PrusaSlicer joins neighbouring line ends along the region's boundary
    # when the boundary between them is at most infill_anchor_max long, alternately on either
    # side: half of the boundary where lines end on it. Along a boundary at angle phi to the
    # lines, ends are line_gap / sin(phi) apart. The lines run one way on a layer and across
    # on the next (the gyroid along X and Y, the others at fill_angle and across). The sparse
    # region's boundary is the inner perimeter's, shrunk with the core a skin ring leaves.
    line_gap = spacing(infill_w, h) / max(profile.infill_density, 1e-9)
    fill_angle = 0.0 if profile.fill_pattern == "gyroid" else profile.fill_angle_deg
    bin_middle = (np.arange(DIRECTION_BINS) + 0.5) * 90.0 / DIRECTION_BINS
    joined = np.zeros((DIRECTION_BINS, count))
    for lines in (fill_angle, fill_angle + 90.0):
        sine = np.abs(np.sin(np.radians(bin_middle - lines)))[:, None]
        joined += 0.25 * (line_gap[None, :] <= profile.infill_anchor_max * sine)
    by_direction = np.stack([at_middle(name) for name in _DIRECTION_COLUMNS])
    covered = (by_direction * joined).sum(axis=0) / np.maximum(by_direction.sum(axis=0), 1e-9)
    core_share = np.clip(sparse / np.maximum(inner, 1e-9), 0.0, 1.0)
    sparse_edge = loop_lengths[-1] * np.sqrt(core_share)
    sparse_mm = sparse_mm + (sparse > 0) * (profile.infill_density < 1) * covered * sparse_edge

    # Supports: sparse lines under the overhangs, denser interface layers right under them.
    # PrusaSlicer grows each contact area by its margin past the overhang's free edges and
    # snaps the support regions outward to its grid (cells of one support line spacing): a
    # straight edge at a random angle and offset gains half a cell's projected width, 2/pi
    # of a cell on average. Contact layers follow the overhang's outline on slopes as well.
    support_w = widths["support"]
    support_area = np.zeros(count)
    overhang = np.zeros(count)
    contact_edge = np.zeros(count)
    grid_cell = profile.support_spacing + spacing(support_w, profile.layer_height)
    snap = 2 / math.pi * grid_cell
    if profile.support:
        prefixes = [""] if profile.dont_support_bridges else ["", "bridged_"]
        layer_count = np.maximum(ends - starts, 1)
        for prefix in prefixes:
            support_area += summed(f"{prefix}support_mm2") / layer_count
            support_area += (
                summed(f"{prefix}support_edge_mm") / layer_count * (SUPPORT_MARGIN_MM + snap)
            )
            overhang += summed(f"{prefix}overhang_mm2")
            contact_edge += summed(f"{prefix}overhang_edge_mm")
        contact_edge += at_middle("overhang_contour_mm")
    interface_area = np.zeros(count)
    interface_band = np.zeros(count)
    gap_layers = max(0, round(profile.support_contact_distance / profile.layer_height))
    for j in range(profile.support_interface_layers):
        shift = gap_layers + j + 1
        if shift < count:
            interface_area[: count - shift] += overhang[shift:]
            interface_band[: count - shift] = np.maximum(
                interface_band[: count - shift], contact_edge[shift:] * snap
            )
    support_area = np.maximum(support_area, interface_area + interface_band)
    interface_area = np.minimum(interface_area + interface_band, support_area)
    support_mm = (support_area - interface_area) / (profile.support_spacing + spacing(support_w, h))
    interface_mm = interface_area / (profile.support_interface_spacing + spacing(support_w, h))
    # Runs between corners, with the junction speed of each corner class.
    corner_deg = _class_middles((*CORNER_EDGES_DEG, 180.0))[1:-1]
    flow = {
        "external": cross_section(widths["external"], profile.layer_height),
        "perimeter": cross_section(widths["perimeter"], profile.layer_height),
        "small": cross_section(widths["perimeter"], profile.layer_height),
        "infill": cross_section(widths["infill"], profile.layer_height),
        "solid": cross_section(widths["solid"], profile.layer_height),
        "top": cross_section(widths["top"], profile.layer_height),
        "bridge": math.pi * bridge_line**2 / 4,
        "support": cross_section(support_w, profile.layer_height),
        "interface": cross_section(support_w, profile.layer_height),
    }
    first = starts == 0

    def speed_of(feature: str, cap: np.ndarray | float = math.inf) -> np.ndarray:
        speed = min(
            profile.speeds[feature],
            profile.max_volumetric_speed / flow[feature],
            profile.max_feed_xy,
        )
        return np.minimum(np.where(first, min(speed, profile.first_layer_speed), speed), cap)

    def accel_of(feature: str) -> np.ndarray:
        accel = min(profile.accelerations[feature], profile.max_acceleration_extruding)
        return np.where(first, min(profile.first_layer_acceleration, accel), accel)

    def junction(speed: np.ndarray) -> np.ndarray:
        """Mean junction speed over the corners of a loop, per layer (jerk-limited)."""
        limits = profile.jerk_xy / (2 * np.sin(np.radians(corner_deg) / 2))
        capped = np.minimum(limits[:, None], speed[None, :])
        total = corners.sum(axis=0)
        return np.where(total > 0, (corners * capped).sum(axis=0) / np.maximum(total, 1e-9), speed)

    def loop_time(length, feature, cap):
        speed = speed_of(feature, cap)
        runs = np.maximum(loops, 1) + _sharp(corners, speed, corner_deg, profile.jerk_xy)
        return _run_time(length, runs * (length > 0), speed, accel_of(feature), junction(speed))

    small_external = external_mm * small_share
    small_perimeter = perimeter_mm * small_share
    # Fill lines run between reversals across their region: its mean chord (Cauchy: pi *
    # area / boundary). A region covering the whole inside is bounded by the perimeters; a
    # part of it (a skin ring along a slope, the infill inside it) by a second edge as well.
    edge = np.maximum(loop_lengths[-1], 1e-9)

    def chord_of(region: np.ndarray) -> np.ndarray:
        share = np.clip(region / np.maximum(inner, 1e-9), 0.0, 1.0)
        return np.maximum(math.pi * region / (edge * (2 - share)), 2 * profile.nozzle)

    solid_chord, sparse_chord = chord_of(solid), chord_of(sparse)
    support_chord = np.maximum(np.sqrt(np.maximum(support_area, 0.0)), 2 * profile.nozzle)
    reversal = profile.jerk_xy / 2
    fills = (
        ("solid", solid_mm, solid_chord),
        ("top", top_mm, solid_chord),
        ("bridge", bridge_mm, solid_chord),
        ("infill", sparse_mm, sparse_chord),
        ("support", support_mm, support_chord),
        ("interface", interface_mm, support_chord),
    )

    def gyroid_per_mm(cap: np.ndarray | float) -> np.ndarray:
        """Seconds per mm of gyroid infill per layer, its feed rate capped at ``cap``."""
        speed, accel = speed_of("infill", cap), accel_of("infill")
        # Slowed feed rates to 0.1 mm/s: few distinct polylines to time.
        speed = np.where(np.isfinite(cap), np.round(speed, 1), speed)
        rows = np.array(_distinct(infill_w, h, speed, accel))
        per_mm = np.empty(len(rows))
        # One timing of the polylines per line spacing and acceleration, for all its feeds.
        for w, layer_h, a in _distinct(rows[:, 0], rows[:, 1], rows[:, 3]):
            same = (rows[:, 0] == w) & (rows[:, 1] == layer_h) & (rows[:, 3] == a)
            per_mm[same] = gyroid_seconds_per_mm_at(
                float(spacing(w, layer_h)),
                profile.infill_density,
                tuple(float(v) for v in rows[same, 2]),
                float(a),
                profile.jerk_xy,
            )
        return per_mm[_distinct_index(infill_w, h, speed, accel)]

    def extrusion_times(cap: np.ndarray | float) -> dict[str, np.ndarray]:
        """Each extruded feature's motion time per layer, its feed rates capped at ``cap``."""
        times = {
            "external_perimeter": loop_time(external_mm - small_external, "external", cap)
            + loop_time(small_external, "small", cap),
            "perimeter": loop_time(perimeter_mm - small_perimeter, "perimeter", cap)
            + loop_time(small_perimeter, "small", cap),
        }
        for feature, length, chord in fills:
            lines = np.ceil(length / chord) * (length > 0)
            times[feature] = _run_time(
                length, lines, speed_of(feature, cap), accel_of(feature), reversal
            )
        if profile.fill_pattern == "gyroid":
            # A gyroid line is a chain of short segments: time per mm from its own polyline.
            times["infill"] = np.maximum(times["infill"], sparse_mm * gyroid_per_mm(cap))
        return times

    times = extrusion_times(math.inf)

    # Travel and retractions: to every perimeter loop, to every piece of each fill region, and
    # at each layer change. PrusaSlicer chains the lines of a fill along the region's boundary
    # (infill anchors, monotonic linking), around small holes too: each fill kind prints in
    # one piece per island, and two more for every hole wider than a small perimeter loop,
    # where the sweep splits and merges again (boustrophedon decomposition). Each island is
    # reached from afar; within it the next loop or piece starts about one mean chord of the
    # section away (Cauchy: pi * area / contour), and the loops of one contour one line apart
    # (no retraction).
    retract_accel = min(profile.max_acceleration_retracting, profile.max_acceleration_e)
    retraction = (
        _move_time(profile.retract_length, profile.retract_speed, retract_accel, profile.jerk_e)
        + _move_time(profile.retract_length, profile.deretract_speed, retract_accel, profile.jerk_e)
        + 2
        * _move_time(
            profile.retract_lift,
            min(profile.travel_speed_z, profile.max_feed_z),
            profile.max_acceleration_z,
            profile.jerk_z,
        )
    )
    travel_accel = min(profile.accelerations["travel"], profile.max_acceleration_extruding)
    has_core = (sparse_mm > 0) * 1.0
    skins = (solid_mm > 0) * 1.0 + (top_mm > 0) + (bridge_mm > 0)
    pieces = islands + 2 * np.minimum(np.round(at_middle("large_holes")), holes)
    fill_pieces = (has_core + skins) * pieces
    support_pieces = (support_area > 0) * 1.0 + (interface_area > 0) * 1.0
    footprint = np.maximum(area, 1e-9)
    far = np.sqrt(footprint / np.maximum(islands, 1))
    near = np.minimum(math.pi * footprint / np.maximum(contour, 1e-9), far)
    # The first fill of an island starts where its perimeters end (PrusaSlicer starts each
    # chain at the end nearest to the nozzle): one line over, like the next perimeter loop.
    into_fill = np.minimum(fill_pieces, islands)
    near_hops = np.maximum(loops - islands, 0.0) + fill_pieces - into_fill + support_pieces
    next_loop = loops * max(profile.perimeters - 1, 0) + into_fill
    hops = islands + near_hops + next_loop
    travel_mm = islands * far + near_hops * near + next_loop * per_s
    travel = _run_time(travel_mm, hops, profile.travel_speed, travel_accel, profile.jerk_xy)
    retracts = islands + np.where(near > profile.retract_before_travel, near_hops, 0) + 1
    times["travel"] = travel + retracts * retraction

    # Cooling: PrusaSlicer's CoolingBuffer reckons a layer's time as length over feed rate (no
    # acceleration), travel and retractions included. Under slowdown_below_layer_time it slows
    # the adjustable extrusions (all but bridges), the fastest first, down to one common feed
    # rate, never below min_print_speed; the last step's feed rate it interpolates linearly in
    # the time still missing, which leaves the layer a little short of the minimum. The
    # printer then runs the slowed extrusions with its accelerations and corners (the motion
    # model again); travel and retractions keep their time.
    extruded = {
        "external": external_mm - small_external,
        "perimeter": perimeter_mm - small_perimeter,
        "small": small_external + small_perimeter,
        "solid": solid_mm,
        "top": top_mm,
        "bridge": bridge_mm,
        "infill": sparse_mm,
        "support": support_mm,
        "interface": interface_mm,
    }
    extruded_mm = sum(extruded.values())
    nominal_extrude = sum(length / speed_of(feature) for feature, length in extruded.items())
    lift_speed = min(profile.travel_speed_z, profile.max_feed_z)
    nominal_retraction = (
        profile.retract_length / profile.retract_speed
        + profile.retract_length / profile.deretract_speed
        + 2 * profile.retract_lift / lift_speed
    )
    nominal_rest = travel_mm / profile.travel_speed + retracts * nominal_retraction
    missing = profile.slowdown_below_layer_time - nominal_extrude - nominal_rest
    missing = np.where(missing > -0.001 * profile.slowdown_below_layer_time, missing, 0.0)
    adjustable = [feature for feature in extruded if feature != "bridge"]
    feed = _slowdown_feed(
        np.stack([extruded[feature] for feature in adjustable]),
        np.stack([speed_of(feature) for feature in adjustable]),
        np.maximum(missing, 0.0) * (extruded_mm > 0),
        profile.min_print_speed,
    )
    slowed = np.isfinite(feed)
    if slowed.any():
        cap = np.where(slowed, feed, math.inf)
        capped = extrusion_times(cap)
        capped["bridge"] = times["bridge"]
        motion = sum(capped.values()) + times["travel"]
        times["cooling"] = np.maximum(motion - sum(times.values()), 0.0)
    else:
        times["cooling"] = np.zeros(count)

    volumes = {
        "perimeters": external_mm * cross_section(ext_w, h)
        + perimeter_mm * cross_section(per_w, h),
        "solid_infill": solid_mm * cross_section(solid_w, h)
        + top_mm * cross_section(top_w, h)
        + bridge_mm * flow["bridge"],
        "sparse_infill": sparse_mm * cross_section(infill_w, h),
        "support": (support_mm + interface_mm) * cross_section(support_w, h),
    }
    grams = {key: float(np.sum(value)) * profile.density / 1000 for key, value in volumes.items()}
    by_feature = {key: float(np.sum(value)) for key, value in times.items()}
    return LayerEstimate(
        print_time_s=sum(by_feature.values()),
        material_g=sum(grams.values()),
        extruded_mm3=float(sum(np.sum(value) for value in volumes.values())),
        layers=count,
        time_by_feature_s=by_feature,
        grams_by_feature=grams,
    )


def _regular_shell(
    surface: np.ndarray,
    contour_area: np.ndarray,
    class_tan: float,
    *,
    reach: int,
    h: np.ndarray,
    opening: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The vertical shell a surface leaves in each layer within its reach once PrusaSlicer
    regularises it: (area in each layer but the nearest, area in the nearest), per print layer
    of the surface.

    discover_vertical_shells makes solid, in each layer, the ring of its inside that is not
    inside the ``reach`` layers above (below, for a down-facing surface): on a slope of tangent
    t a ring ``reach * h / t`` wide, the surface's projected area per layer (``surface``, h / t
    per unit of contour) ``reach`` times. It then opens the shell (``opening(shell, 0.5 s,
    0.8 s)``, s = 1.05 solid infill spacing: ``opening``): a ring narrower than s vanishes, a
    wider one grows 0.3 s inward (its outward growth is clipped to the inside), once.

    The slope comes from the contour across the surface's faces (``contour_area``: its length
    times the fine pitch, summed over the layer's fine layers, so that t = contour_area /
    surface); ``class_tan`` stands in where the table has no such column (NaN).
    """
    tangent = np.where(np.isnan(contour_area), class_tan, contour_area / np.maximum(surface, 1e-12))
    kept = (reach * h >= opening * tangent) & (surface > 0)
    ring = np.where(kept, surface, 0.0)
    grown = 0.3 * opening * np.where(kept, surface * tangent / np.maximum(h, 1e-9), 0.0)
    return ring, ring + grown


def _slowdown_feed(lengths, speeds, missing, floor: float) -> np.ndarray:
    """Per layer, the feed rate CoolingBuffer slows the extrusions faster than it down to, to
    add ``missing`` seconds (length over feed rate), or inf where nothing is slowed.

    ``lengths`` and ``speeds`` hold one row per adjustable feature. As CoolingBuffer does
    (``extruder_range_slow_down_non_proportional``, ``new_feedrate_to_reach_time_stretch``),
    the fastest extrusions are slowed to one feed rate F, set so that the extrusions faster
    than F take their length over F: F = their length / (their time + ``missing``). Never
    under ``floor`` (min_print_speed); extrusions already at or under it stay as they are.
    """
    adjustable = (speeds > floor) & (lengths > 0)
    order = np.argsort(-np.where(adjustable, speeds, 0.0), axis=0)
    length = np.take_along_axis(np.where(adjustable, lengths, 0.0), order, axis=0)
    speed = np.take_along_axis(np.where(adjustable, speeds, floor), order, axis=0)
    # F when the k fastest features are the ones slowed, for every k.
    feed = np.cumsum(length, axis=0) / np.maximum(
        np.cumsum(length / speed, axis=0) + missing, 1e-12
    )
    slower = np.vstack([speed[1:], np.full(missing.shape, float(floor))])
    fits = feed >= slower
    chosen = feed[np.argmax(fits, axis=0), np.arange(missing.size)]
    slowed = (missing > 0) & adjustable.any(axis=0)
    return np.where(slowed, np.maximum(chosen, floor), math.inf)


def _sharp(corners: np.ndarray, speed: np.ndarray, corner_deg: np.ndarray, jerk: float):
    """Corners per layer sharp enough to slow a move at ``speed`` below it."""
    limits = jerk / (2 * np.sin(np.radians(corner_deg) / 2))
    return ((limits[:, None] < speed[None, :]) * corners).sum(axis=0)


def _class_middles(edges, first: float | None = None) -> np.ndarray:
    """A representative value per class between ``edges``: the geometric middle of its bounds.

    The class below the first edge is represented by ``first``, the one above the last edge
    by twice the last edge.
    """
    middles = [math.sqrt(a * b) for a, b in itertools.pairwise(edges)]
    return np.array([first if first is not None else edges[0] / 2, *middles, 2 * edges[-1]])


def support_columns(surface, rotation: np.ndarray, angle_deg: float):
    """(top z, bottom z, projected area, bridged, edge length) of the support columns.

    One column under each overhang sample: the same rule as ``orientation.support_volumes``
    for one direction, a sample leaning more than ``angle_deg`` from vertical that is above
    the plate needs a column down to the plate or to the part below it (ray cast). And one
    under each free edge of the overhangs (an edge where the overhang meets a face that does
    not go down from it, so that air lies under the edge's outer side): PrusaSlicer grows
    every overhang's contact area past such edges (``SUPPORT_MARGIN_MM``) and snaps the
    support to its grid, so its columns stand wider than the overhang. Edge rows have no
    area and sample rows no edge length. Heights are measured from the lowest vertex.
    ``bridged`` marks flat overhangs whose column stands on the part: bridges a slicer may
    print without support.
    """
    up = np.asarray(rotation, dtype=float)[2]
    samples = surface.samples
    bottom = float((surface.vertices @ up).min())
    height = samples.points @ up - bottom
    downward = -(samples.normals @ up)
    sine = math.sin(math.radians(angle_deg))
    flat_cos = 1 / math.hypot(1.0, SLOPE_EDGES_TAN[0])
    needs = (downward > sine) & (height > 1e-4)
    rows = np.flatnonzero(needs)
    edges = _free_edges(surface, up, bottom, sine)
    origins = np.vstack([samples.points[rows], edges[0]])
    tops = np.concatenate([height[rows], edges[1]])
    if not len(tops):
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0)
    distance, _ = surface.grid.first_hit(
        origins,
        np.tile(-up, (len(tops), 1)),
        np.concatenate([samples.faces[rows], edges[2]]),
        t_max=tops,
    )
    on_part = distance < tops
    flat = np.concatenate([downward[rows] > flat_cos, edges[3] > flat_cos])
    area = np.concatenate([samples.area_each * downward[rows], np.zeros(len(edges[1]))])
    length = np.concatenate([np.zeros(len(rows)), edges[4]])
    return tops, tops - np.minimum(distance, tops), area, on_part & flat, length


def _free_edges(surface, up: np.ndarray, bottom: float, sine: float):
    """The overhangs' free edges: (ray origin just outside the edge, edge height, face beside,
    the overhang's downward cosine, projected edge length).

    An edge between an overhanging face and one that is not: free when the other face does
    not go down from the edge (a wall rising from it, a top, the overhang's rim), so the
    slicer finds air under the edge's outer side. And the overhanging ridges (``_ridges``):
    steep faces meeting in a downward ridge flatter than the angle. The ray starts half the
    margin outside the edge.
    """
    vertices, faces = surface.vertices, surface.faces
    pairs = surface.mesh.topology.pairs
    heights = vertices @ up - bottom
    downward = -(surface.normals @ up)
    # The highest corner (row maxima of a (n, 3) array are slow in numpy: by columns).
    top = np.maximum(
        np.maximum(heights.take(faces[:, 0]), heights.take(faces[:, 1])), heights.take(faces[:, 2])
    )
    needs = (downward > sine) & (top > 1e-4)
    if not len(pairs):
        return np.zeros((0, 3)), np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    face_a, face_b = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    border = needs[face_a] != needs[face_b]
    over = np.where(needs[face_a], face_a, face_b)[border]
    other = np.where(needs[face_a], face_b, face_a)[border]
    start, end = vertices[pairs[border, 2]], vertices[pairs[border, 3]]
    middle = (start + end) / 2
    edge_height = middle @ up - bottom
    beside = heights[faces[other]].mean(axis=1)
    free = beside >= edge_height - 1e-6
    step = end - start
    step -= np.outer(step @ up, up)
    length = np.linalg.norm(step, axis=1)
    # Outward: across the edge, away from the overhanging face, in the horizontal plane.
    away = middle - vertices[faces[over]].mean(axis=1)
    away -= np.outer(away @ up, up)
    across = np.cross(up, step) / np.maximum(length, 1e-12)[:, None]
    across *= np.sign(np.sum(across * away, axis=1))[:, None]
    keep = np.flatnonzero(free & (length > 0))
    # Two steep faces whose ridge can lean down past the angle: the steepest way down across a
    # convex edge lies between its faces' normals only when they face down on the whole.
    steep = downward <= sine
    under = steep[face_a] & steep[face_b] & (downward[face_a] + downward[face_b] > 0)
    ridge = _ridges(surface, up, bottom, sine, under)
    origins = np.vstack([middle[keep] + across[keep] * SUPPORT_MARGIN_MM / 2, ridge[0]])
    edge_height = np.concatenate([edge_height[keep], ridge[0] @ up - bottom])
    over = np.concatenate([over[keep], ridge[1]])
    length = np.concatenate([length[keep], ridge[3]])
    slant = np.concatenate([downward[over[: len(keep)]], ridge[2]])
    # A finely ridged underside has edges by the million: cast one ray per stride, standing
    # for the edges skipped, their summed length (the ray casts stay as bounded as the surface
    # samples').
    stride = max(1, math.ceil(len(length) / max(len(surface.samples), 1)))
    keep = np.arange(0, len(length), stride)
    kept_length = np.add.reduceat(length, keep) if len(keep) else length
    return origins[keep], edge_height[keep], over[keep], slant[keep], kept_length


def _ridges(surface, up: np.ndarray, bottom: float, sine: float, candidates: np.ndarray):
    """Downward ridges flatter than the overhang angle between two steep faces: (ray origin
    half the margin outside the ridge, face beside, the ridge's downward cosine, projected
    length), of the edges ``candidates`` marks among ``topology.pairs``.

    PrusaSlicer finds overhangs layer against layer (``SupportMaterial.cpp``, detect_overhangs:
    the part of a layer farther than ``layer height / tan(threshold)`` from the layer below),
    not face by face. Where two faces steeper than the threshold meet in a convex edge (a
    thread's crest on a screw printed lying, a knife edge), each layer's section has a corner
    on the edge, and the corner moves out by the edge's own run: when the edge is flatter
    than the threshold and the steepest way down across it lies between the two faces'
    normals, that corner sticks out of the layer below and PrusaSlicer supports it (its
    contact area is the margin grown around it, as past a free edge).
    """
    vertices, faces, normals = surface.vertices, surface.faces, surface.normals
    pairs = surface.mesh.topology.pairs[candidates]
    normal_a, normal_b = normals[pairs[:, 0]], normals[pairs[:, 1]]
    # The edge runs along the fold of its faces' normals: from them alone, whether it is
    # flatter than the angle (the steepest way down across it leans more than its sine).
    fold = np.cross(normal_a, normal_b)
    folded = np.einsum("ij,ij->i", fold, fold)
    level = folded - (fold @ up) ** 2  # |fold|^2 times the squared cosine of the edge's rise
    # Faces folded by less than about a tenth of a degree make no ridge (and no direction).
    flat = np.flatnonzero((folded > 1e-6) & (level > sine**2 * folded))
    pairs, normal_a, normal_b, fold = pairs[flat], normal_a[flat], normal_b[flat], fold[flat]
    along = fold / np.sqrt(folded[flat])[:, None]
    rise = along @ up
    # The steepest way down across the edge, and how far down it leans (the cosine of the
    # edge's own angle from horizontal): between the two normals for a downward ridge.
    down = rise[:, None] * along - up
    lean = np.sqrt(np.maximum(1 - rise**2, 0.0))
    between = (np.einsum("ij,ij->i", np.cross(normal_a, down), fold) > 0) & (
        np.einsum("ij,ij->i", np.cross(down, normal_b), fold) > 0
    )
    pairs, normal_a, down, lean = pairs[between], normal_a[between], down[between], lean[between]
    start, end = vertices[pairs[:, 2]], vertices[pairs[:, 3]]
    middle = (start + end) / 2
    # Convex (face b turns away behind face a's plane), above the plate.
    turn = np.einsum("ij,ij->i", vertices[faces[pairs[:, 1]]].mean(axis=1) - start, normal_a)
    chosen = np.flatnonzero((turn < 0) & (middle @ up - bottom > 1e-4))
    outward = down[chosen] + up * lean[chosen, None] ** 2
    outward /= np.maximum(np.linalg.norm(outward, axis=1), 1e-12)[:, None]
    step = end[chosen] - start[chosen]
    length = np.linalg.norm(step - np.outer(step @ up, up), axis=1)
    origins = middle[chosen] + outward * SUPPORT_MARGIN_MM / 2
    face = pairs[chosen, 0].astype(np.int64)
    return origins, face, lean[chosen], _one_band_per_cell(origins, up, length)


def _one_band_per_cell(points: np.ndarray, up: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Edge lengths scaled so that no cell of the margin's size (across and up) holds more than
    one straight edge's worth (the margin): ridges closer than the margin (a thread's crests,
    half a millimetre apart) share the contact area grown around them, which PrusaSlicer
    unites, instead of each adding a band of its own."""
    if not len(length):
        return length
    side = np.cross(up, np.eye(3)[int(np.argmin(np.abs(up)))])
    side /= np.linalg.norm(side)
    cells = np.floor(
        np.column_stack([points @ side, points @ np.cross(up, side), points @ up])
        / SUPPORT_MARGIN_MM
    ).astype(np.int64)
    cells -= cells.min(axis=0)
    _, cell = np.unique(np.ravel_multi_index(cells.T, cells.max(axis=0) + 1), return_inverse=True)
    held = np.bincount(cell, weights=length)
    return length * np.minimum(1.0, SUPPORT_MARGIN_MM / np.maximum(held, 1e-12))[cell]


# PrusaSlicer's gyroid (FillGyroid.cpp): the pattern is scaled so that its density matches,
# and its polyline follows the curve within a tolerance.
GYROID_DENSITY_ADJUST = 2.44
GYROID_TOLERANCE_MM = 0.2


def _gyroid_wave(x: np.ndarray, z: float) -> np.ndarray:
    """The gyroid's horizontal wave at height phase ``z`` (PrusaSlicer's non-vertical branch)."""
    z_sin, z_cos = math.sin(z), math.cos(z)
    phase = math.pi if z_sin < 0 else 0.0
    a = np.cos(x + phase)
    res = z_cos * np.sin(x + phase + math.pi)
    r = np.sqrt(a**2 + z_sin**2)
    return np.arcsin(a / r) + np.arcsin(np.clip(res / r, -1, 1)) + 0.5 * math.pi


def _gyroid_polyline(scale: float, z: float, periods: int = 6) -> np.ndarray:
    """The printed polyline of one gyroid line (mm): subdivided until within the tolerance."""
    tolerance = min(GYROID_TOLERANCE_MM, scale) / scale
    x = np.linspace(0, 2 * math.pi * periods, 8 * periods + 1)
    for _ in range(12):
        middle = (x[:-1] + x[1:]) / 2
        y0, y1, ym = _gyroid_wave(x[:-1], z), _gyroid_wave(x[1:], z), _gyroid_wave(middle, z)
        off = np.abs(ym - (y0 + y1) / 2) * np.cos(np.arctan2(y1 - y0, x[1:] - x[:-1]))
        split = off > tolerance
        if not split.any():
            break
        x = np.sort(np.concatenate([x, middle[split]]))
    return np.column_stack([x, _gyroid_wave(x, z)]) * scale


def _polyline_time(
    points: np.ndarray, speeds: np.ndarray, accel: float, jerk: float
) -> tuple[np.ndarray, float]:
    """Travel time along a polyline with Marlin's classic per-axis jerk at every junction, at
    each feed rate of ``speeds`` (one pass over the vertices serves them all), and its length."""
    step = np.diff(points, axis=0)
    length = np.hypot(step[:, 0], step[:, 1])
    keep = length > 1e-9
    step, length = step[keep], length[keep]
    unit = step / length[:, None]
    before, after = unit[:-1, :, None] * speeds, unit[1:, :, None] * speeds
    change = np.abs(after - before).max(axis=1)
    junction = np.minimum(speeds, speeds * jerk / np.maximum(change, 1e-12))
    end = np.minimum(jerk, speeds)[None]
    # Forward and backward passes: reachable speeds at each vertex with this acceleration.
    forward = np.concatenate([end, junction, end])
    for index in range(1, len(forward)):
        forward[index] = np.minimum(
            forward[index], np.sqrt(forward[index - 1] ** 2 + 2 * accel * length[index - 1])
        )
    for index in range(len(forward) - 2, -1, -1):
        forward[index] = np.minimum(
            forward[index], np.sqrt(forward[index + 1] ** 2 + 2 * accel * length[index])
        )
    entry, leave, length_of = forward[:-1], forward[1:], length[:, None]
    peak = np.minimum(speeds, np.sqrt((2 * accel * length_of + entry**2 + leave**2) / 2))
    up = (peak**2 - entry**2) / (2 * accel)
    down = (peak**2 - leave**2) / (2 * accel)
    cruise = np.maximum(length_of - up - down, 0.0)
    seconds = (peak - entry) / accel + (peak - leave) / accel + cruise / peak
    # Summed per feed rate along a contiguous row: numpy's pairwise sum, as for one rate.
    return np.ascontiguousarray(seconds.T).sum(axis=1), float(length.sum())


def gyroid_seconds_per_mm(
    line_spacing: float, density: float, speed: float, accel: float, jerk: float
) -> float:
    """Time per mm of PrusaSlicer's gyroid infill, from its own polyline, over a z period."""
    return float(gyroid_seconds_per_mm_at(line_spacing, density, (speed,), accel, jerk)[0])


@functools.lru_cache(maxsize=256)
def gyroid_seconds_per_mm_at(
    line_spacing: float, density: float, speeds: tuple[float, ...], accel: float, jerk: float
) -> np.ndarray:
    """``gyroid_seconds_per_mm`` at several feed rates at once: layers the cooling slows each
    have their own feed, and the polylines are the same for all of them."""
    scale = line_spacing / max(density * GYROID_DENSITY_ADJUST, 1e-9)
    rates = np.array(speeds, dtype=float)
    total, length = np.zeros(len(rates)), 0.0
    for z in np.linspace(0.1, 2 * math.pi - 0.1, 8):
        seconds, mm = _polyline_time(_gyroid_polyline(scale, float(z)), rates, accel, jerk)
        total, length = total + seconds, length + mm
    per_mm = total / length
    per_mm.setflags(write=False)
    return per_mm


def _distinct(*columns):
    """The distinct rows of per-layer parameter columns (broadcast), in a stable order."""
    rows = np.column_stack(np.broadcast_arrays(*columns))
    return [tuple(row) for row in np.unique(rows, axis=0)]


def _distinct_index(*columns):
    rows = np.column_stack(np.broadcast_arrays(*columns))
    return np.unique(rows, axis=0, return_inverse=True)[1].ravel()
