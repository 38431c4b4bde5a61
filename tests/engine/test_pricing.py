"""Process cost models, commercial rules and process comparison, against hand-computed figures."""

import dataclasses
import json
import math
import re
import textwrap
from pathlib import Path

import pytest

from odm_engine.pricing import params
from odm_engine.pricing.costing import DfmIssue
from odm_engine.pricing.defaults import default_config, load_config
from odm_engine.pricing.params import (
    PROCESS_TECHNOLOGIES,
    ConfigError,
    Finish,
    LeadTimeTier,
    MachineRate,
    Margin,
    Material,
    QuantityBreak,
    QuoteError,
)
from odm_engine.pricing.processes import MODELS
from odm_engine.pricing.quote import compare_processes, quote_part

DOCS = Path(__file__).resolve().parents[2] / "docs" / "quoting.md"
needs_toml = pytest.mark.skipif(params.tomllib is None, reason="TOML needs Python 3.11+")


def box(x=20.0, y=20.0, z=20.0, **overrides):
    """The analysis mapping of a solid x*y*z box lying flat, as ``Analysis.to_dict()``."""
    geometry = {
        "unit": "mm",
        "unit_inferred": False,
        "unit_reason": "test",
        "volume_mm3": x * y * z,
        "area_mm2": 2 * (x * y + y * z + x * z),
        "bbox_mm": [x, y, z],
        "obb_mm": sorted([x, y, z], reverse=True),
        "hull_volume_mm3": x * y * z,
        "bodies": 1,
        "triangles": 12,
        "watertight": True,
        "repairs": [],
        "min_wall_mm": min(x, y, z),
        "thin_area_mm2": 0.0,
        "thin_area_by_threshold_mm2": {"0.5": 0.0, "0.8": 0.0, "1": 0.0},
        "overhang_area_mm2": 0.0,
        "support_volume_mm3": 0.0,
        "orientation": {
            "rotation": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            "build_direction": [0, 0, 1],
            "height_mm": z,
            "footprint_mm": [x, y],
            "support_volume_mm3": 0.0,
            "overhang_area_mm2": 0.0,
        },
        "projected_area_mm2": x * y,
        "undercut_area_mm2": 0.0,
        "cnc": {
            "setups": 2,
            "inaccessible_area_mm2": 0.0,
            "deep_pocket_ratio": 0.0,
            "sharp_inner_edges": 0,
            "sharp_inner_edge_length_mm": 0.0,
        },
        "dfm": [],
    }
    geometry.update(overrides)
    return geometry


def item(quote, code):
    matches = [line for line in quote.breakdown if line.code == code]
    assert len(matches) == 1, f"{code} not exactly once in {[i.code for i in quote.breakdown]}"
    return matches[0]


def codes(quote):
    return {issue.code: issue.severity for issue in quote.dfm}


ROUND_FDM = {
    "processes": {
        "FDM": {
            "perimeters": 2,
            "line_width_mm": 0.5,
            "top_layers": 4,
            "bottom_layers": 3,
            "layer_height_mm": 0.2,
            "infill_pct": 20,
            "support_density_pct": 10,
            "volumetric_flow_mm3_s": 5,
            "layer_overhead_s": 2,
            "support_removal_min_per_cm3": 0.5,
        }
    }
}


@pytest.fixture(scope="module")
def config():
    return default_config()


@pytest.fixture(scope="module")
def fdm_config(config):
    return config.with_overrides(ROUND_FDM)


# --- FDM -------------------------------------------------------------------------------------


def test_fdm_cube_filament_and_print_time_from_shells_skins_and_infill(fdm_config):
    quote = quote_part(box(), "FDM", "PLA", 1, config=fdm_config)
    # Sides 4 * 20 * 20 = 1600 mm² get 2 perimeters of 0.5 mm; top + bottom (400 mm² each) get
    # 4 + 3 layers of 0.2 mm; 20 % of the rest is infill.
    walls = 1600 * 2 * 0.5
    skins = 400 * (4 + 3) * 0.2
    infill = (8000 - walls - skins) * 0.20
    extruded = walls + skins + infill
    assert extruded == pytest.approx(3328.0)
    assert quote.material_g == pytest.approx(3.328 * 1.24)
    assert item(quote, "material").amount == pytest.approx(3.328 * 1.24 * 25 / 1000)
    # 100 layers of 0.2 mm, 5 mm³/s and 2 s per layer.
    assert quote.print_time_s == pytest.approx(3328 / 5 + 100 * 2)
    assert item(quote, "machine_time").amount == pytest.approx(865.6 / 3600 * 3.5)
    assert quote.machine == "prusa_mk4s"


def test_fdm_thin_plate_is_printed_solid(fdm_config):
    quote = quote_part(box(50, 50, 1), "FDM", "PLA", 1, config=fdm_config)
    # Shells (200 mm² * 2 * 0.5) and skins (2500 * 7 * 0.2) exceed the 2500 mm³ of the part.
    assert quote.material_g == pytest.approx(2.5 * 1.24)
    assert item(quote, "material").inputs["infill_mm3"] == 0


def test_fdm_supports_cost_material_and_removal(fdm_config):
    plain = quote_part(box(), "FDM", "PLA", 1, config=fdm_config)
    orientation = dict(box()["orientation"], support_volume_mm3=5000.0)
    supported = quote_part(box(orientation=orientation), "FDM", "PLA", 1, config=fdm_config)
    assert supported.material_g - plain.material_g == pytest.approx(0.5 * 1.24)  # 10 % of 5 cm³
    assert item(supported, "support_removal").amount == pytest.approx(5 * 0.5 / 60 * 35)
    assert "support_removal" not in {line.code for line in plain.breakdown}


def test_fdm_parts_share_plates_and_plate_setup(fdm_config):
    # MK4S bed 250 x 210 with 5 mm gaps: 10 x 8 cubes of 20 mm per plate.
    quote = quote_part(box(), "FDM", "PLA", 100, config=fdm_config)
    assert (quote.parts_per_batch, quote.batches) == (80, 2)
    assert item(quote, "plate_setup").amount == pytest.approx(2 * 5 / 60 * 35 / 100)


def test_slicer_measurements_replace_fdm_estimates(config):
    measured = {"print_time_s": 1200.0, "material_g": 5.0}
    quote = quote_part(box(), "FDM", "PLA", 1, config=config, measured=measured)
    assert quote.print_time_s == 1200.0
    assert quote.material_g == 5.0
    assert item(quote, "material").amount == pytest.approx(5.0 * 25 / 1000)
    assert item(quote, "machine_time").amount == pytest.approx(1200 / 3600 * 3.5)
    with pytest.raises(QuoteError, match="FDM and SLA only"):
        quote_part(box(), "SLS", config=config, measured=measured)


def test_large_part_moves_to_the_larger_printer(config):
    assert quote_part(box(300, 300, 100), "FDM", config=config).machine == "prusa_xl"


def test_too_tall_part_is_laid_down_to_fit(config):
    only_mk4s = config.with_overrides({"machines": {"prusa_xl": None}})
    quote = quote_part(box(100, 60, 240), "FDM", config=only_mk4s)
    assert codes(quote) == {"reoriented": "info"}
    assert not quote.fatal


# --- SLA -------------------------------------------------------------------------------------


def test_sla_layer_count_and_platform_sharing(config):
    form4_only = config.with_overrides({"machines": {"form4l": None}})
    single = quote_part(box(), "SLA", "RESIN-STD", 1, config=form4_only)
    machine = item(single, "machine_time")
    # (20 mm part + 5 mm on supports) / 0.05 mm = 500 layers of 2.5 s exposure + 3.5 s peel.
    assert machine.inputs["layers"] == 500
    assert single.print_time_s == pytest.approx(500 * 6.0)
    assert machine.amount == pytest.approx(3000 / 3600 * 8.0)
    # Form 4 platform 200 x 125 mm with 5 mm gaps: 8 x 5 cubes share one platform's time.
    full = quote_part(box(), "SLA", "RESIN-STD", 40, config=form4_only)
    assert (full.parts_per_batch, full.batches) == (40, 1)
    assert item(full, "machine_time").amount == pytest.approx(machine.amount / 40)
    assert quote_part(box(), "SLA", "RESIN-STD", 41, config=form4_only).batches == 2


def test_sla_resin_includes_supports(config):
    quote = quote_part(box(), "SLA", "RESIN-STD", 1, config=config)
    # 400 mm² footprint lifted 5 mm on 15 % dense supports.
    support_mm3 = 400 * 5 * 0.15
    assert quote.material_g == pytest.approx((8000 + support_mm3) / 1000 * 1.15)


# --- SLS / MJF -------------------------------------------------------------------------------


def test_sls_packing_share_build_time_and_powder(config):
    quote = quote_part(box(), "SLS", "PA12", 1, config=config)
    chamber = 340 * 340 * 600
    share = 8000 / (chamber * 0.35)
    build_s = 12 * 3600 + (600 / 0.1) * 27
    assert item(quote, "machine_time").inputs["share"] == pytest.approx(share)
    assert quote.print_time_s == pytest.approx(share * build_s)
    assert item(quote, "machine_time").amount == pytest.approx(share * build_s / 3600 * 45)
    # The part (8 cm³ of PA12) plus 50 % refresh of the loose powder in its share of the chamber.
    cake_g = (8000 / 0.35 - 8000) / 1000 * 0.45
    assert quote.material_g == pytest.approx(8 * 1.01 + 0.5 * cake_g)
    assert quote.parts_per_batch == math.floor(chamber * 0.35 / 8000)


def test_mjf_is_priced_with_its_own_parameters(config):
    sls = quote_part(box(), "SLS", config=config)
    mjf = quote_part(box(), "MJF", config=config)
    assert mjf.machine == "hp_5210"
    assert item(mjf, "material").inputs["refresh_pct"] == 20
    assert mjf.material_g < sls.material_g


# --- CNC -------------------------------------------------------------------------------------


def test_cnc_stock_removal_time_and_setups(config):
    quote = quote_part(box(), "CNC", "AL6061", 10, config=config)
    # Blank: 20 mm + 2 * 2.5 mm on every side = 25 mm cube of aluminium.
    assert quote.material_g == pytest.approx(25**3 / 1000 * 2.70)
    assert item(quote, "material").amount == pytest.approx(25**3 / 1000 * 2.70 * 9 / 1000)
    roughing_min = (25**3 - 8000) / 1000 / 40
    finishing_min = 2400 / 100 / 10
    assert item(quote, "machining").amount == pytest.approx(
        (roughing_min + finishing_min) / 60 * 70
    )
    assert quote.machine_time_s == pytest.approx((roughing_min + finishing_min + 2 * 1.5) * 60)
    assert item(quote, "machine_setup").amount == pytest.approx(2 * 20 / 60 * 70 / 10)
    assert item(quote, "programming").amount == pytest.approx((20 + 2 * 10) / 60 * 60 / 10)
    assert quote.print_time_s is None


def cnc_figures(**figures):
    return {**box()["cnc"], **figures}


def test_cnc_setups_come_from_the_geometry(config):
    two = quote_part(box(), "CNC", config=config)
    five = quote_part(box(cnc=cnc_figures(setups=5)), "CNC", config=config)
    assert item(five, "machine_setup").amount == pytest.approx(
        item(two, "machine_setup").amount * 5 / 2
    )


def test_cnc_deep_pockets_and_sharp_edges_are_surcharged_and_noted(config):
    cnc = cnc_figures(deep_pocket_ratio=6.0, sharp_inner_edges=4, sharp_inner_edge_length_mm=80.0)
    quote = quote_part(box(cnc=cnc), "CNC", config=config)
    machining = item(quote, "machining")
    cutting_min = machining.amount / 70 * 60
    assert item(quote, "deep_pocket").amount == pytest.approx(cutting_min * 0.30 / 60 * 70)
    # 80 mm of sharp edges at 0.05 min/mm.
    assert item(quote, "sharp_inner_edges").amount == pytest.approx(80 * 0.05 / 60 * 70)
    assert codes(quote) == {"deep_pocket": "warning", "sharp_inner_edges": "warning"}
    assert not quote.fatal


# --- Injection moulding ----------------------------------------------------------------------


def test_moulding_cooling_time_follows_the_square_of_the_wall(config):
    # A geometry whose equivalent wall 2·V/A is exactly 2 mm, then 4 mm.
    thin = quote_part(box(100, 100, 2, area_mm2=20000.0), "MOULDING", "ABS-IM", config=config)
    thick = quote_part(box(100, 100, 4, area_mm2=20000.0), "MOULDING", "ABS-IM", config=config)
    # ABS: diffusivity 0.09 mm²/s, melt 240 °C, mould 60 °C, ejection 90 °C.
    expected = 2.0**2 / (math.pi**2 * 0.09) * math.log(4 / math.pi * (240 - 60) / (90 - 60))
    assert item(thin, "machine_time").inputs["cooling_s"] == pytest.approx(expected)
    assert item(thick, "machine_time").inputs["cooling_s"] == pytest.approx(4 * expected)
    assert thin.machine_time_s == pytest.approx(expected + 10)


def test_mould_cost_from_projected_area_size_and_side_actions(config):
    geometry = box(100, 100, 2, undercut_area_mm2=700.0)
    one = quote_part(geometry, "MOULDING", config=config)
    # 3500 fixed + 100 cm² * 40 + 20 cm³ * 2 + 2 side actions (700 mm² / 600 mm² each) * 1200.
    assert item(one, "mould").amount == pytest.approx(3500 + 100 * 40 + 20 * 2 + 2 * 1200)
    hundred = quote_part(geometry, "MOULDING", quantity=100, config=config)
    assert item(hundred, "mould").amount == pytest.approx(9940 / 100)
    assert codes(one)["undercuts"] == "info"


def test_moulding_press_is_chosen_by_clamp_force(config):
    # 200 x 200 mm projected at 40 MPa * 1.2 needs 1920 kN: only the 350 t press has it.
    assert quote_part(box(200, 200, 3), "MOULDING", config=config).machine == "press_350t"
    huge = quote_part(box(480, 380, 3), "MOULDING", config=config)
    assert codes(huge)["clamp_force"] == "fatal"


def test_thick_moulded_part_is_warned(config):
    assert codes(quote_part(box(), "MOULDING", config=config))["thick_wall"] == "warning"


def test_moulding_break_even_exists_and_moves_with_mould_cost(config):
    geometry = box(60, 40, 2.5)
    processes = ["FDM", "MOULDING"]

    def break_even(settings):
        comparison = compare_processes(geometry, [1, 10, 100], settings, processes=processes)
        (even,) = comparison.break_evens
        assert (even.incumbent, even.challenger) == ("FDM", "MOULDING")
        return even.quantity

    quantity = break_even(config)
    below = quote_part(geometry, "MOULDING", quantity=quantity - 1, config=config).unit_price
    at = quote_part(geometry, "MOULDING", quantity=quantity, config=config).unit_price
    assert at <= quote_part(geometry, "FDM", quantity=quantity, config=config).unit_price
    assert below > quote_part(geometry, "FDM", quantity=quantity - 1, config=config).unit_price
    dearer_mould = config.with_overrides({"processes": {"MOULDING": {"mould_fixed_cost": 7000}}})
    assert break_even(dearer_mould) > quantity


# --- Commercial rules ------------------------------------------------------------------------


def test_quantity_breaks_lower_the_unit_price_monotonically(config):
    prices = [
        quote_part(box(), "FDM", quantity=q, config=config).unit_price
        for q in (1, 10, 50, 100, 500, 1000)
    ]
    assert prices == sorted(prices, reverse=True)
    assert len(set(prices)) == len(prices)
    discount = item(quote_part(box(), "FDM", quantity=120, config=config), "quantity_discount")
    assert discount.inputs["discount_pct"] == 10.0
    assert discount.label == "Quantity discount from 100 parts"


def test_process_specific_quantity_breaks_replace_the_general_ones(config):
    own = config.with_overrides(
        {
            "quantity_breaks": [
                {"min_quantity": 10, "discount_pct": 3},
                {"min_quantity": 5, "discount_pct": 20, "process": "CNC"},
            ]
        }
    )
    assert (
        item(quote_part(box(), "CNC", quantity=5, config=own), "quantity_discount").inputs[
            "discount_pct"
        ]
        == 20
    )
    assert "quantity_discount" not in {
        i.code for i in quote_part(box(), "FDM", quantity=5, config=own).breakdown
    }


def test_quantity_breaks_must_not_shrink(config):
    with pytest.raises(ConfigError, match="must grow"):
        config.with_overrides(
            {
                "quantity_breaks": [
                    {"min_quantity": 10, "discount_pct": 5},
                    {"min_quantity": 50, "discount_pct": 3},
                ]
            }
        )


def test_lead_time_tiers_trade_days_for_price(config):
    quote = quote_part(box(), "FDM", quantity=20, config=config)
    options = {option.tier: option for option in quote.lead_time_options}
    assert options["express"].days < options["standard"].days < options["economy"].days
    prices = [options[tier].unit_price for tier in ("express", "standard", "economy")]
    assert prices == sorted(prices, reverse=True)
    assert options["standard"].unit_price == quote.unit_price
    express = quote_part(box(), "FDM", quantity=20, config=config, lead_time="express")
    assert express.unit_price == pytest.approx(quote.unit_price * 1.5)
    assert item(express, "lead_time").amount == pytest.approx(quote.unit_price * 0.5)
    assert express.lead_time_days == options["express"].days


def test_faster_tier_may_not_be_cheaper(config):
    with pytest.raises(ConfigError, match="must not be cheaper"):
        config.with_overrides({"lead_time_tiers": {"express": {"price_factor": 0.8}}})


def test_lead_time_adds_production_days(config):
    quote = quote_part(box(), "FDM", quantity=1000, config=config)
    # 3 base days + the order's print hours on a pool of 100 printer hours a day.
    production_days = math.ceil(1000 * quote.print_time_s / 3600 / 100)
    assert production_days > 1
    assert quote.lead_time_days == 3 + production_days


def test_minimum_order_value_lifts_a_small_order(config):
    quote = quote_part(box(), "FDM", quantity=1, config=config)
    assert item(quote, "minimum_order").amount > 0
    assert quote.total_price == pytest.approx(20.0)


def test_finish_is_priced_after_margin_and_adds_days(config):
    plain = quote_part(box(), "FDM", quantity=10, config=config)
    sanded = quote_part(box(), "FDM", quantity=10, finish="SAND", config=config)
    # 10 per order over 10 parts + 2 per part + 24 cm² at 0.04.
    assert item(sanded, "finish").amount == pytest.approx(1 + 2 + 24 * 0.04)
    assert item(sanded, "margin").amount == pytest.approx(item(plain, "margin").amount)
    assert sanded.lead_time_days == plain.lead_time_days + 1
    with pytest.raises(QuoteError, match="does not suit"):
        quote_part(box(), "CNC", "C45", finish="ANOD-II", config=config)
    with pytest.raises(QuoteError, match="not available"):
        quote_part(box(), "FDM", finish="ANOD-II", config=config)


@pytest.mark.parametrize("process", ["FDM", "SLA", "SLS", "MJF", "CNC", "MOULDING"])
@pytest.mark.parametrize("quantity", [1, 7, 250])
def test_breakdown_adds_up_and_explains_every_item(config, process, quantity):
    quote = quote_part(box(35, 25, 12), process, quantity=quantity, config=config)
    assert sum(line.amount for line in quote.breakdown) == pytest.approx(quote.unit_price)
    assert quote.total_price == pytest.approx(quote.unit_price * quantity)
    assert quote.unit_cost == pytest.approx(
        sum(
            line.amount
            for line in quote.breakdown
            if line.category not in ("margin", "finish", "discount", "minimum", "lead_time")
        )
    )
    for line in quote.breakdown:
        assert line.inputs, line.code
        for name in line.inputs:
            assert re.search(rf"\b{name}\b", line.formula), f"{line.code}: {name} not in formula"
    json.dumps(quote.to_dict())


# --- DFM -------------------------------------------------------------------------------------


def test_thin_wall_is_flagged_for_fdm_but_not_cnc(config):
    geometry = box(min_wall_mm=0.6, thin_area_by_threshold_mm2={"0.5": 0.0, "0.8": 150.0})
    fdm = quote_part(geometry, "FDM", config=config)
    assert codes(fdm)["thin_wall"] == "warning"
    assert "over 150 mm²" in fdm.dfm[0].message
    assert codes(quote_part(geometry, "CNC", config=config)) == {}
    too_thin = quote_part(box(min_wall_mm=0.3), "FDM", config=config)
    assert codes(too_thin)["wall_too_thin"] == "fatal"
    assert too_thin.fatal


def test_unknown_wall_thickness_is_said(config):
    assert codes(quote_part(box(min_wall_mm=None), "FDM", config=config)) == {
        "wall_not_checked": "info"
    }


def test_part_bigger_than_every_machine_is_fatal_but_priced(config):
    quote = quote_part(box(500, 500, 500), "FDM", config=config)
    assert codes(quote)["exceeds_envelope"] == "fatal"
    assert quote.machine == "prusa_xl"
    assert quote.unit_price > 0
    cnc = quote_part(box(500, 500, 500), "CNC", config=config)
    assert not cnc.fatal


def test_surface_out_of_reach_of_3_axis_milling_is_warned(config):
    quote = quote_part(box(cnc=cnc_figures(inaccessible_area_mm2=120.0)), "CNC", config=config)
    assert codes(quote) == {"inaccessible_surface": "warning"}
    assert "5 %" in quote.dfm[0].message  # 120 of 2400 mm²


def test_geometry_findings_are_kept_most_severe_first(config):
    geometry = box(
        min_wall_mm=0.6,
        dfm=[
            {"code": "repaired", "severity": "info", "message": "Holes filled."},
            {"code": "not_watertight", "severity": "fatal", "message": "Not closed."},
        ],
    )
    quote = quote_part(geometry, "FDM", config=config)
    assert [(issue.code, issue.severity) for issue in quote.dfm] == [
        ("not_watertight", "fatal"),
        ("thin_wall", "warning"),
        ("repaired", "info"),
    ]
    assert quote.fatal


def test_findings_say_who_they_are_meant_for(config):
    """How the shop makes a part is its own business: those findings stay internal."""
    geometry = box(
        dfm=[
            {"code": "repaired", "severity": "info", "message": "Holes filled."},
            {"code": "not_watertight", "severity": "fatal", "message": "Not closed."},
            {
                "code": "several_bodies",
                "severity": "warning",
                "message": "2",
                "audience": "internal",
            },
        ],
    )
    audiences = {
        issue.code: issue.audience for issue in quote_part(geometry, "FDM", config=config).dfm
    }
    assert audiences["repaired"] == "internal"
    assert audiences["not_watertight"] == "customer"
    assert audiences["several_bodies"] == "internal", "a producer's own choice is kept"
    with pytest.raises(ValueError, match="audience"):
        DfmIssue("x", "info", "y", audience="everyone")


# --- Comparison ------------------------------------------------------------------------------


def test_comparison_shows_the_cheapest_process_per_quantity(config):
    geometry = box(60, 40, 2.5)
    quantities = [1, 10, 100, 1000, 10000]
    comparison = compare_processes(geometry, quantities, config)
    assert set(comparison.quotes) == set(config.processes)
    for index, quantity in enumerate(quantities):
        prices = {code: quotes[index].unit_price for code, quotes in comparison.quotes.items()}
        assert comparison.cheapest[index] == min(prices, key=prices.get)
        assert all(quotes[index].quantity == quantity for quotes in comparison.quotes.values())
    assert comparison.cheapest[-1] == "MOULDING"
    first, *_, last = comparison.cheapest_from
    assert first == (1, comparison.cheapest[0])
    assert last[1] == "MOULDING"
    assert any(even.challenger == "MOULDING" for even in comparison.break_evens)
    json.dumps(comparison.to_dict())


def test_comparison_excludes_infeasible_processes_with_reasons(config):
    comparison = compare_processes(box(500, 500, 500), [1, 10], config)
    for process in ("FDM", "SLA", "MOULDING"):
        assert process in comparison.excluded
        assert process not in comparison.quotes
    assert "CNC" in comparison.quotes


# --- Requests and configuration --------------------------------------------------------------


def test_codes_are_case_insensitive(config):
    assert quote_part(box(), "fdm", "petg", config=config).material == "PETG"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("XYZ",), "unknown process 'XYZ'"),
        (("FDM", "AL6061"), "not available for FDM"),
        (("FDM", None, 0), "at least 1"),
        (("FDM", None, 2.5), "whole number"),
    ],
)
def test_invalid_requests_raise_quote_error(config, arguments, message):
    with pytest.raises(QuoteError, match=message):
        quote_part(box(), *arguments, config=config)


def test_incomplete_geometry_is_refused(config):
    geometry = box()
    del geometry["orientation"]
    with pytest.raises(QuoteError, match="orientation"):
        quote_part(geometry, "FDM", config=config)
    with pytest.raises(QuoteError, match="no volume"):
        quote_part(box(volume_mm3=0.0), "FDM", config=config)


@needs_toml
def test_config_file_overrides_json_and_toml(tmp_path, config):
    base = item(quote_part(box(), "FDM", config=config), "material").amount
    as_json = tmp_path / "prices.json"
    as_json.write_text(json.dumps({"materials": {"PLA": {"price_per_kg": 50}}}))
    as_toml = tmp_path / "prices.toml"
    as_toml.write_text('currency = "USD"\n[materials.PLA]\nprice_per_kg = 50\n')
    for path in (as_json, as_toml):
        quote = quote_part(box(), "FDM", config=load_config(path))
        assert item(quote, "material").amount == pytest.approx(2 * base)
    assert quote.currency == "USD"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"materials": {"PLA": {"price_per_kilo": 1}}}, "unknown field.*price_per_kilo"),
        ({"materials": {"PLA": {"density_g_cm3": -1}}}, "greater than 0"),
        ({"materials": {"PLA": {"density_g_cm3": "heavy"}}}, "must be a number"),
        ({"materials": {"PLA": None}}, "default_material 'PLA'"),
        ({"materials": {"NEW": {"name": "New"}}}, "missing"),
        ({"processes": {"FDM": {"perimeters": 2.5}}}, "whole number"),
        ({"processes": {"FDM": {"technology": "sla"}}}, "technology cannot change"),
        ({"processes": {"FAST": {"name": "Fast"}}}, "needs technology"),
        ({"machines": {"prusa_mk4s": {"process": "LASER"}}}, "unknown process 'LASER'"),
        ({"margins": [{"markup_pct": 30, "minimum_order_value": 0, "process": "CNC"}]}, "default"),
        ({"currency": "euro"}, "ISO 4217"),
        ({"surcharges": {}}, "unknown field.*surcharges"),
    ],
)
def test_bad_overrides_are_refused_by_name(config, overrides, message):
    with pytest.raises(ConfigError, match=message):
        config.with_overrides(overrides)


def test_unreadable_config_files_are_refused(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match=r"\.json or \.toml"):
        load_config(tmp_path / "prices.yaml")


def test_a_new_process_can_be_defined_in_config(config):
    fast = {
        name: value
        for name, value in dataclasses.asdict(config.processes["FDM"]).items()
        if name != "code"
    }
    custom = config.with_overrides(
        {
            "processes": {"FDM-FAST": {**fast, "technology": "fdm", "layer_height_mm": 0.3}},
            "materials": {"PLA": {"processes": ["FDM", "FDM-FAST"]}},
            "machines": {"prusa_mk4s": {"process": "FDM-FAST"}},
        }
    )
    normal = quote_part(box(), "FDM", config=custom)
    faster = quote_part(box(), "FDM-FAST", config=custom)
    assert faster.print_time_s < normal.print_time_s


def test_defaults_cover_every_technology_consistently(config):
    assert set(MODELS) == set(PROCESS_TECHNOLOGIES)
    assert {process.technology for process in config.processes.values()} == set(MODELS)
    for process in config.processes.values():
        assert config.machines_for(process.code)
        assert process.code in config.materials[process.default_material].processes
    assert config.materials["PLA"].density_g_cm3 == 1.24
    assert config.materials["RESIN-STD"].density_g_cm3 == 1.15
    assert config.materials["PA12"].density_g_cm3 == 1.01
    assert config.materials["AL6061"].density_g_cm3 == 2.70


def test_every_parameter_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    records = (
        *PROCESS_TECHNOLOGIES.values(),
        Material,
        MachineRate,
        Finish,
        QuantityBreak,
        LeadTimeTier,
        Margin,
    )
    missing = sorted(
        {
            f"{record.__name__}.{spec.name}"
            for record in records
            for spec in dataclasses.fields(record)
            if f"`{spec.name}`" not in text
        }
    )
    assert not missing, f"parameters missing from docs/quoting.md: {missing}"


def test_worked_example_in_the_docs_matches_the_engine(config):
    quote = quote_part(box(), "FDM", "PLA", 10, config=config)
    text = DOCS.read_text(encoding="utf-8")
    assert f"| **unit price** | **{quote.unit_price:.2f}** |" in text
    assert f"total {quote.total_price:.2f} EUR, {quote.lead_time_days} working days" in text


@needs_toml
def test_config_example_in_the_docs_is_valid(tmp_path):
    text = DOCS.read_text(encoding="utf-8")
    example = tmp_path / "example.toml"
    example.write_text(textwrap.dedent(re.search(r"```toml\n(.*?)```", text, re.DOTALL).group(1)))
    tuned = load_config(example)
    assert tuned.materials["PLA"].price_per_kg == 22.0
    assert tuned.machines["prusa_xl"].rate_per_hour == 5.5
    assert "form4l" not in tuned.machines
    assert [brk.min_quantity for brk in tuned.quantity_breaks] == [25]
