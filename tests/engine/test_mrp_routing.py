"""Quote to BoM arithmetic of odm_mrp: material per part and operation times, by hand and from
real quotes of the quoting engine."""

import math

import pytest

from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part
from odm_engine.scheduling.routing import (
    QuoteFigures,
    RoutingError,
    RoutingStep,
    cycle_minutes,
    order_minutes,
    quote_figures,
)
from tests.engine.shapes import box_analysis

FIGURES = QuoteFigures(quantity=10, material_g=40.0, scrap_pct=5.0, machine_min=90.0, setups=3)


def test_material_includes_scrap_on_top_of_quoted_grams():
    assert FIGURES.material_with_waste_g == pytest.approx(42.0)


@pytest.mark.parametrize(
    ("mode", "minutes", "expected"),
    [("order", 15, 15), ("part", 3, 30), ("machine", 0, 900), ("setup", 30, 90)],
)
def test_order_minutes_per_duration_mode(mode, minutes, expected):
    assert order_minutes(RoutingStep("step", mode, minutes), FIGURES) == pytest.approx(expected)


def test_cycle_time_gives_the_quoted_order_time_for_any_capacity():
    step = RoutingStep("Remove supports", "part", 3)
    for capacity in (1, 2, 3, 10, 25):
        cycles = math.ceil(FIGURES.quantity / capacity)
        assert cycles * cycle_minutes(step, FIGURES, capacity) == pytest.approx(30)


def test_bad_steps_and_capacities_are_refused():
    with pytest.raises(RoutingError, match="duration mode"):
        RoutingStep("Print", "hourly", 1)
    with pytest.raises(RoutingError, match="negative"):
        RoutingStep("Pack", "order", -1)
    with pytest.raises(RoutingError, match="capacity"):
        cycle_minutes(RoutingStep("Pack", "order", 5), FIGURES, 0)


def test_quote_without_production_figures_is_refused():
    with pytest.raises(RoutingError, match="lacks"):
        quote_figures({"quantity": 2}, {})
    with pytest.raises(RoutingError, match="not producible"):
        quote_figures({"quantity": 2, "material_g": 0, "machine_time_s": 60}, {})


def test_fdm_quote_gives_grams_with_supports_and_scrap_and_print_time():
    quote = quote_part(box_analysis(40, 30, 20), "FDM", "PLA", 8).to_dict()
    parameters = {"process": {"scrap_pct": default_config().process("FDM").scrap_pct}}
    figures = quote_figures(quote, parameters)
    assert figures.quantity == 8
    assert figures.material_g == pytest.approx(quote["material_g"])
    assert figures.material_with_waste_g == pytest.approx(
        quote["material_g"] * (1 + parameters["process"]["scrap_pct"] / 100)
    )
    assert figures.machine_min == pytest.approx(quote["print_time_s"] / 60)
    assert figures.setups == 1, "a printed part is loaded once"
    printing = RoutingStep("Print", "machine")
    assert order_minutes(printing, figures) == pytest.approx(quote["print_time_s"] / 60 * 8)


def test_cnc_quote_gives_its_setups():
    quote = quote_part(box_analysis(60, 40, 15), "CNC", "AL6061", 4).to_dict()
    setups = next(
        item["inputs"]["setups"] for item in quote["breakdown"] if item["code"] == "machine_setup"
    )
    figures = quote_figures(quote, {})
    assert figures.setups == setups >= 1
    assert figures.scrap_pct == 0.0, "no frozen parameters: no scrap added"
    assert order_minutes(RoutingStep("Setup", "setup", 30), figures) == 30 * setups
