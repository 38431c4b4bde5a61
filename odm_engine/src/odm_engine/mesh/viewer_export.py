"""What a 3D viewer needs to show a part and its manufacturability findings: one binary payload.

The mesh is decimated to at most ``max_triangles`` (vertex clustering on a uniform grid: every
vertex moves to the mean of its cell, faces whose corners fall in fewer than three cells vanish,
the shape is kept to within one cell), placed in the build orientation the quote assumed (the
analysis' best orientation: +Z is the build direction, the footprint centred on X = Y = 0, the
part standing on Z = 0), and every face gets the findings at its place:

* ``wall_thickness`` and ``gap_width`` (float32, mm, NaN where not measured): the engine's ray
  samples (``dfm_geometry.walls_and_gaps`` on the full-resolution mesh), each face taking the
  nearest sample that faces its way. Measured before decimation, so a wall thinner than a grid
  cell is still seen.
* ``overhang`` (uint8 0/1): faces leaning more than the analysis' overhang angle from vertical
  (FDM/SLA need support there), faces resting on the plate excepted.
* ``undercut`` (uint8): samples not released along the analysis' best mould pull line.
* ``cnc_unreachable`` (uint8): samples out of reach of the six directions of the machining frame.
* ``cnc_sharp_corner`` (uint8): faces along concave edges sharper than the CNC test's angle that
  run along a setup direction (a round tool leaves a radius there).
* ``cnc_pocket_ratio`` (float32, depth / width, NaN elsewhere): pocket floors reached from a
  setup, depth from the stock top, width by rays across the floor.

Layout (little endian throughout)::

    0   4 bytes   magic b"ODMV"
    4   uint32    header length H (a multiple of 4)
    8   H bytes   UTF-8 JSON header, padded with spaces
    8+H           arrays, each at header["arrays"][i]["offset"] (from byte 8 + H, 4-aligned)

The header holds ``format`` ("odm-viewer"), ``version`` (``FORMAT_VERSION``), ``units`` ("mm"),
``triangles``, ``vertices``, ``source_triangles``, ``bbox_mm`` ([low, high] in the build frame),
``rotation`` (rows: part frame to build frame), ``offset_mm`` (added after the rotation),
``build_volume_mm`` (the machine's envelope [x, y, z], or null), ``process`` (its name, or
null), ``thresholds`` (the values the
flags were computed with and the legend should state), ``channels`` (name, kind "value" or
"flag", unit, how many faces are flagged under the thresholds) and ``arrays`` (name, dtype
"float32" | "uint32" | "uint16" | "uint8", shape, offset, bytes). ``positions`` is (V, 3)
float32, ``indices`` (F, 3) uint16 when V < 65536 else uint32, every channel (F,).

The header's ``build_volume_mm``, ``process``, ``thresholds`` and the channels' flag counts are
what a process and its machine change; ``restyle`` redraws them on a stored payload without any
mesh work, so a part's payload is made once (at upload, in the bounded analysis child) and
drawn against whichever process it is shown for.

Cost is bounded whatever the upload: the part was loaded under ``odm_engine.mesh.limits``, the
ray work is a fixed number of samples, the decimation a few sorts of the vertex array, and the
payload is at most about 30 bytes per kept triangle.
"""

import json
import struct

import numpy as np
from scipy.spatial import cKDTree

from odm_engine.mesh import dfm_geometry, orientation
from odm_engine.mesh.hull import convex_hull
from odm_engine.mesh.limits import Limits
from odm_engine.mesh.loaders import Part, load_part
from odm_engine.mesh.repair import clean_mesh, edge_rises
from odm_engine.mesh.surface import Surface, build_surface

MAGIC = b"ODMV"
FORMAT_VERSION = 1
DEFAULT_MAX_TRIANGLES = 100_000
# Ray samples of the findings: more than the quote's (they are drawn, not summed), still bounded.
DEFAULT_SAMPLES = 16_384
# Decimation: grid refinements tried before the cap is met (each coarsens by the overshoot).
MAX_DECIMATION_ROUNDS = 12
# A face takes the nearest sample that faces its way within this many sample spacings (+ a cell).
TRANSFER_SPACINGS = 3.0
TRANSFER_NEIGHBOURS = 6
TRANSFER_MIN_COS = 0.5
MAX_POCKET_FLOORS = 8192
DEFAULT_DEEP_POCKET_RATIO = 4.0
_HEADER_LENGTH = struct.Struct("<I")
# The arrays of the mesh itself; every other array is a channel of per-face findings.
MESH_ARRAYS = ("positions", "indices")


# ------------------------------------------------------------------------------------- export


def export_viewer(
    part: Part,
    analysis: dict,
    *,
    max_triangles: int = DEFAULT_MAX_TRIANGLES,
    samples: int = DEFAULT_SAMPLES,
    build_volume_mm=None,
    thin_wall_mm: float | None = None,
    deep_pocket_ratio: float = DEFAULT_DEEP_POCKET_RATIO,
    process: str | None = None,
) -> bytes:
    """The viewer payload of ``part`` (see the module doc) from its ``analysis`` dict.

    ``thin_wall_mm`` (default: the analysis' threshold) and ``deep_pocket_ratio`` are the
    process's limits the flag counts use; ``build_volume_mm`` the machine envelope to draw and
    ``process`` the name of the process they belong to, for the legend.
    """
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    surface = build_surface(
        mesh, mesh.normals, mesh.areas, convex_hull(mesh.vertices, mesh.bounds), samples
    )
    per_sample = _sample_findings(surface, analysis)
    sharp_faces = _sharp_corner_faces(surface, analysis)

    vertices, faces, source_face = cluster_decimate(
        mesh.vertices, mesh.faces, max_triangles, surface.total_area
    )
    channels = _transfer(surface, per_sample, vertices, faces)
    sharp = np.zeros(len(faces), dtype=np.uint8)
    mapped = source_face[sharp_faces]
    sharp[mapped[mapped >= 0]] = 1
    channels["cnc_sharp_corner"] = sharp

    rotation = np.asarray(analysis["orientation"]["rotation"], dtype=float)
    placed = vertices @ rotation.T
    low, high = placed.min(axis=0), placed.max(axis=0)
    offset = np.array([-(low[0] + high[0]) / 2, -(low[1] + high[1]) / 2, -low[2]])
    placed += offset
    angle = float(analysis.get("overhang_angle_deg", orientation.DEFAULT_OVERHANG_ANGLE_DEG))
    channels["overhang"] = _overhangs(placed, faces, angle)

    thresholds = {
        "thin_wall_mm": float(analysis.get("thin_wall_threshold_mm") or 1.0),
        "overhang_angle_deg": angle,
        "deep_pocket_ratio": DEFAULT_DEEP_POCKET_RATIO,
        "sharp_edge_deg": float(np.degrees(np.arccos(dfm_geometry.SHARP_EDGE_COS))),
        "pull_direction": np.round(
            rotation @ np.asarray(analysis["moulding"]["pull_direction"]), 6
        ).tolist(),
    }
    header = {
        "format": "odm-viewer",
        "version": FORMAT_VERSION,
        "units": "mm",
        "triangles": len(faces),
        "vertices": len(vertices),
        "source_triangles": len(mesh.faces),
        "bbox_mm": [(low + offset).round(4).tolist(), (high + offset).round(4).tolist()],
        "rotation": np.round(rotation, 9).tolist(),
        "offset_mm": offset.round(6).tolist(),
        "build_volume_mm": None,
        "process": None,
        "thresholds": thresholds,
    }
    header = _styled(
        header,
        channels,
        build_volume_mm=build_volume_mm,
        thin_wall_mm=thin_wall_mm,
        deep_pocket_ratio=deep_pocket_ratio,
        process=process,
    )
    index_type = np.uint16 if len(vertices) < 2**16 else np.uint32
    arrays = {"positions": placed.astype(np.float32), "indices": faces.astype(index_type)}
    arrays.update(channels)
    return pack(header, arrays)


def restyle(
    payload: bytes,
    *,
    build_volume_mm=None,
    thin_wall_mm: float | None = None,
    deep_pocket_ratio: float = DEFAULT_DEEP_POCKET_RATIO,
    process: str | None = None,
) -> bytes:
    """``payload`` drawn against another process and machine (the arguments of
    ``export_viewer``): the same bytes ``export_viewer`` makes with them when the payload was
    made without them. Only the header changes; ValueError if ``payload`` is not one."""
    header, arrays = read_payload(payload)
    header.pop("arrays")
    channels = {name: values for name, values in arrays.items() if name not in MESH_ARRAYS}
    header = _styled(
        header,
        channels,
        build_volume_mm=build_volume_mm,
        thin_wall_mm=thin_wall_mm,
        deep_pocket_ratio=deep_pocket_ratio,
        process=process,
    )
    return pack(header, arrays)


def _styled(
    header: dict, channels: dict, *, build_volume_mm, thin_wall_mm, deep_pocket_ratio, process
):
    """The header with the process's limits (``thin_wall_mm`` None: the analysis' threshold,
    the one the header was made with), the machine's envelope and the flag counts under them."""
    thresholds = {**header["thresholds"], "deep_pocket_ratio": float(deep_pocket_ratio)}
    if thin_wall_mm:
        thresholds["thin_wall_mm"] = float(thin_wall_mm)
    return {
        **header,
        "build_volume_mm": None
        if build_volume_mm is None
        else [float(value) for value in build_volume_mm],
        "process": process,
        "thresholds": thresholds,
        "channels": _channel_legend(channels, thresholds),
    }


def _channel_legend(channels: dict, thresholds: dict) -> list[dict]:
    thickness = channels["wall_thickness"]
    gaps = channels["gap_width"]
    ratio = channels["cnc_pocket_ratio"]
    with np.errstate(invalid="ignore"):
        flagged = {
            "wall_thickness": int(np.count_nonzero(thickness < thresholds["thin_wall_mm"])),
            "gap_width": int(np.count_nonzero(gaps < thresholds["thin_wall_mm"])),
            "cnc_pocket_ratio": int(np.count_nonzero(ratio > thresholds["deep_pocket_ratio"])),
        }
    legend = []
    for name, values in channels.items():
        value = values.dtype == np.float32
        legend.append(
            {
                "name": name,
                "kind": "value" if value else "flag",
                "unit": {"wall_thickness": "mm", "gap_width": "mm"}.get(name, ""),
                "flagged": flagged[name] if value else int(np.count_nonzero(values)),
                "measured": int(np.count_nonzero(np.isfinite(values))) if value else len(values),
            }
        )
    return legend


def _sample_findings(surface: Surface, analysis: dict) -> dict:
    """Per ray sample of the full-resolution surface: every ray-based finding."""
    thickness, gaps = dfm_geometry.walls_and_gaps(surface)
    pull = np.asarray(analysis["moulding"]["pull_direction"], dtype=float)
    frame = np.asarray(analysis["cnc"]["frame_axes"], dtype=float)
    directions = np.vstack([pull, -pull, frame, -frame])
    visible = dfm_geometry.visibility(surface, directions)
    cosines = surface.samples.normals @ pull
    up, down = cosines > dfm_geometry.SIDE_WALL_SIN, cosines < -dfm_geometry.SIDE_WALL_SIN
    side = ~up & ~down
    released = (
        (up & visible[:, 0]) | (down & visible[:, 1]) | (side & (visible[:, 0] | visible[:, 1]))
    )
    accessible = visible[:, 2:]
    return {
        "wall_thickness": thickness,
        "gap_width": gaps,
        "undercut": ~released,
        "cnc_unreachable": ~accessible.any(axis=1),
        "cnc_pocket_ratio": _pocket_ratios(surface, frame, accessible),
    }


def _pocket_ratios(surface: Surface, frame: np.ndarray, accessible: np.ndarray) -> np.ndarray:
    """Depth / width of every pocket-floor sample reached from a frame direction (NaN if none)."""
    samples = surface.samples
    ratio = np.full(len(samples), np.nan)
    for k, direction in enumerate(np.vstack([frame, -frame])):
        floors = np.flatnonzero(
            (samples.normals @ direction > dfm_geometry.FLOOR_COS) & accessible[:, k]
        )
        _, top = surface.heights(direction)
        depth = top - samples.points[floors] @ direction
        deep = depth > 1e-3 * surface.diagonal
        floors, depth = floors[deep], depth[deep]
        stride = max(1, -(-len(floors) // MAX_POCKET_FLOORS))
        floors, depth = floors[::stride], depth[::stride]
        if not floors.size:
            continue
        across = frame[np.argsort(np.abs(frame @ direction))[:2]]
        width = dfm_geometry.floor_width(surface, floors, direction, across)
        enclosed = np.isfinite(width) & (width > 0)
        ratio[floors[enclosed]] = np.fmax(
            ratio[floors[enclosed]], depth[enclosed] / width[enclosed]
        )
    return ratio


def _sharp_corner_faces(surface: Surface, analysis: dict) -> np.ndarray:
    """Faces of the full mesh along the sharp inner edges the CNC test counts."""
    pairs = surface.mesh.topology.pairs
    if not len(pairs):
        return np.zeros(0, dtype=np.int64)
    vertices, normals = surface.vertices, surface.normals
    # float32 normal components first (as the engine's own test): few edges remain to check.
    cosine = np.zeros(len(pairs), dtype=np.float32)
    for component in surface.normals32:
        cosine += np.take(component, pairs[:, 0]) * np.take(component, pairs[:, 1])
    pairs = pairs[cosine < dfm_geometry.SHARP_EDGE_COS + 1e-4]
    face_a, face_b, start, end = pairs.T
    sharp = np.einsum("ij,ij->i", normals[face_a], normals[face_b]) < dfm_geometry.SHARP_EDGE_COS
    pairs, start, end = pairs[sharp], start[sharp], end[sharp]
    vector = vertices[end] - vertices[start]
    squared = np.einsum("ij,ij->i", vector, vector)
    frame = np.asarray(analysis["cnc"]["frame_axes"], dtype=float)
    along = np.abs(vector @ frame.T).max(axis=1) if len(vector) else np.zeros(0)
    candidates = along * along > dfm_geometry.VERTICAL_EDGE_COS**2 * squared
    pairs = pairs[candidates]
    rise = edge_rises(vertices, surface.faces, normals, pairs)
    concave = pairs[rise > 1e-6 * surface.diagonal]
    return np.unique(concave[:, :2])


def _transfer(surface, per_sample, vertices, faces) -> dict:
    """Each face takes the values of the nearest sample facing its way (NaN / 0 if none)."""
    samples = surface.samples
    count = len(faces)
    face_normals, centres = _face_frames(vertices, faces)
    neighbours = min(TRANSFER_NEIGHBOURS, len(samples))
    cell = float(np.sqrt(np.median(_face_areas(vertices, faces)))) if count else 0.0
    reach = TRANSFER_SPACINGS * np.sqrt(samples.area_each) + cell
    distance, index = cKDTree(samples.points).query(
        centres, k=neighbours, distance_upper_bound=reach
    )
    distance, index = distance.reshape(count, -1), index.reshape(count, -1)
    found = np.isfinite(distance)
    safe = np.where(found, index, 0)
    facing = np.einsum("ikj,ij->ik", samples.normals[safe], face_normals) > TRANSFER_MIN_COS
    usable = found & facing
    has = usable.any(axis=1)
    choice = safe[np.arange(count), np.argmax(usable, axis=1)]
    channels = {}
    for name, values in per_sample.items():
        if values.dtype == bool:
            channels[name] = np.where(has, values[choice], False).astype(np.uint8)
        else:
            channels[name] = np.where(has, values[choice], np.nan).astype(np.float32)
    return channels


def _overhangs(placed: np.ndarray, faces: np.ndarray, angle_deg: float) -> np.ndarray:
    normals, centres = _face_frames(placed, faces)
    leaning = -normals[:, 2] > np.sin(np.radians(angle_deg))
    extent = float(np.ptp(placed, axis=0).max()) if len(placed) else 0.0
    on_plate = centres[:, 2] <= 1e-5 * extent + 1e-4
    return (leaning & ~on_plate).astype(np.uint8)


def _face_frames(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals (zero if degenerate) and centroids of the faces."""
    corners = vertices[faces]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(length > 0, normal / length, 0.0)
    return unit, corners.mean(axis=1)


def _face_areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    corners = vertices[faces]
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    return 0.5 * np.linalg.norm(cross, axis=1)


# ---------------------------------------------------------------------------------- decimation


def cluster_decimate(
    vertices: np.ndarray, faces: np.ndarray, max_triangles: int, area: float | None = None
):
    """(vertices, faces, source_face) with at most ``max_triangles`` faces, by vertex clustering.

    ``source_face[i]`` is the output face original face ``i`` became, or -1 if it vanished;
    ``area`` the surface area when the caller has it. The
    grid starts at the cell size that would leave about the cap on a smooth surface
    (two triangles per cell of the surface) and coarsens by the overshoot until the cap is met.
    """
    faces = np.asarray(faces, dtype=np.int64)
    if len(faces) <= max_triangles:
        return vertices, faces, np.arange(len(faces))
    low = vertices.min(axis=0)
    diagonal = float(np.linalg.norm(vertices.max(axis=0) - low)) or 1.0
    if area is None:
        area = float(_face_areas(vertices, faces).sum())
    cell = max(np.sqrt(2.0 * area / max_triangles), diagonal * 2.0**-20)
    for _ in range(MAX_DECIMATION_ROUNDS):
        result = _cluster(vertices, faces, low, cell)
        if len(result[1]) <= max_triangles:
            return result
        cell *= max(1.05, np.sqrt(len(result[1]) / max_triangles))
    return result


def _cluster(vertices, faces, low, cell):
    cells = np.floor((vertices - low) / cell).astype(np.int64)
    span = cells.max(axis=0) + 1
    key = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    labels, cluster = np.unique(key, return_inverse=True)
    count = len(labels)
    weight = np.bincount(cluster, minlength=count).astype(float)
    merged = np.stack(
        [np.bincount(cluster, weights=vertices[:, axis], minlength=count) for axis in range(3)],
        axis=1,
    )
    merged /= weight[:, None]
    corners = cluster[faces]
    alive = (
        (corners[:, 0] != corners[:, 1])
        & (corners[:, 1] != corners[:, 2])
        & (corners[:, 0] != corners[:, 2])
    )
    kept = corners[alive]
    ordered = np.sort(kept, axis=1)
    if count < 2**21:
        packed = (ordered[:, 0] << 42) | (ordered[:, 1] << 21) | ordered[:, 2]
        _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(ordered, axis=0, return_index=True, return_inverse=True)
    out_faces = kept[first]
    source_face = np.full(len(faces), -1, dtype=np.int64)
    source_face[alive] = inverse.reshape(-1)
    # Drop clusters no face uses any more.
    used = np.zeros(count, dtype=bool)
    used[out_faces] = True
    renumber = np.cumsum(used) - 1
    return merged[used], renumber[out_faces], source_face


# ------------------------------------------------------------------------------------- format


def pack(header: dict, arrays: dict) -> bytes:
    """The payload bytes: magic, header length, padded JSON header, 4-aligned arrays."""
    entries, blobs, offset = [], [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        entries.append(
            {
                "name": name,
                "dtype": array.dtype.name,
                "shape": list(array.shape),
                "offset": offset,
                "bytes": len(data),
            }
        )
        padding = -len(data) % 4
        blobs.append(data + b"\0" * padding)
        offset += len(data) + padding
    text = json.dumps({**header, "arrays": entries}, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    return MAGIC + _HEADER_LENGTH.pack(len(text)) + text + b"".join(blobs)


def read_payload(payload: bytes) -> tuple[dict, dict]:
    """(header, arrays by name) of a payload; ValueError if it is not one."""
    if payload[:4] != MAGIC or len(payload) < 8:
        raise ValueError("not an ODM viewer payload")
    (length,) = _HEADER_LENGTH.unpack_from(payload, 4)
    header = json.loads(payload[8 : 8 + length])
    base = 8 + length
    arrays = {}
    for entry in header["arrays"]:
        start = base + entry["offset"]
        if start + entry["bytes"] > len(payload):
            raise ValueError(f"array {entry['name']!r} runs past the payload")
        dtype = np.dtype(entry["dtype"]).newbyteorder("<")
        arrays[entry["name"]] = np.frombuffer(
            payload, dtype=dtype, count=entry["bytes"] // dtype.itemsize, offset=start
        ).reshape(entry["shape"])
    return header, arrays


def viewer_task(arguments: dict, data: bytes) -> tuple[dict, list[bytes]]:
    """The sandbox task: the part file and its stored analysis in, the payload out."""
    part = load_part(
        data, arguments["filename"], unit=arguments["unit"], limits=Limits(**arguments["limits"])
    )
    payload = export_viewer(
        part,
        arguments["analysis"],
        max_triangles=int(arguments.get("max_triangles", DEFAULT_MAX_TRIANGLES)),
        build_volume_mm=arguments.get("build_volume_mm"),
        thin_wall_mm=arguments.get("thin_wall_mm"),
        deep_pocket_ratio=float(arguments.get("deep_pocket_ratio", DEFAULT_DEEP_POCKET_RATIO)),
        process=arguments.get("process_name"),
    )
    return {"bytes": len(payload)}, [payload]
