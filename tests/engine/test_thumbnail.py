"""The PNG thumbnail renderer: image format, framing, shading, occlusion, robustness, errors."""

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from odm_engine.mesh import thumbnail
from odm_engine.mesh.thumbnail import MARGIN, render_thumbnail

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "meshes"

# The 12 triangles of a unit cube, outward (counter-clockwise) winding.
CUBE_VERTICES = np.array(
    [[x, y, z] for x in (0.0, 1.0) for y in (0.0, 1.0) for z in (0.0, 1.0)]
)  # index = 4x + 2y + z
CUBE_FACES = np.array(
    [
        [0, 1, 3], [0, 3, 2],  # x = 0
        [4, 6, 7], [4, 7, 5],  # x = 1
        [0, 4, 5], [0, 5, 1],  # y = 0
        [2, 3, 7], [2, 7, 6],  # y = 1
        [0, 2, 6], [0, 6, 4],  # z = 0
        [1, 5, 7], [1, 7, 3],  # z = 1
    ]
)  # fmt: skip


def box(lo, hi):
    """Vertices and faces of an axis-aligned box from corner ``lo`` to corner ``hi``."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    return lo + CUBE_VERTICES * (hi - lo), CUBE_FACES.copy()


def merge(*meshes):
    vertices, faces, offset = [], [], 0
    for v, f in meshes:
        vertices.append(v)
        faces.append(f + offset)
        offset += len(v)
    return np.concatenate(vertices), np.concatenate(faces)


def decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    return np.asarray(image)


def towards_camera(azimuth=35.0, elevation=25.0):
    """Unit vector from the part towards the camera for a view (mirrors the documented angles)."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([math.sin(az) * math.cos(el), -math.cos(az) * math.cos(el), math.sin(el)])


def icosphere(subdivisions):
    trimesh = pytest.importorskip("trimesh")
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    return np.asarray(sphere.vertices), np.asarray(sphere.faces)


# ------------------------------------------------------------------------------- image basics


def test_png_has_requested_size_and_rgba_mode():
    for size in (16, 64, 256, 300):
        pixels = decode(render_thumbnail(CUBE_VERTICES, CUBE_FACES, size))
        assert pixels.shape == (size, size, 4)


def test_background_is_transparent_by_default_and_part_is_opaque():
    pixels = decode(render_thumbnail(CUBE_VERTICES, CUBE_FACES, 128))
    alpha = pixels[..., 3]
    for corner in (alpha[0, 0], alpha[0, -1], alpha[-1, 0], alpha[-1, -1]):
        assert corner == 0
    assert alpha[64, 64] == 255
    # The margin around the part is fully transparent.
    edge = round(128 * MARGIN) - 1
    assert not alpha[:edge].any() and not alpha[-edge:].any()
    assert not alpha[:, :edge].any() and not alpha[:, -edge:].any()


def test_given_background_fills_the_image():
    pixels = decode(render_thumbnail(CUBE_VERTICES, CUBE_FACES, 64, background=(255, 255, 255)))
    assert (pixels[..., 3] == 255).all()
    assert tuple(pixels[0, 0]) == (255, 255, 255, 255)
    assert tuple(pixels[32, 32, :3]) != (255, 255, 255)

    half = decode(render_thumbnail(CUBE_VERTICES, CUBE_FACES, 64, background=(0, 0, 255, 128)))
    assert tuple(half[0, 0]) == (0, 0, 255, 128)
    assert half[32, 32, 3] == 255


def test_part_colour_is_used():
    pixels = decode(render_thumbnail(CUBE_VERTICES, CUBE_FACES, 64, color=(200, 0, 0)))
    solid = pixels[pixels[..., 3] == 255]
    assert len(solid) > 0
    # Shading scales the colour (and lifts lit faces towards white): red stays dominant, G = B.
    assert (solid[:, 0] > solid[:, 1]).all()
    assert (solid[:, 1] == solid[:, 2]).all()


def test_output_is_deterministic():
    vertices, faces = icosphere(3)
    first = render_thumbnail(vertices, faces, 96)
    assert render_thumbnail(vertices.copy(), faces.copy(), 96) == first
    assert render_thumbnail(vertices, faces, 96) == first


# ----------------------------------------------------------------------------- view and fitting


def test_part_is_fitted_with_a_small_margin():
    """Whatever the part's scale and position, it fills the frame up to the margin."""
    size = 200
    for scale, offset in ((1.0, 0.0), (1000.0, -5e4), (1e-3, 7.0)):
        vertices = CUBE_VERTICES * scale + offset
        alpha = decode(render_thumbnail(vertices, CUBE_FACES, size))[..., 3]
        cols = np.flatnonzero(alpha.any(axis=0))
        rows = np.flatnonzero(alpha.any(axis=1))
        widest = max(cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
        assert abs(widest - size * (1 - 2 * MARGIN)) <= 2
        # Centred: the same free space left and right, top and bottom (±1 px).
        assert abs(cols[0] - (size - 1 - cols[-1])) <= 1
        assert abs(rows[0] - (size - 1 - rows[-1])) <= 1


def test_top_view_is_not_mirrored():
    """From above (elevation 90, azimuth 0) +X points right and +Y points up in the image."""
    # An L: a bar along X and a bar along Y meeting at the origin; the +X+Y quadrant stays empty.
    vertices, faces = merge(box((0, 0, 0), (3, 1, 1)), box((0, 0, 0), (1, 3, 1)))
    alpha = decode(render_thumbnail(vertices, faces, 90, view=(0, 90)))[..., 3]
    # 3 units fill 90 * (1 - 2 * MARGIN) = 79.2 px from 5.4 px: one unit is 26.4 px.
    assert alpha[62:80, 10:28].all()  # bottom left: the corner of the L
    assert alpha[62:80, 62:80].all()  # bottom right: the end of the X bar
    assert alpha[10:28, 10:28].all()  # top left: the end of the Y bar
    assert not alpha[:56, 36:].any()  # top right: empty


def test_cube_shows_three_distinct_shades():
    pixels = decode(render_thumbnail(CUBE_VERTICES, CUBE_FACES, 256))
    size = 256
    # With the default view (from the front right, above) the top face is above the centre, the
    # front (-Y) face lower left, the right (+X) face lower right.
    top = pixels[size // 2 - 60, size // 2]
    front = pixels[size // 2 + 40, size // 2 - 50]
    right = pixels[size // 2 + 40, size // 2 + 60]
    for sample in (top, front, right):
        assert sample[3] == 255

    def luma(p):
        return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]

    # Lit from above: top brightest, then front, then right, each step clearly visible.
    assert luma(top) - luma(front) >= 15
    assert luma(front) - luma(right) >= 10

    # Flat shading: the opaque pixels are essentially three colours, each a sizeable face.
    solid = pixels[pixels[..., 3] == 255][:, :3]
    colours, counts = np.unique(solid, axis=0, return_counts=True)
    biggest = colours[np.argsort(counts)[::-1][:3]]
    assert np.sort(counts)[::-1][:3].sum() >= 0.9 * len(solid)
    assert {tuple(c) for c in biggest} == {tuple(top[:3]), tuple(front[:3]), tuple(right[:3])}


def test_view_changes_the_picture():
    vertices, faces = merge(box((0, 0, 0), (3, 1, 1)), box((0, 0, 0), (1, 1, 2)))
    default = render_thumbnail(vertices, faces, 64)
    assert render_thumbnail(vertices, faces, 64, view=(35, 25)) == default
    assert render_thumbnail(vertices, faces, 64, view=(-60, 10)) != default
    assert render_thumbnail(vertices, faces, 64, view=(0, -90)) != default


# ------------------------------------------------------------------------------------ occlusion


def test_part_hidden_behind_another_is_not_drawn():
    """A small cube straight behind a big one along the view direction is invisible."""
    big = box((-1, -1, -1), (1, 1, 1))
    behind = box((-0.2, -0.2, -0.2), (0.2, 0.2, 0.2))
    behind = (behind[0] - 4.0 * towards_camera(), behind[1])
    alone = render_thumbnail(*big, 128)
    both = render_thumbnail(*merge(big, behind), 128)
    assert both == alone
    # The same placement, with the big cube listed second, still hides it (no painter's order).
    assert render_thumbnail(*merge(behind, big), 128) == alone


def test_part_in_front_of_another_is_drawn():
    """Control for the occlusion test: the same small cube in front of the big one shows."""
    big = box((-1, -1, -1), (1, 1, 1))
    front = box((-0.2, -0.2, -0.2), (0.2, 0.2, 0.2))
    front = (front[0] + 4.0 * towards_camera(), front[1])
    alone = decode(render_thumbnail(*big, 128))
    both = decode(render_thumbnail(*merge(front, big), 128))
    changed = np.abs(both.astype(int) - alone.astype(int)).max(axis=2) > 0
    # The small cube covers a patch in the middle of the picture, as wide as 0.2 / 1 of the big
    # cube's footprint about; the outline of the big cube does not move.
    assert 150 < changed.sum() < 1500
    rows, cols = np.nonzero(changed)
    assert abs(rows.mean() - 64) < 6 and abs(cols.mean() - 64) < 6
    assert (both[..., 3] == alone[..., 3]).all()


def test_concave_part_hides_its_own_back():
    """An L seen from the front right: the inner wall of the bar along Y hides the far bar."""
    vertices, faces = merge(box((0, 0, 0), (3, 1, 1)), box((0, 0, 0), (1, 3, 1)))
    first = decode(render_thumbnail(vertices, faces, 96))
    reordered = decode(render_thumbnail(vertices, faces[::-1], 96))
    # Face order may only break exact depth ties (coincident faces at the shared wall), which
    # a front view never shows: the pictures are the same.
    assert (first == reordered).all()


# --------------------------------------------------------------------------- robustness, scale


def test_inverted_and_inconsistent_winding_render_the_same():
    vertices, faces = icosphere(3)
    clean = render_thumbnail(vertices, faces, 96)
    assert render_thumbnail(vertices, faces[:, ::-1], 96) == clean
    flipped = faces.copy()
    flipped[::3] = flipped[::3, ::-1]
    assert render_thumbnail(vertices, flipped, 96) == clean
    cube = render_thumbnail(CUBE_VERTICES, CUBE_FACES, 96)
    assert render_thumbnail(CUBE_VERTICES, CUBE_FACES[:, ::-1], 96) == cube


def test_dense_mesh_renders_solid_without_holes():
    """~330k triangles, most smaller than a canvas pixel: the sphere is a solid, round disc."""
    vertices, faces = icosphere(7)
    size = 128
    alpha = decode(render_thumbnail(vertices, faces, size))[..., 3].astype(float)
    radius = size * (1 - 2 * MARGIN) / 2
    centre = (size - 1) / 2
    yy, xx = np.mgrid[0:size, 0:size]
    distance = np.hypot(xx - centre, yy - centre)
    assert (alpha[distance < radius - 1.5] == 255).all()
    assert (alpha[distance > radius + 1.5] == 0).all()
    # Antialiased rim: partly covered pixels exist, and the covered area matches the disc.
    assert ((alpha > 0) & (alpha < 255)).any()
    assert abs(alpha.sum() / 255 - math.pi * radius**2) < 0.01 * math.pi * radius**2


def test_open_sheet_of_many_triangles_has_no_cracks():
    """A single wavy sheet of ~40k irregular triangles: any crack between neighbours would show
    the transparent background through it."""
    rng = np.random.default_rng(7)
    n = 150
    grid = np.stack(np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n)), -1).reshape(-1, 2)
    inside = (grid > 0).all(axis=1) & (grid < 1).all(axis=1)
    grid[inside] += rng.normal(0, 0.2 / n, (inside.sum(), 2))
    height = 0.3 * np.sin(7 * grid[:, 0]) * np.cos(5 * grid[:, 1])
    vertices = np.column_stack([grid, height])
    index = np.arange(n * n).reshape(n, n)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    faces = np.concatenate([np.column_stack([a, b, d]), np.column_stack([a, d, c])])
    for size, view in ((96, (20, 60)), (256, (20, 60)), (256, (-30, 35))):
        alpha = decode(render_thumbnail(vertices, faces, size, view=view))[..., 3].astype(int)
        neighbours = np.minimum.reduce(
            [alpha[:-2, 1:-1], alpha[2:, 1:-1], alpha[1:-1, :-2], alpha[1:-1, 2:]]
        )
        assert not ((alpha[1:-1, 1:-1] < 255) & (neighbours == 255)).any()
        assert (alpha == 255).sum() > 0.2 * size * size


def test_unreferenced_vertices_do_not_move_the_framing():
    far = np.vstack([CUBE_VERTICES, [[100.0, 100.0, 100.0], [np.nan, 0.0, 0.0]]])
    assert render_thumbnail(far, CUBE_FACES, 64) == render_thumbnail(CUBE_VERTICES, CUBE_FACES, 64)


def test_flat_part_renders():
    """A sheet with no thickness (zero Z extent) is still a part."""
    vertices = np.array([[0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0]], float)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    alpha = decode(render_thumbnail(vertices, faces, 64))[..., 3]
    # Seen from 25° above, the 2 x 1 sheet is a thin parallelogram across the frame.
    cols = np.flatnonzero(alpha.any(axis=0))
    assert cols[-1] - cols[0] + 1 >= 64 * (1 - 2 * MARGIN) - 1
    assert (alpha == 255).sum() > 0.1 * 64 * 64


def test_fragment_budget_falls_back_to_a_coarser_canvas(monkeypatch):
    vertices, faces = icosphere(3)
    full = decode(render_thumbnail(vertices, faces, 64))[..., 3] > 0
    # This sphere needs about 37,000 fragments on the 128 px canvas, 14,000 on 64 and 6,600 on 32.
    for budget, tolerance in ((20_000, 0.05), (8_000, 0.1)):
        monkeypatch.setattr(thumbnail, "FRAGMENT_BUDGET", budget)
        coarse = decode(render_thumbnail(vertices, faces, 64))
        assert coarse.shape == (64, 64, 4)
        coverage = coarse[..., 3] > 0
        assert abs(int(coverage.sum()) - int(full.sum())) < tolerance * full.sum()
        assert not coarse[..., 3][:3].any()  # still framed with a margin

    monkeypatch.setattr(
        thumbnail, "FRAGMENT_BUDGET", 2_000
    )  # over even at 32 px: triangles dropped
    sampled = decode(render_thumbnail(vertices, faces, 64))
    assert sampled.shape == (64, 64, 4)
    assert 0 < (sampled[..., 3] > 0).sum() <= full.sum() * 1.1


# ------------------------------------------------------------------------------ corpus part


def test_corpus_part_renders_with_sane_coverage():
    trimesh = pytest.importorskip("trimesh")
    path = CORPUS / "20mm-xyz-cube.stl"
    if not path.is_file():
        pytest.skip(f"the shared mesh corpus is not available: no {path}")
    part = trimesh.load(path, force="mesh")
    pixels = decode(render_thumbnail(part.vertices, part.faces, 256))
    alpha = pixels[..., 3]
    coverage = (alpha > 0).mean()
    # A 20 mm cube in isometric view fills a hexagon: about 60 % of the frame with the margin.
    assert 0.45 < coverage < 0.75
    assert alpha[0, 0] == alpha[-1, -1] == 0
    # Its three visible faces (and the embossed letters) show several shades.
    solid = pixels[alpha == 255][:, :3]
    _, counts = np.unique(solid, axis=0, return_counts=True)
    assert (counts > 0.1 * len(solid)).sum() == 3


# ------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("vertices", "faces", "message"),
    [
        (np.zeros((0, 3)), np.zeros((0, 3), int), "empty"),
        (CUBE_VERTICES, np.zeros((0, 3), int), "empty"),
        (np.zeros((3, 2)), np.array([[0, 1, 2]]), r"\(n, 3\)"),
        (CUBE_VERTICES, np.array([0, 1, 2]), r"\(m, 3\)"),
        (CUBE_VERTICES, CUBE_FACES.astype(float), "integer"),
        (CUBE_VERTICES, CUBE_FACES + 1, "outside"),
        (CUBE_VERTICES, CUBE_FACES - 1, "outside"),
        (np.where(CUBE_VERTICES == 1.0, np.nan, 0.0), CUBE_FACES, "NaN"),
        (np.where(CUBE_VERTICES == 1.0, np.inf, 0.0), CUBE_FACES, "infinite"),
        (np.ones((8, 3)), CUBE_FACES, "zero-size bounding box"),
        (np.array([[0, 0, 0], [1, 1, 1], [2, 2, 2.0]]), np.array([[0, 1, 2]]), "degenerate"),
        ([["a", "b", "c"]], [[0, 0, 0]], "numbers"),
    ],
)
def test_degenerate_input_raises_value_error(vertices, faces, message):
    with pytest.raises(ValueError, match=message):
        render_thumbnail(vertices, faces)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size": 0}, "size"),
        ({"size": 10_000}, "size"),
        ({"size": 64.0}, "size"),
        ({"size": True}, "size"),
        ({"view": (35,)}, "view"),
        ({"view": (35, 100)}, "elevation"),
        ({"view": (np.nan, 25)}, "finite"),
        ({"color": (1, 2)}, "color"),
        ({"color": (0, 0, 256)}, "color"),
        ({"color": "purple"}, "color"),
        ({"background": (1, 2, 3, 4, 5)}, "background"),
    ],
)
def test_invalid_options_raise_value_error(options, message):
    with pytest.raises(ValueError, match=message):
        render_thumbnail(CUBE_VERTICES, CUBE_FACES, **options)
