"""Specifications (tolerance, threads, inserts, roughness, inspection): each one an explained
cost item from the process's parameters, review findings, and clear refusals of bad values."""

import math

import pytest

from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.params import ConfigError, QuoteError
from odm_engine.pricing.quote import quote_part
from odm_engine.pricing.specifications import Specification, iso_2768_tolerance
from tests.engine.test_pricing import box

CONFIG = default_config()
CNC = CONFIG.processes["CNC"]


def items(quote):
    return {item.code: item for item in quote.breakdown}


def quoted(specification, process="CNC", quantity=1, geometry=None):
    return quote_part(geometry or box(), process, quantity=quantity, specification=specification)


def test_iso_2768_table_by_size_and_class():
    assert iso_2768_tolerance("f", 20.0) == 0.1
    assert iso_2768_tolerance("m", 50.0) == 0.3
    assert iso_2768_tolerance("c", 120.0) == 0.8
    assert iso_2768_tolerance("v", 500.0) == 4.0
    # Open cells take the neighbouring class: v below 3 mm, f above 2 m.
    assert iso_2768_tolerance("v", 2.0) == 0.2
    assert iso_2768_tolerance("f", 3000.0) == 2.0


def test_no_specification_prices_as_before():
    plain = quote_part(box(), "CNC")
    assert quoted(None).unit_price == plain.unit_price
    assert quoted({}).unit_price == plain.unit_price


def test_threads_add_their_line_and_nothing_else():
    plain, threaded = quoted(None), quoted({"threads": [{"size": "M3", "count": 4}]})
    line = items(threaded)["threads_M3"]
    assert line.label == "4 x M3 threads"
    assert line.category == "surcharge"
    assert line.amount == pytest.approx(4 * CNC.thread_min / 60 * CNC.labour_rate_per_hour)
    assert threaded.unit_cost - plain.unit_cost == pytest.approx(
        line.amount * (1 + CNC.scrap_pct / 100)
    )
    assert math.isclose(sum(item.amount for item in threaded.breakdown), threaded.unit_price)


def test_inserts_cost_setting_time_and_the_insert():
    line = items(quoted({"inserts": [{"size": "M4", "count": 2}]}))["inserts_M4"]
    expected = 2 * (CNC.insert_min / 60 * CNC.labour_rate_per_hour + CNC.insert_price)
    assert line.amount == pytest.approx(expected)
    assert line.inputs["insert_price"] == CNC.insert_price


def test_tolerance_tighter_than_standard_adds_machine_time_per_halving():
    quote = quoted({"tolerance_class": "f"})  # 20 mm box: ISO 2768-f is ±0.1 mm
    line = items(quote)["tolerance"]
    assert line.inputs["tolerance_mm"] == 0.1
    assert line.amount == 0.0  # CNC holds ±0.1 mm as standard
    stated = items(quoted({"tolerance_mm": 0.025}))["tolerance"]
    machine = sum(i.amount for i in quote.breakdown if i.category == "machine")
    assert stated.inputs["halvings"] == pytest.approx(2.0)
    assert stated.amount == pytest.approx(machine * CNC.tolerance_machine_pct / 100 * 2)


def test_roughness_finer_than_the_process_costs_finishing():
    fdm = CONFIG.processes["FDM"]
    line = items(quoted({"roughness_ra_um": 3.125}, process="FDM"))["roughness"]
    area_cm2 = box()["area_mm2"] / 100
    assert line.inputs["halvings"] == pytest.approx(2.0)
    assert line.amount == pytest.approx(
        area_cm2 * fdm.finishing_min_per_cm2 * 2 / 60 * fdm.labour_rate_per_hour
    )
    coarse = items(quoted({"roughness_ra_um": 25.0}, process="FDM"))["roughness"]
    assert coarse.amount == 0.0


def test_inspection_first_article_is_spread_full_report_is_per_part():
    first = items(quoted({"inspection": "first_article"}, quantity=10))["inspection"]
    assert first.amount == pytest.approx(CNC.first_article_min / 10 / 60 * CNC.labour_rate_per_hour)
    full = items(quoted({"inspection": "full"}, quantity=10))["inspection"]
    per_part = CNC.first_article_min / 10 + CNC.inspection_report_min_per_part
    assert full.inputs["minutes_per_part"] == pytest.approx(per_part)
    assert full.amount == pytest.approx(per_part / 60 * CNC.labour_rate_per_hour)
    assert "inspection" not in items(quoted({"inspection": "none"}))


def test_threads_without_a_drawing_need_a_review():
    issues = quoted({"threads": [{"size": "M3", "count": 4}]}).dfm
    assert [i.code for i in issues if i.severity == "fatal"] == ["spec_drawing_needed"]
    assert not quoted({"threads": [{"size": "M3", "count": 4}], "drawing": True}).fatal


def test_stated_tolerance_finer_than_iso_f_needs_a_drawing_and_unreachable_one_a_review():
    assert quoted({"tolerance_mm": 0.05}).fatal
    assert not quoted({"tolerance_mm": 0.05, "drawing": True}).fatal
    assert not quoted({"tolerance_class": "f"}).fatal
    unreachable = quoted({"tolerance_mm": 0.05, "drawing": True}, process="FDM")
    assert [i.code for i in unreachable.dfm if i.severity == "fatal"] == [
        "spec_tolerance_unreachable"
    ]


def test_specification_travels_in_the_quote():
    spec = {"tolerance_class": "m", "inserts": [{"size": "M3", "count": 2}], "drawing": True}
    stored = quoted(spec).to_dict()["specification"]
    assert stored["inserts"] == [{"size": "M3", "count": 2}]
    assert stored["tolerance_class"] == "m" and stored["drawing"] is True
    assert quoted(None).to_dict()["specification"] is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"tolerance_class": "x"}, "tolerance_class must be one of the ISO 2768 classes"),
        ({"tolerance_mm": -0.1}, "tolerance_mm must be between"),
        ({"tolerance_mm": "tight"}, "tolerance_mm must be a number"),
        ({"threads": [{"size": "M7", "count": 1}]}, "threads[0].size must be one of"),
        ({"threads": [{"size": "M3", "count": 0}]}, "threads[0].count must be a whole number"),
        ({"threads": [{"size": "M3", "count": 2.5}]}, "threads[0].count must be a whole number"),
        ({"threads": "M3"}, "threads must be a list"),
        ({"inserts": [{"size": "M3"}]}, "inserts[0] must have exactly a size and a count"),
        (
            {"inserts": [{"size": "M3", "count": 1}, {"size": "M3", "count": 2}]},
            "M3 is listed twice",
        ),
        ({"roughness_ra_um": 0.001}, "roughness_ra_um must be between"),
        ({"inspection": "always"}, "inspection must be one of none, first_article, full"),
        ({"drawing": "yes"}, "drawing must be true or false"),
        ({"colour": "red"}, "unknown field(s) colour"),
    ],
)
def test_invalid_specifications_are_refused_with_a_clear_message(spec, message):
    with pytest.raises(QuoteError) as refused:
        quoted(spec)
    assert message in str(refused.value)


def test_specification_parameters_are_checked():
    with pytest.raises(ConfigError, match="best_tolerance_mm must not exceed"):
        CONFIG.with_overrides({"processes": {"CNC": {"best_tolerance_mm": 0.5}}})


def test_empty_specification_object():
    assert Specification.from_mapping(None) == Specification()
