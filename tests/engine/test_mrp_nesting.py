"""2D nesting of footprints on plates, checked by an independent separating-axis test."""

import math

import numpy as np
import pytest

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part
from odm_engine.packing.nesting import (
    NestItem,
    PackingError,
    Plate,
    footprint_along,
    footprint_from_analysis,
    footprint_in,
    nest,
    polygon_area,
)

SQUARE_50 = [(0, 0), (50, 0), (50, 50), (0, 50)]


def _axes(polygon: np.ndarray) -> np.ndarray:
    edges = np.roll(polygon, -1, axis=0) - polygon
    return np.column_stack([-edges[:, 1], edges[:, 0]]) / np.linalg.norm(edges, axis=1)[:, None]


def separation(a: np.ndarray, b: np.ndarray) -> float:
    """Largest gap between the projections of two convex polygons over their edge normals.

    Negative when they overlap (by that much); for disjoint polygons it is a lower bound of their
    distance, and equal to it when the closest features are a vertex and an edge.
    """
    gaps = []
    for axis in np.vstack([_axes(a), _axes(b)]):
        pa, pb = a @ axis, b @ axis
        gaps.append(max(pb.min() - pa.max(), pa.min() - pb.max()))
    return max(gaps)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Distance between two disjoint convex polygons: closest vertex-to-edge pair, both ways."""

    def vertex_to_edges(points, polygon):
        start = polygon
        edge = np.roll(polygon, -1, axis=0) - polygon
        rel = points[:, None, :] - start[None]
        t = np.clip((rel * edge).sum(axis=2) / (edge * edge).sum(axis=1), 0, 1)
        return np.linalg.norm(rel - t[..., None] * edge, axis=2).min()

    return min(vertex_to_edges(a, b), vertex_to_edges(b, a))


def placed_outlines(result):
    return [p.outline for plate in result.plates for p in plate.placements]


def assert_valid(result, plate: Plate, outlines: dict):
    """Every placement inside the usable plate, apart by the spacing, where its numbers say."""
    low, high = plate.margin_mm, np.array([plate.width_mm, plate.depth_mm]) - plate.margin_mm
    for layout in result.plates:
        placed = layout.placements
        for placement in placed:
            theta = math.radians(placement.rotation_deg)
            turn = np.array(
                [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]]
            )
            expected = np.asarray(outlines[placement.key], dtype=float) @ turn.T
            expected += (placement.x, placement.y)
            assert np.allclose(np.sort(expected, axis=0), np.sort(placement.outline, axis=0))
            assert placement.outline.min() >= low - 1e-6
            assert np.all(placement.outline.max(axis=0) <= high + 1e-6)
        for i, first in enumerate(placed):
            for second in placed[i + 1 :]:
                gap = separation(first.outline, second.outline)
                assert gap > -1e-6, f"{first.key} overlaps {second.key} by {-gap:.4f} mm"
                if plate.spacing_mm:
                    assert distance(first.outline, second.outline) >= plate.spacing_mm - 1e-6


def random_convex(rng, corners: int, radius: float) -> np.ndarray:
    angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
    stretch = rng.uniform(0.5, 1.5, 2)
    return np.column_stack([np.cos(angles), np.sin(angles)]) * radius * stretch


def test_separating_axis_check_sees_overlap_and_touching():
    square = np.array(SQUARE_50, dtype=float)
    assert separation(square, square + np.array([49, 0])) == pytest.approx(-1.0)
    assert separation(square, square + np.array([50, 0])) == pytest.approx(0.0)
    assert distance(square, square + np.array([53, 4])) == pytest.approx(3.0)


def test_four_squares_fill_a_plate_exactly():
    result = nest([NestItem("square", SQUARE_50, 4)], Plate(100, 100))
    assert len(result.plates) == 1 and not result.unfitted
    assert result.plates[0].utilisation == pytest.approx(1.0)
    corners = sorted(
        (round(p.outline[:, 0].min()), round(p.outline[:, 1].min()))
        for p in result.plates[0].placements
    )
    assert corners == [(0, 0), (0, 50), (50, 0), (50, 50)]
    assert_valid(result, Plate(100, 100), {"square": SQUARE_50})


def test_a_fifth_square_opens_a_second_plate():
    result = nest([NestItem("square", SQUARE_50, 5)], Plate(100, 100))
    assert [len(plate.placements) for plate in result.plates] == [4, 1]
    assert result.plates[1].utilisation == pytest.approx(0.25)


def test_triangles_nest_tighter_than_their_bounding_boxes():
    triangle = [(0, 0), (100, 0), (0, 100)]
    plate = Plate(100, 100)
    result = nest([NestItem("triangle", triangle, 2)], plate)
    assert len(result.plates) == 1
    assert result.plates[0].utilisation == pytest.approx(1.0)
    assert {p.rotation_deg for p in result.plates[0].placements} == {0.0, 180.0}
    assert_valid(result, plate, {"triangle": triangle})
    boxes = nest([NestItem("box", [(0, 0), (100, 0), (100, 100), (0, 100)], 2)], plate)
    assert len(boxes.plates) == 2


def test_hexagons_interlock_in_rows():
    # Pointy hexagons (circumradius r, width sqrt(3) r): two rows of four fit 4.5 sqrt(3) r by
    # 3.5 r when the second row sits in the valleys of the first; their boxes need 4 r of depth.
    r = 10.0
    hexagon = [(r * math.cos(t), r * math.sin(t)) for t in np.radians(np.arange(30, 390, 60))]
    plate = Plate(4.5 * math.sqrt(3) * r + 0.01, 3.5 * r + 0.01)
    result = nest([NestItem("hex", hexagon, 8)], plate, rotation_step_deg=60)
    assert len(result.plates) == 1
    assert_valid(result, plate, {"hex": hexagon})
    assert result.plates[0].utilisation == pytest.approx(
        8 * 1.5 * math.sqrt(3) * r**2 / (plate.usable_area_mm2), rel=1e-3
    )


def test_item_larger_than_the_plate_is_reported_and_others_still_placed():
    result = nest(
        [NestItem("big", [(0, 0), (300, 0), (300, 20), (0, 20)]), NestItem("small", SQUARE_50)],
        Plate(250, 210, margin_mm=5),
    )
    assert [miss.key for miss in result.unfitted] == ["big"]
    assert "300.0 x 20.0 mm does not fit the usable plate 240 x 200 mm" in result.unfitted[0].reason
    assert [p.key for p in result.plates[0].placements] == ["small"]


def test_long_part_fits_only_turned():
    bar = [(0, 0), (20, 0), (20, 180), (0, 180)]
    result = nest([NestItem("bar", bar)], Plate(200, 100))
    (placement,) = result.plates[0].placements
    assert placement.rotation_deg in (90.0, 270.0)
    assert_valid(result, Plate(200, 100), {"bar": bar})


def test_spacing_and_margin_are_kept_on_a_crowded_plate():
    rng = np.random.default_rng(7)
    outlines = {f"part{k}": random_convex(rng, int(rng.integers(5, 40)), 15) for k in range(30)}
    plate = Plate(200, 150, margin_mm=4, spacing_mm=3)
    result = nest([NestItem(key, outline, 2) for key, outline in outlines.items()], plate)
    assert sum(len(layout.placements) for layout in result.plates) == 60
    assert len(result.plates) >= 2
    assert_valid(result, plate, outlines)
    total = sum(polygon_area(o) for o in placed_outlines(result))
    assert sum(layout.area_mm2 for layout in result.plates) == pytest.approx(total)
    for layout in result.plates:
        assert layout.utilisation == pytest.approx(layout.area_mm2 / (192 * 142))


def test_zero_spacing_polygons_touch_but_never_overlap():
    rng = np.random.default_rng(3)
    outlines = {k: random_convex(rng, int(rng.integers(3, 60)), 20) for k in range(40)}
    plate = Plate(250, 210)
    result = nest([NestItem(key, outline) for key, outline in outlines.items()], plate)
    assert_valid(result, plate, outlines)
    assert result.plates[0].utilisation > 0.6


def test_nesting_is_deterministic():
    rng = np.random.default_rng(11)
    items = [NestItem(k, random_convex(rng, 12, 18), 3) for k in range(12)]
    first, second = nest(items, Plate(200, 200, 2, 2)), nest(items, Plate(200, 200, 2, 2))
    assert [
        (p.key, p.copy, p.x, p.y, p.rotation_deg) for lay in first.plates for p in lay.placements
    ] == [
        (p.key, p.copy, p.x, p.y, p.rotation_deg) for lay in second.plates for p in lay.placements
    ]


@pytest.mark.parametrize(
    ("outline", "message"),
    [
        ([(0, 0), (10, 10), (20, 20)], "no area"),
        ([(0, 0), (10, 0)], "at least three"),
        ([(0, 0), (10, 0), (float("nan"), 5)], "finite"),
        ("square", "must be a list of"),
    ],
)
def test_bad_footprints_are_refused_clearly(outline, message):
    with pytest.raises(PackingError, match=message):
        nest([NestItem("bad", outline)], Plate(100, 100))


def test_bad_plates_and_quantities_are_refused():
    with pytest.raises(PackingError, match="no usable area"):
        Plate(100, 100, margin_mm=50)
    with pytest.raises(PackingError, match="quantity"):
        nest([NestItem("none", SQUARE_50, 0)], Plate(100, 100))


def test_footprints_of_a_mesh(meshgen):
    triangles = meshgen.box((30, 20, 10))
    vertices = triangles.reshape(-1, 3)
    assert polygon_area(footprint_along(vertices, (0, 0, 1))) == pytest.approx(600)
    assert polygon_area(footprint_along(vertices, (1, 0, 0))) == pytest.approx(200)
    on_side = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]])  # machine X, Y, Z in part axes
    assert np.ptp(footprint_in(vertices, on_side), axis=0) == pytest.approx([30, 10])
    analysis = analyse(meshgen.part(triangles)).to_dict()
    rectangle = footprint_from_analysis(analysis)
    assert polygon_area(rectangle) == pytest.approx(
        np.prod(analysis["orientation"]["footprint_mm"])
    )
    with pytest.raises(PackingError, match="no orientation footprint"):
        footprint_from_analysis({})


def test_real_parts_nest_without_overlap(corpus):
    outlines = {}
    for name in ("angle_block.STL", "idler_riser.STL", "plate_holes.STL", "torus.STL"):
        part = load_part(corpus / name)
        outlines[name] = footprint_along(part.vertices, (0, 0, 1))
    plate = Plate(250, 210, margin_mm=5, spacing_mm=2)
    result = nest([NestItem(name, outline, 6) for name, outline in outlines.items()], plate)
    placed = sum(len(layout.placements) for layout in result.plates) + sum(
        miss.quantity for miss in result.unfitted
    )
    assert placed == 24
    assert_valid(result, plate, outlines)
