"""Layer-based instant SLA estimate: PrusaSlicer's SLA print time and resin, without slicing.

A resin printer exposes whole layers, so the print time is a sum over layers that PrusaSlicer
writes down exactly (``SLAPrint::Steps::merge_slices_and_eval_stats``, PrusaSlicer 2.5):

* the layers run from the pad's underside to the part's top: the part is raised by
  ``support_object_elevation`` (supports on) plus the pad's ``pad_wall_thickness`` (pad on); the
  first layer is ``initial_layer_height`` thick, the others ``layer_height``;
* each layer is exposed ``initial_exposure_time`` (the first 3 layers), then fades down to
  ``exposure_time`` over ``faded_layers`` + 1 layers, then ``exposure_time``;
* each layer tilts the vat: ``fast_tilt_time`` when its exposed area (part + supports + pad) is
  at most ``area_fill`` % of the display, else ``slow_tilt_time`` plus 1 s (the firmware's slow
  move delay); a ``slow`` or ``high_viscosity`` material always tilts slowly (with its own
  delay); and the tower moves ``5 s/mm`` of layer height.

The exposed area of each layer comes from sectioning the mesh at PrusaSlicer's slice levels
(vectorised over the triangle pieces; skipped when the part's bounding rectangle is within
``area_fill``, as no section can then make a layer slow); resin is the part's volume plus its
supports and pad, modelled from the support settings of the print profile as PrusaSlicer's
``SupportPointGenerator`` and pad builder size them: one support point per
``support_force / tear_pressure`` mm^2 of overhang (11.1 mm^2 at 100 % density), each a head, a
pillar down to the pad and a base cone. The pad is built as ``sla::Pad`` builds it, on a raster
of where the pillars stand (``Footprint``): the pillars' bases, joined to their common centre
by ``ConcaveHull``'s connector triangles, closed and grown by ``pad_brim_size``, without holes,
``pad_wall_thickness`` thick with ``pad_wall_slope`` edges (``_pillar_pad``). The supports are
the approximate part: PrusaSlicer places points, bridges and merged pillars with its own
heuristics. Every figure is read from the profile or is one of PrusaSlicer's own constants
(cited where defined); none is fitted to parts.

Quotes do not hold the mesh: the analysis stores ``layer_table`` (section areas every
``PITCH_MM`` and the ``SupportGeometry``, both independent of the profile) and
``estimate_from_table`` prices any SLA profile from it; ``estimate`` works on the mesh itself
and shares the reckoning (the tests hold the table's figures to it).
"""

import base64
import functools
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError

from odm_engine.slicing import profile_reader

# PrusaSlicer works on a 1 nm integer grid (SCALING_FACTOR 1e-6 mm): layer levels are counted
# on it, as SLAPrint::Steps::slice_model does.
GRID_PER_MM = 1_000_000
# Layers exposed with the initial exposure before fading (SLAPrintSteps.cpp: "< 3").
INITIAL_LAYERS = 3
# Firmware delays PrusaSlicer adds per layer (SLAPrintSteps.cpp, "magical constants from FW").
SLOW_MOVE_DELAY_S = 1.0
SAFE_DELAY_S = 3.0
HIGH_VISCOSITY_DELAY_S = 3.5
TOWER_S_PER_MM = 5.0
# SupportPointGenerator::Config: a point holds 11.1 force units at 100 % density against a tear
# pressure of 1 unit/mm^2; areas leaning more than 35 degrees from vertical need points
# ("safe_angle"); those within 75 degrees ("slope_angle") lean on the supports below.
SUPPORT_FORCE = 11.1
SAFE_ANGLE_DEG = 35.0
SLOPE_ANGLE_DEG = 75.0
# Triangle pieces crossing more levels than this add their section terms as polynomials.
_FEW_CROSSINGS = 8

# The analysis stores under ANALYSIS_KEY what the estimate needs of the mesh (``layer_table``):
# the section area every PITCH_MM (the common resin layer height) and the geometry the supports
# and pad are sized from, so a quote is re-priced from the stored analysis without the mesh.
ANALYSIS_KEY = "sla_layers"
# 2: the support geometry holds the footprint raster the pad is built from.
TABLE_VERSION = 2
PITCH_MM = 0.05
# No resin printer prints a taller part; the analysis then stores no table (volume formula).
MAX_HEIGHT_MM = 1000.0
# Faces sectioned at once: bounds the memory of the crossings whatever the mesh's size (and
# keeps a chunk's arrays in cache: 100 000 ran fastest on a million-triangle part).
SECTION_CHUNK_FACES = 100_000
# A part whose bounding rectangle is smaller than this is not sectioned: none of its layers can
# reach the slow-tilt fill limit of the shipped resin printer (SL1S: 128 x 81 mm x 45 %, 4666
# mm2); sectioning is most of the table's time on a large mesh.
SECTIONED_ABOVE_MM2 = 4000.0
# The part's faces within this of its underside rest on the pad, in the table: the first layer
# of every shipped SLA profile (a profile with another first layer reads the same islands).
ISLAND_MM = 0.05
# The footprint of the faces that need supports is stored as a raster of this pixel (a quarter of
# the pad's 1.6 mm brim), coarser for a part so large that it would exceed the pixel budget.
FOOTPRINT_PIXEL_MM = 0.25
FOOTPRINT_MAX_PIXELS = 250_000
# Rasterising costs one span per face and row of pixel centres it crosses (some ten times a
# pixel's work) and one step per pixel it covers. A part's downward faces cover each pixel about
# once per downward surface above it, so eight full rasters of steps are allowed; faces a few
# pixels across cross a row or two each, so beyond one span a face, as many spans as a full
# raster has pixels. Meshes that would take more (stacks, slivers crossing many rows) get
# coarser pixels, which bounds the time whatever the mesh.
FOOTPRINT_MAX_STEPS = 8 * FOOTPRINT_MAX_PIXELS
FOOTPRINT_MAX_EXTRA_SPANS = FOOTPRINT_MAX_PIXELS
# ConcaveHull::add_connector_rectangles joins each island of the pad's blueprint to the centre
# of all islands by a triangle this far to either side of the island's centre (a unit normal on
# PrusaSlicer's nanometre grid: 1 mm).
CONNECTOR_HALF_WIDTH_MM = 1.0
# Angular resolution of those connector fans, and depth samples of the pad's sloped edge.
CONNECTOR_BINS = 2048
PAD_DEPTH_SAMPLES = 4
# The pad is built on at most this many of the footprint's pixels, joined in blocks on a larger
# part: the raster misplaces the pad's outline by up to about a pixel, an error in its area of
# the perimeter times the pixel, while its area grows as the perimeter times the part's size; a
# pixel growing with the part keeps that share small (boxes of 6-30 mm built on 0.5 mm pixels:
# pad volume 1 % low on average, 4 % at worst) and the pad's distance transforms, most of a
# first pricing, bounded.
PAD_MAX_PIXELS = 25_000


@dataclass(frozen=True)
class SlaProfile:
    """The figures of a PrusaSlicer SLA profile set the estimate uses."""

    layer_height_mm: float
    initial_layer_height_mm: float
    exposure_s: float
    initial_exposure_s: float
    faded_layers: int
    fast_tilt_s: float
    slow_tilt_s: float
    high_viscosity_tilt_s: float
    print_speed: str
    area_fill_pct: float
    display_mm2: float
    supports: bool
    pad: bool
    elevation_mm: float
    pad_thickness_mm: float
    pad_slope_deg: float
    pad_brim_mm: float
    points_density: float
    points_minimal_distance_mm: float
    critical_angle_deg: float
    pillar_diameter_mm: float
    head_front_diameter_mm: float
    head_width_mm: float
    head_penetration_mm: float
    base_diameter_mm: float
    base_height_mm: float
    material_density_g_cm3: float
    # How far the pad's wing (``pad_wall_height``) reaches out at its slope: PrusaSlicer grows the
    # pad's outline by the brim plus this (Pad.cpp, ``get_waffle_offset``).
    pad_wing_mm: float = 0.0

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> "SlaProfile":
        def number(key: str) -> float:
            return float(str(config[key]).rstrip("%"))

        supports = config["supports_enable"] == "1"
        pad = config["pad_enable"] == "1"
        zero_elevation = pad and config.get("pad_around_object", "0") == "1"
        pad_thickness = number("pad_wall_thickness") + number("pad_wall_height")
        elevation = 0.0
        if not zero_elevation:
            elevation = (number("support_object_elevation") if supports else 0.0) + (
                number("pad_wall_thickness") if pad else 0.0
            )
        return cls(
            layer_height_mm=number("layer_height"),
            initial_layer_height_mm=number("initial_layer_height"),
            exposure_s=number("exposure_time"),
            initial_exposure_s=number("initial_exposure_time"),
            faded_layers=int(number("faded_layers")),
            fast_tilt_s=number("fast_tilt_time"),
            slow_tilt_s=number("slow_tilt_time"),
            high_viscosity_tilt_s=number("high_viscosity_tilt_time"),
            print_speed=config.get("material_print_speed", "fast"),
            area_fill_pct=number("area_fill"),
            display_mm2=number("display_width") * number("display_height"),
            supports=supports,
            pad=pad,
            elevation_mm=elevation,
            pad_thickness_mm=pad_thickness if pad else 0.0,
            pad_slope_deg=number("pad_wall_slope"),
            pad_brim_mm=number("pad_brim_size"),
            points_density=number("support_points_density_relative") / 100,
            points_minimal_distance_mm=number("support_points_minimal_distance"),
            critical_angle_deg=number("support_critical_angle"),
            pillar_diameter_mm=number("support_pillar_diameter"),
            head_front_diameter_mm=number("support_head_front_diameter"),
            head_width_mm=number("support_head_width"),
            head_penetration_mm=number("support_head_penetration"),
            base_diameter_mm=number("support_base_diameter"),
            base_height_mm=number("support_base_height"),
            material_density_g_cm3=number("material_density"),
            pad_wing_mm=number("pad_wall_height")
            / math.tan(math.radians(number("pad_wall_slope"))),
        )

    @classmethod
    def load(
        cls,
        printer: str = profile_reader.DEFAULT_SLA_PRINTER,
        material: str = profile_reader.DEFAULT_SLA_MATERIAL,
        overrides: Mapping | None = None,
    ) -> "SlaProfile":
        """The profile of a shipped SLA profile set (``sla_*.ini``), as the precise mode uses."""
        return cls.from_config(profile_reader.load_sla_profile(printer, material, overrides))


@dataclass(frozen=True)
class SlaEstimate:
    """Print time and resin of one part, and how they were reckoned."""

    print_time_s: float
    resin_ml: float
    part_ml: float
    support_ml: float
    pad_ml: float
    layers: int
    fast_layers: int
    slow_layers: int
    support_points: int

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def layer_levels(height_mm: float, profile: SlaProfile) -> np.ndarray:
    """Top of every layer PrusaSlicer prints for a part ``height_mm`` tall, from the pad's
    underside (z = 0), on its nanometre grid."""
    total = round((height_mm + profile.elevation_mm) * GRID_PER_MM)
    first = round(profile.initial_layer_height_mm * GRID_PER_MM)
    step = round(profile.layer_height_mm * GRID_PER_MM)
    count = 1 + max(0, (total - first) // step)
    return (first + step * np.arange(count)) / GRID_PER_MM


def exposure_times(layers: int, profile: SlaProfile) -> np.ndarray:
    """Exposure of each layer: initial, then faded, then normal, step by step as PrusaSlicer
    reckons it (in floating point: its last fade step may undershoot ``exposure_s``)."""
    times = np.full(layers, profile.exposure_s)
    times[:INITIAL_LAYERS] = profile.initial_exposure_s
    delta = (profile.initial_exposure_s - profile.exposure_s) / (profile.faded_layers + 1)
    fade = profile.initial_exposure_s
    index = INITIAL_LAYERS
    while index < layers and fade > profile.exposure_s:
        fade -= delta
        times[index] = fade
        index += 1
    return times


def section_areas(vertices: np.ndarray, faces: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Area of the mesh's section at each height of ``levels`` (sorted, increasing).

    Each triangle is cut in two pieces, below and above its middle corner; within a piece the
    section segment runs from a point on the long edge to a point on the short edge, both
    linear in z, so its shoelace term is a quadratic in the height above the piece's start.
    The material lies left of the segment when sorting the corners by height kept the face's
    winding (the sorted corners' own normal always points that way), right when it reversed
    it. Pieces crossing few levels are evaluated at each crossing (the pieces sorted by their
    number of crossings, so the k-th crossings are a prefix); the others add their quadratic
    in z to every level they span through a cumulative sum, so the cost does not grow with the
    number of layers a large triangle crosses. Vectorised throughout; levels are found per
    vertex, not per corner.
    """
    columns = np.ascontiguousarray(np.asarray(vertices, dtype=np.float64).T)
    vertex_level = np.searchsorted(levels, columns[2], side="left")
    faces = np.asarray(faces)
    total = np.zeros(len(levels) + 1)
    # Areas add up over faces: a chunk at a time bounds the memory and stays in cache.
    for chunk in range(0, len(faces), SECTION_CHUNK_FACES):
        _add_sections(
            columns, vertex_level, faces[chunk : chunk + SECTION_CHUNK_FACES], levels, total
        )
    return total[: len(levels)] / 2


def _add_sections(columns, vertex_level, faces, levels, total) -> None:
    """Add twice the section areas of ``faces`` to ``total`` (see ``section_areas``)."""
    order = np.argsort(columns[2][faces], axis=1, kind="stable")
    ordered = np.take_along_axis(faces, order, axis=1).T
    kept = (order[:, 1] - order[:, 0]) * (order[:, 2] - order[:, 0]) * (order[:, 2] - order[:, 1])
    sign = np.where(kept > 0, 1.0, -1.0)
    x, y, z = (column[ordered] for column in columns)
    level = vertex_level[ordered]
    rise = z[2] - z[0]
    px1 = (x[2] - x[0]) / np.where(rise > 0, rise, 1.0)
    py1 = (y[2] - y[0]) / np.where(rise > 0, rise, 1.0)
    for low, high in ((0, 1), (1, 2)):
        span = z[high] - z[low]
        first, last = level[low], level[high]
        crossings = last - first
        # P = long edge, Q = short edge, t above the piece's start: P x Q = c0 + c1 t + c2 t^2.
        qx1 = (x[high] - x[low]) / np.where(span > 0, span, 1.0)
        qy1 = (y[high] - y[low]) / np.where(span > 0, span, 1.0)
        px0 = x[0] + (z[low] - z[0]) * px1
        py0 = y[0] + (z[low] - z[0]) * py1
        few = np.flatnonzero((crossings > 0) & (crossings <= _FEW_CROSSINGS))
        few = few[np.argsort(-crossings[few], kind="stable")]
        ends = np.searchsorted(-crossings[few], -np.arange(_FEW_CROSSINGS), side="left")
        c0 = (px0 * y[low] - py0 * x[low])[few] * sign[few]
        c1 = (px0 * qy1 - py0 * qx1 + px1 * y[low] - py1 * x[low])[few] * sign[few]
        c2 = (px1 * qy1 - py1 * qx1)[few] * sign[few]
        start, plane = z[low][few], first[few]
        for step, count in enumerate(ends[ends > 0]):
            t = levels[plane[:count] + step] - start[:count]
            twice = c0[:count] + t * (c1[:count] + t * c2[:count])
            total += np.bincount(plane[:count] + step, twice, minlength=len(levels) + 1)
        many = crossings > _FEW_CROSSINGS
        # The same quadratic in z itself, summed over the levels each piece spans.
        p1, q1 = np.stack([px1, py1], 1)[many], np.stack([qx1, qy1], 1)[many]
        p0 = np.stack([x[0], y[0]], 1)[many] - z[0][many, None] * p1
        q0 = np.stack([x[low], y[low]], 1)[many] - z[low][many, None] * q1
        coefficients = (_cross(p0, q0), _cross(p0, q1) + _cross(p1, q0), _cross(p1, q1))
        for power, coefficient in enumerate(coefficients):
            weights = coefficient * sign[many]
            running = np.bincount(first[many], weights, minlength=len(levels) + 1)
            running -= np.bincount(last[many], weights, minlength=len(levels) + 1)
            total[: len(levels)] += np.cumsum(running)[: len(levels)] * levels**power


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]


@dataclass(frozen=True)
class _Supports:
    points: int
    support_mm3: float
    pad_top_mm2: float
    pad_bottom_mm2: float
    pad_mm3: float


def _normals(corners: np.ndarray) -> np.ndarray:
    """Each triangle's outward normal, twice its area long (written out: np.cross is slow)."""
    u = corners[:, 1] - corners[:, 0]
    v = corners[:, 2] - corners[:, 0]
    return np.stack(
        [
            u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1],
            u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2],
            u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0],
        ],
        axis=1,
    )


@dataclass(frozen=True, eq=False)
class Footprint:
    """Where the pillars can stand, seen from below, as rasters (row = y, column = x; pixel
    (i, j) centred on ``origin + (j + 0.5, i + 0.5) * pixel_mm``): ``held`` under the faces
    that always get support points (the islands, the faces too flat to lean on anything and the
    lowest lines of the others, ``_new_overhangs``), ``sloped_z`` the lowest height above the
    part's underside of the sloped downward faces at each pixel's centre (NaN where there are
    none), which only get points where the force of the points below falls short. A pixel is
    a face's when the face's projection holds its centre, so a region of pixels reaches half a
    pixel beyond its outermost centres."""

    pixel_mm: float
    origin: tuple[float, float]
    held: np.ndarray
    sloped_z: np.ndarray

    @classmethod
    def of(cls, corners: np.ndarray, held: np.ndarray) -> "Footprint":
        """The rasters of triangles ``corners`` (n, 3, 3; z above the underside), ``held`` (a
        mask of them) the others sloped: a pixel is the triangles' whose projection holds its
        centre, at the lowest of their heights there."""
        flat = corners[:, :, :2]
        # Corner-wise minima and maxima: numpy reduces along a short middle axis slowly.
        lowest = np.minimum(np.minimum(flat[:, 0], flat[:, 1]), flat[:, 2])
        highest = np.maximum(np.maximum(flat[:, 0], flat[:, 1]), flat[:, 2])
        low = np.array([lowest[:, 0].min(), lowest[:, 1].min()])
        extent = np.array([highest[:, 0].max(), highest[:, 1].max()]) - low
        side_ab, side_ac = flat[:, 1] - flat[:, 0], flat[:, 2] - flat[:, 0]
        cross = side_ab[:, 0] * side_ac[:, 1] - side_ab[:, 1] * side_ac[:, 0]
        covered = float(np.abs(cross).sum()) / 2
        pixel = max(FOOTPRINT_PIXEL_MM, math.sqrt(extent[0] * extent[1] / FOOTPRINT_MAX_PIXELS))
        while True:
            # The rows of pixel centres each face crosses: the first one and how many.
            first_row = np.ceil((lowest[:, 1] - low[1]) / pixel - 0.5).astype(np.int64)
            last_row = np.floor((highest[:, 1] - low[1]) / pixel - 0.5).astype(np.int64)
            crossed = np.maximum(last_row - first_row + 1, 0)
            spans = int(crossed.sum())
            coarser = max(
                math.sqrt((spans + covered / pixel**2) / FOOTPRINT_MAX_STEPS),
                (spans - len(corners)) / FOOTPRINT_MAX_EXTRA_SPANS,
            )
            if coarser <= 1:
                break
            pixel *= coarser
        columns, rows = (extent // pixel).astype(int) + 1
        # Each face's plane, z = base + slope_x * x + slope_y * y (no downward face is vertical).
        edge_ab, edge_ac = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
        normal = np.cross(edge_ab, edge_ac)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope_x, slope_y = -normal[:, 0] / normal[:, 2], -normal[:, 1] / normal[:, 2]
        base = corners[:, 0, 2] - slope_x * corners[:, 0, 0] - slope_y * corners[:, 0, 1]
        # One span per face and row crossed: where the row's centre line enters and leaves it.
        span_face = np.repeat(np.arange(len(corners)), crossed)
        span_row = first_row[span_face] + _ranks(crossed)
        y = low[1] + (span_row + 0.5) * pixel
        enter, leave = np.full(len(y), np.inf), np.full(len(y), -np.inf)
        for start, end in ((0, 1), (1, 2), (2, 0)):
            x_start, y_start = flat[span_face, start, 0], flat[span_face, start, 1]
            x_end, y_end = flat[span_face, end, 0], flat[span_face, end, 1]
            meets = (np.minimum(y_start, y_end) <= y) & (y <= np.maximum(y_start, y_end))
            meets &= y_start != y_end
            with np.errstate(divide="ignore", invalid="ignore"):
                x = x_start + (y - y_start) * (x_end - x_start) / (y_end - y_start)
            enter = np.where(meets, np.minimum(enter, x), enter)
            leave = np.where(meets, np.maximum(leave, x), leave)
        with np.errstate(invalid="ignore"):
            first_column = np.maximum(np.ceil((enter - low[0]) / pixel - 0.5), 0)
            last_column = np.minimum(np.floor((leave - low[0]) / pixel - 0.5), columns - 1)
        width = np.where(
            np.isfinite(enter), np.maximum(last_column - first_column + 1, 0), 0
        ).astype(np.int64)
        first_column = np.where(width > 0, first_column, 0)
        # Each span's first cell, its height there and the rise from one pixel to the next.
        first_cell = span_row * columns + first_column.astype(np.int64)
        first_z = base[span_face] + slope_x[span_face] * (low[0] + (first_column + 0.5) * pixel)
        first_z += slope_y[span_face] * y
        rise = slope_x[span_face] * pixel
        span_held = held[span_face]
        surface_z = np.full(rows * columns, np.inf)
        span_sloped = ~span_held
        cell, starts = _span_cells(first_cell[span_sloped], width[span_sloped])
        heights = _span_heights(first_z[span_sloped], rise[span_sloped], width[span_sloped], starts)
        np.minimum.at(surface_z, cell, heights)
        sloped = np.isfinite(surface_z.reshape(rows, columns))
        sloped_z = surface_z.reshape(rows, columns).copy()
        cell, starts = _span_cells(first_cell[span_held], width[span_held])
        held_mask = np.zeros(rows * columns, dtype=bool)
        held_mask[cell] = True
        held_mask = held_mask.reshape(rows, columns)
        if sloped.any():
            # Only sloped pixels can be new overhangs: the held faces' heights are needed only
            # there and at their neighbours.
            near = sloped.copy()
            near[1:] |= sloped[:-1]
            near[:-1] |= sloped[1:]
            across = near.copy()
            near[:, 1:] |= across[:, :-1]
            near[:, :-1] |= across[:, 1:]
            chosen = np.flatnonzero(near.ravel()[cell])
            heights = _span_heights(
                first_z[span_held], rise[span_held], width[span_held], starts, chosen
            )
            np.minimum.at(surface_z, cell[chosen], heights)
            held_mask |= _new_overhangs(surface_z.reshape(rows, columns), pixel, sloped)
        sloped_z[~sloped] = np.nan
        return cls(float(pixel), (float(low[0]), float(low[1])), held_mask, sloped_z)

    def pillars(self, share: float, first_layer_mm: float) -> np.ndarray:
        """Mask of the pixels pillars stand on when the sloped faces' points hold ``share`` of
        their area: the held faces, the first layer's island (the sloped faces within
        ``first_layer_mm`` of the underside: PrusaSlicer covers a new island whole), and, as
        PrusaSlicer adds slope points layer by layer from the bottom up while the points below
        fall short, the lowest ``share`` of the sloped pixels."""
        sloped = np.sort(self.sloped_z[~np.isnan(self.sloped_z)])
        limit = first_layer_mm
        if share > 0 and len(sloped):
            limit = max(limit, sloped[min(len(sloped), math.ceil(share * len(sloped))) - 1])
        with np.errstate(invalid="ignore"):
            return self.held | (self.sloped_z <= limit)

    def to_dict(self) -> dict:
        # Heights in steps of PITCH_MM, 0 for none, stored as each step's difference from the
        # previous pixel of its row (smooth surfaces compress to a third).
        # MAX_HEIGHT_MM keeps the steps and their differences within int16.
        steps = np.zeros(self.sloped_z.shape, dtype=np.int16)
        sloped = ~np.isnan(self.sloped_z)
        steps[sloped] = np.round(self.sloped_z[sloped] / PITCH_MM) + 1
        rises = np.diff(steps, axis=1, prepend=np.int16(0))
        return {
            "pixel_mm": self.pixel_mm,
            "origin": list(self.origin),
            "shape": list(self.held.shape),
            "held": _pack_bytes(np.packbits(self.held)),
            "sloped_rises": _pack_bytes(rises.astype("<i2")),
        }

    @classmethod
    def from_dict(cls, values: Mapping) -> "Footprint":
        """The footprint of a stored table: the same object again for the same table (see
        ``_footprint_pad``), its arrays read-only."""
        return _decoded_footprint(
            float(values["pixel_mm"]),
            tuple(values["origin"]),
            tuple(values["shape"]),
            values["held"],
            values["sloped_rises"],
        )


@functools.lru_cache(maxsize=16)
def _decoded_footprint(pixel: float, origin: tuple, shape: tuple, held: str, rises: str):
    rows, columns = shape
    bits = np.frombuffer(_unpack_bytes(held), dtype=np.uint8)
    held_mask = np.unpackbits(bits, count=rows * columns).astype(bool).reshape(rows, columns)
    steps = np.cumsum(
        np.frombuffer(_unpack_bytes(rises), dtype="<i2").reshape(rows, columns), axis=1
    )
    sloped_z = np.where(steps > 0, (steps - 1) * PITCH_MM, np.nan).astype(np.float32)
    for array in (held_mask, sloped_z):
        array.setflags(write=False)
    return Footprint(pixel, origin, held_mask, sloped_z)


def _span_cells(first_cell: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells of spans, each ``width`` cells from ``first_cell``, one after another, and
    where each span starts among them."""
    starts = np.cumsum(width) - width
    return np.repeat(first_cell - starts, width) + np.arange(int(width.sum())), starts


def _span_heights(first_z, rise, width, starts, pixels=None) -> np.ndarray:
    """Heights of the pixels (all, or those at positions ``pixels`` among ``_span_cells``) of
    spans ``width`` long starting at ``starts``, each ``first_z`` high at its first pixel and
    rising by ``rise`` a pixel."""
    if pixels is None:
        pixels = np.arange(int(width.sum()))
        span = np.repeat(np.arange(len(width)), width)
    else:
        span = np.searchsorted(starts, pixels, side="right") - 1
    return first_z[span] + rise[span] * (pixels - starts[span])


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... counts[0] - 1, 0, 1, ... counts[1] - 1, ...: each item's rank in its group."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def _new_overhangs(surface_z: np.ndarray, pixel: float, where=None) -> np.ndarray:
    """Pixels of the downward surface (its lowest height per pixel, inf where none; only those
    of the mask ``where`` are looked at, if given) that no neighbour holds from below:
    PrusaSlicer's ``SupportPointGenerator`` finds an island's area more than ``layer_height *
    tan(75 deg)`` beyond the layer below a hopeless overhang, so a pixel leans on a neighbour
    only when that neighbour is lower by at least its distance times ``tan(90 - 75 deg)``. Such
    pixels start a new island or an overhang hanging in the air (a sloped shaft's lowest line,
    a body's lowest edge): they get points like the flat faces."""
    rise = math.tan(math.radians(90.0 - SLOPE_ANGLE_DEG))
    padded = np.pad(surface_z, 1, constant_values=np.inf)
    rows, columns = np.nonzero(np.isfinite(surface_z) if where is None else where)
    z = surface_z[rows, columns]
    held = np.zeros(len(z), dtype=bool)
    # The lowest of the four side neighbours, then of the four corner ones (a pixel further).
    for offsets in (((-1, 0), (1, 0), (0, -1), (0, 1)), ((-1, -1), (-1, 1), (1, -1), (1, 1))):
        lowest = np.min([padded[rows + 1 + dy, columns + 1 + dx] for dy, dx in offsets], axis=0)
        held |= lowest <= z - math.hypot(*offsets[0]) * pixel * rise
    new = np.zeros(surface_z.shape, dtype=bool)
    new[rows, columns] = np.isfinite(z) & ~held
    return new


@dataclass(frozen=True)
class SupportGeometry:
    """What the supports and pad are sized from, whatever the profile: the islands the first
    layer holds (projected area, aspect of their minimal rectangle), the other downward faces
    (``hopeless_mm2`` leaning more than ``SLOPE_ANGLE_DEG`` from vertical, ``sloped_mm2`` between
    it and ``SAFE_ANGLE_DEG``, their mean height ``others_z_mm`` above the part's underside), the
    convex outlines (area, perimeter) of the downward faces and of the whole part, and the
    downward faces' ``Footprint``, where the pillars and the pad stand."""

    island_mm2: tuple[float, ...]
    island_aspect: tuple[float, ...]
    hopeless_mm2: float
    sloped_mm2: float
    others_z_mm: float
    down_outline: tuple[float, float]
    part_outline: tuple[float, float]
    footprint: Footprint | None = None

    @classmethod
    def of(
        cls, vertices: np.ndarray, faces: np.ndarray, normal: np.ndarray, island_mm: float
    ) -> "SupportGeometry":
        """From the part's mesh (z up) and its faces' ``_normals``. Faces leaning more than
        ``SAFE_ANGLE_DEG`` from vertical and facing down are the downward ones; only they are
        looked at further."""
        bottom = float(vertices[:, 2].min())
        length = np.sqrt(np.einsum("ij,ij->i", normal, normal))
        down = -normal[:, 2] > length * math.sin(math.radians(SAFE_ANGLE_DEG))
        down_faces, down_normal = faces[down], normal[down]
        heights = vertices[:, 2][down_faces]
        projected = np.abs(down_normal[:, 2]) / 2
        highest = np.maximum(np.maximum(heights[:, 0], heights[:, 1]), heights[:, 2])
        island = highest <= bottom + island_mm
        areas, aspects = [], []
        for outline, island_area in _islands(vertices[down_faces[island]], projected[island]):
            width, long_side = _min_rectangle(outline)
            areas.append(island_area)
            aspects.append(long_side / width if width > 0 else 1.0)
        others = ~island
        flat = -down_normal[:, 2] > length[down] * math.sin(math.radians(SLOPE_ANGLE_DEG))
        hopeless = others & flat
        other_area = projected[others]
        others_z = (
            float(np.average(heights[others].mean(axis=1), weights=other_area)) - bottom
            if other_area.sum() > 0
            else 0.0
        )
        return cls(
            island_mm2=tuple(areas),
            island_aspect=tuple(aspects),
            hopeless_mm2=float(projected[hopeless].sum()),
            sloped_mm2=float(projected[others & ~hopeless].sum()),
            others_z_mm=others_z,
            down_outline=_hull(vertices[_used(down_faces, len(vertices)), :2]),
            part_outline=_hull(vertices[_used(faces, len(vertices)), :2]),
            footprint=(
                Footprint.of(vertices[down_faces] - [0, 0, bottom], island | hopeless)
                if len(down_faces)
                else None
            ),
        )

    @property
    def overhangs(self) -> bool:
        return bool(self.island_mm2) or self.hopeless_mm2 > 0 or self.sloped_mm2 > 0

    def to_dict(self) -> dict:
        return {
            "islands": _pack(np.array([self.island_mm2, self.island_aspect]).reshape(-1)),
            "hopeless_mm2": self.hopeless_mm2,
            "sloped_mm2": self.sloped_mm2,
            "others_z_mm": self.others_z_mm,
            "down_outline": list(self.down_outline),
            "part_outline": list(self.part_outline),
            "footprint": self.footprint.to_dict() if self.footprint else None,
        }

    @classmethod
    def from_dict(cls, values: Mapping) -> "SupportGeometry":
        islands = _unpack(values["islands"]).reshape(2, -1)
        return cls(
            island_mm2=tuple(islands[0].tolist()),
            island_aspect=tuple(islands[1].tolist()),
            hopeless_mm2=float(values["hopeless_mm2"]),
            sloped_mm2=float(values["sloped_mm2"]),
            others_z_mm=float(values["others_z_mm"]),
            down_outline=tuple(values["down_outline"]),
            part_outline=tuple(values["part_outline"]),
            footprint=Footprint.from_dict(values["footprint"]) if values["footprint"] else None,
        )


def _used(faces: np.ndarray, count: int) -> np.ndarray:
    """Mask of the ``count`` vertices the faces use."""
    used = np.zeros(count, dtype=bool)
    used[faces.ravel()] = True
    return used


def _supports_and_pad(geometry: SupportGeometry, profile: SlaProfile) -> _Supports:
    """Support points, support and pad volume as PrusaSlicer's defaults size them.

    Points (``SupportPointGenerator``): the part's underside is a new island, covered with
    ``area * (1 + aspect / 2) / support_force`` points (aspect: its minimal bounding rectangle's
    length over width), at most as many as fit ``support_points_minimal_distance`` apart; every
    other face leaning more than ``SLOPE_ANGLE_DEG`` from vertical needs
    ``area / support_force`` points, and those between ``SAFE_ANGLE_DEG`` and it only as many as
    the force of the points below does not cover. Each point gets a head
    (``support_head_width`` long, from the pillar's radius to the front radius, plus the
    penetration), a pillar down to the pad
    and a base cone (``support_base_height``, ``support_base_diameter``) whose union covers at
    most the supported outline grown by the base radius. When the bases do not fit under the
    part, heads lean up to ``support_critical_angle`` and the pillars stand that much further
    out. The pad is ``_pillar_pad`` under the footprint's pillars, their bases grown by that
    reach (without a footprint, the supported outline grown by it and ``pad_brim_size``).
    """
    bottom = profile.elevation_mm
    if not profile.supports or not geometry.overhangs:
        # No supports: a pad, if any, lies under the whole part outline.
        area, perimeter = geometry.part_outline if profile.pad else (0.0, 0.0)
        return _pad(area, perimeter, 0.0, profile, points=0, support_mm3=0.0)
    force = SUPPORT_FORCE / profile.points_density
    packing = 2 / (math.sqrt(3) * profile.points_minimal_distance_mm**2)
    island_points = sum(
        min(math.ceil(area * (1 + aspect / 2) / force), max(1, math.floor(area * packing)))
        for area, aspect in zip(geometry.island_mm2, geometry.island_aspect, strict=True)
    )
    # Faces flatter than the slope band hang in the air: each needs its own points. Faces
    # within it (between SAFE_ANGLE_DEG and SLOPE_ANGLE_DEG) only need points for the force the
    # supports below do not already provide (PrusaSlicer's "overhangs_slopes" deficit).
    hopeless_points = math.ceil(geometry.hopeless_mm2 / force)
    held = (island_points + hopeless_points) * force
    slope_points = math.ceil(max(geometry.sloped_mm2 - held, 0.0) / force)
    other_points = hopeless_points + slope_points
    points = island_points + other_points
    if not points:
        area, perimeter = geometry.part_outline if profile.pad else (0.0, 0.0)
        return _pad(area, perimeter, 0.0, profile, points=0, support_mm3=0.0)
    other_z = bottom + geometry.others_z_mm if other_points else bottom
    mean_z = (island_points * bottom + other_points * other_z) / points

    front_r = profile.head_front_diameter_mm / 2
    pillar_r = profile.pillar_diameter_mm / 2
    base_r = profile.base_diameter_mm / 2
    head = (
        math.pi / 3 * profile.head_width_mm * (front_r**2 + front_r * pillar_r + pillar_r**2)
        + math.pi * front_r**2 * profile.head_penetration_mm
    )
    pillar_length = max(
        mean_z - profile.pad_thickness_mm - profile.base_height_mm - profile.head_width_mm, 0.0
    )
    outline_area, outline_perimeter = geometry.down_outline
    bases = points * math.pi * base_r**2
    reach = base_r
    if bases > _offset_area(outline_area, outline_perimeter, base_r):
        reach += profile.head_width_mm * math.sin(math.radians(profile.critical_angle_deg))
    base_union = min(bases, _offset_area(outline_area, outline_perimeter, reach))
    base_mm3 = profile.base_height_mm * (base_union + points * math.pi * pillar_r**2) / 2
    support_mm3 = points * (head + pillar_length * math.pi * pillar_r**2) + base_mm3
    if profile.pad and geometry.footprint is not None:
        held_share = min(1.0, slope_points * force / geometry.sloped_mm2) if slope_points else 0.0
        pad = _footprint_pad(geometry.footprint, held_share, reach, profile)
        if pad is not None:
            return _Supports(points, support_mm3, *pad)
    return _pad(
        outline_area, outline_perimeter, reach, profile, points=points, support_mm3=support_mm3
    )


@functools.lru_cache(maxsize=16)
def _footprint_pad(footprint: "Footprint", share: float, reach: float, profile: SlaProfile):
    """``_pillar_pad`` under the footprint's ``pillars`` (None when there are none), kept for
    the last footprints (by identity: ``Footprint.from_dict`` hands out the same object for the
    same stored table), as a quote is priced again and again from one analysis."""
    pillars = footprint.pillars(share, profile.initial_layer_height_mm)
    if not pillars.any():
        return None
    rows, columns = np.flatnonzero(pillars.any(axis=1)), np.flatnonzero(pillars.any(axis=0))
    pillars = pillars[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    step = math.ceil(math.sqrt(pillars.size / PAD_MAX_PIXELS))
    if step > 1:
        pillars = _blocks(pillars, step)
    return _pillar_pad(pillars, footprint.pixel_mm * step, reach, profile)


def _blocks(mask: np.ndarray, step: int) -> np.ndarray:
    """``mask`` on pixels ``step`` times larger: a block is set when any of its pixels is."""
    rows, columns = -(-mask.shape[0] // step), -(-mask.shape[1] // step)
    padded = np.zeros((rows * step, columns * step), dtype=bool)
    padded[: mask.shape[0], : mask.shape[1]] = mask
    return padded.reshape(rows, step, columns, step).any(axis=(1, 3))


def _pillar_pad(pillars: np.ndarray, pixel: float, reach: float, profile: SlaProfile):
    """Top area, bottom area and volume of the pad PrusaSlicer builds under the pillars
    (PrusaSlicer 2.5, ``sla::Pad``, pad below the part), on a ``Footprint`` raster.

    Its blueprint is the pillars' bases (``pad_blueprint`` slices the supports' lowest pad
    height): discs of ``reach`` about the ``pillars`` pixels. ``ConcaveHull`` joins separate
    bases by a connector triangle from the centre of all of them to each base's centre,
    ``CONNECTOR_HALF_WIDTH_MM`` to either side there; ``offset_waffle_style`` closes the result
    by growing it twice the brim (``pad_brim_size`` plus the wing) and shrinking it once, and
    keeps only its outer contours (no holes). That outline is the pad's top; its edge slopes in
    by ``pad_wall_slope`` down to the bottom, ``pad_wall_thickness`` (+ ``pad_wall_height``)
    lower. Distances on the raster are taken between pixel centres, so a region's edge lies half
    a pixel beyond its outermost pixels."""
    brim = profile.pad_brim_mm + profile.pad_wing_mm
    margin = math.ceil((reach + 2 * brim) / pixel) + 3
    supported = np.pad(pillars, margin)
    distance = ndimage.distance_transform_edt(~supported, sampling=pixel)
    bases = distance <= reach + pixel / 2
    if ndimage.label(bases)[1] > 1:
        bases |= _connectors(supported, pixel)
    grown = ndimage.distance_transform_edt(~bases, sampling=pixel) <= 2 * brim + pixel / 2
    top = ndimage.binary_fill_holes(
        ndimage.distance_transform_edt(grown, sampling=pixel) > brim + pixel / 2
    )
    depth = ndimage.distance_transform_edt(top, sampling=pixel) - pixel / 2
    shrink = profile.pad_thickness_mm / math.tan(math.radians(profile.pad_slope_deg))
    cell = pixel * pixel
    # The area at each depth of the sloped edge, averaged over the pad's thickness.
    shares = (np.arange(PAD_DEPTH_SAMPLES) + 0.5) / PAD_DEPTH_SAMPLES
    mean_area = np.mean([np.count_nonzero(depth > shrink * share) for share in shares]) * cell
    return (
        float(np.count_nonzero(top) * cell),
        float(np.count_nonzero(depth > shrink) * cell),
        float(profile.pad_thickness_mm * mean_area),
    )


def _connectors(supported: np.ndarray, pixel: float) -> np.ndarray:
    """The union of ``ConcaveHull``'s connector triangles, from the centre of the supported
    pixels' bounding box to each of them: seen from that centre, a triangle to a point ``r``
    away covers the angles within ``atan(CONNECTOR_HALF_WIDTH_MM / r)`` of it out to ``r``, so
    the union is, per direction, the farthest reach of the points whose triangle spans it."""
    rows, columns = np.nonzero(supported)
    centre = (
        (rows.min() + rows.max()) / 2,
        (columns.min() + columns.max()) / 2,
    )
    step = 2 * math.pi / CONNECTOR_BINS

    def polar(row_index, column_index):
        dy, dx = (row_index - centre[0]) * pixel, (column_index - centre[1]) * pixel
        angle = ((np.arctan2(dy, dx) + math.pi) / step).astype(int) % CONNECTOR_BINS
        return np.hypot(dx, dy), angle

    radius, angle = polar(rows, columns)
    farthest = np.zeros(CONNECTOR_BINS)
    np.maximum.at(farthest, angle, radius)
    spread = np.arctan2(CONNECTOR_HALF_WIDTH_MM, np.maximum(farthest, 1e-9))
    covered = farthest.copy()
    for offset in range(1, int(spread[farthest > 0].max() / step) + 2):
        reaches = np.where(spread >= (offset - 0.5) * step, farthest, 0.0)
        covered = np.maximum(
            covered, np.maximum(np.roll(reaches, offset), np.roll(reaches, -offset))
        )
    grid_rows, grid_columns = np.indices(supported.shape)
    radius, angle = polar(grid_rows, grid_columns)
    return radius <= covered[angle]


def _pad(area, perimeter, reach, profile: SlaProfile, *, points: int, support_mm3: float):
    """The pad under an outline (area, perimeter) grown by ``reach`` and the brim."""
    if not profile.pad or area <= 0:
        return _Supports(points, support_mm3, 0.0, 0.0, 0.0)
    grow = reach + profile.pad_brim_mm
    shrink = profile.pad_thickness_mm / math.tan(math.radians(profile.pad_slope_deg))
    top = _offset_area(area, perimeter, grow)
    bottom = _offset_area(area, perimeter, max(grow - shrink, 0.0))
    # The grown area integrated over the thickness (Steiner's formula, offset linear in depth).
    volume = profile.pad_thickness_mm * (
        _offset_area(area, perimeter, grow - shrink / 2) + math.pi * shrink**2 / 12
    )
    return _Supports(points, support_mm3, top, bottom, volume)


def _islands(corners: np.ndarray, projected: np.ndarray):
    """(outline points, area) of each connected group of the part's bottom faces: the
    separate islands PrusaSlicer's first layer holds."""
    if not len(corners):
        return []
    points = corners[:, :, :2].reshape(-1, 2)
    _, vertex = np.unique(np.round(points, 6), axis=0, return_inverse=True)
    vertex = vertex.reshape(-1, 3)
    edges = np.concatenate([vertex[:, [0, 1]], vertex[:, [1, 2]]])
    size = int(vertex.max()) + 1
    graph = csr_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(size, size))
    count, label = connected_components(graph, directed=False)
    face_label = label[vertex[:, 0]]
    areas = np.bincount(face_label, weights=projected, minlength=count)
    order = np.argsort(face_label, kind="stable")
    bounds = np.searchsorted(face_label[order], np.arange(count + 1))
    # One convex hull per island (islands are few; their faces are handled in bulk).
    return [
        (corners[order[bounds[i] : bounds[i + 1]], :, :2].reshape(-1, 2), float(areas[i]))
        for i in range(count)
    ]


def _min_rectangle(points: np.ndarray) -> tuple[float, float]:
    """Width and length of the minimal-area rectangle around 2D points (rotating calipers)."""
    if len(points) < 3:
        return 0.0, 0.0
    try:
        hull = points[ConvexHull(points).vertices]
    except QhullError:
        return 0.0, 0.0
    edges = np.roll(hull, -1, axis=0) - hull
    angles = np.arctan2(edges[:, 1], edges[:, 0])
    cos, sin = np.cos(angles)[:, None], np.sin(angles)[:, None]
    along = hull[:, 0][None, :] * cos + hull[:, 1][None, :] * sin
    across = hull[:, 1][None, :] * cos - hull[:, 0][None, :] * sin
    sides = np.stack([np.ptp(along, axis=1), np.ptp(across, axis=1)], axis=1)
    best = int(np.argmin(sides[:, 0] * sides[:, 1]))
    return float(sides[best].min()), float(sides[best].max())


def _offset_area(area: float, perimeter: float, distance: float) -> float:
    """Area of a convex outline grown by ``distance`` (Steiner's formula)."""
    return area + perimeter * distance + math.pi * distance**2


def estimate(vertices: np.ndarray, faces: np.ndarray, profile: SlaProfile) -> SlaEstimate:
    """PrusaSlicer's SLA print time and resin for a closed mesh in its print orientation (z up,
    millimetres); the mesh is raised onto the supports as PrusaSlicer raises it."""
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    lifted = vertices - [0.0, 0.0, vertices[:, 2].min()]
    height = float(lifted[:, 2].max())
    middles = _layer_middles(height, profile) - profile.elevation_mm
    fill_limit = profile.display_mm2 * profile.area_fill_pct / 100
    extent = _extent(lifted)
    if extent[0] * extent[1] <= fill_limit:
        # No section can be larger than the part's bounding rectangle: every layer of the part
        # itself is fast, whatever its shape, so sectioning would not change the estimate.
        part_area = np.zeros(len(middles))
    else:
        part_area = np.maximum(section_areas(lifted, faces, middles), 0.0)
    normal = _normals(lifted[faces])
    # Divergence theorem: the volume is the sum of a . n / 6 over the faces.
    part_ml = float(np.einsum("ij,ij->", lifted[faces[:, 0]], normal)) / 6000
    geometry = SupportGeometry.of(lifted, faces, normal, profile.initial_layer_height_mm)
    return _reckon(height, part_area, part_ml, geometry, profile)


def layer_table(
    vertices: np.ndarray,
    faces: np.ndarray,
    rotation: np.ndarray,
    union_share: tuple[float, float] = (1.0, 1.0),
    pitch: float = PITCH_MM,
    *,
    face_normals: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict | None:
    """What ``estimate_from_table`` needs of a closed mesh turned by ``rotation``, packed for
    the analysis: the section area at the middle of every ``pitch`` from the underside
    (``section_areas``), the volume and the ``SupportGeometry``. ``union_share`` (volume, area)
    of ``overlap.union_share``: overlapping bodies are printed once. ``face_normals`` (unit
    normals, areas) of the unturned faces, as the cleaned mesh holds them, are turned rather than
    computed again. None for a part taller than ``MAX_HEIGHT_MM``."""
    turned = np.asarray(vertices, dtype=np.float64) @ np.asarray(rotation, dtype=np.float64).T
    turned[:, 2] -= turned[:, 2].min()
    faces = np.asarray(faces, dtype=np.int64)
    height = float(turned[:, 2].max())
    if height > MAX_HEIGHT_MM:
        return None
    extent = _extent(turned)
    volume_share = union_share[0]
    areas = None
    if extent[0] * extent[1] > SECTIONED_ABOVE_MM2:
        middles = (np.arange(max(1, math.ceil(height / pitch - 1e-3))) + 0.5) * pitch
        sections = section_areas(turned, faces, middles)
        areas = _pack(np.maximum(sections, 0.0) * volume_share)
    if face_normals is None:
        normal = _normals(turned[faces])
    else:
        unit, face_areas = face_normals
        normal = (np.asarray(unit) @ np.asarray(rotation, dtype=np.float64).T) * (
            2 * np.asarray(face_areas)[:, None]
        )
    part_ml = float(np.einsum("ij,ij->", turned[faces[:, 0]], normal)) / 6000 * volume_share
    return {
        "version": TABLE_VERSION,
        "pitch_mm": pitch,
        "height_mm": height,
        "bounds_mm2": float(extent[0] * extent[1]),
        "part_ml": part_ml,
        "areas": areas,
        "supports": SupportGeometry.of(turned, faces, normal, ISLAND_MM).to_dict(),
    }


def estimate_from_table(table: Mapping, profile: SlaProfile) -> SlaEstimate:
    """``estimate`` from an analysis's ``layer_table``: the section area of each of the
    profile's layers is the table's at the nearest heights (linear between them). A part the
    table did not section is smaller than any fill limit: its layers are fast, or, for a
    profile with a smaller limit than ``SECTIONED_ABOVE_MM2``, as large as its mean section."""
    if table.get("version") != TABLE_VERSION:
        raise ValueError(f"unsupported SLA layer table version {table.get('version')!r}")
    height, pitch = float(table["height_mm"]), float(table["pitch_mm"])
    middles = _layer_middles(height, profile) - profile.elevation_mm
    within = (middles >= 0) & (middles <= height)
    if table["areas"] is not None:
        areas = _unpack(table["areas"])
        stored = (np.arange(len(areas)) + 0.5) * pitch
        part_area = np.where(within, np.interp(middles, stored, areas), 0.0)
    elif table["bounds_mm2"] <= profile.display_mm2 * profile.area_fill_pct / 100:
        part_area = np.zeros(len(middles))
    else:
        part_area = np.where(within, float(table["part_ml"]) * 1000 / max(height, 1e-9), 0.0)
    geometry = SupportGeometry.from_dict(table["supports"])
    return _reckon(height, part_area, float(table["part_ml"]), geometry, profile)


def _extent(vertices: np.ndarray) -> np.ndarray:
    """Width and depth of the vertices' bounding box (column by column: ``np.ptp`` along the
    rows of a large array is several times slower)."""
    return np.array([np.ptp(vertices[:, 0]), np.ptp(vertices[:, 1])])


def _layer_middles(height_mm: float, profile: SlaProfile) -> np.ndarray:
    tops = layer_levels(height_mm, profile)
    return (tops + np.concatenate([[0.0], tops[:-1]])) / 2


def _reckon(
    height_mm: float,
    part_area: np.ndarray,
    part_ml: float,
    geometry: SupportGeometry,
    profile: SlaProfile,
) -> SlaEstimate:
    """Time and resin of the profile's layers, given the part's section area at their
    middles (above the pad's underside), its volume and its support geometry."""
    tops = layer_levels(height_mm, profile)
    bottoms = np.concatenate([[0.0], tops[:-1]])
    middles = (tops + bottoms) / 2
    fill_limit = profile.display_mm2 * profile.area_fill_pct / 100
    supports = _supports_and_pad(geometry, profile)
    pillar_area = math.pi * profile.pillar_diameter_mm**2 / 4
    points = supports.points

    exposed = part_area.copy()
    under = tops <= profile.elevation_mm
    on_pad = tops <= profile.pad_thickness_mm
    exposed[under & ~on_pad] += points * pillar_area
    if on_pad.any():
        share = np.clip(middles[on_pad] / max(profile.pad_thickness_mm, 1e-9), 0.0, 1.0)
        exposed[on_pad] += (
            supports.pad_bottom_mm2 + (supports.pad_top_mm2 - supports.pad_bottom_mm2) * share
        )
    fast = exposed <= fill_limit
    heights = tops - bottoms
    times = exposure_times(len(tops), profile) + heights * TOWER_S_PER_MM
    if profile.print_speed == "slow":
        times += profile.slow_tilt_s + SAFE_DELAY_S
    elif profile.print_speed == "high_viscosity":
        times += profile.high_viscosity_tilt_s + HIGH_VISCOSITY_DELAY_S
    else:
        times += np.where(fast, profile.fast_tilt_s, profile.slow_tilt_s + SLOW_MOVE_DELAY_S)
    support_ml = supports.support_mm3 / 1000
    pad_ml = supports.pad_mm3 / 1000
    return SlaEstimate(
        print_time_s=float(times.sum()),
        resin_ml=part_ml + support_ml + pad_ml,
        part_ml=part_ml,
        support_ml=support_ml,
        pad_ml=pad_ml,
        layers=len(tops),
        fast_layers=int(fast.sum()),
        slow_layers=int((~fast).sum()),
        support_points=points,
    )


def _pack(values: np.ndarray) -> str:
    return _pack_bytes(np.asarray(values, "<f4"))


def _unpack(packed: str) -> np.ndarray:
    return np.frombuffer(_unpack_bytes(packed), dtype="<f4").astype(float)


def _pack_bytes(values: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(values.tobytes(), 6)).decode("ascii")


def _unpack_bytes(packed: str) -> bytes:
    return zlib.decompress(base64.b64decode(packed))


def _hull(points: np.ndarray) -> tuple[float, float]:
    """Area and perimeter of the convex hull of 2D points (0, 0 when they span no area)."""
    if len(points) < 3:
        return 0.0, 0.0
    try:
        hull = ConvexHull(_around_octagon(points))
    except QhullError:
        return 0.0, 0.0
    # In 2D scipy's ``volume`` is the area and ``area`` the perimeter.
    return float(hull.volume), float(hull.area)


def _around_octagon(points: np.ndarray) -> np.ndarray:
    """The points not strictly inside the polygon of their extremes along x, y and both
    diagonals (Akl-Toussaint): the convex hull is theirs, and Qhull has far fewer to sort on a
    finely meshed part."""
    x, y = points[:, 0], points[:, 1]
    extremes = [
        int(index)
        for values in (x, x + y, y, y - x)
        for index in (np.argmax(values), np.argmin(values))
    ]
    corners = points[list(dict.fromkeys(extremes))]
    centre = corners.mean(axis=0)
    corners = corners[np.argsort(np.arctan2(*(corners - centre).T[::-1]))]
    if len(corners) < 3:
        return points
    inside = np.ones(len(points), dtype=bool)
    for start, end in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        edge = end - start
        inside &= edge[0] * (y - start[1]) - edge[1] * (x - start[0]) > 0
    return points[~inside]
