"""The layer-based FDM estimate: the fine-layer table of the analysis and its pricing."""

import dataclasses
import json
import math

import numpy as np
import pytest

from odm_engine.mesh.geometry import analyse
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part
from odm_engine.slicing import layers


@pytest.fixture(scope="module")
def frame(meshgen):
    """A 20 x 20 x 10 mm square frame with 4 mm walls (a 12 x 12 mm hole), voxels of 1 mm."""
    occupied = np.ones((20, 20, 10), dtype=bool)
    occupied[4:16, 4:16, :] = False
    return analyse(meshgen.part(meshgen.voxels(occupied)), fdm_layers=True).to_dict()


@pytest.fixture(scope="module")
def block(meshgen):
    return analyse(meshgen.part(meshgen.box((40.0, 30.0, 10.0))), fdm_layers=True).to_dict()


def test_the_table_holds_every_fine_layer_of_the_printed_part(frame):
    table = frame[layers.ANALYSIS_KEY]
    columns = layers.unpack(table)
    assert table["layers"] == round(frame["orientation"]["height_mm"] / layers.PITCH_MM)
    middle = table["layers"] // 2
    # Standing on its 20 x 20 face or lying on a side, a section is the frame's outline.
    area = columns["area_mm2"][middle]
    assert area == pytest.approx(frame["volume_mm3"] / frame["orientation"]["height_mm"])
    # Standing: an outline and its hole; lying: two separate walls.
    assert (columns["loops"][middle], columns["holes"][middle]) in ((2, 1), (2, 0))
    # Up- and down-facing surfaces, all slopes together, project onto the same area.
    up = sum(columns[name].sum() for name in layers.COLUMNS if name.startswith("up_mm2"))
    down = sum(columns[name].sum() for name in layers.COLUMNS if name.startswith("down_mm2"))
    assert up == pytest.approx(down)
    assert columns["support_mm2"].sum() == 0


def test_a_square_section_has_four_right_angle_corners(block):
    columns = layers.unpack(block[layers.ANALYSIS_KEY])
    middle = block[layers.ANALYSIS_KEY]["layers"] // 2
    # The voxel box's sides are split in triangles, but only its corners turn the contour.
    right_angles = np.searchsorted(layers.CORNER_EDGES_DEG, 90.0, side="right") - 1
    assert columns[f"corners_{right_angles}"][middle] == 4
    assert sum(columns[f"corners_{i}"][middle] for i in range(right_angles)) == 0
    assert columns["contour_mm"][middle] == pytest.approx(140.0)


def test_the_estimate_follows_the_profile_not_the_part(block):
    table = block[layers.ANALYSIS_KEY]
    mk4 = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA"))
    voron = layers.estimate(table, layers.FdmProfile.load("VORON350", "PLA"))
    assert mk4.layers == 50
    assert voron.print_time_s < mk4.print_time_s  # faster motion system, same toolpaths
    assert voron.material_g == pytest.approx(mk4.material_g)
    # The whole block is extruded once, at most: perimeters, skins and 15 % infill inside.
    volume = 40 * 30 * 10
    assert 0.25 * volume < mk4.extruded_mm3 < volume
    fine = layers.estimate(
        table,
        layers.FdmProfile.load("MK4", "PLA", {"layer_height": 0.1, "first_layer_height": 0.1}),
    )
    assert fine.layers == 100
    assert fine.print_time_s > 1.5 * mk4.print_time_s
    dense = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA", {"fill_density": "40%"}))
    assert dense.material_g > mk4.material_g


def test_a_thin_plate_is_solid_and_weighs_its_volume(meshgen):
    plate = analyse(meshgen.part(meshgen.box((60.0, 40.0, 1.0))), fdm_layers=True).to_dict()
    estimate = layers.estimate(plate[layers.ANALYSIS_KEY], layers.FdmProfile.load("MK4", "PLA"))
    assert estimate.layers == 5
    assert estimate.grams_by_feature["sparse_infill"] == 0
    assert estimate.extruded_mm3 == pytest.approx(60 * 40 * 1.0, rel=0.05)


def test_gyroid_infill_is_slower_than_its_nominal_speed():
    per_mm = layers.gyroid_seconds_per_mm(0.4, 0.15, 150.0, 3000.0, 8.0)
    assert per_mm > 1 / 150.0
    assert layers.gyroid_seconds_per_mm(0.4, 0.15, 150.0, 6000.0, 8.0) < per_mm


def test_quotes_price_from_the_stored_table_and_older_analyses_still_price(block):
    stored = json.loads(json.dumps(block))
    quote = quote_part(stored, "FDM", "PLA", 1)
    estimate = layers.estimate(stored[layers.ANALYSIS_KEY], layers.FdmProfile.load("MK4", "PLA"))
    assert quote.print_time_s == pytest.approx(estimate.print_time_s)
    assert quote.material_g == pytest.approx(estimate.extruded_mm3 / 1000 * 1.24)
    machine = next(line for line in quote.breakdown if line.code == "machine_time")
    assert "layer by layer" in machine.formula and machine.inputs["layers"] == 50
    older = {key: value for key, value in stored.items() if key != layers.ANALYSIS_KEY}
    legacy = quote_part(older, "FDM", "PLA", 1)
    assert (
        "volumetric_flow_mm3_s"
        in next(line for line in legacy.breakdown if line.code == "machine_time").inputs
    )
    assert math.isfinite(legacy.print_time_s)


def test_a_table_of_another_version_is_refused(block):
    table = dict(block[layers.ANALYSIS_KEY], version=99)
    with pytest.raises(ValueError, match="version"):
        layers.unpack(table)


def test_a_part_no_printer_takes_gets_no_table_and_prices_by_volume(meshgen):
    tower = analyse(
        meshgen.part(meshgen.box((1100.0, 1100.0, 1100.0)), unit="mm"), fdm_layers=True
    ).to_dict()
    assert tower[layers.ANALYSIS_KEY] is None
    quote = quote_part(tower, "FDM", "PLA", 1)
    machine = next(line for line in quote.breakdown if line.code == "machine_time")
    assert "volumetric_flow_mm3_s" in machine.inputs


def test_the_shops_layout_parameters_override_the_print_profile(block):
    config = default_config()
    denser = dataclasses.replace(config.processes["FDM"], infill_pct=60.0)
    edited = dataclasses.replace(config, processes={**config.processes, "FDM": denser})
    before = quote_part(block, "FDM", "PLA", 1, config=config)
    after = quote_part(block, "FDM", "PLA", 1, config=edited)
    assert after.material_g > before.material_g
