"""Mesh topology and repair: welding, edge structure, shells, winding, small holes.

Triangles as read are turned into a :class:`CleanMesh`: coincident vertices merged, degenerate
and duplicate triangles removed, winding made consistent across each shell, small holes closed
and shells turned outward (voids inward). Every repair that changes what the customer uploaded is
reported as one sentence; merging an STL's vertices is routine (the format repeats them) and is
not.

Everything is vectorised: one sort welds the vertices, one sort pairs the half-edges, and shells
come from scipy's connected-component labelling of a graph whose CSR arrays are written directly
(each half-edge has exactly one neighbour slot; see ``shells_of``), so a million triangles take
a fraction of a second. Both sorts sort values rather than indices: the key and its position are
packed into one int64 (the weld key is first hashed to leave room for the position, collisions
are detected and fall back to a plain argsort), which is about twice as fast as ``argsort``.
Turning inside-out shells relabels the edges of their faces instead of sorting again. The
per-face geometry the analysis needs (unit normals, areas) and the bounds of the vertices are
computed once here. Elementwise passes over every corner or face (weld keys, half-edge keys,
face geometry) go block by block so that their temporaries stay in the cache.
"""

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.raycast import bounds, packed_sort, ray_triangle_distances, triangle_transforms

# Coordinates are snapped to 2**21 steps across the part before merging (~0.15 um at 300 mm).
WELD_STEPS = 2**21 - 2
# Face corners compared per block when checking for a triangle soup.
_SOUP_BLOCK = 1 << 16
# Vertices snapped per block when welding.
_WELD_BLOCK = 1 << 15
# Faces per block when computing normals, areas and volumes.
_GEOMETRY_BLOCK = 1 << 13
# Faces per block when keying their half-edges.
_EDGE_BLOCK = 1 << 13
# A hole is "small" if its boundary has at most this many edges and spans at most this fraction
# of the part's bounding-box diagonal; bigger openings are design intent or damage to report.
# A missing triangle or quad (the classic export glitch) is closed whatever its size.
SMALL_HOLE_EDGES = 64
SMALL_HOLE_SPAN = 0.05
ALWAYS_FILL_EDGES = 4
MAX_HOLES_FILLED = 1000
# Below this fraction of edges shared by two triangles, the file is loose triangles, not a solid.
MIN_PAIRED_EDGE_FRACTION = 0.5
# Shell nesting is settled by parity rays; cap the triangle-tests spent on it.
MAX_NESTING_TESTS = 20_000_000
MAX_CONTAINER_SHELLS = 256


@dataclass
class EdgeTopology:
    """Half-edge pairing of a triangle mesh.

    ``neighbour[f, k]`` is the face across edge k of face f (edge k runs from corner k to corner
    k+1), -1 on a boundary or a non-manifold edge. ``flipped[f, k]`` says the neighbour runs that
    edge the same way (inconsistent winding). ``pairs`` lists each two-face edge once as (face a,
    face b, vertex from, vertex to) with the edge oriented as face a runs it. ``junctions`` links
    each face on a non-manifold edge to the first face on it, so shells stay whole.
    """

    neighbour: np.ndarray
    flipped: np.ndarray
    pairs: np.ndarray
    junctions: np.ndarray
    edges: int
    boundary_edges: int
    nonmanifold_edges: int
    boundary_halfedges: np.ndarray  # (k, 2) vertex from, vertex to, as their face runs them
    boundary_faces: np.ndarray  # (k,) the face of each boundary half-edge


@dataclass
class CleanMesh:
    vertices: np.ndarray
    faces: np.ndarray
    topology: EdgeTopology
    face_shell: np.ndarray
    shell_volumes: np.ndarray  # signed, mm3, after orientation (voids negative)
    shell_is_void: np.ndarray
    inverted_normals: bool
    repairs: list[str] = field(default_factory=list)
    normals: np.ndarray | None = None  # (m, 3) outward unit face normals (zero if degenerate)
    areas: np.ndarray | None = None  # (m,) face areas, mm2
    bounds: tuple[np.ndarray, np.ndarray] | None = None  # per-axis (low, high) of the vertices

    @property
    def shells(self) -> int:
        return len(self.shell_volumes)

    @property
    def bodies(self) -> int:
        return int(np.count_nonzero(~self.shell_is_void))

    @property
    def watertight(self) -> bool:
        topo = self.topology
        return topo.boundary_edges == 0 and topo.nonmanifold_edges == 0 and not topo.flipped.any()

    @property
    def manifold(self) -> bool:
        return self.topology.nonmanifold_edges == 0


def clean_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    indexed: bool,
    vertex_bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> CleanMesh:
    """Weld, repair and orient a triangle mesh; raise ``not_solid`` for loose triangle soups.

    ``vertex_bounds``: (low, high) of the vertices the faces use, when the caller has them.
    """
    repairs: list[str] = []
    vertices, faces, merged = weld(vertices, faces, vertex_bounds)
    welded_bounds = bounds(vertices)
    if indexed and merged:
        repairs.append(f"Merged {merged:,} coincident vertices.")
    degenerate = (
        (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 2] == faces[:, 0])
    )
    if degenerate.any():
        faces = faces[~degenerate]
        repairs.append(
            f"Removed {int(degenerate.sum()):,} degenerate triangles (with repeated corners)."
        )
    topology = edge_topology(faces, len(vertices))
    if topology.nonmanifold_edges:
        faces, removed = remove_duplicate_faces(faces, len(vertices))
        if removed:
            repairs.append(f"Removed {removed:,} duplicate triangles.")
            topology = edge_topology(faces, len(vertices))
    if len(faces) == 0:
        raise MeshError(
            errors.FLAT, "Every triangle of the file is degenerate; there is no surface."
        )
    paired_fraction = (topology.edges - topology.boundary_edges - topology.nonmanifold_edges) / max(
        topology.edges, 1
    )
    if paired_fraction < MIN_PAIRED_EDGE_FRACTION:
        raise MeshError(
            errors.NOT_SOLID,
            f"Only {paired_fraction:.0%} of the triangle edges are shared, so the file is loose "
            f"triangles rather than a closed solid; please export the part as a solid body.",
        )
    face_shell = shells_of(topology)
    flip = consistent_flips(topology, face_shell)
    if flip.any():
        faces = np.where(flip[:, None], faces[:, ::-1], faces)
        topology = edge_topology(faces, len(vertices))
        repairs.append(
            f"Re-oriented {int(flip.sum()):,} triangles whose winding disagreed with their "
            "neighbours."
        )
    if topology.boundary_edges:
        vertices, faces, holes, added = fill_small_holes(vertices, faces, topology, welded_bounds)
        if holes:
            repairs.append(f"Closed {holes:,} small holes with {added:,} triangles.")
            welded_bounds = bounds(vertices)
            topology = edge_topology(faces, len(vertices))
            face_shell = shells_of(topology)
    geometry = face_geometry(vertices, faces, welded_bounds)
    shell_volumes = np.bincount(
        face_shell, weights=geometry.volumes, minlength=face_shell.max() + 1
    )
    shell_is_void = void_shells(vertices, faces, face_shell, len(shell_volumes))
    wrong_way = np.where(shell_is_void, shell_volumes > 0, shell_volumes < 0)
    inverted = bool(wrong_way.any() or flip.any())
    normals = geometry.normals
    if wrong_way.any():
        turned = wrong_way[face_shell]
        faces = np.where(turned[:, None], faces[:, ::-1], faces)
        normals = np.where(turned[:, None], -normals, normals)
        topology = turned_topology(topology, turned)
        shell_volumes = np.where(wrong_way, -shell_volumes, shell_volumes)
        count = int(wrong_way.sum())
        repairs.append(
            "Turned the inside-out surface the right way out."
            if count == 1
            else f"Turned {count:,} inside-out shells the right way out."
        )
    return CleanMesh(
        vertices,
        faces,
        topology,
        face_shell,
        shell_volumes,
        shell_is_void,
        inverted,
        repairs,
        normals,
        geometry.areas,
        welded_bounds,
    )


def weld(
    vertices: np.ndarray,
    faces: np.ndarray,
    vertex_bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Merge vertices that coincide after snapping; unreferenced vertices are dropped.

    Welded vertices come in the order of their snapped coordinates (x, then y, then z), so the
    result does not depend on the order of the triangles in the file. ``vertex_bounds`` are the
    bounds of the used vertices if known (the snapping grid starts at their low corner).
    """
    soup = _is_soup(faces, len(vertices))
    if not soup:
        used = np.zeros(len(vertices), dtype=bool)
        used[faces.ravel()] = True
        if not used.all():
            remap = np.cumsum(used) - 1
            vertices, faces = vertices[used], remap[faces]
    low, high = bounds(vertices) if vertex_bounds is None else vertex_bounds
    span = float((high - low).max()) or 1.0
    keys = _weld_keys(vertices, low, WELD_STEPS / span)
    order, run_starts = _runs_of_equal_keys(keys)
    heads = np.flatnonzero(run_starts)
    # Within a run positions ascend (packed sort, or stable argsort), so its head is its lowest.
    first_use = order[heads]
    # Number the groups by their key; each takes the coordinates of its first vertex.
    rank = np.argsort(keys[first_use])
    label = np.empty(len(rank), dtype=np.int64)
    label[rank] = np.arange(len(rank))
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.repeat(label, np.diff(heads, append=len(keys)))
    # take() gathers whole rows several times faster than fancy indexing does.
    welded = np.take(vertices, first_use[rank], axis=0)
    new_faces = inverse.reshape(-1, 3) if soup else inverse[faces]
    return welded, new_faces, len(vertices) - len(welded)


def _weld_keys(vertices: np.ndarray, low: np.ndarray, scale: float) -> np.ndarray:
    """x, y and z snapped to ``scale`` steps above ``low``, packed 21 bits each in one int64.

    In place, one axis at a time (x goes straight into the keys, y and z are shifted in after
    it), block by block of rows so that the temporaries stay in the cache: over three million
    corners at once this takes twice as long.
    """
    keys = np.empty(len(vertices), dtype=np.int64)
    block = max(1, min(_WELD_BLOCK, len(vertices)))
    scaled = np.empty(block)
    snapped = np.empty(block, dtype=np.int64)
    for start in range(0, len(vertices), block):
        rows = vertices[start : start + block]
        block_keys = keys[start : start + len(rows)]
        block_scaled, block_snapped = scaled[: len(rows)], snapped[: len(rows)]
        for axis in range(3):
            np.subtract(rows[:, axis], low[axis], out=block_scaled)
            block_scaled *= scale
            np.rint(block_scaled, out=block_keys if axis == 0 else block_snapped, casting="unsafe")
            if axis:
                block_keys <<= 21
                block_keys |= block_snapped
    return keys


def _is_soup(faces: np.ndarray, vertex_count: int) -> bool:
    """Whether face corner k is vertex k throughout (STL style), compared block by block.

    Blocks keep the comparison in the cache instead of writing a second array of that size.
    """
    flat = faces.ravel()
    if len(flat) != vertex_count:
        return False
    block = np.arange(min(len(flat), _SOUP_BLOCK), dtype=flat.dtype)
    return all(
        np.array_equal(flat[start : start + _SOUP_BLOCK], block[: len(flat) - start] + start)
        for start in range(0, len(flat), _SOUP_BLOCK)
    )


def _runs_of_equal_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An order of the positions that puts equal keys in runs, and which entries start a run.

    Positions ascend within a run; the runs themselves come in arbitrary order.
    Sorts (hash, position) packed in one int64; a hash shared by different keys (rare) falls
    back to an argsort of the keys themselves.
    """
    count = len(keys)
    index_bits = max(1, int(count - 1).bit_length())
    hash_bits = 63 - index_bits
    order = None
    if hash_bits >= 24:
        hashed = keys.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        hashed >>= np.uint64(64 - hash_bits)
        hashed <<= np.uint64(index_bits)
        # Below 2**63, so the int64 view sorts as the unsigned values would.
        order, sorted_hash = packed_sort(hashed.view(np.int64), index_bits)
        sorted_keys = keys[order]
        same_hash = sorted_hash[1:] == sorted_hash[:-1]
        if np.any(same_hash & (sorted_keys[1:] != sorted_keys[:-1])):
            order = None
    if order is None:
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
    starts = np.empty(count, dtype=bool)
    starts[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    return order, starts


def edge_topology(faces: np.ndarray, vertex_count: int) -> EdgeTopology:
    """Pair half-edges by sorting undirected edge keys once."""
    starts = faces.ravel()
    rising, edge_keys = _halfedge_keys(faces, vertex_count)
    order, keys = sort_with_positions(edge_keys, vertex_count**2)
    differs = np.empty(len(keys), dtype=bool)
    differs[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=differs[1:])
    run_start = np.flatnonzero(differs)
    run_length = np.diff(np.append(run_start, len(keys)))
    paired = run_length == 2
    if paired.all():  # a closed surface: the runs are the consecutive pairs, read as views
        first, second, paired_keys = order[0::2], order[1::2], keys[0::2]
    else:
        two = run_start[paired]
        first, second, paired_keys = order[two], order[two + 1], keys[two]
    # int32 halves a table of 1.5 million rows per million faces (indices stay far below 2**31);
    # stored by column, as it is filled and read, and filled in place.
    pairs = np.empty((len(first), 4), dtype=np.int32, order="F")
    face_first, face_second = pairs[:, 0], pairs[:, 1]
    np.floor_divide(first, 3, out=face_first, casting="unsafe")
    np.floor_divide(second, 3, out=face_second, casting="unsafe")
    # On a closed surface every half-edge gets its neighbour below: nothing to fill first.
    neighbour = np.empty(len(starts), dtype=np.int64)
    if len(first) * 2 < len(starts):
        neighbour.fill(-1)
    neighbour[first], neighbour[second] = face_second, face_first
    flipped = np.zeros(len(starts), dtype=bool)
    first_rising = rising[first]
    same_direction = first_rising == rising[second]
    if same_direction.any():  # consistently wound surfaces (the rule) skip the scatter
        flipped[first] = flipped[second] = same_direction
    # The edge's ends as face a runs it, read off its (sorted, so cache-friendly) key: the lower
    # vertex first unless face a runs the edge downward.
    np.divmod(paired_keys, vertex_count, out=(pairs[:, 2], pairs[:, 3]), casting="unsafe")
    falling = np.flatnonzero(~first_rising)
    pairs[falling, 2], pairs[falling, 3] = pairs[falling, 3], pairs[falling, 2]
    many = run_length > 2
    junctions = np.zeros((0, 2), dtype=np.int64)
    if many.any():
        run_of = np.repeat(np.arange(len(run_start)), run_length)
        members = np.flatnonzero(many[run_of])
        leaders = order[run_start[run_of[members]]]
        junctions = np.column_stack([order[members] // 3, leaders // 3])
    single = order[run_start[run_length == 1]]
    following = single - single % 3 + (single + 1) % 3  # the corner each one runs to
    return EdgeTopology(
        neighbour=neighbour.reshape(-1, 3),
        flipped=flipped.reshape(-1, 3),
        pairs=pairs,
        junctions=junctions,
        edges=len(run_start),
        boundary_edges=len(single),
        nonmanifold_edges=int(many.sum()),
        boundary_halfedges=np.column_stack([starts[single], starts[following]]),
        boundary_faces=single // 3,
    )


def _halfedge_keys(faces: np.ndarray, vertex_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per half-edge (face by face, corner k to corner k+1): whether it runs from its lower
    vertex, and its undirected key (lower vertex * ``vertex_count`` + upper).

    Block by block of faces, the ends and the upper vertices in temporaries that stay in the
    cache (twice as fast over a million faces as whole-array temporaries). ``rising`` is kept
    as bytes: reading it back per pair costs far fewer cache misses than gathering and
    comparing the int64 corner indices.
    """
    count = len(faces)
    rising = np.empty(faces.shape, dtype=bool)
    keys = np.empty(faces.shape, dtype=np.int64)
    block = max(1, min(_EDGE_BLOCK, count))
    ends, upper = np.empty((block, 3), dtype=faces.dtype), np.empty((block, 3), dtype=np.int64)
    for start in range(0, count, block):
        rows = faces[start : start + block]
        size = len(rows)
        row_ends, row_upper, row_keys = ends[:size], upper[:size], keys[start : start + size]
        row_ends[:, :2], row_ends[:, 2] = rows[:, 1:], rows[:, 0]
        np.less(rows, row_ends, out=rising[start : start + size])
        np.minimum(rows, row_ends, out=row_keys)
        row_keys *= vertex_count
        np.maximum(rows, row_ends, out=row_upper)
        row_keys += row_upper
    return rising.ravel(), keys.ravel()


def turned_topology(topology: EdgeTopology, turned: np.ndarray) -> EdgeTopology:
    """``edge_topology`` after the winding of whole shells was reversed, without sorting again.

    ``turned`` marks the faces written backwards, (a, b, c) as (c, b, a): their edges 0 and 1
    swap places and every edge is run the other way. Edges, pairs and their order stay; both
    faces of a paired edge lie in one shell, so whether they agree (``flipped``) stays too.
    """
    renumbered = turned[:, None]
    swapped = [1, 0, 2]
    pairs = topology.pairs.copy(order="F")
    backwards = np.flatnonzero(turned[pairs[:, 0]])
    pairs[backwards, 2], pairs[backwards, 3] = pairs[backwards, 3], pairs[backwards, 2]
    halfedges = topology.boundary_halfedges
    return replace(
        topology,
        neighbour=np.where(renumbered, topology.neighbour[:, swapped], topology.neighbour),
        flipped=np.where(renumbered, topology.flipped[:, swapped], topology.flipped),
        pairs=pairs,
        boundary_halfedges=np.where(
            turned[topology.boundary_faces, None], halfedges[:, ::-1], halfedges
        ),
    )


def edge_rises(
    vertices: np.ndarray, faces: np.ndarray, normals: np.ndarray, pairs: np.ndarray
) -> np.ndarray:
    """Per row of ``EdgeTopology.pairs``: height of face b's far vertex above face a's plane.

    Positive where the edge is concave (face b folds up out of face a's plane), zero when flat.
    """
    face_a, face_b, start, end = pairs.T
    opposite = faces[face_b].sum(axis=1) - start - end
    return np.einsum("ij,ij->i", normals[face_a], vertices[opposite] - vertices[start])


def sort_with_positions(keys: np.ndarray, key_bound: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, sorted keys) for non-negative keys below ``key_bound``; ties keep position order.

    Packs key and position in one int64 and sorts the values when they fit (about twice as fast
    as ``argsort``; ``keys`` is then overwritten), else a stable argsort.
    """
    index_bits = max(1, int(len(keys) - 1).bit_length())
    if int(key_bound - 1).bit_length() + index_bits <= 63:
        keys <<= index_bits
        return packed_sort(keys, index_bits)
    order = np.argsort(keys, kind="stable")
    return order, keys[order]


@dataclass
class FaceGeometry:
    normals: np.ndarray  # (m, 3) unit normals, zero for degenerate faces
    areas: np.ndarray  # (m,)
    volumes: np.ndarray  # (m,) signed tetrahedron volumes against the bounding-box centre


def face_geometry(
    vertices: np.ndarray, faces: np.ndarray, vertex_bounds: tuple[np.ndarray, np.ndarray]
) -> FaceGeometry:
    """Normals, areas and signed volumes of all faces from one cross product each.

    Coordinates are taken relative to the bounding-box centre (for the precision of the volume:
    ``a . (b x c) = a . ((b - a) x (c - a))``). Faces go block by block, one axis at a time,
    into preallocated temporaries that stay in the cache (a quarter faster over a million
    faces than whole-array temporaries; every value is computed by the same operations).
    """
    centre = sum(vertex_bounds) / 2
    columns = [np.ascontiguousarray(vertices[:, axis]) - centre[axis] for axis in range(3)]
    count = len(faces)
    normals = np.empty((count, 3))
    doubled = np.empty(count)
    volumes = np.empty(count)
    block = max(1, min(_GEOMETRY_BLOCK, count))
    # Per block: the first corner a, the edges e1 = b - a and e2 = c - a, by axis; a product.
    corner, first_edge, second_edge = (np.empty((3, block)) for _ in range(3))
    product = np.empty(block)
    for start in range(0, count, block):
        rows = faces[start : start + block]
        size = len(rows)
        a, e1, e2, term = (
            corner[:, :size],
            first_edge[:, :size],
            second_edge[:, :size],
            product[:size],
        )
        for axis in range(3):
            np.take(columns[axis], rows[:, 0], out=a[axis])
            np.take(columns[axis], rows[:, 1], out=e1[axis])
            e1[axis] -= a[axis]
            np.take(columns[axis], rows[:, 2], out=e2[axis])
            e2[axis] -= a[axis]
        cross = normals[start : start + size]
        for axis in range(3):
            u, v = (axis + 1) % 3, (axis + 2) % 3
            np.multiply(e1[u], e2[v], out=cross[:, axis])
            np.multiply(e1[v], e2[u], out=term)
            cross[:, axis] -= term
        np.sqrt(np.einsum("ij,ij->i", cross, cross), out=doubled[start : start + size])
        volume = volumes[start : start + size]
        np.multiply(a[0], cross[:, 0], out=volume)
        for axis in (1, 2):
            np.multiply(a[axis], cross[:, axis], out=term)
            volume += term
    volumes /= 6.0
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(doubled > 0, 1.0 / doubled, 0.0)
    normals *= scale[:, None]
    return FaceGeometry(normals, doubled / 2, volumes)


def remove_duplicate_faces(faces: np.ndarray, vertex_count: int) -> tuple[np.ndarray, int]:
    """Drop repeated triangles; a pair wound both ways encloses nothing and both go."""
    corners = np.sort(faces, axis=1)
    keys = (corners[:, 0] * vertex_count + corners[:, 1]) * vertex_count + corners[:, 2]
    if vertex_count**3 >= 2**63:
        keys = np.unique(corners, axis=0, return_inverse=True)[1].ravel()
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    same_as_previous = np.concatenate(([False], sorted_keys[1:] == sorted_keys[:-1]))
    if not same_as_previous.any():
        return faces, 0
    # Within a run of copies, windings cancel pairwise; one copy of the surplus winding stays.
    parity = face_parity(faces)[order]
    run = np.cumsum(~same_as_previous) - 1
    surplus = np.sign(np.bincount(run, weights=parity))[run]
    candidates = np.flatnonzero((parity == surplus) & (surplus != 0))
    first_of_run = candidates[np.unique(run[candidates], return_index=True)[1]]
    keep = np.zeros(len(faces), dtype=bool)
    keep[order[first_of_run]] = True
    return faces[keep], int((~keep).sum())


def face_parity(faces: np.ndarray) -> np.ndarray:
    """+1 or -1: whether a face lists its sorted corners in an even or odd rotation."""
    a, b, c = faces[:, 0], faces[:, 1], faces[:, 2]
    even = ((a < b) & (b < c)) | ((b < c) & (c < a)) | ((c < a) & (a < b))
    return np.where(even, 1, -1)


def shells_of(topology: EdgeTopology) -> np.ndarray:
    """Shell label per face: components of the edge-adjacency graph.

    The weights are float64 because scipy converts any other type to it first (a copy of
    three million entries per million faces).
    """
    neighbour = topology.neighbour
    count = len(neighbour)
    if topology.boundary_edges or topology.nonmanifold_edges:  # edges without a neighbour: loops
        targets = np.where(neighbour >= 0, neighbour, np.arange(count)[:, None]).ravel()
    else:
        targets = neighbour.ravel()
    graph = csr_matrix(
        (np.ones(len(targets)), targets, np.arange(0, len(targets) + 1, 3)), shape=(count, count)
    )
    if len(topology.junctions):
        links = topology.junctions
        graph = graph + csr_matrix((np.ones(len(links)), links.T), shape=(count, count))
    return connected_components(graph, directed=False)[1]


def consistent_flips(topology: EdgeTopology, face_shell: np.ndarray) -> np.ndarray:
    """Faces to flip so that every two-face edge is run both ways.

    Solved on the orientation double cover: node f means "face f as is", node f+n "face f
    flipped". A consistent edge links f-g and f'-g', a flipped one f-g' and f'-g. Each shell's
    component containing its largest group is kept as is.
    """
    count = len(face_shell)
    if not topology.flipped.any():
        return np.zeros(count, dtype=bool)
    neighbour, flipped = topology.neighbour, topology.flipped
    own = np.arange(count)[:, None]
    target = np.where(neighbour >= 0, neighbour, own)
    crossing = flipped
    as_is = np.where(crossing, target + count, target).ravel()
    turned = np.where(crossing, target, target + count).ravel()
    indices = np.concatenate([as_is, turned])
    graph = csr_matrix(
        (np.ones(len(indices), dtype=np.int8), indices, np.arange(0, len(indices) + 1, 3)),
        shape=(2 * count, 2 * count),
    )
    labels = connected_components(graph, directed=True, connection="weak")[1]
    plain, flipped_label = labels[:count], labels[count:]
    orientable = plain != flipped_label
    # Per shell, keep the orientation class that covers more faces (ties: the lower label).
    sizes = np.bincount(plain, minlength=labels.max() + 1)
    keep_plain = (sizes[plain] > sizes[flipped_label]) | (
        (sizes[plain] == sizes[flipped_label]) & (plain < flipped_label)
    )
    return orientable & ~keep_plain


def fill_small_holes(
    vertices: np.ndarray,
    faces: np.ndarray,
    topology: EdgeTopology,
    vertex_bounds: tuple[np.ndarray, np.ndarray],
):
    """Close small boundary loops with a fan around their centroid."""
    halfedges = topology.boundary_halfedges
    outgoing = np.bincount(halfedges[:, 0], minlength=len(vertices))
    incoming = np.bincount(halfedges[:, 1], minlength=len(vertices))
    simple = (outgoing[halfedges[:, 0]] == 1) & (incoming[halfedges[:, 1]] == 1)
    graph = csr_matrix(
        (np.ones(len(halfedges), dtype=np.int8), (halfedges[:, 0], halfedges[:, 1])),
        shape=(len(vertices),) * 2,
    )
    loop_of_vertex = connected_components(graph, directed=True, connection="weak")[1]
    loop = loop_of_vertex[halfedges[:, 0]]
    loop_edges = np.bincount(loop)
    loop_simple = np.bincount(loop, weights=simple) == loop_edges
    low, high = vertex_bounds
    diagonal = float(np.linalg.norm(high - low))
    candidates = np.flatnonzero(loop_simple & (loop_edges >= 3) & (loop_edges <= SMALL_HOLE_EDGES))
    next_vertex = dict(zip(halfedges[:, 0].tolist(), halfedges[:, 1].tolist(), strict=True))
    first_edge = np.empty(len(loop_edges), dtype=np.int64)
    first_edge[loop[::-1]] = np.arange(len(loop))[::-1]
    new_vertices, new_faces = [], []
    base = len(vertices)
    for label in candidates[:MAX_HOLES_FILLED]:
        start = int(halfedges[first_edge[label], 0])
        ring = [start]
        following = next_vertex.get(start)
        while following not in (start, None) and len(ring) <= SMALL_HOLE_EDGES:
            ring.append(following)
            following = next_vertex.get(following)
        if following is None:
            continue  # an open chain of boundary edges (a damaged file), not a hole to close
        points = vertices[ring]
        if (
            len(ring) > ALWAYS_FILL_EDGES
            and np.ptp(points, axis=0).max() > SMALL_HOLE_SPAN * diagonal
        ):
            continue
        ring_array = np.asarray(ring)
        following_array = np.roll(ring_array, -1)
        if len(ring) == 3:
            new_faces.append(ring_array[::-1][None, :])
            continue
        centre = base + len(new_vertices)
        new_vertices.append(points.mean(axis=0))
        new_faces.append(np.column_stack([following_array, ring_array, np.full(len(ring), centre)]))
    if not new_faces:
        return vertices, faces, 0, 0
    added = np.concatenate(new_faces)
    if new_vertices:
        vertices = np.vstack([vertices, np.asarray(new_vertices)])
    return vertices, np.vstack([faces, added]), len(new_faces), len(added)


def void_shells(
    vertices: np.ndarray, faces: np.ndarray, face_shell: np.ndarray, shells: int
) -> np.ndarray:
    """True for shells nested inside an odd number of other shells (cavities of a hollow part)."""
    is_void = np.zeros(shells, dtype=bool)
    if shells < 2:
        return is_void
    corners = vertices[faces]
    low = np.full((shells, 3), np.inf)
    high = np.full((shells, 3), -np.inf)
    np.minimum.at(low, face_shell, corners.min(axis=1))
    np.maximum.at(high, face_shell, corners.max(axis=1))
    shell_faces = np.bincount(face_shell, minlength=shells)
    # Only the largest shells are tried as containers, which bounds the pair matrix.
    containers = np.argsort(-np.prod(high - low, axis=1))[:MAX_CONTAINER_SHELLS]
    inside = (low[:, None, :] >= low[None, containers, :]) & (
        high[:, None, :] <= high[None, containers, :]
    )
    nested = inside.all(axis=2) & (np.arange(shells)[:, None] != containers[None, :])
    inner_index, container_index = np.nonzero(nested)
    # (inner, outer) pairs whose boxes nest
    candidates = zip(inner_index, containers[container_index], strict=True)
    budget = MAX_NESTING_TESTS
    depth = np.zeros(shells, dtype=np.int64)
    probe_face = np.full(shells, -1)
    probe_face[face_shell[::-1]] = np.arange(len(faces))[::-1]
    direction = np.array([0.5773, 0.5774, 0.5775])  # skew, so it rarely grazes an edge
    for inner, outer in candidates:
        budget -= shell_faces[outer]
        if budget < 0:
            break
        point = corners[probe_face[inner]].mean(axis=0)
        container = corners[face_shell == outer]
        transforms = triangle_transforms(container[:, 0], container[:, 1], container[:, 2])
        distances = ray_triangle_distances(point[None, :], direction[None, :], transforms)
        depth[inner] += int(np.count_nonzero(np.isfinite(distances))) % 2
    is_void[:] = depth % 2 == 1
    return is_void
