"""SLA quotes priced layer by layer from the analysis's SLA layer table, or from the slicer.

The analysis stores what ``sla_layers`` needs of the mesh (section areas, support geometry);
the SLA cost model prices from it, from slicer figures when given, and from its volume formula
for analyses stored before the table.
"""

import shutil

import numpy as np
import pytest
import trimesh

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part
from odm_engine.slicing import precise, sla_layers, slicer

needs_slicer = pytest.mark.skipif(
    shutil.which(slicer.SLICER_EXECUTABLE) is None, reason="prusa-slicer is not on PATH"
)


def _part(mesh: trimesh.Trimesh, name: str = "part.stl"):
    return load_part(trimesh.exchange.stl.export_stl(mesh), name, unit="mm")


def _analysed(mesh: trimesh.Trimesh) -> dict:
    return analyse(_part(mesh), sla_layers=True).to_dict()


def _item(quote, code):
    (found,) = [line for line in quote.breakdown if line.code == code]
    return found


@pytest.fixture(scope="module")
def config():
    return default_config()


@pytest.fixture(scope="module")
def ring():
    """A ring 80 mm across: its footprint is sectioned, its sections exceed no fill limit."""
    return trimesh.creation.annulus(r_min=30, r_max=40, height=12)


def test_analysis_stores_a_table_that_estimates_as_the_mesh_does(ring):
    analysis = _analysed(ring)
    table = analysis[sla_layers.ANALYSIS_KEY]
    assert table["version"] == sla_layers.TABLE_VERSION and table["areas"] is not None
    profile = sla_layers.SlaProfile.load()
    rotation = analysis["orientation"]["rotation"]
    turned = ring.vertices @ np.asarray(rotation).T
    exact = sla_layers.estimate(turned, ring.faces, profile)
    tabled = sla_layers.estimate_from_table(table, profile)
    assert tabled.layers == exact.layers
    assert tabled.print_time_s == pytest.approx(exact.print_time_s, rel=1e-3)
    assert tabled.resin_ml == pytest.approx(exact.resin_ml, rel=1e-3)
    assert tabled.support_points == exact.support_points


def test_large_flat_part_is_sectioned_and_tilts_slowly():
    slab = trimesh.creation.box(extents=(120, 75, 2))
    table = sla_layers.layer_table(slab.vertices, slab.faces, np.eye(3))
    estimate = sla_layers.estimate_from_table(table, sla_layers.SlaProfile.load())
    exact = sla_layers.estimate(slab.vertices, slab.faces, sla_layers.SlaProfile.load())
    assert estimate.slow_layers == exact.slow_layers >= 40
    assert estimate.print_time_s == pytest.approx(exact.print_time_s, rel=1e-6)


def test_small_part_is_not_sectioned():
    cube = trimesh.creation.box(extents=(10, 10, 10))
    table = sla_layers.layer_table(cube.vertices, cube.faces, np.eye(3))
    assert table["areas"] is None
    estimate = sla_layers.estimate_from_table(table, sla_layers.SlaProfile.load())
    assert estimate.slow_layers == 0 and estimate.layers == 320


def test_sla_quote_prices_from_the_layer_table(ring, config):
    analysis = _analysed(ring)
    quote = quote_part(analysis, "SLA", "RESIN-TGH", 1, config=config)
    estimate = sla_layers.estimate_from_table(
        analysis[sla_layers.ANALYSIS_KEY], sla_layers.SlaProfile.load()
    )
    material, machine = _item(quote, "material"), _item(quote, "machine_time")
    assert "layer by layer, profile SL1S/RESIN-TGH" in material.formula
    assert "layer by layer, profile SL1S/RESIN-TGH" in machine.formula
    assert "pad" in material.label
    assert quote.print_time_s == pytest.approx(estimate.print_time_s)
    density = config.materials["RESIN-TGH"].density_g_cm3
    assert quote.material_g == pytest.approx(estimate.resin_ml * density)
    # Without the table (an analysis stored before it) the volume formula prices the part.
    old = {key: value for key, value in analysis.items() if key != sla_layers.ANALYSIS_KEY}
    formula = quote_part(old, "SLA", "RESIN-TGH", 1, config=config)
    assert "layer_exposure_s" in _item(formula, "machine_time").formula
    assert formula.print_time_s != pytest.approx(quote.print_time_s, rel=0.01)
    # Another table version is not read: the formula again.
    stale = {**analysis, sla_layers.ANALYSIS_KEY: {**analysis["sla_layers"], "version": 0}}
    assert quote_part(stale, "SLA", "RESIN-TGH", 1, config=config).unit_price == pytest.approx(
        formula.unit_price
    )


def test_sla_platform_time_is_shared_but_print_time_is_one_parts(ring, config):
    analysis = _analysed(ring)
    one = quote_part(analysis, "SLA", "RESIN-TGH", 1, config=config)
    two = quote_part(analysis, "SLA", "RESIN-TGH", 2, config=config)
    assert two.print_time_s == pytest.approx(one.print_time_s)
    assert two.batches == 1
    assert two.machine_time_s == pytest.approx(one.print_time_s / 2)


def test_sla_quote_takes_the_slicers_figures(ring, config):
    analysis = _analysed(ring)
    measured = {"print_time_s": 3600.0, "material_g": 20.0}
    quote = quote_part(analysis, "SLA", "RESIN-TGH", 1, config=config, measured=measured)
    material, machine = _item(quote, "material"), _item(quote, "machine_time")
    price = config.materials["RESIN-TGH"].price_per_kg
    assert material.amount == pytest.approx(20.0 * price / 1000)
    assert "from the slicer" in material.formula and "(sliced)" in material.label
    rate = config.machines[quote.machine].rate_per_hour
    assert machine.amount == pytest.approx(rate)
    assert "from the slicer" in machine.formula
    assert quote.print_time_s == 3600.0 and quote.material_g == 20.0


def test_sla_band_comes_from_the_sla_benchmark():
    ranges = precise.estimate_band(
        {"print_time_s": 1000.0, "material_g": 10.0}, {}, {}, layered=True, technology="sla"
    )
    band = precise.PRIOR_BAND["sla"]
    assert ranges["print_time_s"]["high"] == pytest.approx(1000 * (1 + band["print_time_s"]))
    assert ranges["material_g"]["low"] == pytest.approx(10 / (1 + band["material_g"]))
    formula = precise.estimate_band({"print_time_s": 1000.0}, {}, {}, False, "sla")
    assert formula["print_time_s"]["high"] == pytest.approx(
        1000 * (1 + precise.FORMULA_BAND["sla"]["print_time_s"])
    )
    # A process with slices of its own is held to its measured band.
    measured = precise.estimate_band(
        {"material_g": 10.0}, {}, {"material_g": {"relative": 0.5, "samples": 4}}, True, "sla"
    )
    assert measured["material_g"]["basis"] == "slices"


def test_sla_slice_is_measured_as_resin():
    sliced = {"print_time_s": 900.0, "resin_ml": 5.0, "resin_g": 5.6}
    assert precise.measured_figures(sliced) == {"print_time_s": 900.0, "material_g": 5.6}


@needs_slicer
def test_sla_part_is_sliced_as_estimated_and_priced_from_it(config):
    block = trimesh.creation.box(extents=(12, 8, 4))
    part = _part(block)
    analysis = analyse(part, sla_layers=True).to_dict()
    sliced = precise.slice_as_estimated(
        part, analysis, "RESIN-TGH", printers=precise.DEFAULT_SLA_PRINTERS, technology="sla"
    )
    assert sliced.printer == "SL1S"
    estimate = quote_part(analysis, "SLA", "RESIN-TGH", 1, config=config)
    assert estimate.print_time_s == pytest.approx(sliced.print_time_s, rel=0.02)
    priced = quote_part(
        analysis,
        "SLA",
        "RESIN-TGH",
        1,
        config=config,
        measured=precise.measured_figures(sliced.to_dict()),
    )
    assert priced.print_time_s == sliced.print_time_s
    rotation = analysis["orientation"]["rotation"]
    key = precise.slice_key("sha", rotation, "RESIN-TGH", ["SL1S"], technology="sla")
    assert key != precise.slice_key("sha", rotation, "PLA", ["MK4"])
    # A resin without its own profile is sliced with the default one, but stored apart.
    other = precise.slice_key(
        "sha", rotation, "RESIN-STD", ["SL1S"], technology="sla", profile_material="RESIN-TGH"
    )
    assert other != key
