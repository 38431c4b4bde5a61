"""Geometric analysis of a loaded part: the numbers a quote is priced from.

``analyse(part)`` repairs the mesh, measures it and returns an :class:`Analysis` whose
``to_dict()`` is JSON-serialisable. All lengths are mm, areas mm2, volumes mm3, directions unit
vectors in the part's coordinates. Keys (stable; new keys may be added, none renamed):

Identity and units
  ``filename``, ``source_format`` (stl, 3mf, obj, ply, gltf, step, iges), ``objects`` (objects or
  build items in the file), ``unit`` (unit the file was read in), ``unit_inferred`` (bool),
  ``unit_reason`` (one sentence for the customer).
Size
  ``volume_mm3``, ``area_mm2`` (exact from the B-rep for STEP/IGES, else from the repaired mesh;
  ``volume_source`` says which), ``bbox_mm`` [x, y, z], ``obb_mm`` (minimal oriented box, extents
  descending), ``obb_axes`` (its axes as rows), ``hull_volume_mm3`` (convex hull: exact up to
  50,000 vertices, else low by at most 1e-4 of the diagonal times the hull area).
Mesh health
  ``triangles``, ``vertices`` (after welding), ``bodies`` (solid pieces), ``shells`` (closed
  surfaces, including cavity shells), ``cavities``, ``watertight``, ``manifold``,
  ``inverted_normals`` (the file was inside out, wholly or in part), ``repairs`` (sentences).
Walls and features
  ``min_wall_mm`` (thinnest wall covering at least 1 % of the surface, None if none measured),
  ``wall_thickness_mm`` {min, p01, p05, median, measured_share}, ``thin_wall_threshold_mm``,
  ``thin_area_mm2`` (area whose wall is below the threshold), ``thin_area_by_threshold_mm2``
  {"0.5": ..., "0.8", "1", "1.5", "2", "3"}, ``min_gap_mm``, ``narrow_gap_area_mm2``,
  ``small_features`` {threshold_mm, count, area_mm2}.
Additive
  ``overhang_angle_deg``, ``build_direction`` (the one asked for), ``overhang_area_mm2`` and
  ``support_volume_mm3`` for that direction, ``orientation`` (best candidate: rotation,
  build_direction, height_mm, footprint_mm, support_volume_mm3, overhang_area_mm2),
  ``orientations_evaluated``, ``skin_area_mm2`` and ``wall_area_mm2`` (surface facing up or
  down, and standing, in the best orientation; what FDM skins and perimeters cover),
  ``fdm_layers`` when asked for (the part sectioned every 0.1 mm in the best orientation,
  packed: what the layer-based FDM estimate of ``odm_engine.slicing.layers`` prices from),
  ``sla_layers`` when asked for (support geometry in the best orientation, and section areas
  every 0.05 mm for a footprint large enough to tilt slowly, packed: what
  ``odm_engine.slicing.sla_layers.estimate_from_table`` prices from).
Moulding
  ``projected_area_mm2`` and ``undercut_area_mm2`` for the best pull direction, ``moulding``
  {pull_direction, projected_area_mm2, undercut_area_mm2, zero_draft_area_mm2, candidates}.
Machining
  ``cnc`` {frame, frame_axes, setups, setup_directions, inaccessible_area_mm2,
  deep_pocket_ratio, deep_pocket_depth_mm, deep_pocket_width_mm, sharp_inner_edges,
  sharp_inner_edge_length_mm}.
Findings
  ``dfm``: list of {code, severity (info | warning | fatal), message}.
Method
  ``samples`` (surface points used by ray-based metrics), ``notes`` (loader remarks).
"""

from dataclasses import dataclass, field

import numpy as np

from odm_engine.mesh import dfm_geometry, errors, orientation, overlap
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.hull import Hull, convex_hull, convex_mesh_hull, minimal_box
from odm_engine.mesh.loaders import Part
from odm_engine.mesh.messages import decimals, finding, number, plural
from odm_engine.mesh.repair import CleanMesh, clean_mesh, edge_rises
from odm_engine.mesh.surface import build_surface
from odm_engine.mesh.units import UNIT_WORDS
from odm_engine.slicing import layers
from odm_engine.slicing import sla_layers as resin_layers

DEFAULT_SAMPLES = 4096
# A closed mesh enclosing less than this fraction of its diagonal cubed encloses nothing.
FLAT_VOLUME_RATIO = 1e-9
# Boundary edges above this share of all edges make the volume meaningless: fatal.
OPEN_FATAL_SHARE = 0.05
CONVEX_TOLERANCE = 1e-7


@dataclass
class Analysis:
    """Result of :func:`analyse`; ``values`` is the documented dict, the rest serves ``fits``."""

    values: dict
    hull: Hull = field(repr=False)
    best_orientation: orientation.Orientation = field(repr=False)

    def __getitem__(self, key: str):
        return self.values[key]

    def to_dict(self) -> dict:
        return _json_safe(self.values)


def analyse(
    part: Part,
    *,
    build_direction=(0.0, 0.0, 1.0),
    overhang_angle_deg: float = orientation.DEFAULT_OVERHANG_ANGLE_DEG,
    thin_wall_mm: float = dfm_geometry.DEFAULT_THIN_WALL_MM,
    small_feature_mm: float = dfm_geometry.DEFAULT_SMALL_FEATURE_MM,
    height_weight: float = orientation.DEFAULT_HEIGHT_WEIGHT,
    samples: int = DEFAULT_SAMPLES,
    fdm_layers: bool = False,
    sla_layers: bool = False,
) -> Analysis:
    """Repair and measure a part; raises MeshError (``flat``, ``not_solid``) if it has no solid.

    ``fdm_layers`` also sections the part for the layer-based FDM estimate (uploads ask for
    it: ``service.analyse_in_process``). It costs about a second of CPU on a million
    triangles (docs/benchmarks/fdm_estimate.md), which measuring alone does not need; ``sla_layers``
    likewise for the layer-based SLA estimate.
    """
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    normals, areas = mesh.normals, mesh.areas
    mesh_volume = float(mesh.shell_volumes.sum())
    low, high = mesh.bounds
    diagonal = float(np.linalg.norm(high - low))
    if mesh_volume <= FLAT_VOLUME_RATIO * diagonal**3:
        raise MeshError(
            errors.FLAT, "The surface encloses no volume, so there is nothing to manufacture."
        )
    hull = _hull(mesh, normals, areas, mesh_volume, diagonal)
    box = minimal_box(hull)
    surface = build_surface(mesh, normals, areas, hull, samples)
    # Overlapping bodies are made once: the union's share of the summed volume and surface.
    may_overlap = mesh.shells > 1 or not mesh.manifold
    union = overlap.union_share(mesh.vertices, mesh.faces) if may_overlap else overlap.NO_OVERLAP
    volume = (part.exact_volume_mm3 or mesh_volume) * union.volume
    area = (part.exact_area_mm2 or float(areas.sum())) * union.area

    thickness, gaps = dfm_geometry.walls_and_gaps(surface)
    features = dfm_geometry.small_features(surface, thickness, gaps, small_feature_mm)

    asked_up = np.asarray(build_direction, dtype=float)
    asked_up = asked_up / np.linalg.norm(asked_up)
    ups = orientation.distinct_directions(
        np.vstack([asked_up, orientation.candidate_ups(surface, box)])
    )
    evaluated = orientation.evaluate(surface, ups, overhang_angle_deg)
    best = orientation.pick_best(evaluated, volume, diagonal, height_weight)

    frame, frame_name = dfm_geometry.machining_frame(surface, box)
    lines = orientation.distinct_directions(
        np.vstack([frame, np.eye(3), box.axes]), both_ways=False
    )
    visible = dfm_geometry.visibility(surface, np.vstack([lines, -lines]))
    visible_up, visible_down = visible[:, : len(lines)], visible[:, len(lines) :]
    moulding = dfm_geometry.moulding(surface, lines, visible_up, visible_down)
    accessible = np.hstack([visible_up[:, :3], visible_down[:, :3]])
    cnc = dfm_geometry.cnc(surface, frame, frame_name, accessible)

    values = {
        "filename": part.filename,
        "source_format": part.source_format,
        "objects": part.objects,
        "unit": part.unit,
        "unit_inferred": part.unit_inferred,
        "unit_reason": part.unit_reason,
        "volume_mm3": volume,
        "volume_source": "brep" if part.exact_volume_mm3 else "mesh",
        "area_mm2": area,
        "bbox_mm": (high - low).tolist(),
        "obb_mm": box.extents.tolist(),
        "obb_axes": np.round(box.axes, 9).tolist(),
        "hull_volume_mm3": max(hull.volume, volume),
        "triangles": len(mesh.faces),
        "vertices": len(mesh.vertices),
        "bodies": mesh.bodies,
        "shells": mesh.shells,
        "cavities": int(mesh.shell_is_void.sum()),
        "watertight": mesh.watertight,
        "manifold": mesh.manifold,
        "inverted_normals": mesh.inverted_normals,
        "repairs": list(mesh.repairs),
        **dfm_geometry.wall_summary(surface, thickness, thin_wall_mm),
        "thin_wall_threshold_mm": thin_wall_mm,
        **dfm_geometry.gap_summary(surface, gaps, thin_wall_mm),
        "small_features": features,
        "overhang_angle_deg": overhang_angle_deg,
        "build_direction": asked_up.tolist(),
        "overhang_area_mm2": evaluated[0].overhang_area_mm2,
        "support_volume_mm3": evaluated[0].support_volume_mm3,
        "orientation": best.to_dict(),
        **overlap.build_surfaces(normals, areas, best.build_direction, union.area),
        "orientations_evaluated": len(evaluated),
        "projected_area_mm2": moulding["projected_area_mm2"],
        "undercut_area_mm2": moulding["undercut_area_mm2"],
        "moulding": moulding,
        "cnc": cnc,
        "samples": len(surface.samples),
        "notes": list(part.notes),
    }
    values["dfm"] = findings(part, mesh, values)
    if fdm_layers:
        values[layers.ANALYSIS_KEY] = fdm_layer_table(
            mesh, surface, best, overhang_angle_deg, (union.volume, union.area)
        )
    if sla_layers:
        values[resin_layers.ANALYSIS_KEY] = resin_layers.layer_table(
            mesh.vertices,
            mesh.faces,
            best.rotation,
            (union.volume, union.area),
            face_normals=(normals, areas),
        )
    return Analysis(values, hull, best)


def fdm_layer_table(
    mesh: CleanMesh,
    surface,
    best: orientation.Orientation,
    overhang_angle_deg: float,
    union_share: tuple[float, float] = (1.0, 1.0),
) -> dict | None:
    """The fine-layer table the layer-based FDM estimate prices from, in the best orientation
    (overlapping bodies counted once: ``union_share`` of ``overlap.union_share``)."""
    columns = layers.support_columns(surface, best.rotation, overhang_angle_deg)
    return layers.layer_table(
        mesh.vertices,
        mesh.faces,
        mesh.topology.neighbour,
        best.rotation,
        supports=columns,
        overhang_angle_deg=overhang_angle_deg,
        union_share=union_share,
    )


def _hull(mesh: CleanMesh, normals, areas, volume: float, diagonal: float) -> Hull:
    """The mesh itself when it is one closed convex shell, else qhull."""
    pairs = mesh.topology.pairs
    if mesh.watertight and mesh.shells == 1 and len(pairs):
        # A strided sample of the edges first: a concave part usually shows it at once.
        stride = max(1, len(pairs) // 4096)
        if _edge_rise(mesh, normals, pairs[::stride]) <= CONVEX_TOLERANCE * diagonal and (
            stride == 1 or _edge_rise(mesh, normals, pairs) <= CONVEX_TOLERANCE * diagonal
        ):
            return convex_mesh_hull(mesh.vertices, normals, areas, volume)
    return convex_hull(mesh.vertices, mesh.bounds)


def _edge_rise(mesh: CleanMesh, normals: np.ndarray, pairs: np.ndarray) -> float:
    """Largest height of an edge's far vertex above the plane of the face across that edge."""
    return float(edge_rises(mesh.vertices, mesh.faces, normals, pairs).max())


def findings(part: Part, mesh: CleanMesh, values: dict) -> list[dict]:
    """Process-independent DFM findings, most severe first; their numbers are parameters
    (odm_engine.mesh.messages) for applications that format them for their reader."""
    found = []

    def add(code: str, severity: str, template: str, **params) -> None:
        found.append(finding(code, severity, template, **params))

    topology = mesh.topology
    if topology.boundary_edges:
        fatal = topology.boundary_edges > OPEN_FATAL_SHARE * topology.edges
        add(
            "not_watertight",
            "fatal" if fatal else "warning",
            plural(
                topology.boundary_edges,
                "The surface is not closed (%(count)s open edge remains after repair), so the "
                "volume is %(quality)s.",
                "The surface is not closed (%(count)s open edges remain after repair), so the "
                "volume is %(quality)s.",
            ),
            count=number(topology.boundary_edges),
            quality="meaningless" if fatal else "approximate",
        )
    if topology.nonmanifold_edges:
        add(
            "non_manifold",
            "warning",
            plural(
                topology.nonmanifold_edges,
                "%(count)s edge is shared by more than two triangles; bodies touch along edges "
                "or the surface crosses itself.",
                "%(count)s edges are shared by more than two triangles; bodies touch along "
                "edges or the surface crosses itself.",
            ),
            count=number(topology.nonmanifold_edges),
        )
    if values["bodies"] > 1:
        add(
            "several_bodies",
            "warning",
            "The file holds %(count)s separate bodies; each is a separate piece.",
            count=number(values["bodies"]),
        )
    if values["cavities"]:
        add(
            "enclosed_cavities",
            "info",
            plural(
                values["cavities"],
                "The part encloses %(count)s sealed cavity, which traps powder or resin in "
                "additive processes.",
                "The part encloses %(count)s sealed cavities, which trap powder or resin in "
                "additive processes.",
            ),
            count=number(values["cavities"]),
        )
    if mesh.inverted_normals:
        add(
            "inverted_normals",
            "info",
            "The surface was partly or wholly inside out and has been turned outward.",
        )
    if mesh.repairs:
        add(
            "repaired", "info", "The mesh was repaired: %(repairs)s", repairs=" ".join(mesh.repairs)
        )
    if part.unit_inferred:
        x, y, z = values["bbox_mm"]
        add(
            "unit_inferred",
            "info" if part.unit == "mm" else "warning",
            "%(reason)s Please check the size: %(x)s x %(y)s x %(z)s mm (%(unit)s assumed).",
            reason=part.unit_reason,
            x=number(x, _size_digits(x)),
            y=number(y, _size_digits(y)),
            z=number(z, _size_digits(z)),
            unit=UNIT_WORDS[part.unit],
        )
    features = values["small_features"]
    if features["count"]:
        add(
            "tiny_features",
            "warning",
            plural(
                features["count"],
                "%(count)s region is thinner than %(threshold)s mm (%(area)s mm² in all) and "
                "may not survive manufacturing.",
                "%(count)s regions are thinner than %(threshold)s mm (%(area)s mm² in all) and "
                "may not survive manufacturing.",
            ),
            count=number(features["count"]),
            threshold=number(features["threshold_mm"], decimals(features["threshold_mm"])),
            area=number(features["area_mm2"], 0 if features["area_mm2"] >= 10 else 1),
        )
    for note in part.notes:
        add("file_note", "info", "%(note)s", note=note)
    rank = {"fatal": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda found_one: rank[found_one["severity"]])


def _size_digits(size_mm: float) -> int:
    """Decimals a size is shown with: two below 10 mm, else one (as the part's dimensions)."""
    return 2 if abs(size_mm) < 10 else 1


def _json_safe(value):
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if np.isfinite(number) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
