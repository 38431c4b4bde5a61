"""FDM filament from the analysis' skin and wall areas and from the support interface layers.

This is the volume-based formula that prices analyses stored before the fine-layer table
(``fdm_layers``); the layer-based estimate is tested in ``test_fdm_layers.py``.
"""

import pytest

from odm_engine.mesh.geometry import analyse
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part

FDM = default_config().processes["FDM"]


@pytest.fixture(scope="module")
def block(meshgen):
    """A stored analysis of a solid 40 x 30 x 10 mm block (lying flat), without a layer table."""
    analysis = analyse(meshgen.part(meshgen.box((40.0, 30.0, 10.0)))).to_dict()
    return {key: value for key, value in analysis.items() if key != "fdm_layers"}


def filament(geometry):
    quote = quote_part(geometry, "FDM", "PLA", 1)
    return next(line for line in quote.breakdown if line.code == "material").inputs


def test_skin_and_wall_areas_drive_skins_and_perimeters(block):
    tilted = dict(block, skin_area_mm2=1000.0, wall_area_mm2=2000.0)
    inputs = filament(tilted)
    layers = FDM.top_layers + FDM.bottom_layers
    assert inputs["skins_mm3"] == pytest.approx(500.0 * layers * FDM.layer_height_mm)
    assert inputs["shells_mm3"] == pytest.approx(2000.0 * FDM.perimeters * FDM.line_width_mm)


def test_analyses_without_skin_and_wall_areas_fall_back_to_the_footprint(block):
    stored = {k: v for k, v in block.items() if k not in ("skin_area_mm2", "wall_area_mm2")}
    inputs = filament(stored)
    # Lying flat: top and bottom are the 40 x 30 footprint, the sides are walls.
    layers = FDM.top_layers + FDM.bottom_layers
    assert inputs["skins_mm3"] == pytest.approx(1200.0 * layers * FDM.layer_height_mm)
    assert inputs["shells_mm3"] == pytest.approx(1400.0 * FDM.perimeters * FDM.line_width_mm)


def test_overhangs_add_dense_interface_layers_to_the_supports(block):
    plain = filament(block)["support_mm3"]
    orientation = dict(block["orientation"], overhang_area_mm2=100.0)
    overhanging = filament(dict(block, orientation=orientation))["support_mm3"]
    interface = 100.0 * FDM.support_interface_layers * FDM.layer_height_mm
    assert overhanging - plain == pytest.approx(interface * FDM.support_interface_pct / 100)
