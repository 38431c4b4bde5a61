"""Calibration of the instant estimate against measured values (slicer runs, real prints).

``fit_calibration`` turns pairs of (instant estimate, measured value) collected over many parts
into a multiplicative correction with an uncertainty band, so that the instant quote can show
"about 2 h 10 min (1 h 55 - 2 h 30)" without slicing. Precise quotes fit it on slicer runs;
odm_mrp's quote-vs-actual fits the same on real production.
"""

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Normal quantile of the default two-sided 90 % band, and MAD -> standard deviation.
_MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class Calibration:
    """A multiplicative correction of one instant quantity (time, grams) against the slicer.

    ``factor`` is the median of slicer / instant over the calibration parts (a median of log
    ratios, so one odd part does not drag it). ``mdape`` is the median absolute percentage error
    left after the correction (the typical error, as a fraction). ``band`` is the relative
    half-width, in log space, of the interval that should hold ``coverage`` of parts: from the
    robust standard deviation of the log residuals, widened for the number of samples, and never
    narrower than ``min_band``.
    """

    quantity: str
    factor: float
    mdape: float
    log_sigma: float
    band: float
    coverage: float
    samples: int
    ignored: int = 0

    def apply(self, estimate: float) -> tuple[float, float, float]:
        """(corrected value, low, high) for an instant estimate."""
        value = estimate * self.factor
        spread = math.exp(self.band)
        return value, value / spread, value * spread

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "quantity": self.quantity,
            "factor": self.factor,
            "mdape": self.mdape,
            "log_sigma": self.log_sigma,
            "band": self.band,
            "coverage": self.coverage,
            "samples": self.samples,
            "ignored": self.ignored,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Calibration":
        if data.get("version") != 1:
            raise ValueError(f"unsupported calibration version {data.get('version')!r}")
        try:
            calibration = cls(
                quantity=str(data["quantity"]),
                factor=float(data["factor"]),
                mdape=float(data["mdape"]),
                log_sigma=float(data["log_sigma"]),
                band=float(data["band"]),
                coverage=float(data["coverage"]),
                samples=int(data["samples"]),
                ignored=int(data.get("ignored", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid calibration data: {exc}") from exc
        numbers = (calibration.factor, calibration.band, calibration.mdape, calibration.log_sigma)
        if not all(math.isfinite(n) for n in numbers) or calibration.factor <= 0:
            raise ValueError("invalid calibration data: non-finite or non-positive factor")
        if calibration.band < 0 or calibration.samples < 1:
            raise ValueError("invalid calibration data: negative band or no samples")
        return calibration


def fit_calibration(
    pairs: Iterable[tuple[float, float]],
    *,
    quantity: str = "",
    coverage: float = 0.9,
    min_band: float = 0.02,
) -> Calibration:
    """Fits ``slicer ≈ factor * instant`` on (instant_estimate, slicer_value) pairs.

    Pairs with a non-positive or non-finite member (a failed slice, a zero estimate) are
    ignored and counted. Raises ValueError when no usable pair is left.
    """
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be between 0 and 1, got {coverage!r}")
    logs, ignored = [], 0
    for pair in pairs:
        estimate, measured = (float(value) for value in pair)
        usable = math.isfinite(estimate) and math.isfinite(measured)
        if usable and estimate > 0 and measured > 0:
            logs.append(math.log(measured / estimate))
        else:
            ignored += 1
    if not logs:
        raise ValueError(f"no usable (estimate, slicer value) pair to calibrate {quantity!r}")
    centre = statistics.median(logs)
    residuals = [value - centre for value in logs]
    mdape = statistics.median(abs(math.exp(r) - 1) for r in residuals)
    sigma = _MAD_TO_SIGMA * statistics.median(abs(r) for r in residuals)
    z = statistics.NormalDist().inv_cdf(0.5 + coverage / 2)
    # A new part's error includes the uncertainty of the fitted factor itself.
    band = max(z * sigma * math.sqrt(1 + 1 / len(logs)), math.log1p(min_band))
    return Calibration(
        quantity=quantity,
        factor=math.exp(centre),
        mdape=mdape,
        log_sigma=sigma,
        band=band,
        coverage=coverage,
        samples=len(logs),
        ignored=ignored,
    )


def fit_calibrations(
    pairs_by_quantity: Mapping[str, Iterable[tuple[float, float]]], **options: Any
) -> dict[str, Calibration]:
    """One calibration per quantity, e.g. ``{"print_time_s": [...], "material_g": [...]}``."""
    return {
        quantity: fit_calibration(pairs, quantity=quantity, **options)
        for quantity, pairs in pairs_by_quantity.items()
    }
