"""3D packing of boxes in build chambers, checked by an independent overlap test."""

import itertools

import numpy as np
import pytest

from odm_engine.mesh.geometry import analyse
from odm_engine.packing.packing3d import BoxItem, Chamber, PackingError, box_from_analysis, pack


def assert_valid(result, chamber: Chamber, items: dict):
    """Boxes inside the usable chamber, pairwise apart by the spacing, each an item's box."""
    usable = np.array([chamber.x_mm, chamber.y_mm, chamber.z_mm]) - 2 * chamber.margin_mm
    for load in result.chambers:
        boxes = []
        for placement in load.placements:
            low, size = np.array(placement.position), np.array(placement.size)
            assert np.allclose(size, np.array(items[placement.key])[list(placement.axes)])
            assert np.all(low >= -1e-9) and np.all(low + size <= usable + 1e-6)
            boxes.append((low, low + size))
        for (low_a, high_a), (low_b, high_b) in itertools.combinations(boxes, 2):
            gaps = np.maximum(low_b - high_a, low_a - high_b)
            assert gaps.max() >= chamber.spacing_mm - 1e-6, "two boxes overlap or are too close"
        top = max(high[2] for _, high in boxes)
        assert load.build_height_mm == pytest.approx(top)


def test_eight_cubes_fill_a_chamber_exactly():
    chamber = Chamber(100, 100, 100)
    result = pack([BoxItem("cube", (50, 50, 50), 8)], chamber)
    assert len(result.chambers) == 1 and not result.unfitted
    (load,) = result.chambers
    assert load.build_height_mm == pytest.approx(100)
    assert load.density == pytest.approx(1.0)
    assert_valid(result, chamber, {"cube": (50, 50, 50)})


def test_floor_fills_before_the_build_grows():
    result = pack([BoxItem("slab", (50, 50, 20), 4)], Chamber(100, 100, 300))
    assert result.chambers[0].build_height_mm == pytest.approx(20)
    assert {p.position[2] for p in result.chambers[0].placements} == {0.0}


def test_a_ninth_cube_opens_a_second_run():
    result = pack([BoxItem("cube", (50, 50, 50), 9)], Chamber(100, 100, 100))
    assert [len(load.placements) for load in result.chambers] == [8, 1]
    assert result.chambers[1].density == pytest.approx(0.25)  # 50^3 over 100 x 100 x 50


def test_rod_stands_up_to_fit():
    chamber = Chamber(30, 30, 120)
    result = pack([BoxItem("rod", (100, 20, 20))], chamber)
    (placement,) = result.chambers[0].placements
    assert placement.size == (20.0, 20.0, 100.0)
    assert placement.axes[2] == 0  # the item's x axis points up
    stiff = pack([BoxItem("rod", (100, 20, 20), turnable=False)], chamber)
    assert not stiff.chambers
    assert "in any allowed orientation" in stiff.unfitted[0].reason


def test_box_too_large_is_reported_and_others_still_packed():
    result = pack(
        [BoxItem("huge", (400, 400, 50), 2), BoxItem("small", (10, 10, 10), 3)],
        Chamber(340, 340, 600, margin_mm=10),
    )
    assert [(miss.key, miss.quantity) for miss in result.unfitted] == [("huge", 2)]
    assert "320 x 320 x 580 mm" in result.unfitted[0].reason
    assert len(result.chambers[0].placements) == 3


def test_density_uses_the_real_part_volume():
    result = pack(
        [BoxItem("bracket", (100, 100, 50), 2, volume_mm3=125_000)], Chamber(100, 100, 300)
    )
    (load,) = result.chambers
    assert load.build_height_mm == pytest.approx(100)
    assert load.parts_volume_mm3 == pytest.approx(250_000)
    assert load.density == pytest.approx(0.25)


def test_spacing_and_margin_hold_among_random_boxes():
    rng = np.random.default_rng(5)
    items = {f"box{k}": tuple(rng.uniform(5, 90, 3).round(1)) for k in range(60)}
    chamber = Chamber(250, 250, 300, margin_mm=8, spacing_mm=4)
    result = pack([BoxItem(key, size, 3) for key, size in items.items()], chamber)
    assert sum(len(load.placements) for load in result.chambers) == 180
    assert_valid(result, chamber, items)
    for load in result.chambers:
        volume = sum(np.prod(p.size) for p in load.placements)
        assert load.density == pytest.approx(volume / (234 * 234 * load.build_height_mm))
    assert result.chambers[0].density > 0.4


def test_packing_is_deterministic():
    rng = np.random.default_rng(9)
    items = [BoxItem(k, tuple(rng.uniform(10, 60, 3)), 2) for k in range(20)]
    first, second = (
        pack(items, Chamber(200, 200, 200, 5, 2)),
        pack(items, Chamber(200, 200, 200, 5, 2)),
    )
    assert [load.placements for load in first.chambers] == [
        load.placements for load in second.chambers
    ]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (BoxItem("flat", (10, 0, 10)), "must be positive"),
        (BoxItem("short", (10, 10)), "three lengths"),
        (BoxItem("none", (10, 10, 10), 0), "quantity"),
        (BoxItem("dense", (10, 10, 10), volume_mm3=2000), "fit its box"),
    ],
)
def test_bad_boxes_are_refused_clearly(item, message):
    with pytest.raises(PackingError, match=message):
        pack([item], Chamber(100, 100, 100))


def test_chamber_without_room_is_refused():
    with pytest.raises(PackingError, match="no usable volume"):
        Chamber(100, 100, 100, margin_mm=50)


def test_box_from_a_stored_analysis(meshgen):
    analysis = analyse(meshgen.part(meshgen.box((40, 30, 10)))).to_dict()
    size, volume = box_from_analysis(analysis)
    assert sorted(size) == pytest.approx([10, 30, 40])
    assert volume == pytest.approx(12_000)
    with pytest.raises(PackingError, match="no oriented box"):
        box_from_analysis({"volume_mm3": 1})
