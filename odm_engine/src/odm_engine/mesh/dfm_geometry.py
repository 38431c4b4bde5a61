"""Process-independent design-for-manufacturing geometry: walls, gaps, draw, tool access.

Raw metrics only; each process's thresholds are applied by the pricing engine.

* Wall thickness: from each surface sample, a ray into the material to the opposite surface.
  Only roughly opposing surfaces (normals more than ~105 degrees apart) count as a wall, so a
  ray grazing out through a corner is not mistaken for a thin wall. ``min_wall_mm`` is the 1st
  percentile (the thinnest wall covering at least 1 % of the surface); the true minimum is also
  reported. Gaps (narrow slots, small holes) are the same measure outward.
* Small features: clusters of samples thinner than a size, counted by proximity.
* Moulding: for each candidate pull line, a sample is released if the half-space it faces along
  the line is unobstructed (ray cast); the rest is undercut. The best line has the least
  undercut, then the shallowest draw. The projected area is the area of the part's shadow along
  the pull, i.e. the visible up-facing area times its cosine.
* CNC: the six directions of the part frame (world axes, or the minimal box axes if the part is
  skewed) each reach the samples that face them with an unobstructed ray; a greedy cover gives
  the setups. Pocket floors reached from a setup measure their depth from the stock top and their
  width by rays across the floor. Concave sharp edges parallel to a setup direction are internal
  corners a round tool cannot cut.
"""

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from odm_engine.mesh.hull import Box
from odm_engine.mesh.raycast import bounds, extents_along
from odm_engine.mesh.repair import edge_rises
from odm_engine.mesh.surface import Surface

DEFAULT_THIN_WALL_MM = 1.0
DEFAULT_SMALL_FEATURE_MM = 0.5
THIN_WALL_THRESHOLDS_MM = (0.5, 0.8, 1.0, 1.5, 2.0, 3.0)
# A wall or gap is measured only between surfaces whose normals are this opposed (cosine).
OPPOSING_COS = -0.25
MIN_WALL_QUANTILE = 0.01
# Side walls within this angle of the pull direction can be released either way.
SIDE_WALL_SIN = np.sin(np.radians(1.0))
ZERO_DRAFT_SIN = np.sin(np.radians(0.5))
# A greedy setup must reach at least this share of the surface to be worth a fixture.
MIN_SETUP_SHARE = 0.002
FLOOR_COS = np.cos(np.radians(5.0))
VERTICAL_EDGE_COS = np.cos(np.radians(5.0))
SHARP_EDGE_COS = np.cos(np.radians(30.0))
MAX_FLOOR_SAMPLES = 2048
AXIS_NAMES = ("X", "Y", "Z")


def _offset(surface: Surface) -> float:
    return 1e-6 * surface.diagonal


def walls_and_gaps(surface: Surface) -> tuple[np.ndarray, np.ndarray]:
    """Wall thickness and gap width per sample, from one batch of rays (inward and outward)."""
    samples = surface.samples
    count = len(samples)
    # Outward from a face on the hull's boundary the part is met, if at all, within a short reach.
    reach = samples.reach(np.ones(count))
    outward = np.flatnonzero(reach > samples.ray_start)
    rows = np.concatenate([np.arange(count), outward])
    directions = np.concatenate([-samples.normals, samples.normals[outward]])
    distance, face = surface.grid.first_hit(
        samples.points[rows],
        directions,
        samples.faces[rows],
        t_max=np.concatenate([np.full(count, np.inf), reach[outward]]),
    )
    hit = np.isfinite(distance)
    opposing = np.zeros(len(rows), dtype=bool)
    opposing[hit] = (
        np.einsum("ij,ij->i", surface.normals[face[hit]], samples.normals[rows[hit]]) < OPPOSING_COS
    )
    measured = np.where(opposing, distance, np.nan)
    gaps = np.full(count, np.nan)
    gaps[outward] = measured[count:]
    return measured[:count], gaps


def wall_summary(surface: Surface, thickness: np.ndarray, thin_wall_mm: float) -> dict:
    measured = thickness[np.isfinite(thickness)]
    each = surface.samples.area_each
    if not measured.size:
        return {
            "min_wall_mm": None,
            "wall_thickness_mm": None,
            "thin_area_mm2": 0.0,
            "thin_area_by_threshold_mm2": {f"{t:g}": 0.0 for t in THIN_WALL_THRESHOLDS_MM},
        }
    robust = (
        float(np.quantile(measured, MIN_WALL_QUANTILE))
        if measured.size >= 100
        else float(measured.min())
    )
    return {
        "min_wall_mm": robust,
        "wall_thickness_mm": {
            "min": float(measured.min()),
            "p01": float(np.quantile(measured, 0.01)),
            "p05": float(np.quantile(measured, 0.05)),
            "median": float(np.median(measured)),
            "measured_share": measured.size / len(thickness),
        },
        "thin_area_mm2": float(np.count_nonzero(measured < thin_wall_mm) * each),
        "thin_area_by_threshold_mm2": {
            f"{t:g}": float(np.count_nonzero(measured < t) * each) for t in THIN_WALL_THRESHOLDS_MM
        },
    }


def gap_summary(surface: Surface, gaps: np.ndarray, narrow_mm: float) -> dict:
    measured = gaps[np.isfinite(gaps)]
    return {
        "min_gap_mm": float(np.quantile(measured, MIN_WALL_QUANTILE))
        if measured.size >= 100
        else (float(measured.min()) if measured.size else None),
        "narrow_gap_area_mm2": float(
            np.count_nonzero(measured < narrow_mm) * surface.samples.area_each
        ),
    }


def small_features(
    surface: Surface, thickness: np.ndarray, gaps: np.ndarray, size_mm: float
) -> dict:
    """Regions (clusters of samples) thinner than ``size_mm`` as material or as gap."""
    samples = surface.samples
    small = (np.nan_to_num(thickness, nan=np.inf) < size_mm) | (
        np.nan_to_num(gaps, nan=np.inf) < size_mm
    )
    points = samples.points[small]
    count = 0
    if len(points):
        spacing = np.sqrt(samples.area_each)
        pairs = cKDTree(points).query_pairs(3.0 * spacing + size_mm, output_type="ndarray")
        graph = csr_matrix(
            (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(points),) * 2
        )
        count = int(connected_components(graph, directed=False)[0])
    return {
        "threshold_mm": size_mm,
        "count": count,
        "area_mm2": float(small.sum() * samples.area_each),
    }


def visibility(surface: Surface, directions: np.ndarray) -> np.ndarray:
    """(samples, directions): the sample faces the direction and a ray that way escapes."""
    samples = surface.samples
    cosines = samples.normals @ directions.T
    facing = cosines >= -SIDE_WALL_SIN
    reach = samples.reach(cosines)
    visible = facing.copy()
    rows, columns = np.nonzero(facing & (reach > samples.ray_start))
    origins = samples.points[rows] + samples.normals[rows] * _offset(surface)
    distance, _ = surface.grid.first_hit(
        origins,
        directions[columns],
        samples.faces[rows],
        any_hit=True,
        t_max=reach[rows, columns],
    )
    visible[rows, columns] = np.isinf(distance)
    return visible


def moulding(
    surface: Surface, lines: np.ndarray, visible_up: np.ndarray, visible_down: np.ndarray
) -> dict:
    """Undercut and projected areas per pull line; the best line has the least undercut."""
    samples = surface.samples
    each = samples.area_each
    cosines = samples.normals @ lines.T
    up, down = cosines > SIDE_WALL_SIN, cosines < -SIDE_WALL_SIN
    side = ~up & ~down
    released = (up & visible_up) | (down & visible_down) | (side & (visible_up | visible_down))
    undercut = (~released).sum(axis=0) * each
    projected = np.where(up & visible_up, cosines, 0.0).sum(axis=0) * each
    zero_draft = (np.abs(cosines) < ZERO_DRAFT_SIN).sum(axis=0) * each
    # Least undercut; among near-ties the shallowest draw (smallest extent along the pull).
    depth = extents_along(surface.hull.points, lines)
    tied = np.flatnonzero(undercut <= undercut.min() + 0.01 * surface.total_area)
    best = int(tied[np.argmin(depth[tied])])
    return {
        "pull_direction": np.round(lines[best], 9).tolist(),
        "projected_area_mm2": float(projected[best]),
        "undercut_area_mm2": float(undercut[best]),
        "zero_draft_area_mm2": float(zero_draft[best]),
        "candidates": [
            {
                "pull_direction": np.round(line, 9).tolist(),
                "projected_area_mm2": float(p),
                "undercut_area_mm2": float(u),
            }
            for line, p, u in zip(lines, projected, undercut, strict=True)
        ],
    }


def machining_frame(surface: Surface, box: Box) -> tuple[np.ndarray, str]:
    """World axes, unless the part sits skewed in them (its minimal box is clearly smaller)."""
    low, high = bounds(surface.hull.points)
    aligned_volume = float(np.prod(high - low))
    if box.volume < 0.9 * aligned_volume:
        return box.axes, "part"
    return np.eye(3), "world"


def cnc(surface: Surface, frame: np.ndarray, frame_name: str, accessible: np.ndarray) -> dict:
    """Setups by greedy cover of tool access, deep pockets, and sharp internal vertical edges."""
    each = surface.samples.area_each
    directions = np.vstack([frame, -frame])
    names = [f"+{a}" for a in AXIS_NAMES] + [f"-{a}" for a in AXIS_NAMES]
    reachable = accessible.any(axis=1)
    face_on = accessible & (surface.samples.normals @ directions.T > SIDE_WALL_SIN)
    uncovered = reachable.copy()
    setups: list[int] = []
    while uncovered.any():
        gains = (accessible & uncovered[:, None]).sum(axis=0)
        # Near-ties go to the direction that faces what it cuts (a flank cut of a face the
        # tool could face instead is not how a machinist fixtures the part).
        close = np.flatnonzero(gains >= 0.99 * gains.max())
        choice = int(close[np.argmax((face_on[:, close] & uncovered[:, None]).sum(axis=0))])
        if gains[choice] * each < MIN_SETUP_SHARE * surface.total_area and setups:
            break
        setups.append(choice)
        uncovered &= ~accessible[:, choice]
    used = directions[setups] if setups else directions
    pocket = deep_pocket(surface, frame, used, accessible[:, setups] if setups else accessible)
    edges, edge_length = sharp_inner_edges(surface, used)
    return {
        "frame": frame_name,
        "frame_axes": np.round(frame, 9).tolist(),
        "setups": len(setups),
        "setup_directions": [names[i] for i in setups],
        "inaccessible_area_mm2": float((~reachable).sum() * each),
        "deep_pocket_ratio": pocket["ratio"],
        "deep_pocket_depth_mm": pocket["depth_mm"],
        "deep_pocket_width_mm": pocket["width_mm"],
        "sharp_inner_edges": edges,
        "sharp_inner_edge_length_mm": edge_length,
    }


def deep_pocket(
    surface: Surface, frame: np.ndarray, directions: np.ndarray, accessible: np.ndarray
) -> dict:
    """Worst depth/width ratio over pocket floors reachable from the given frame directions."""
    samples = surface.samples
    worst = {"ratio": 0.0, "depth_mm": 0.0, "width_mm": None}
    for k, direction in enumerate(directions):
        floors = np.flatnonzero((samples.normals @ direction > FLOOR_COS) & accessible[:, k])
        _, top = surface.heights(direction)
        depth = top - samples.points[floors] @ direction
        deep = depth > 1e-3 * surface.diagonal
        floors, depth = floors[deep], depth[deep]
        if not floors.size:
            continue
        stride = max(1, len(floors) // MAX_FLOOR_SAMPLES)
        floors, depth = floors[::stride], depth[::stride]
        across = frame[np.argsort(np.abs(frame @ direction))[:2]]
        # Only a floor narrower than depth / worst ratio can be worse than the worst so far,
        # and each ray across it is shorter than that: longer rays need not be followed.
        reach = depth / worst["ratio"] * (1 + 1e-6) if worst["ratio"] > 0 else None
        width = floor_width(surface, floors, direction, across, reach)
        enclosed = np.isfinite(width)
        if not enclosed.any():
            continue
        ratio = depth[enclosed] / width[enclosed]
        index = int(np.argmax(ratio))
        if ratio[index] > worst["ratio"]:
            worst = {
                "ratio": float(ratio[index]),
                "depth_mm": float(depth[enclosed][index]),
                "width_mm": float(width[enclosed][index]),
            }
    return worst


def floor_width(
    surface: Surface,
    floors: np.ndarray,
    up: np.ndarray,
    across: np.ndarray,
    reach: np.ndarray | None = None,
) -> np.ndarray:
    """Narrowest span across each floor point along the frame's horizontal axes (inf if open).

    With ``reach`` (per floor) rays stop there: spans shorter than it come out exact, wider
    ones may come out inf.
    """
    origins = surface.samples.points[floors] + up * (1e-4 * surface.diagonal)
    faces = surface.samples.faces[floors]
    count = len(floors)
    ways = np.vstack([across[0], -across[0], across[1], -across[1]])
    distance, _ = surface.grid.first_hit(
        np.tile(origins, (4, 1)),
        np.repeat(ways, count, axis=0),
        np.tile(faces, 4),
        t_max=None if reach is None else np.tile(reach, 4),
    )
    distance = distance.reshape(4, count)
    return np.minimum(distance[0] + distance[1], distance[2] + distance[3])


def sharp_inner_edges(surface: Surface, directions: np.ndarray) -> tuple[int, float]:
    """Chains of concave edges sharper than 30 degrees that run along a tool direction."""
    pairs = surface.mesh.topology.pairs
    if not len(pairs):
        return 0, 0.0
    vertices, faces, normals = surface.vertices, surface.faces, surface.normals
    # A coarse sharpness filter first, on the float32 normal components (with a margin far above
    # their rounding): on a fine curved mesh it leaves few edges for the exact tests below.
    face_a_all, face_b_all = pairs[:, 0], pairs[:, 1]
    cosine = np.zeros(len(pairs), dtype=np.float32)
    for component in surface.normals32:
        cosine += np.take(component, face_a_all) * np.take(component, face_b_all)
    sharp_pairs = pairs[cosine < SHARP_EDGE_COS + 1e-4]
    start_all, end_all = sharp_pairs[:, 2], sharp_pairs[:, 3]
    vector = [
        np.take(vertices[:, axis], end_all) - np.take(vertices[:, axis], start_all)
        for axis in range(3)
    ]
    squared = vector[0] * vector[0] + vector[1] * vector[1] + vector[2] * vector[2]
    along = np.zeros(len(sharp_pairs))
    for direction in directions:
        dot = np.abs(direction[0] * vector[0] + direction[1] * vector[1] + direction[2] * vector[2])
        np.maximum(along, dot, out=along)
    # |v . d| / |v| > cos, without a square root or a division by zero-length edges.
    candidates = np.flatnonzero(along * along > VERTICAL_EDGE_COS**2 * squared)
    length = np.sqrt(squared[candidates])
    face_a, face_b, start, end = sharp_pairs[candidates].T
    rise = edge_rises(vertices, faces, normals, sharp_pairs[candidates])
    sharp = np.einsum("ij,ij->i", normals[face_a], normals[face_b]) < SHARP_EDGE_COS
    chosen = (rise > 1e-6 * surface.diagonal) & sharp
    if not chosen.any():
        return 0, 0.0
    labels, compact = np.unique(np.concatenate([start[chosen], end[chosen]]), return_inverse=True)
    half = int(chosen.sum())
    graph = csr_matrix((np.ones(half), (compact[:half], compact[half:])), shape=(len(labels),) * 2)
    chains = int(connected_components(graph, directed=False)[0])
    return chains, float(length[chosen].sum())
