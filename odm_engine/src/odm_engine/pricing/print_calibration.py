"""Calibration of one machine from its real prints: print time and material, expected vs real.

Every job a linked machine finishes records what was expected (the slicer's figures, or the
plan's) and what really happened (the machine's own time count, the filament it reports). Per
quantity, ``fit_machine`` fits ``real ≈ factor * expected`` with the quote-vs-actual fitting
(``actuals.fit_correction``: median ratio, its interval, the typical error before and after) and
adds the band a new job's real figure should fall in once corrected: the robust spread of the
residuals, widened for the sample count with Student's t, so a few prints give a wide band and
the band narrows as consistent prints add up.

Expected figures must be the uncorrected ones (the jobs store the factor they were planned
with): the fitted factor is then the machine's whole correction, not a change to the last one.
A machine type's quotes use ``combine``: the calibrations of its calibrated machines pooled.
"""

import dataclasses
import math
import statistics
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

from odm_engine.pricing.actuals import MIN_SAMPLES, ActualsError, Correction, fit_correction
from odm_engine.slicing.calibration import Calibration, fit_calibration
from odm_engine.slicing.precise import BAND_COVERAGE, MEASURED

QUANTITIES = MEASURED
"""``print_time_s`` and ``material_g``: the quote's measured figures a calibration corrects."""
# A corrected figure is never promised closer than this (relative half-width of its band).
MIN_BAND = 0.02


@dataclass(frozen=True)
class FinishedJob:
    """One job a machine ended: ``succeeded`` (done) or not (failed, cancelled).

    ``expected`` and ``real`` map a quantity to its figure; a real figure the machine did not
    give (no filament count) is missing or None.
    """

    key: Hashable
    succeeded: bool
    expected: Mapping[str, float | None]
    real: Mapping[str, float | None]


@dataclass(frozen=True)
class PrintCorrection:
    """``real ≈ factor * expected`` for one quantity of one machine, with its evidence.

    ``correction`` holds the factor, its interval, the samples and the typical error before and
    after; ``ignored`` counts the failed and cancelled jobs and those without a real figure;
    ``band`` is the relative half-width, in log space, holding ``coverage`` of corrected jobs;
    ``jobs`` are the keys of the jobs used.
    """

    quantity: str
    correction: Correction
    band: float
    jobs: tuple[Hashable, ...]

    @property
    def factor(self) -> float:
        return self.correction.factor

    @property
    def ignored(self) -> int:
        return self.correction.ignored

    def calibration(self) -> Calibration:
        """The correction as the quote applies it (``Calibration.apply``)."""
        return Calibration(
            quantity=self.quantity,
            factor=self.correction.factor,
            mdape=self.correction.mdape_after,
            log_sigma=self.band / _quantile(self.correction.coverage, self.correction.samples),
            band=self.band,
            coverage=self.correction.coverage,
            samples=self.correction.samples,
            ignored=self.correction.ignored,
        )


def _quantile(coverage: float, samples: int) -> float:
    """Two-sided Student quantile for ``samples`` residuals (one degree of freedom is the
    fitted factor's)."""
    return float(stats.t.ppf(0.5 + coverage / 2, max(samples - 1, 1)))


def residual_band(
    pairs: Sequence[tuple[float, float]],
    coverage: float = BAND_COVERAGE,
    min_band: float = MIN_BAND,
) -> float:
    """Relative log half-width holding ``coverage`` of real figures around corrected expected
    ones: the residuals' robust sigma (``fit_calibration``), times Student's t for their number
    and the factor's own uncertainty; never under ``min_band``."""
    fitted = fit_calibration(pairs, coverage=coverage)
    spread = _quantile(coverage, fitted.samples) * fitted.log_sigma
    return max(spread * math.sqrt(1 + 1 / fitted.samples), math.log1p(min_band))


def fit_machine(
    jobs: Iterable[FinishedJob],
    *,
    min_samples: int = MIN_SAMPLES,
    coverage: float = BAND_COVERAGE,
) -> tuple[dict[str, PrintCorrection], dict[str, str]]:
    """Per quantity, the machine's correction from its finished jobs, and why a quantity got
    none (``{quantity: reason}``: fewer than ``min_samples`` usable jobs)."""
    jobs = list(jobs)
    fitted, unfitted = {}, {}
    for quantity in QUANTITIES:
        used, failed = [], 0
        for job in jobs:
            if not job.succeeded:
                failed += 1
                continue
            used.append((job.key, job.expected.get(quantity) or 0.0, job.real.get(quantity) or 0.0))
        usable = [item for item in used if all(math.isfinite(v) and v > 0 for v in item[1:])]
        try:
            correction = fit_correction(
                [(expected, real) for _key, expected, real in used],
                min_samples=min_samples,
                coverage=coverage,
            )
        except ActualsError as error:
            unfitted[quantity] = str(error).replace("finished order", "finished job")
            continue
        pairs = [(expected, real) for _key, expected, real in usable]
        fitted[quantity] = PrintCorrection(
            quantity=quantity,
            correction=dataclasses.replace(correction, ignored=correction.ignored + failed),
            band=residual_band(pairs, coverage),
            jobs=tuple(key for key, _expected, _real in usable),
        )
    return fitted, unfitted


def combine(quantity: str, calibrations: Sequence[Calibration]) -> Calibration:
    """Several machines' calibrations of one quantity as one for their machine type, weighted
    by their prints: the geometric mean factor, and a band holding both each machine's own
    spread and how far their factors differ (the machine a job will run on is not known when
    quoting)."""
    if not calibrations:
        raise ValueError(f"no calibration to combine for {quantity!r}")
    weights = [item.samples for item in calibrations]
    total = sum(weights)
    logs = [math.log(item.factor) for item in calibrations]
    centre = sum(w * value for w, value in zip(weights, logs, strict=True)) / total
    between = sum(w * (value - centre) ** 2 for w, value in zip(weights, logs, strict=True)) / total
    within = sum(w * item.band**2 for w, item in zip(weights, calibrations, strict=True)) / total
    coverage = calibrations[0].coverage
    z = statistics.NormalDist().inv_cdf(0.5 + coverage / 2)
    band = math.sqrt(within + z**2 * between)
    return Calibration(
        quantity=quantity,
        factor=math.exp(centre),
        mdape=sum(w * item.mdape for w, item in zip(weights, calibrations, strict=True)) / total,
        log_sigma=band / z,
        band=band,
        coverage=coverage,
        samples=total,
        ignored=sum(item.ignored for item in calibrations),
    )


def corrected(
    figures: Mapping[str, float | None],
    calibrations: Mapping[str, Mapping[str, Any]],
    ranges: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, dict[str, float]]:
    """Each quote figure corrected by its machine type's calibration from prints
    (``Calibration.to_dict()`` by quantity): ``{quantity: {estimate, value, low, high}}``.

    ``ranges`` is the band an instant estimate's figures carry (``precise.estimate_band``): the
    figure's own error and the prints' are independent, so their log half-widths add in
    quadrature. Without it (slicer figures), the prints' band alone.
    """
    result = {}
    for quantity in QUANTITIES:
        value, stored = figures.get(quantity), calibrations.get(quantity)
        if not value or not stored:
            continue
        calibration = Calibration.from_dict(stored)
        band = calibration.band
        known = (ranges or {}).get(quantity)
        if known and known.get("high") and known.get("value"):
            band = math.hypot(band, math.log(known["high"] / known["value"]))
        centre = value * calibration.factor
        spread = math.exp(band)
        result[quantity] = {
            "estimate": value,
            "value": centre,
            "low": centre / spread,
            "high": centre * spread,
        }
    return result
