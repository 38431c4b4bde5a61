"""Batched first-hit ray casting against a triangle mesh, in numpy, with bounded cost.

Wall thickness, support heights, mould-pull visibility and CNC tool access all reduce to "where
does this ray first leave or re-enter the part". The mesh is put in a bounding-volume hierarchy
built from one sort: triangles (long ones first cut into pieces whose boxes hug them) are ordered
along a Morton curve of their box centres, and the nodes are the octree cells of that curve, i.e.
the runs of equal code prefixes, 3 bits per level, down to runs of at most ``LEAF_ITEMS``
triangles; cells that do not split are skipped, so every node has 2 to 8 children. Node boxes are
the boxes of their triangles, not of their cells. Boxes are float32 throughout the build.

A query walks the tree breadth first for all its rays at once: each round keeps the (ray, node)
pairs whose slab test passes within the ray's current distance range, tests the leaves among them
(the same slab test on each of their triangles' piece boxes, then float64 Moller-Trumbore on the
triangles whose box passes) and expands the rest into their children. A hit shortens its ray at
once, so nodes behind it are never opened, and a ray that only needs to know whether it escapes
stops at its first hit. The box tests run in float32 on boxes rounded outward and padded, so they
never reject a box a ray truly meets.
"""

from dataclasses import dataclass

import numpy as np

# Points per row when reducing coordinates to their bounds (see ``bounds``).
BOUNDS_ROW_POINTS = 64
LEAF_ITEMS = 8
MORTON_BITS = 10
# Faces whose box is more than SPLIT_ABOVE times the median face box are cut into pieces for the
# hierarchy, adding at most SPLIT_BUDGET pieces per face of the mesh.
SPLIT_ABOVE = 4.0
SPLIT_BUDGET = 1
# Rays per breadth-first pass: bounds the (ray, node) pair arrays.
RAYS_PER_PASS = 16384
# Boxes are padded by this fraction of the scene diagonal: it covers the float32 rounding of the
# boxes and of the slab tests (a few 1e-7 of the diagonal at worst) and the barycentric tolerance
# of the triangle test.
BOX_PAD = 8e-7
# Barycentric slack so that rays through shared edges hit one of the triangles, not neither.
EDGE_TOLERANCE = 1e-7
# Rays ignore hits closer than this fraction of the scene diagonal (their own start, rounded).
MIN_DISTANCE = 1e-7
# Stand-in for 1/0 in the slab test (finite, so that 0 * it is 0 and never nan).
_HUGE = np.float32(1e30)
_FAR = np.float32(3e38)


def bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis minimum and maximum of (n, 3) points (NaN if any coordinate is NaN).

    numpy reduces a narrow array along axis 0 several times slower than a wide one, so the
    points are reduced as rows of ``BOUNDS_ROW_POINTS`` points, then those row extremes.
    """
    whole = len(points) // BOUNDS_ROW_POINTS * BOUNDS_ROW_POINTS
    rows = np.ascontiguousarray(points[:whole]).reshape(-1, 3 * BOUNDS_ROW_POINTS)
    rest = points[whole:]
    if whole:
        low = np.vstack([rows.min(axis=0).reshape(-1, 3), rest]).min(axis=0)
        high = np.vstack([rows.max(axis=0).reshape(-1, 3), rest]).max(axis=0)
        return low, high
    return rest.min(axis=0), rest.max(axis=0)


def extents_along(points: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Extent (max - min) of (n, 3) points along each row of ``axes`` (k, 3)."""
    projected = np.asarray(axes, dtype=np.float64) @ points.T  # (k, n), rows contiguous
    return projected.max(axis=1) - projected.min(axis=1)


def triangle_transforms(v0: np.ndarray, v1: np.ndarray, v2: np.ndarray) -> np.ndarray:
    """Per-triangle affine maps to (barycentric u, barycentric v, plane offset), as (n, 12).

    With n = e1 x e2, the rows a = (e2 x n)/|n|^2 and b = (n x e1)/|n|^2 give the barycentric
    coordinates of any point of the plane by one dot product each (the coordinate-transformation
    test of Baldwin & Weber, JCGT 2016): far cheaper in numpy than Moller-Trumbore's per-ray
    cross products. Degenerate triangles get nan rows and never hit.
    """
    e1, e2 = v1 - v0, v2 - v0
    normal = _cross(e1, e2)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / np.einsum("ij,ij->i", normal, normal)[:, None]
    a = _cross(e2, normal) * scale
    b = _cross(normal, e1) * scale
    transforms = np.empty((len(v0), 12))
    for row, vector in enumerate((a, b, normal)):
        transforms[:, 4 * row : 4 * row + 3] = vector
        transforms[:, 4 * row + 3] = -np.einsum("ij,ij->i", vector, v0)
    return transforms


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise cross product, cheaper than np.cross for (n, 3) arrays."""
    out = np.empty_like(u)
    out[:, 0] = u[:, 1] * v[:, 2] - u[:, 2] * v[:, 1]
    out[:, 1] = u[:, 2] * v[:, 0] - u[:, 0] * v[:, 2]
    out[:, 2] = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    return out


def ray_triangle_distances(origins, directions, transforms, t_min: float = 0.0) -> np.ndarray:
    """Distance along each ray to its triangle (broadcast over leading axes), inf if missed."""
    ox, oy, oz = origins[..., 0], origins[..., 1], origins[..., 2]
    dx, dy, dz = directions[..., 0], directions[..., 1], directions[..., 2]
    m = [transforms[..., i] for i in range(12)]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -(m[8] * ox + m[9] * oy + m[10] * oz + m[11]) / (m[8] * dx + m[9] * dy + m[10] * dz)
        hx, hy, hz = ox + t * dx, oy + t * dy, oz + t * dz
        u = m[0] * hx + m[1] * hy + m[2] * hz + m[3]
        v = m[4] * hx + m[5] * hy + m[6] * hz + m[7]
        hit = (
            (t > t_min)
            & (u >= -EDGE_TOLERANCE)
            & (v >= -EDGE_TOLERANCE)
            & (u + v <= 1 + EDGE_TOLERANCE)
        )
    return np.where(hit, t, np.inf)


def morton_order(points: np.ndarray, low: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``points`` sorted along a Morton (Z-order) curve and their sorted codes.

    One sort of (code, index) packed in an int64 (values sort about twice as fast as indices).
    """
    cells = (1 << MORTON_BITS) - 1
    code = np.zeros(len(points), dtype=np.int64)
    for axis in range(3):  # one axis at a time: small temporaries
        scaled = points[:, axis] - low[axis]
        scaled *= cells / span
        quantised = scaled.astype(np.int64)
        np.clip(quantised, 0, cells, out=quantised)
        spread = np.take(_SPREAD_BITS, quantised)
        spread <<= axis
        code |= spread
    index_bits = max(1, int(len(points) - 1).bit_length())
    if 3 * MORTON_BITS + index_bits > 63:
        order = np.argsort(code, kind="stable")
        return order, code[order]
    code <<= index_bits
    return packed_sort(code, index_bits)


def packed_sort(shifted: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions, values) in ascending order of non-negative int64 values, ties by position.

    ``shifted`` holds the values already shifted left by ``index_bits``; it is consumed (the
    positions are packed into its low bits, it is sorted and becomes the returned values), so
    no other array of its size is made but the positions.
    """
    shifted |= np.arange(len(shifted), dtype=np.int64)
    shifted.sort()
    order = shifted & ((1 << index_bits) - 1)
    shifted >>= index_bits
    return order, shifted


def _spread_bits(value: np.ndarray) -> np.ndarray:
    """Put bit k of a 10-bit integer at bit 3k."""
    value = (value | (value << 16)) & 0x030000FF
    value = (value | (value << 8)) & 0x0300F00F
    value = (value | (value << 4)) & 0x030C30C3
    return (value | (value << 2)) & 0x09249249


# Looked up rather than computed per point: a table of 1024 entries stays in the L1 cache.
_SPREAD_BITS = _spread_bits(np.arange(1 << MORTON_BITS, dtype=np.int64))
# Level at which two Morton codes split, by the frexp exponent of their XOR: exponent e means the
# highest differing bit is e - 1, in level MORTON_BITS - (e - 1) // 3; 0 means equal codes, which
# never split (MORTON_BITS + 1).
_SPLIT_LEVEL = np.array(
    [MORTON_BITS + 1] + [MORTON_BITS - bit // 3 for bit in range(3 * MORTON_BITS)], dtype=np.int8
)


@dataclass(slots=True)
class _RayPass:
    """The rays of one pass, as the box and leaf tests read and update them."""

    point: list
    step: list
    ignore: np.ndarray
    t_min: float
    reach: np.ndarray  # shrinks as hits are found
    best: np.ndarray
    best_face: np.ndarray
    # The float32 slab test's view of the rays: per axis 1 / direction and origin / direction
    # (from the scene box corner), the padded start and the padded reach (refreshed from
    # ``reach`` after each round of leaf tests).
    inverse: np.ndarray
    shift: np.ndarray
    low32: np.float32
    reach32: np.ndarray
    pad: np.float32

    def refresh_reach(self) -> None:
        self.reach32 = self.reach.astype(np.float32) * np.float32(1 + 1e-6) + self.pad


class MeshBVH:
    """Octree-ordered bounding-volume hierarchy over one mesh's triangles (see the module doc)."""

    def __init__(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        leaf_items: int = LEAF_ITEMS,
        vertex_bounds: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        """``vertex_bounds``: (low, high) of the vertices, when the caller has them."""
        self.vertices, self.faces = vertices, faces
        count = len(faces)
        low, high = bounds(vertices) if vertex_bounds is None else vertex_bounds
        self.diagonal = float(np.linalg.norm(high - low))
        pad = BOX_PAD * self.diagonal + 1e-12
        self.low, self.high = low - 2 * pad, high + 2 * pad
        # Contiguous copies, shared by the face boxes here and the triangle tests of every trace.
        self._columns = [np.ascontiguousarray(vertices[:, axis]) for axis in range(3)]
        self._corners = [np.ascontiguousarray(faces[:, k]) for k in range(3)]
        face_low, face_high = self._face_boxes()
        reference, piece_low, piece_high, piece_centre = self._split_large(face_low, face_high)
        order, codes = morton_order(piece_centre, low - self.low, float((high - low).max()) or 1)
        self.item_face = reference[order]
        item_low = np.take(piece_low, order, axis=1)
        item_low -= np.float32(pad)
        item_high = np.take(piece_high, order, axis=1)
        item_high += np.float32(pad)
        self._build_tree(codes, item_low, item_high, leaf_items)
        # Kept for the leaves: a ray tests exactly only the triangles whose piece box it crosses.
        self.item_low, self.item_high = item_low, item_high
        self.triangles = count

    # ------------------------------------------------------------------------------- building

    def _face_boxes(self) -> tuple[np.ndarray, np.ndarray]:
        """(3, m) float32 bounding boxes of the faces, relative to ``self.low``.

        float32 halves the memory traffic; its rounding (2**-24 of the extent) is far inside the
        pad every box gets.
        """
        face_low = np.empty((3, len(self.faces)), dtype=np.float32)
        face_high = np.empty((3, len(self.faces)), dtype=np.float32)
        for axis in range(3):
            coordinate = (self._columns[axis] - self.low[axis]).astype(np.float32)
            corner = [np.take(coordinate, self._corners[k]) for k in range(3)]
            np.minimum(np.minimum(corner[0], corner[1]), corner[2], out=face_low[axis])
            np.maximum(np.maximum(corner[0], corner[1]), corner[2], out=face_high[axis])
        return face_low, face_high

    def _split_large(self, face_low, face_high):
        """Pieces the hierarchy is built over: faces, with large ones cut into smaller pieces.

        A long sliver's box covers far more space than the sliver; cutting it by repeated
        bisection of its longest edge gives pieces whose boxes hug it, so rays passing nearby no
        longer meet it. Every piece refers back to its face (whose exact test is unchanged).
        Returns (face of each piece, piece boxes low/high (3, k), piece centres (k, 3)).
        """
        count = len(self.faces)
        every = np.arange(count)
        centres = ((face_low + face_high) / 2).T
        extent = (face_high - face_low).max(axis=0)
        target = SPLIT_ABOVE * float(np.median(extent)) if count else 0.0
        large = np.flatnonzero(extent > target) if target > 0 else np.zeros(0, dtype=np.intp)
        if not large.size:
            return every, face_low, face_high, centres
        budget = max(SPLIT_BUDGET * count, 1024)
        # The pieces' corners as three (k, 3) arrays: numpy handles a few long arrays far faster
        # than reductions along the short axes of one (k, 3, 3) array.
        corners = [self.vertices[self.faces[large, k]] - self.low for k in range(3)]
        owner = large
        done_face, done_corners = [], []
        while len(owner) and budget > 0:
            # Edge k runs from corner k to corner k + 1; the first longest is cut.
            lengths = [
                np.einsum("ij,ij->i", edge, edge)
                for edge in (corners[(k + 1) % 3] - corners[k] for k in range(3))
            ]
            longest = np.argmax(np.column_stack(lengths), axis=1)[:, None]
            a, b, c = (
                np.where(
                    longest == 0,
                    corners[k],
                    np.where(longest == 1, corners[(k + 1) % 3], corners[(k + 2) % 3]),
                )
                for k in range(3)
            )
            middle = (a + b) / 2
            corners = [
                np.concatenate([a, middle]),
                np.concatenate([middle, b]),
                np.concatenate([c, c]),
            ]
            owner = np.concatenate([owner, owner])
            budget -= len(a)
            spread = np.maximum(np.maximum(corners[0], corners[1]), corners[2])
            spread -= np.minimum(np.minimum(corners[0], corners[1]), corners[2])
            small = spread.max(axis=1) <= target
            done_face.append(owner[small])
            done_corners.append([corner[small] for corner in corners])
            owner, corners = owner[~small], [corner[~small] for corner in corners]
        done_face.append(owner)
        done_corners.append(corners)
        first, second, third = (np.concatenate(group) for group in zip(*done_corners, strict=True))
        keep = np.ones(count, dtype=bool)
        keep[large] = False
        reference = np.concatenate([every[keep], *done_face])
        cut_low = np.minimum(np.minimum(first, second), third).T.astype(np.float32)
        cut_high = np.maximum(np.maximum(first, second), third).T.astype(np.float32)
        piece_low = np.concatenate([face_low[:, keep], cut_low], axis=1)
        piece_high = np.concatenate([face_high[:, keep], cut_high], axis=1)
        # As a mean over the corner axis sums them: (first + second) + third.
        piece_centre = np.concatenate([centres[keep], (first + second + third) / 3])
        return reference, piece_low, piece_high, piece_centre

    def _build_tree(self, codes, item_low, item_high, leaf_items: int) -> None:
        """Nodes = runs of equal Morton prefixes that split their parent's run (see module doc).

        Per node: ``first``/``size`` (item range), ``child``/``children`` (child ids are
        consecutive) and a float32 box. Inside a run open at level k - 1, level k splits exactly
        where consecutive codes first differ in that level's 3 bits, so each level only visits
        its open runs and its new split positions.
        """
        items = len(codes)
        differ = codes[1:] ^ codes[:-1]
        # frexp's exponent is one past the highest differing bit (0 for equal codes).
        separate = np.take(_SPLIT_LEVEL, np.frexp(differ.astype(np.float64))[1])
        # Split positions grouped by level (positions ascend within a level).
        by_level = np.argsort(separate, kind="stable") + 1
        level_end = np.cumsum(np.bincount(separate, minlength=MORTON_BITS + 2))
        first, size, parent, level = [np.array([0])], [np.array([items])], [np.array([-1])], [0]
        open_first = np.array([0]) if items > leaf_items else np.zeros(0, dtype=np.int64)
        open_size = np.array([items])[: len(open_first)]
        open_node = np.zeros(len(open_first), dtype=np.int64)
        nodes = 1
        for depth in range(1, MORTON_BITS + 1):
            if not open_first.size:
                break
            splits = by_level[level_end[depth - 1] : level_end[depth]]
            run = np.searchsorted(open_first, splits, side="right") - 1
            inside = (run >= 0) & (splits < open_first[run] + open_size[run])
            splits, run = splits[inside], run[inside]
            if not splits.size:
                continue
            # Children: each open run cut at its split positions (both lists ascend).
            run_first = np.concatenate([open_first, splits])
            owner_run = np.concatenate([np.arange(len(open_first)), run])
            order = np.argsort(run_first, kind="stable")
            run_first, owner_run = run_first[order], owner_run[order]
            parent_end = open_first[owner_run] + open_size[owner_run]
            following = np.append(run_first[1:], items)
            run_size = np.minimum(following, parent_end) - run_first
            same = run_size == open_size[owner_run]
            new = np.flatnonzero(~same)
            owner = open_node[owner_run]
            ids = np.full(len(run_first), -1, dtype=np.int64)
            ids[new] = nodes + np.arange(len(new))
            nodes += len(new)
            first.append(run_first[new])
            size.append(run_size[new])
            parent.append(owner[new])
            level.append(np.full(len(new), depth))
            still_open = same | (run_size > leaf_items)
            open_first = run_first[still_open]
            open_size = run_size[still_open]
            open_node = np.where(same, owner, ids)[still_open]
        first = np.concatenate(first)
        size = np.concatenate(size)
        parent = np.concatenate(parent)
        level = np.concatenate([np.zeros(1, dtype=np.int64), *level[1:]])
        children = np.bincount(parent[1:], minlength=nodes)
        child = np.zeros(nodes, dtype=np.int64)
        # Children of a node are consecutive ids; the first is the lowest id with that parent.
        if nodes > 1:
            heads = np.concatenate(([True], parent[2:] != parent[1:-1]))
            child[parent[1:][heads]] = np.arange(1, nodes)[heads]
        leaf = children == 0
        box_low = np.empty((3, nodes), dtype=np.float32)
        box_high = np.empty((3, nodes), dtype=np.float32)
        leaves = np.flatnonzero(leaf)
        low, high = _segment_extremes(item_low, item_high, first[leaves], size[leaves], leaf_items)
        box_low[:, leaves], box_high[:, leaves] = low, high
        # Internal boxes from their children's, deepest nodes first.
        for depth in range(int(level.max()), -1, -1):
            batch = np.flatnonzero((level == depth) & ~leaf)
            if batch.size:
                low, high = _segment_extremes(box_low, box_high, child[batch], children[batch], 8)
                box_low[:, batch], box_high[:, batch] = low, high
        self.node_first, self.node_size = first, size
        self.node_child, self.node_children = child, children
        self.node_leaf = leaf
        self.box_low, self.box_high = box_low, box_high

    # -------------------------------------------------------------------------------- queries

    def first_hit(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        ignore_faces: np.ndarray | None = None,
        *,
        t_min: float | None = None,
        any_hit: bool = False,
        t_max: np.ndarray | float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distance to and index of the first triangle each ray meets (inf and -1 if none).

        ``ignore_faces`` gives, per ray, a face never reported (the face a ray starts on).
        ``t_max`` (scalar or per ray) ends the rays early: hits beyond it are not looked for.
        With ``any_hit`` a ray stops at the first triangle found, not necessarily the closest:
        enough to know whether it escapes.
        """
        origins = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
        directions = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
        count = len(origins)
        best_t = np.full(count, np.inf)
        best_face = np.full(count, -1, dtype=np.int64)
        if count == 0 or not len(self.faces):
            return best_t, best_face
        t_min = MIN_DISTANCE * self.diagonal if t_min is None else float(t_min)
        ignore = (
            np.full(count, -1, dtype=np.int64)
            if ignore_faces is None
            else np.asarray(ignore_faces, dtype=np.int64).reshape(-1)
        )
        limit = np.full(count, np.inf) if t_max is None else np.broadcast_to(t_max, (count,))
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse = 1.0 / directions
            near = (self.low - origins) * inverse
            far = (self.high - origins) * inverse
        # Slab entry and exit of the scene box; a ray parallel to a slab, on its plane, is inside.
        enter = np.fmin(near, far)
        leave = np.fmax(near, far)
        enter[np.isnan(enter)] = -np.inf
        leave[np.isnan(leave)] = np.inf
        t_low = np.maximum(enter.max(axis=1), t_min)
        t_high = np.minimum(leave.min(axis=1), limit)
        active = np.flatnonzero(t_low <= t_high)
        for start in range(0, len(active), RAYS_PER_PASS):
            rays = active[start : start + RAYS_PER_PASS]
            distance, face = self._trace(
                origins[rays], directions[rays], ignore[rays], t_min, t_high[rays], any_hit=any_hit
            )
            best_t[rays] = distance
            best_face[rays] = face
        return best_t, best_face

    def _trace(self, origins, directions, ignore, t_min, t_high, *, any_hit):
        """Breadth-first descent for one pass of rays; returns (distance, face) per ray."""
        count = len(origins)
        best = np.full(count, np.inf)
        best_face = np.full(count, -1, dtype=np.int64)
        with np.errstate(divide="ignore", over="ignore"):
            inverse = np.where(np.abs(directions) > 1e-30, 1.0 / directions, _HUGE)
        inverse = np.clip(inverse, -_HUGE, _HUGE).astype(np.float32).T.copy()
        pad = np.float32(BOX_PAD * self.diagonal)
        reach = t_high.copy()
        rays = _RayPass(
            point=[np.ascontiguousarray(origins[:, axis]) for axis in range(3)],
            step=[np.ascontiguousarray(directions[:, axis]) for axis in range(3)],
            ignore=ignore,
            t_min=t_min,
            reach=reach,
            best=best,
            best_face=best_face,
            inverse=inverse,
            shift=(origins - self.low).astype(np.float32).T * inverse,
            low32=np.float32(t_min) - pad,
            reach32=np.empty(0, dtype=np.float32),
            pad=pad,
        )
        rays.refresh_reach()
        ray = np.arange(count, dtype=np.intp)
        node = np.zeros(count, dtype=np.intp)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while ray.size:
                keep = _crosses(self.box_low, self.box_high, node, ray, rays)
                ray, node = _select(keep, ray, node)
                leaf = self.node_leaf[node]
                if leaf.any():
                    self._test_leaves(*_select(leaf, ray, node), rays)
                    rays.refresh_reach()
                    inner = ~leaf
                    if any_hit:
                        inner &= ~np.isfinite(np.take(best, ray))
                    ray, node = _select(inner, ray, node)
                if not ray.size:
                    break
                sizes = self.node_children[node]
                ray = np.repeat(ray, sizes)
                node = np.repeat(self.node_child[node] - _exclusive_cumsum(sizes), sizes) + (
                    np.arange(len(ray))
                )
        return best, best_face

    def _test_leaves(self, ray, node, rays: _RayPass):
        """Exact tests of the leaves' triangles; records closer hits and shortens the rays.

        Moller-Trumbore on the fly: a triangle is rarely tested by more than one ray, so
        precomputing per-triangle data would cost more than it saves.
        """
        sizes = self.node_size[node]
        ray = np.repeat(ray, sizes)
        item = np.repeat(self.node_first[node] - _exclusive_cumsum(sizes), sizes) + np.arange(
            len(ray)
        )
        # A box test is several times cheaper than a triangle test and passes few of a leaf's.
        ray, item = _select(_crosses(self.item_low, self.item_high, item, ray, rays), ray, item)
        face = self.item_face[item]
        keep = face != np.take(rays.ignore, ray)
        ray, face = _select(keep, ray, face)
        corners = [np.take(self._corners[k], face) for k in range(3)]
        v0 = [np.take(self._columns[axis], corners[0]) for axis in range(3)]
        e1 = [np.take(self._columns[axis], corners[1]) - v0[axis] for axis in range(3)]
        e2 = [np.take(self._columns[axis], corners[2]) - v0[axis] for axis in range(3)]
        d = [np.take(rays.step[axis], ray) for axis in range(3)]
        s = [np.take(rays.point[axis], ray) - v0[axis] for axis in range(3)]
        p = _cross3(d, e2)
        q = _cross3(s, e1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse = 1.0 / (e1[0] * p[0] + e1[1] * p[1] + e1[2] * p[2])
            u = (s[0] * p[0] + s[1] * p[1] + s[2] * p[2]) * inverse
            v = (d[0] * q[0] + d[1] * q[1] + d[2] * q[2]) * inverse
            t = (e2[0] * q[0] + e2[1] * q[1] + e2[2] * q[2]) * inverse
            hit = (
                (t > rays.t_min)
                & (t <= np.take(rays.reach, ray))
                & (u >= -EDGE_TOLERANCE)
                & (v >= -EDGE_TOLERANCE)
                & (u + v <= 1 + EDGE_TOLERANCE)
            )
        found = np.flatnonzero(hit)
        if not found.size:
            return
        ray, t, face = ray[found], t[found], face[found]
        # Closest per ray (ties: the lower face, so the answer does not depend on the order).
        order = np.lexsort((face, t, ray))
        ray, t, face = ray[order], t[order], face[order]
        head = np.concatenate(([True], ray[1:] != ray[:-1]))
        ray, t, face = _select(head, ray, t, face)
        best, best_face = rays.best, rays.best_face
        better = (t < best[ray]) | ((t == best[ray]) & (face < best_face[ray]))
        ray, t, face = _select(better, ray, t, face)
        best[ray] = t
        best_face[ray] = face
        rays.reach[ray] = np.minimum(rays.reach[ray], t)


def _crosses(box_low, box_high, box, ray, rays: _RayPass) -> np.ndarray:
    """Whether each ray meets its box (float32 slab test) within its padded distance range."""
    entry = leave = None
    for axis in range(3):
        inverse = np.take(rays.inverse[axis], ray)
        offset = np.take(rays.shift[axis], ray)
        near = np.take(box_low[axis], box)
        near *= inverse
        near -= offset
        far = np.take(box_high[axis], box)
        far *= inverse
        far -= offset
        if entry is None:
            entry, leave = np.minimum(near, far), np.maximum(near, far)
        else:
            np.maximum(entry, np.minimum(near, far), out=entry)
            np.minimum(leave, np.maximum(near, far), out=leave)
    keep = entry <= leave
    keep &= leave >= rays.low32
    keep &= entry <= np.take(rays.reach32, ray)
    return keep


def _cross3(u: list, v: list) -> list:
    """Cross product of vectors given as three component arrays."""
    return [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]


def _segment_extremes(low, high, first, size, unrolled: int):
    """Per segment [first, first + size) of columns: min of ``low`` and max of ``high``.

    Segments up to ``unrolled`` long take clamped gathers (repeats are harmless to min and
    max); the few longer ones a reduceat.
    """
    out_low = np.empty((3, len(first)), dtype=low.dtype)
    out_high = np.empty((3, len(first)), dtype=high.dtype)
    last = size - 1
    columns = [first + np.minimum(offset, last) for offset in range(1, unrolled)]
    for axis in range(3):
        row_low, row_high = low[axis], high[axis]
        result_low = np.take(row_low, first)
        result_high = np.take(row_high, first)
        for column in columns:
            np.minimum(result_low, np.take(row_low, column), out=result_low)
            np.maximum(result_high, np.take(row_high, column), out=result_high)
        out_low[axis], out_high[axis] = result_low, result_high
    long = np.flatnonzero(size > unrolled)
    if long.size:
        long = long[np.argsort(first[long])]
        bounds = np.column_stack([first[long], first[long] + size[long]]).ravel()
        padded_low = np.concatenate([low, low[:, :1]], axis=1)
        padded_high = np.concatenate([high, high[:, :1]], axis=1)
        out_low[:, long] = np.minimum.reduceat(padded_low, bounds, axis=1)[:, ::2]
        out_high[:, long] = np.maximum.reduceat(padded_high, bounds, axis=1)[:, ::2]
    return out_low, out_high


def _select(mask: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """The entries of each array where ``mask`` is true.

    Positions first, then gathers: on an irregular mask numpy's boolean indexing mispredicts a
    branch per entry and is several times slower.
    """
    where = np.flatnonzero(mask)
    return [np.take(array, where) for array in arrays]


def _exclusive_cumsum(sizes: np.ndarray) -> np.ndarray:
    """Start offset of each block when blocks of ``sizes`` are laid end to end."""
    total = np.cumsum(sizes)
    return total - sizes
