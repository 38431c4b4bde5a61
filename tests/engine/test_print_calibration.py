"""Per-machine calibration from real prints: the factor and evidence of the quote-vs-actual
fitting, failed jobs and missing figures counted out, and a band that narrows with evidence."""

import math

import pytest

from odm_engine.pricing.actuals import fit_correction
from odm_engine.pricing.print_calibration import FinishedJob, combine, corrected, fit_machine


def _jobs(ratios, *, expected_min=60.0, grams_ratio=None, start=0):
    return [
        FinishedJob(
            key=start + index,
            succeeded=True,
            expected={"print_time_s": expected_min * 60, "material_g": 20.0},
            real={
                "print_time_s": expected_min * 60 * ratio,
                "material_g": 20.0 * grams_ratio if grams_ratio else None,
            },
        )
        for index, ratio in enumerate(ratios)
    ]


def test_factor_and_evidence_are_the_quote_vs_actual_fit():
    ratios = [1.18, 1.22, 1.15, 1.25, 1.2]
    fitted, unfitted = fit_machine(_jobs(ratios, grams_ratio=0.95))
    time = fitted["print_time_s"]
    expected = fit_correction([(3600, 3600 * ratio) for ratio in ratios])
    assert time.correction == expected
    assert time.factor == pytest.approx(1.2)
    assert time.correction.significant
    assert time.jobs == (0, 1, 2, 3, 4)
    assert time.correction.mdape_after < time.correction.mdape_before
    assert fitted["material_g"].factor == pytest.approx(0.95)
    assert not unfitted


def test_failed_jobs_and_missing_figures_are_ignored_and_counted():
    jobs = _jobs([1.1, 1.2, 1.1, 1.3])
    jobs.append(FinishedJob("failed", False, {"print_time_s": 600}, {"print_time_s": 6000}))
    jobs.append(FinishedJob("untimed", True, {"print_time_s": 600}, {"print_time_s": None}))
    fitted, unfitted = fit_machine(jobs)
    time = fitted["print_time_s"]
    assert time.correction.samples == 4
    assert time.ignored == 2
    assert "failed" not in time.jobs and "untimed" not in time.jobs
    assert time.factor == pytest.approx(math.sqrt(1.1 * 1.2)), (
        "the failed job's tenfold time is not evidence"
    )
    assert "material_g" in unfitted, "no machine reported its filament"
    assert "0 usable finished job(s)" in unfitted["material_g"]


def test_too_few_prints_propose_nothing():
    fitted, unfitted = fit_machine(_jobs([1.2, 1.3]))
    assert not fitted
    assert "2 usable finished job(s); a correction needs 3" in unfitted["print_time_s"]


def test_band_narrows_with_consistent_and_with_more_prints():
    scattered = fit_machine(_jobs([0.9, 1.3, 1.1, 1.5, 1.0]))[0]["print_time_s"]
    consistent = fit_machine(_jobs([1.18, 1.22, 1.2, 1.21, 1.19]))[0]["print_time_s"]
    assert consistent.band < scattered.band / 3
    # The same spread observed over more prints: the band narrows as evidence grows.
    pattern = [1.1, 1.2, 1.3]
    few = fit_machine(_jobs(pattern))[0]["print_time_s"]
    many = fit_machine(_jobs(pattern * 10))[0]["print_time_s"]
    assert few.factor == pytest.approx(many.factor)
    assert many.band < few.band / 1.9
    low, high = many.calibration().apply(60)[1:]
    assert low < 60 * 1.2 < high
    assert high / (60 * 1.2) == pytest.approx(math.exp(many.band))


def test_machine_type_pools_its_machines_by_prints():
    fast = fit_machine(_jobs([0.9, 0.92, 0.88]))[0]["print_time_s"].calibration()
    slow = fit_machine(_jobs([1.2] * 9))[0]["print_time_s"].calibration()
    pooled = combine("print_time_s", [fast, slow])
    assert pooled.samples == 12
    assert pooled.factor == pytest.approx(math.exp((3 * math.log(0.9) + 9 * math.log(1.2)) / 12))
    assert pooled.band > max(fast.band, slow.band), "the machines disagree: wider than either"
    with pytest.raises(ValueError, match="no calibration"):
        combine("print_time_s", [])


def test_quote_figures_corrected_with_both_bands():
    calibration = fit_machine(_jobs([1.18, 1.22, 1.2, 1.21, 1.19]))[0]["print_time_s"]
    stored = {"print_time_s": calibration.calibration().to_dict()}
    sliced = corrected({"print_time_s": 1000.0, "material_g": 12.0}, stored)
    assert set(sliced) == {"print_time_s"}, "no material calibration: grams stay as they are"
    figure = sliced["print_time_s"]
    assert figure["estimate"] == 1000.0
    assert figure["value"] == pytest.approx(1000 * calibration.factor)
    assert figure["high"] / figure["value"] == pytest.approx(math.exp(calibration.band))
    estimate_band = {"print_time_s": {"value": 1000.0, "low": 1000 / 1.13, "high": 1130.0}}
    instant = corrected({"print_time_s": 1000.0}, stored, estimate_band)["print_time_s"]
    assert instant["value"] == figure["value"]
    assert instant["high"] / instant["value"] == pytest.approx(
        math.exp(math.hypot(calibration.band, math.log(1.13)))
    )
