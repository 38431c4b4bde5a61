"""Quote against actuals in odm_mrp: corrections fitted on finished orders and the quoting
parameters they propose, checked by hand and against the quoting engine itself."""

import dataclasses
import math
import statistics

import pytest

from odm_engine.pricing.actuals import (
    MIN_SAMPLES,
    ActualsError,
    Observation,
    ParameterRule,
    deviation_pct,
    fit_correction,
    parameter_rules,
    pools,
    propose,
)
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part
from tests.engine.shapes import box_analysis


def test_deviation_is_a_percentage_of_the_quote():
    assert deviation_pct(60, 75) == pytest.approx(25)
    assert deviation_pct(200, 150) == pytest.approx(-25)
    assert deviation_pct(0, 10) == 0.0, "nothing quoted: no deviation to speak of"


def test_correction_is_the_median_ratio_and_shrinks_the_error():
    pairs = [(100, 118), (50, 61), (80, 96), (10, 12.5), (40, 47)]
    correction = fit_correction(pairs)
    ratios = sorted(actual / quoted for quoted, actual in pairs)
    assert correction.factor == pytest.approx(ratios[2])
    assert correction.samples == 5
    assert correction.ignored == 0
    assert correction.mdape_before == pytest.approx(statistics.median([r - 1 for r in ratios]))
    assert correction.mape_before == pytest.approx(sum(r - 1 for r in ratios) / 5)
    assert correction.mdape_after < 0.03 < correction.mdape_before
    assert correction.mape_after < correction.mape_before
    assert correction.low < correction.factor < correction.high
    assert correction.significant, "every order ran 17-25 % long: the quote is off"


def test_one_odd_order_does_not_drag_the_correction():
    steady = [(60, 66), (60, 66.5), (60, 65.5), (60, 66.2)]
    with_outlier = [*steady, (60, 600)]
    assert fit_correction(with_outlier).factor == pytest.approx(66.2 / 60)


def test_scattered_actuals_centred_on_the_quote_are_not_significant():
    correction = fit_correction([(100, 70), (100, 130), (100, 95), (100, 110), (100, 100)])
    assert correction.factor == pytest.approx(1.0)
    assert correction.low < 1 < correction.high
    assert not correction.significant
    more = fit_correction([(100, 70), (100, 130), (100, 95), (100, 110), (100, 100)] * 4)
    assert more.high - more.low < correction.high - correction.low, "more orders, surer factor"


def test_too_few_orders_give_no_correction_and_untimed_ones_do_not_count():
    pairs = [(60, 70), (60, 0), (0, 5), (60, 72)]
    with pytest.raises(ActualsError, match=f"2 usable finished order.*{MIN_SAMPLES} or more"):
        fit_correction(pairs)
    correction = fit_correction([*pairs, (60, 71)])
    assert (correction.samples, correction.ignored) == (3, 2)


def test_rules_scale_durations_and_rates_and_add_allowances():
    assert ParameterRule("process", "layer_time_s", "duration").proposed(10, 1.2) == 12
    assert ParameterRule("material", "removal_rate_cm3_min", "rate").proposed(12, 1.2) == 10
    scrap = ParameterRule("process", "scrap_pct", "allowance_pct")
    # 5 % scrap quoted, 10 % more material than quoted used: 1.05 * 1.1 = 1.155.
    assert scrap.proposed(5, 1.1) == pytest.approx(15.5)
    assert scrap.proposed(5, 0.5) == 0, "an allowance never goes negative"


def test_every_measure_maps_to_parameters_the_quoting_engine_has():
    config = default_config()
    for process in config.processes.values():
        for measure in ("machine", "material", "labour"):
            for rule in parameter_rules(measure, process.technology):
                record = (
                    process if rule.owner == "process" else next(iter(config.materials.values()))
                )
                assert hasattr(record, rule.name), f"{process.code}: {rule.name}"
    assert parameter_rules("machine", "moulding") == (), "moulding machine time: report only"
    with pytest.raises(ActualsError, match="unknown measure"):
        parameter_rules("energy", "fdm")


def test_pools_follow_the_owner_of_the_parameters():
    observations = [
        Observation("FDM", "fdm", "PLA", "machine", 60, 70),
        Observation("FDM", "fdm", "PETG", "machine", 50, 61),
        Observation("CNC", "cnc", "AL6061", "machine", 30, 36),
        Observation("CNC", "cnc", "POM", "machine", 20, 19),
        Observation("CNC", "cnc", "POM", "material", 120, 125),
        Observation("MOLD", "moulding", "PP", "machine", 5, 6),
    ]
    pooled = pools(observations)
    assert pooled == {
        ("machine", "FDM", None): [(60, 70), (50, 61)],
        ("machine", "CNC", "AL6061"): [(30, 36)],
        ("machine", "CNC", "POM"): [(20, 19)],
        ("material", "CNC", None): [(120, 125)],
    }


def test_propose_needs_every_current_value():
    correction = fit_correction([(60, 72)] * 3)
    with pytest.raises(ActualsError, match="layer_overhead_s"):
        propose("machine", "fdm", correction, {"volumetric_flow_mm3_s": 10})


@pytest.mark.parametrize(
    ("process_code", "material_code"), [("FDM", "PLA"), ("SLA", None), ("SLS", None), ("CNC", None)]
)
def test_proposed_parameters_move_the_next_quote_by_the_factor(process_code, material_code):
    """Quoting the same part with the proposed parameters gives factor times the machine time
    (CNC: the cutting time), and factor times the grams issued per part."""
    config = default_config()
    process = config.processes[process_code]
    material = config.materials[material_code or process.default_material]
    part = box_analysis(40, 30, 20)
    before = quote_part(part, process.code, material.code, 10, config=config)
    correction = fit_correction([(60, 60 * 1.25), (40, 40 * 1.25), (90, 90 * 1.25)])
    assert correction.factor == pytest.approx(1.25)

    values = {**vars(process), **vars(material)}
    process_changes, material_changes = {}, {}
    for measure in ("machine", "material"):
        for proposal in propose(measure, process.technology, correction, values):
            owner = process_changes if proposal.rule.owner == "process" else material_changes
            owner[proposal.rule.name] = proposal.proposed
    config = dataclasses.replace(
        config,
        processes={**config.processes, process.code: process.updated(process_changes, "test")},
        materials={
            **config.materials,
            material.code: material.updated(material_changes, "test"),
        },
    )
    after = quote_part(part, process.code, material.code, 10, config=config)

    if process.technology == "cnc":
        cutting_before = _cutting_min(before)
        assert _cutting_min(after) == pytest.approx(cutting_before * 1.25, rel=1e-3)
    else:
        assert after.machine_time_s == pytest.approx(before.machine_time_s * 1.25, rel=1e-3)
    issued_before = before.material_g * (1 + process.scrap_pct / 100)
    issued_after = after.material_g * (1 + process_changes["scrap_pct"] / 100)
    assert issued_after == pytest.approx(issued_before * 1.25, rel=1e-3)


def _cutting_min(quote):
    inputs = next(item for item in quote.to_dict()["breakdown"] if item["code"] == "machining")[
        "inputs"
    ]
    return (
        inputs["removed_mm3"] / 1000 / inputs["removal_rate_cm3_min"]
        + inputs["area_mm2"] / 100 / inputs["finishing_rate_cm2_min"]
    )


def test_interval_width_follows_the_spread():
    tight = fit_correction([(100, 120), (100, 121), (100, 119)])
    loose = fit_correction([(100, 100), (100, 120), (100, 145)])
    assert math.log(tight.high / tight.low) < math.log(loose.high / loose.low)
