"""The SLA estimate's pad is built as PrusaSlicer 2.5 builds it under the pillars.

PrusaSlicer's pad (``sla::Pad``, pad below the part) is not the part's outline: it is the
pillars' bases, joined to their common centre by connector triangles, closed by the brim and
grown by it, its edge sloping down at ``pad_wall_slope``. These figures hold the estimate to
that construction, worked out by hand for shapes whose pillars are known.
"""

import math

import numpy as np
import pytest
import trimesh

from odm_engine.slicing import sla_layers

# The shipped SL1S profile: pillar bases 3 mm across, brim 1.6 mm, pad 1 mm thick at 45 deg.
BASE_R, BRIM, THICKNESS = 1.5, 1.6, 1.0


@pytest.fixture(scope="module")
def profile():
    return sla_layers.SlaProfile.load()


def _rectangle_pad_ml(width: float, length: float) -> float:
    """Pad under pillars covering a width x length rectangle: the rectangle grown by the base
    radius and the brim on top, 1 mm less at the bottom, integrated over the thickness
    (Steiner's formula, exact for a convex outline)."""
    top = BASE_R + BRIM
    grows = np.linspace(top - THICKNESS, top, 2001)
    areas = width * length + 2 * (width + length) * grows + math.pi * grows**2
    return float(np.trapezoid(areas, grows)) / 1000


def _standing(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    mesh.apply_translation([0.0, 0.0, -mesh.bounds[0][2]])
    return mesh


def _pad_ml(mesh: trimesh.Trimesh, profile) -> float:
    return sla_layers.estimate(mesh.vertices, mesh.faces, profile).pad_ml


def test_pad_under_a_block_is_its_footprint_grown_by_base_and_brim(profile):
    block = _standing(trimesh.creation.box((10, 10, 5)))
    assert _pad_ml(block, profile) == pytest.approx(_rectangle_pad_ml(10, 10), rel=0.01)


def test_lying_cylinder_pad_follows_the_pillars_along_its_lowest_strip(profile):
    """PrusaSlicer holds a lying cylinder on pillars along the strip too flat to lean on
    anything (within 15 deg of horizontal); its sloped flanks lean on them, so the pad is that
    strip grown, not the outline of every downward face (6.6 mm wide here)."""
    rod = trimesh.creation.cylinder(radius=4, height=40, sections=64)
    rod.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, [0, 1, 0]))
    rod = _standing(rod)
    flat = -rod.face_normals[:, 2] > math.cos(math.radians(15))
    strip = np.ptp(rod.vertices[rod.faces[flat]][:, :, 1])
    assert strip < 2.5
    assert _pad_ml(rod, profile) == pytest.approx(_rectangle_pad_ml(strip, 40), rel=0.03)


def test_separate_bodies_get_separate_pads_joined_by_connectors(profile):
    """Two 6 mm cubes 40 mm apart: PrusaSlicer pads each and joins them by its connector
    triangles (a few mm wide) instead of padding the 46 mm outline of both."""
    one = _standing(trimesh.creation.box((6, 6, 6)))
    two = _standing(
        trimesh.util.concatenate(
            [one.copy(), one.copy().apply_translation([40.0, 0.0, 0.0])],
        )
    )
    single = _pad_ml(one, profile)
    assert single == pytest.approx(_rectangle_pad_ml(6, 6), rel=0.01)
    pair = _pad_ml(two, profile)
    # The connectors between the pads: 27.8 mm between the pads' edges, at most the cubes'
    # width plus the connector's and the brim's on either side.
    gap = 40 - 6 - 2 * (BASE_R + BRIM)
    assert 2 * single + 0.2 * gap * 6 * THICKNESS / 1000 < pair
    assert pair < 2 * single + gap * (6 + 2 * 1.0 + 2 * BRIM) * THICKNESS / 1000
    assert pair < 0.75 * _rectangle_pad_ml(46, 6)


def test_ring_pad_has_no_hole(profile):
    """The pad keeps only its outer contour: a standing tube's pad fills its bore."""
    tube = _standing(trimesh.creation.annulus(r_min=13, r_max=15, height=10, sections=128))
    top = BASE_R + BRIM
    grows = np.linspace(top - THICKNESS, top, 2001)
    disc = float(np.trapezoid(math.pi * (15 + grows) ** 2, grows)) / 1000
    assert _pad_ml(tube, profile) == pytest.approx(disc, rel=0.02)


@pytest.mark.parametrize(
    ("slope_deg", "new_columns"),
    [(30.0, 1), (10.0, 40)],
    ids=["leans_on_the_column_below", "too_flat_to_lean"],
)
def test_new_overhangs_are_where_no_neighbour_holds_a_pixel(slope_deg, new_columns):
    """A downward surface rising more steeply than 15 deg from horizontal leans on its lower
    neighbours (only its lowest line starts a new island); a flatter one hangs in the air."""
    pixel = 0.25
    rising = np.tile(np.arange(40) * pixel * math.tan(math.radians(slope_deg)), (12, 1))
    new = sla_layers._new_overhangs(rising, pixel)
    assert new.sum(axis=0).tolist() == [12] * new_columns + [0] * (40 - new_columns)


def test_table_keeps_the_footprint_and_estimates_the_pad_as_the_mesh_does(profile):
    rod = trimesh.creation.cylinder(radius=4, height=40, sections=64)
    rod.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, [0, 1, 0]))
    rod = _standing(rod)
    table = sla_layers.layer_table(rod.vertices, rod.faces, np.eye(3))
    assert table["version"] == sla_layers.TABLE_VERSION == 2
    geometry = sla_layers.SupportGeometry.from_dict(table["supports"])
    direct = sla_layers.SupportGeometry.of(
        rod.vertices, rod.faces, sla_layers._normals(rod.vertices[rod.faces]), 0.05
    )
    assert (geometry.footprint.held == direct.footprint.held).all()
    assert np.allclose(
        geometry.footprint.sloped_z, direct.footprint.sloped_z, atol=0.03, equal_nan=True
    )
    tabled = sla_layers.estimate_from_table(table, profile)
    assert tabled.pad_ml == pytest.approx(_pad_ml(rod, profile), rel=1e-3)


def _fanned_plate(side: float, triangles: int) -> np.ndarray:
    """Corners (n, 3, 3) of a flat side x side plate cut into a fan of long thin triangles from
    one corner, the other ends along the two far edges."""
    along = np.linspace(0.0, 1.0, triangles // 2 + 1)
    rim = np.concatenate(
        [
            np.stack([np.full_like(along, side), along * side], axis=1),
            np.stack([side - along[1:] * side, np.full_like(along[1:], side)], axis=1),
        ]
    )
    rim = np.hstack([rim, np.zeros((len(rim), 1))])
    return np.stack([np.zeros_like(rim[:-1]), rim[:-1], rim[1:]], axis=1)


def test_footprint_cost_follows_the_pixels_faces_cover_not_their_boxes():
    """A 100 mm plate cut into 500 long triangles spanning it covers each pixel once, as the
    plate's two triangles do: it keeps the fine pixel and gives the same raster (the cost is
    the rows each face crosses and the pixels it covers; their bounding boxes, up to 400 x 400
    pixels each, would add up to some 80 million tests)."""
    fan = _fanned_plate(100.0, 500)
    two = _fanned_plate(100.0, 2)
    held = np.ones(len(fan), dtype=bool)
    footprint = sla_layers.Footprint.of(fan, held)
    assert footprint.pixel_mm == sla_layers.FOOTPRINT_PIXEL_MM
    assert footprint.held.shape == (401, 401)
    plain = sla_layers.Footprint.of(two, np.ones(len(two), dtype=bool))
    assert (footprint.held == plain.held).all()
    # Every pixel centre inside the plate is held (the last row and column lie on its edge).
    assert footprint.held[:400, :400].all()


def test_footprint_of_slivers_is_coarsened_within_its_budget():
    """20,000 slivers each crossing a 100 mm part would cross 8 million rows of pixels: the
    pixel grows until the rows beyond one a sliver fit ``FOOTPRINT_MAX_EXTRA_SPANS``."""
    rng = np.random.default_rng(7)
    x = rng.uniform(0.0, 100.0, 20_000)
    corners = np.stack(
        [
            np.stack([x, np.zeros_like(x), np.zeros_like(x)], axis=1),
            np.stack([x + 0.01, np.zeros_like(x), np.zeros_like(x)], axis=1),
            np.stack([x, np.full_like(x, 100.0), np.full_like(x, 1.0)], axis=1),
        ],
        axis=1,
    )
    footprint = sla_layers.Footprint.of(corners, np.zeros(len(corners), dtype=bool))
    pixel = footprint.pixel_mm
    assert pixel > sla_layers.FOOTPRINT_PIXEL_MM
    rows_crossed = len(corners) * (math.floor(100.0 / pixel - 0.5) + 1)
    assert rows_crossed - len(corners) <= sla_layers.FOOTPRINT_MAX_EXTRA_SPANS
    assert footprint.sloped_z[~np.isnan(footprint.sloped_z)].max() <= 1.0


def test_pad_of_a_large_part_is_built_on_a_bounded_raster(profile, monkeypatch):
    """A 150 mm plate's pad is worked out on at most ``PAD_MAX_PIXELS`` pixels (blocks of the
    footprint's, 1 mm here), and still comes out as its outline grown by the base and the brim
    (within 2 %: each offset moves the pad's edge by whole pixels)."""
    plate = _standing(trimesh.creation.box((150, 150, 3)))
    sizes = []
    build = sla_layers._pillar_pad

    def measured(pillars, pixel, reach, profile):
        sizes.append(pillars.size)
        return build(pillars, pixel, reach, profile)

    monkeypatch.setattr(sla_layers, "_pillar_pad", measured)
    sla_layers._footprint_pad.cache_clear()
    assert _pad_ml(plate, profile) == pytest.approx(_rectangle_pad_ml(150, 150), rel=0.02)
    assert sizes and max(sizes) <= sla_layers.PAD_MAX_PIXELS
