"""Server-side PNG thumbnails of 3D parts: a small software rasteriser in numpy + Pillow.

No OpenGL, no display, no Odoo: ``render_thumbnail(vertices, faces)`` returns the bytes of an RGBA
PNG showing the part in an isometric-ish orthographic view (Z up, seen from the front right and
above), fitted to the part with a small margin, flat shaded with a key light, a fill light and
ambient light, on a transparent (or given) background. The same input always gives the same bytes.

How it works, all batched in numpy:

* The vertices are rotated into the camera frame (x right, y up, z towards the viewer) and scaled
  to pixels of a supersampled canvas (``SUPERSAMPLE`` times the requested size per axis).
* Each triangle is rasterised by scanline spans: for every pixel row whose centre it crosses, the
  exact x-span of the triangle on that row is computed, and the pixel centres inside the span become
  fragments. Work is proportional to the covered area plus one entry per row, so long thin slivers
  (fans of CAD caps) cost no more than their area, and a triangle smaller than a pixel costs at most
  one fragment. Span ends are inclusive with a tiny tolerance, so neighbouring triangles never leave
  cracks between them, and a dense mesh of sub-pixel triangles still renders solid: every pixel
  centre inside the projected surface is inside some triangle.
* The z-buffer is one ``uint64`` per pixel holding ``(depth << 32) | face``, the depth being the
  bit pattern of a non-negative float32 (which orders like the float); ``np.maximum.at`` keeps the
  nearest fragment, ties going deterministically to the higher face index.
* Faces are shaded two-sided (the normal is turned towards the viewer), so inverted or
  inconsistent winding renders the same as a clean mesh. Creases and silhouettes get a thin darker
  line so flat CAD faces stay legible at thumbnail size.
* The canvas is box-filtered down to the requested size (antialiasing) and encoded as PNG.

Time is bounded by the triangle count plus a fragment budget: a mesh whose projected area would
exceed ``FRAGMENT_BUDGET`` fragments (huge depth complexity, e.g. thousands of stacked sheets) is
rasterised on a coarser canvas (down to half the output size), and as a last resort on a
deterministic subset of its triangles. Real parts stay far below the budget.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence

import numpy as np
from PIL import Image

# Odoo's brand purple, the default part colour.
DEFAULT_COLOR = (0x71, 0x4B, 0x67)
DEFAULT_VIEW = (35.0, 25.0)  # (azimuth, elevation) in degrees
MIN_SIZE = 16
MAX_SIZE = 2048
SUPERSAMPLE = 2  # canvas pixels per output pixel, per axis
MARGIN = 0.06  # fraction of the image left free on each side
FRAGMENT_BUDGET = 24_000_000  # pixel fragments per thumbnail, at most (~30 ns each: ~0.7 s)

# Lights in the camera frame (x right, y up, z towards the viewer), unit vectors: a key light from
# above, slightly left and in front, a weak fill from the lower right, plus ambient. With the
# default view a box shows its top, front and right faces at three clearly different levels.
_KEY_LIGHT = np.array([-0.188, 0.563, 0.804])
_KEY_LIGHT /= np.linalg.norm(_KEY_LIGHT)
_FILL_LIGHT = np.array([0.7, -0.45, 0.55])
_FILL_LIGHT /= np.linalg.norm(_FILL_LIGHT)
_AMBIENT = 0.42
_KEY = 0.78
_FILL = 0.15
_WHITEN = 1.5  # light above 1 mixes the colour towards white at this rate
_EDGE_DARKEN = 0.72  # colour factor of crease and silhouette pixels
_CREASE_COS = math.cos(math.radians(30.0))  # normals further apart than this draw a crease
_DEPTH_STEP = 0.01  # a depth jump of this fraction of the part's depth draws an outline

_EPS = 1e-4  # span tolerance in canvas pixels (inclusive, crack-free edges)
_FACE_MASK = np.uint64(0xFFFFFFFF)
_CHUNK_FRAGMENTS = 1_000_000  # fragments rasterised per batch (bounds memory to ~60 MB)


def render_thumbnail(
    vertices: np.ndarray,
    faces: np.ndarray,
    size: int = 256,
    *,
    view: Sequence[float] = DEFAULT_VIEW,
    color: Sequence[int] = DEFAULT_COLOR,
    background: Sequence[int] | None = None,
) -> bytes:
    """Render a triangle mesh to a ``size`` x ``size`` RGBA PNG and return the PNG bytes.

    ``vertices`` is an ``(n, 3)`` array of coordinates (any unit, Z up), ``faces`` an ``(m, 3)``
    integer array of vertex indices. ``view`` is ``(azimuth, elevation)`` in degrees: azimuth 0
    looks at the front (from -Y), positive azimuth turns the camera towards +X, elevation is the
    angle above the XY plane (-90..90). ``color`` is the part's RGB colour; ``background`` is
    ``None`` for a transparent background, or an RGB / RGBA tuple.

    Raises ``ValueError`` for an empty or malformed mesh, non-finite coordinates, a mesh without
    extent (all vertices at one point, or all triangles degenerate) and invalid options.
    """
    coords, tris = _validate_mesh(vertices, faces)
    size = _validate_size(size)
    azimuth, elevation = _validate_view(view)
    rgb = _validate_color(color, "color", (3,))
    bg = None if background is None else _validate_color(background, "background", (3, 4))

    unit = _project(coords, azimuth, elevation)
    keybuf, normals, canvas = _rasterise(*unit, tris, size)
    rgba = _shade(keybuf, normals, canvas, float(unit[2].max()) * canvas, rgb)
    return _encode(_resample(rgba, size), bg)


# --------------------------------------------------------------------------------------- checks


def _validate_mesh(vertices, faces) -> tuple[np.ndarray, np.ndarray]:
    """``(3, n)`` float64 coordinates of the referenced vertices and the ``(m, 3)`` faces."""
    try:
        verts = np.asarray(vertices, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"vertices must be an (n, 3) array of numbers: {exc}") from None
    if verts.ndim != 2 or verts.shape[1] != 3:
        raise ValueError(f"vertices must be an (n, 3) array, got shape {verts.shape}")
    tris = np.asarray(faces)
    if tris.ndim != 2 or tris.shape[1] != 3:
        raise ValueError(f"faces must be an (m, 3) array, got shape {tris.shape}")
    if len(tris) == 0 or len(verts) == 0:
        raise ValueError("cannot render an empty mesh: it has no triangles")
    if not np.issubdtype(tris.dtype, np.integer):
        raise ValueError(f"faces must hold integer vertex indices, got dtype {tris.dtype}")
    if tris.min() < 0 or tris.max() >= len(verts):
        raise ValueError(
            f"faces reference vertex indices outside 0..{len(verts) - 1} "
            f"(found {tris.min()}..{tris.max()})"
        )
    tris = tris.astype(np.intp, copy=False)
    used = np.zeros(len(verts), bool)
    used[tris.ravel()] = True
    # Coordinates as three contiguous rows (x, y, z): reductions over (n, 3) columns are slow.
    coords = np.ascontiguousarray(verts.T)
    if len(verts) > np.count_nonzero(used):
        coords = np.ascontiguousarray(coords[:, used])  # unreferenced vertices do not count
        tris = (np.cumsum(used) - 1)[tris]
    if not np.isfinite(coords).all():
        raise ValueError("vertices contain NaN or infinite coordinates")
    extent = [float(axis.max() - axis.min()) for axis in coords]
    if not max(extent) > 0:
        raise ValueError("the mesh has a zero-size bounding box: all its vertices are one point")
    return coords, tris


def _validate_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ValueError(f"size must be an integer number of pixels, got {size!r}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {size}")
    return int(size)


def _validate_view(view) -> tuple[float, float]:
    try:
        azimuth, elevation = (float(v) for v in view)
    except (TypeError, ValueError):
        raise ValueError(f"view must be (azimuth_deg, elevation_deg), got {view!r}") from None
    if not (math.isfinite(azimuth) and math.isfinite(elevation)):
        raise ValueError(f"view angles must be finite, got {view!r}")
    if not -90.0 <= elevation <= 90.0:
        raise ValueError(f"elevation must be between -90 and 90 degrees, got {elevation}")
    return azimuth, elevation


def _validate_color(value, name: str, lengths: tuple[int, ...]) -> tuple[int, ...]:
    try:
        channels = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a tuple of 0..255 integers, got {value!r}") from None
    if len(channels) not in lengths or not all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c <= 255
        for c in channels
    ):
        wanted = " or ".join(f"{n} integers" for n in lengths)
        raise ValueError(f"{name} must be {wanted} in 0..255, got {value!r}")
    return tuple(int(c) for c in channels)


# ----------------------------------------------------------------------------------- projection


def _camera_axes(azimuth: float, elevation: float) -> np.ndarray:
    """Rows: the camera's right, up and towards-viewer axes in world coordinates (Z up)."""
    az, el = math.radians(azimuth), math.radians(elevation)
    # From the part towards the camera; the right axis stays horizontal, even looking straight down.
    towards = np.array([math.sin(az) * math.cos(el), -math.cos(az) * math.cos(el), math.sin(el)])
    right = np.array([math.cos(az), math.sin(az), 0.0])
    up = np.cross(towards, right)
    return np.stack([right, up, towards])


def _project(coords, azimuth, elevation):
    """Per-vertex camera coordinates on a canvas of size 1 (x right, y up, z towards the viewer).

    The part is centred and fitted with ``MARGIN`` on each side; z starts at 0 (farthest point)
    and is scaled like x and y, so normals computed from these coordinates are true. Multiplying
    all three by a canvas size in pixels gives canvas coordinates.
    """
    cam = [
        axis[0] * coords[0] + axis[1] * coords[1] + axis[2] * coords[2]
        for axis in _camera_axes(azimuth, elevation)
    ]
    lo = [float(c.min()) for c in cam]
    hi = [float(c.max()) for c in cam]
    span = max(hi[0] - lo[0], hi[1] - lo[1])
    if not span > 0:
        raise ValueError("the mesh has no extent in this view: it projects to a single point")
    scale = (1.0 - 2.0 * MARGIN) / span
    x = (cam[0] - (lo[0] + hi[0]) / 2.0) * scale + 0.5
    y = (cam[1] - (lo[1] + hi[1]) / 2.0) * scale + 0.5
    z = (cam[2] - lo[2]) * scale
    return x.astype(np.float32), y.astype(np.float32), z.astype(np.float32)


# ---------------------------------------------------------------------------------- rasteriser


def _rasterise(x, y, z, tris, size):
    """Z-buffer the triangles on the canvas the fragment budget allows.

    Returns the flat ``(depth << 32) | face`` buffer (0 where empty, rows bottom to top), the face
    normals in the camera frame (not normalised) and the canvas size in pixels.
    """
    corners = [(x[tris[:, i]], y[tris[:, i]], z[tris[:, i]]) for i in range(3)]
    (x0, y0, z0), (x1, y1, z1), (x2, y2, z2) = corners
    ax, ay, az = x1 - x0, y1 - y0, z1 - z0
    bx, by, bz = x2 - x0, y2 - y0, z2 - z0
    nx = ay * bz - az * by
    ny = az * bx - ax * bz
    nz = ax * by - ay * bx
    # Degenerate: the normal is float32 rounding noise against the edge lengths (collinear).
    if not (
        nx * nx + ny * ny + nz * nz
        > 1e-10 * (ax * ax + ay * ay + az * az) * (bx * bx + by * by + bz * bz)
    ).any():
        raise ValueError("the mesh has no area: all its triangles are degenerate")
    normals = np.stack([nx, ny, nz], axis=1)

    # Only triangles with a projected area cover pixel centres (the floor keeps the depth-plane
    # slopes of edge-on slivers finite; their depth is clamped to the triangle's range anyway).
    drawn = np.flatnonzero(np.abs(nz) > 1e-30)
    ymin = np.minimum(np.minimum(y0, y1), y2)[drawn]
    ymax = np.maximum(np.maximum(y0, y1), y2)[drawn]
    canvas, drawn = _plan(size, np.abs(nz[drawn]) * 0.5, ymax - ymin, drawn)
    keybuf = np.zeros(canvas * canvas, np.uint64)

    # Keep the triangles whose bounding box holds a pixel centre; most sub-pixel ones do not.
    c = np.float32(canvas)
    xs = [cx[drawn] * c for cx, _, _ in corners]
    ys = [cy[drawn] * c for _, cy, _ in corners]
    col_lo, col_hi = _centres(
        np.minimum(np.minimum(*xs[:2]), xs[2]), np.maximum(np.maximum(*xs[:2]), xs[2]), canvas
    )
    row_lo, row_hi = _centres(
        np.minimum(np.minimum(*ys[:2]), ys[2]), np.maximum(np.maximum(*ys[:2]), ys[2]), canvas
    )
    hit = np.flatnonzero((row_hi >= row_lo) & (col_hi >= col_lo))
    if len(hit) == 0:
        return keybuf, normals, canvas
    drawn, row_lo, rows = drawn[hit], row_lo[hit], (row_hi - row_lo + 1)[hit]
    xs = [v[hit] for v in xs]
    ys = [v[hit] for v in ys]

    # Depth plane z = zc + dzdx * x + dzdy * y of each triangle (the slopes do not depend on the
    # canvas size), and its depth range, which clamps the plane on near edge-on slivers (their
    # slopes are capped too, so that no product overflows float32).
    inv = 1.0 / nz[drawn]
    dzdx = np.clip(-nx[drawn] * inv, -1e12, 1e12)
    dzdy = np.clip(-ny[drawn] * inv, -1e12, 1e12)
    zs = [cz[drawn] * c for _, _, cz in corners]
    zc = zs[0] - dzdx * xs[0] - dzdy * ys[0]
    zlo = np.minimum(np.minimum(zs[0], zs[1]), zs[2])
    zhi = np.maximum(np.maximum(zs[0], zs[1]), zs[2])
    sides = _sides(xs, ys)

    # Batches of triangles with a bounded number of fragments (area + rows is a close estimate).
    area = np.abs(nz[drawn]) * (0.5 * c * c)
    estimate = np.cumsum(area + 2.0 * rows)
    steps = np.arange(1, int(estimate[-1] // _CHUNK_FRAGMENTS) + 1) * float(_CHUNK_FRAGMENTS)
    bounds = np.unique(np.concatenate([[0], np.searchsorted(estimate, steps), [len(drawn)]]))
    for start, stop in itertools.pairwise(bounds):
        batch = slice(int(start), int(stop))
        _rasterise_batch(
            keybuf,
            canvas,
            face_ids=drawn[batch],
            row_lo=row_lo[batch],
            rows=rows[batch],
            sides=[v[batch] for v in sides],
            plane=[v[batch] for v in (dzdx, dzdy, zc, zlo, zhi)],
        )
    return keybuf, normals, canvas


def _centres(lo, hi, canvas):
    """First and last index of the canvas pixel centres (i + 0.5) in [lo - _EPS, hi + _EPS]."""
    first = np.maximum(np.ceil(lo - np.float32(0.5 + _EPS)), 0).astype(np.int64)
    last = np.minimum(np.floor(hi - np.float32(0.5 - _EPS)), canvas - 1).astype(np.int64)
    return first, last


def _plan(size, area, height, drawn):
    """Pick the canvas (and, as a last resort, a subset of triangles) within the fragment budget.

    ``area`` and ``height`` are per triangle on a canvas of size 1; the fragments of a triangle on
    a canvas of c pixels are about ``area * c**2 + 2 * height * c + 1``. Returns the canvas size
    and the face indices to draw.
    """
    total_area, total_height = float(area.sum()), float(height.sum())

    def fragments(canvas):
        return total_area * canvas * canvas + 2.0 * total_height * canvas + len(drawn)

    canvas = size * SUPERSAMPLE
    while fragments(canvas) > FRAGMENT_BUDGET and canvas > size // 2:
        canvas = max(canvas // 2, size // 2)
    over = fragments(canvas) / FRAGMENT_BUDGET
    if over > 1.0:
        drawn = drawn[:: math.ceil(over)]  # every k-th triangle: deterministic
    return canvas, drawn


def _sides(xs, ys):
    """The triangles' corners sorted bottom to top, and the x-slopes of their three sides.

    Returns ``x0, y0, x1, y1, y2, s01, s02, s12``. Corners are ordered by (y, x), so the two
    triangles sharing a side walk it from the same end with the same numbers: their spans meet
    exactly on every row and no crack can open between them.
    """
    (x0, x1, x2), (y0, y1, y2) = xs, ys

    def swap(xa, ya, xb, yb):
        later = (ya > yb) | ((ya == yb) & (xa > xb))
        return (
            np.where(later, xb, xa),
            np.where(later, yb, ya),
            np.where(later, xa, xb),
            np.where(later, ya, yb),
        )

    x0, y0, x1, y1 = swap(x0, y0, x1, y1)
    x1, y1, x2, y2 = swap(x1, y1, x2, y2)
    x0, y0, x1, y1 = swap(x0, y0, x1, y1)

    def slope(xa, ya, xb, yb):
        dy = yb - ya
        return np.where(dy > 0, (xb - xa) / np.where(dy > 0, dy, np.float32(1.0)), np.float32(0))

    return x0, y0, x1, y1, y2, slope(x0, y0, x1, y1), slope(x0, y0, x2, y2), slope(x1, y1, x2, y2)


def _rasterise_batch(keybuf, canvas, *, face_ids, row_lo, rows, sides, plane):
    # One entry per (triangle, row): the triangle's span on the row's centre line, between its
    # long side (bottom to top corner) and the short side below or above the middle corner.
    tri = np.repeat(np.arange(len(face_ids)), rows)
    first = np.cumsum(rows) - rows
    row = row_lo[tri] + (np.arange(len(tri)) - first[tri])
    yc = row.astype(np.float32) + np.float32(0.5)
    x0, y0, x1, y1, y2, s01, s02, s12 = (v[tri] for v in sides)
    zero = np.float32(0.0)
    up0 = yc - y0
    along = x0 + np.clip(up0, zero, y2 - y0) * s02
    below = x0 + np.clip(up0, zero, y1 - y0) * s01
    above = x1 + np.clip(yc - y1, zero, y2 - y1) * s12
    other = np.where(yc < y1, below, above)
    col_lo, col_hi = _centres(np.minimum(along, other), np.maximum(along, other), canvas)
    cols = np.maximum(col_hi - col_lo + 1, 0)
    spans = np.flatnonzero(cols)
    if len(spans) == 0:
        return

    # One fragment per covered pixel centre, depth from the triangle's plane.
    dzdx, dzdy, zc, zlo, zhi = plane
    t = tri[spans]
    start = row[spans] * canvas + col_lo[spans]  # first pixel of each span
    z_start = (
        zc[t] + dzdy[t] * yc[spans] + dzdx[t] * (col_lo[spans].astype(np.float32) + np.float32(0.5))
    )
    slope, lo, hi, face = dzdx[t], zlo[t], zhi[t], face_ids[t].astype(np.uint64)
    cols = cols[spans]
    span = np.repeat(np.arange(len(spans)), cols)
    step = np.arange(len(span)) - (np.cumsum(cols) - cols)[span]
    depth = np.clip(z_start[span] + slope[span] * step.astype(np.float32), lo[span], hi[span])
    depth = depth.astype(np.float32) + np.float32(0.0)  # -0.0 -> +0.0, for the bits below
    # The bits of non-negative float32 order like the floats: the depth is its bit pattern.
    level = depth.view(np.uint32).astype(np.uint64) + np.uint64(1)  # 0 stays "empty"
    np.maximum.at(keybuf, start[span] + step, (level << np.uint64(32)) | face[span])


# -------------------------------------------------------------------------------------- shading


def _shade(keybuf, normals, canvas, depth_range, rgb):
    """Premultiplied RGBA float canvas, rows top to bottom, from the z-buffer."""
    covered = keybuf > 0
    face = (keybuf[covered] & _FACE_MASK).astype(np.intp)
    # Normals and light once per face seen (far fewer than the pixels of a small part), then
    # per pixel by lookup.
    seen = np.zeros(len(normals), bool)
    seen[face] = True
    visible = np.flatnonzero(seen)
    n = normals[visible].astype(np.float64)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)
    n *= np.where(n[:, 2:3] < 0, -1.0, 1.0)  # two-sided: always face the viewer
    light = (
        _AMBIENT
        + _KEY * np.clip(n @ _KEY_LIGHT, 0.0, None)
        + _FILL * np.clip(n @ _FILL_LIGHT, 0.0, None)
    )
    pixel_face = (np.cumsum(seen) - 1)[face]
    light = light[pixel_face]
    normal32 = np.ascontiguousarray(n.T, dtype=np.float32)
    outline = _outline(
        keybuf, covered, normal32, pixel_face, canvas, step=depth_range * _DEPTH_STEP
    )
    light *= np.where(outline[covered], _EDGE_DARKEN, 1.0)

    base = np.asarray(rgb, np.float64) / 255.0
    # Light above 1 drifts towards white, so lit faces read as lit rather than merely less dark.
    lit = light[:, None]
    whiten = np.clip((lit - 1.0) * _WHITEN, 0.0, 1.0)
    rgba = np.zeros((canvas * canvas, 4))
    rgba[covered, :3] = base * np.minimum(lit, 1.0) + whiten * (1.0 - base)
    rgba[covered, 3] = 1.0
    return rgba.reshape(canvas, canvas, 4)[::-1]  # y up -> image rows top to bottom


def _outline(keybuf, covered, face_normals, pixel_face, canvas, *, step):
    """Flat mask of the pixels on a silhouette, a depth step or a crease sharper than 30°.

    ``face_normals`` are (3, k) unit normals of the faces seen, ``pixel_face`` the one of each
    covered pixel. Of each pair of neighbouring pixels that differ, the nearer one is marked, so
    the line sits on the part rather than in the air behind it.
    """
    normal = np.zeros((3, canvas * canvas), np.float32)
    normal[:, covered] = face_normals[:, pixel_face]
    normal = normal.reshape(3, canvas, canvas)
    level = (keybuf >> np.uint64(32)).astype(np.uint32)
    depth = np.where(covered, (level - np.uint32(1)).view(np.float32), -1.0)
    depth = depth.reshape(canvas, canvas)
    cov = covered.reshape(canvas, canvas)
    edge = np.zeros((canvas, canvas), bool)
    for first, second in (
        ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
        ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
    ):
        cosine = sum(normal[i][first] * normal[i][second] for i in range(3))
        turned = cosine < _CREASE_COS
        stepped = np.abs(depth[first] - depth[second]) > step
        differ = (cov[first] != cov[second]) | (cov[first] & cov[second] & (turned | stepped))
        first_nearer = depth[first] >= depth[second]
        edge[first] |= differ & first_nearer
        edge[second] |= differ & ~first_nearer
    return edge.reshape(-1)


def _resample(rgba, size):
    """Premultiplied canvas -> ``size`` x ``size``: box filter, or nearest when the canvas is
    coarser than the output (only when the fragment budget forced a coarse canvas)."""
    canvas = rgba.shape[0]
    if canvas >= size and canvas % size == 0:
        s = canvas // size
        blocks = rgba.reshape(size, s, size, s, 4)
        # The block's pixels summed one by one in row order: for blocks of 2 x 2 (SUPERSAMPLE)
        # the order ``mean(axis=(1, 3))`` sums in, so the same bits, several times faster.
        total = blocks[:, 0, :, 0].copy()
        for row, column in itertools.product(range(s), range(s)):
            if row or column:
                total += blocks[:, row, :, column]
        return total / (s * s)
    pick = (np.arange(size) * canvas) // size
    return rgba[pick][:, pick]


def _encode(rgba, background) -> bytes:
    alpha = rgba[..., 3:4]
    with np.errstate(divide="ignore", invalid="ignore"):
        colour = np.where(alpha > 0, rgba[..., :3] / alpha, 0.0)  # premultiplied -> straight
    if background is not None:
        bg = np.asarray(background, np.float64) / 255.0
        bg_alpha = bg[3] if len(bg) == 4 else 1.0
        out_alpha = alpha + bg_alpha * (1.0 - alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            colour = np.where(
                out_alpha > 0,
                (colour * alpha + bg[:3] * bg_alpha * (1.0 - alpha)) / out_alpha,
                0.0,
            )
        alpha = out_alpha
    pixels = np.round(np.clip(np.concatenate([colour, alpha], axis=2), 0.0, 1.0) * 255.0)
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()
