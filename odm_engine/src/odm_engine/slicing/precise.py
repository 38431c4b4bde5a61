"""Precise FDM and SLA figures: slice the part as the instant estimate placed it, and calibrate.

The instant estimate chooses a build orientation; slicing the part in that same orientation with
the same print settings makes the slicer's time and filament comparable with it, so that each
precise quote is also a calibration sample for the instant ones.
"""

import hashlib
import json
import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from odm_engine.mesh.loaders import Part
from odm_engine.slicing import calibration, profile_reader, slicer

# Printer profiles tried in order when the caller names none: the first one the part fits.
DEFAULT_PRINTERS = ("MK4", "VORON350")
# The same for resin (PrusaSlicer's SLA mode).
DEFAULT_SLA_PRINTERS = (profile_reader.DEFAULT_SLA_PRINTER,)
# The technologies whose quotes are sliced (precise) and calibrated.
SLICED_TECHNOLOGIES = ("fdm", "sla")
# The instant figures a slicer measures, as named in Quote and SliceResult.measured().
MEASURED = ("print_time_s", "material_g")
# The share of parts an estimate's band must hold the slicer's figure for.
BAND_COVERAGE = 0.9
# Fewer (instant, slicer) pairs than this say nothing about a shop's own parts.
MIN_BAND_SAMPLES = 3
# Relative half-width of the 90 % band of the uncalibrated instant estimate before a process has
# slices of its own, per technology: the 90th percentile of |log(slicer / estimate)| of the
# layer-based estimate against PrusaSlicer, FDM over the 117 part x printer pairs of
# docs/benchmarks/fdm_estimate.md (2026-12-07), SLA over the 36 parts of
# docs/benchmarks/sla_estimate.md (2026-12-07, resin incl. supports and pad). An analysis without
# a layer table prices with the volume formula, whose band there is far wider (FORMULA_BAND).
PRIOR_BAND = {
    "fdm": {"print_time_s": 0.13, "material_g": 0.066},
    "sla": {"print_time_s": 0.01, "material_g": 0.12},
}
FORMULA_BAND = {
    "fdm": {"print_time_s": 0.70, "material_g": 0.22},
    "sla": {"print_time_s": 0.24, "material_g": 0.94},
}


def write_oriented_stl(part: Part, rotation: Sequence[Sequence[float]], path: Path) -> Path:
    """Writes the part turned by ``rotation`` as a binary STL, in millimetres."""
    turned = part.vertices @ np.asarray(rotation, dtype=float).T
    corners = turned[part.faces].astype("<f4")
    edges_a, edges_b = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    normals = np.cross(edges_a, edges_b)
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
    records = np.zeros(len(corners), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    records["n"], records["v"] = normals, corners
    with open(path, "wb") as handle:
        handle.write(b"odm-quote oriented part".ljust(80, b" "))
        handle.write(np.uint32(len(records)).tobytes())
        handle.write(records.tobytes())
    return path


def slice_as_estimated(
    part: Part,
    geometry: Mapping[str, Any],
    material: str,
    printers: Sequence[str] = DEFAULT_PRINTERS,
    technology: str = "fdm",
    **options: Any,
) -> slicer.SliceResult | slicer.SlaSliceResult:
    """Slices the part in the estimate's orientation on the first printer profile it fits
    (``slicer.slice_part``, or ``slicer.slice_sla_part`` for ``technology`` "sla")."""
    slice_with = slicer.slice_sla_part if technology == "sla" else slicer.slice_part
    with tempfile.TemporaryDirectory(prefix="odm-precise-") as workdir:
        path = write_oriented_stl(
            part, geometry["orientation"]["rotation"], Path(workdir) / "p.stl"
        )
        too_large = None
        for printer in printers:
            try:
                return slice_with(path, printer=printer, material=material, **options)
            except slicer.PartTooLargeError as error:
                too_large = error
        raise too_large or ValueError("no printer profile given")


def measured_figures(sliced: Mapping[str, Any]) -> dict[str, float]:
    """The instant figures a stored slice measured (``SliceResult.to_dict()``: filament;
    ``SlaSliceResult.to_dict()``: resin incl. supports and pad)."""
    grams = sliced["resin_g"] if "resin_g" in sliced else sliced["filament_g"]
    return {"print_time_s": sliced["print_time_s"], "material_g": grams}


def calibrated_figures(
    estimate: Mapping[str, float | None], calibrations: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, float]]:
    """Each instant figure corrected by its stored calibration: value, low and high."""
    figures = {}
    for quantity in MEASURED:
        value, stored = estimate.get(quantity), calibrations.get(quantity)
        if value and stored:
            corrected, low, high = calibration.Calibration.from_dict(stored).apply(value)
            figures[quantity] = {"estimate": value, "value": corrected, "low": low, "high": high}
    return figures


def fit(samples: Sequence[Mapping[str, float]]) -> dict[str, dict[str, Any]]:
    """Calibrations from (instant, slicer) samples: ``{quantity: Calibration.to_dict()}``."""
    pairs = {
        quantity: [
            (sample[f"estimate_{quantity}"], sample[f"slicer_{quantity}"]) for sample in samples
        ]
        for quantity in MEASURED
    }
    return {
        quantity: fitted.to_dict()
        for quantity, fitted in calibration.fit_calibrations(pairs).items()
    }


def slice_key(
    sha256: str,
    rotation: Sequence[Sequence[float]],
    material: str,
    printers: Sequence[str],
    *,
    technology: str = "fdm",
    profile_material: str | None = None,
) -> str:
    """What makes two slices the same: the file, the orientation, the material and the printer
    profiles tried, with the content of every profile file (an edited profile slices anew;
    the SLA files are named apart from the FDM ones). ``profile_material`` is the material
    profile a ``material`` without its own is sliced with (a resin weighed with its density)."""
    profiles = hashlib.sha256()
    for printer in printers:
        files = profile_reader.profile_files(
            printer, profile_material or material, technology=technology
        )
        for path in files:
            profiles.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    identity = {
        "file": sha256,
        "rotation": np.round(np.asarray(rotation, dtype=float), 6).tolist(),
        "material": material,
        "printers": list(printers),
        "profiles": profiles.hexdigest(),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def uncalibrated_band(
    pairs: Iterable[tuple[float, float]], coverage: float = BAND_COVERAGE
) -> float | None:
    """Relative half-width holding ``coverage`` of the slicer's figures around the instant
    estimates of (instant, slicer) pairs: the quantile of |log(slicer / instant)|, so the band
    is as wide as the estimate's errors on the shop's own parts. None below MIN_BAND_SAMPLES."""
    logs = sorted(
        abs(math.log(measured / estimate))
        for estimate, measured in pairs
        if estimate and measured and estimate > 0 and measured > 0
    )
    if len(logs) < MIN_BAND_SAMPLES:
        return None
    rank = min(len(logs) - 1, math.ceil(coverage * len(logs)) - 1)
    return math.expm1(logs[rank])


def estimate_band(
    estimate: Mapping[str, float],
    calibrated: Mapping[str, Mapping[str, float]],
    bands: Mapping[str, Mapping[str, Any]],
    layered: bool = True,
    technology: str = "fdm",
) -> dict[str, dict[str, Any]]:
    """Per measured quantity, the range the slicer's figure should fall in: ``calibrated``
    figures keep their calibration's range; others get the process's measured band (``bands``:
    {quantity: {"relative", "samples"}}) or, without enough slices, the benchmark's band of the
    estimate used (``PRIOR_BAND`` layer by layer, else ``FORMULA_BAND``, of ``technology``)."""
    ranges = {}
    for quantity in MEASURED:
        value = estimate.get(quantity)
        if not value:
            continue
        if quantity in calibrated:
            figure = calibrated[quantity]
            ranges[quantity] = {
                "value": figure["value"],
                "low": figure["low"],
                "high": figure["high"],
                "basis": "calibration",
            }
            continue
        measured = bands.get(quantity) or {}
        relative = measured.get("relative")
        basis = "slices" if relative is not None else "benchmark"
        if relative is None:
            relative = (PRIOR_BAND if layered else FORMULA_BAND)[technology][quantity]
        spread = 1.0 + relative
        ranges[quantity] = {
            "value": value,
            "low": value / spread,
            "high": value * spread,
            "basis": basis,
            "samples": measured.get("samples", 0),
        }
    return ranges
