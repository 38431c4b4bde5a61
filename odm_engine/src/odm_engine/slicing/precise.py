"""Precise FDM figures: slice the part as the instant estimate placed it, and calibrate.

The instant estimate chooses a build orientation; slicing the part in that same orientation with
the same print settings makes the slicer's time and filament comparable with it, so that each
precise quote is also a calibration sample for the instant ones.
"""

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from odm_engine.mesh.loaders import Part
from odm_engine.slicing import calibration, slicer

# Printer profiles tried in order when the caller names none: the first one the part fits.
DEFAULT_PRINTERS = ("MK4", "VORON350")
# The instant figures a slicer measures, as named in Quote and SliceResult.measured().
MEASURED = ("print_time_s", "material_g")


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
    **options: Any,
) -> slicer.SliceResult:
    """Slices the part in the estimate's orientation on the first printer profile it fits."""
    with tempfile.TemporaryDirectory(prefix="odm-precise-") as workdir:
        path = write_oriented_stl(
            part, geometry["orientation"]["rotation"], Path(workdir) / "p.stl"
        )
        too_large = None
        for printer in printers:
            try:
                return slicer.slice_part(path, printer=printer, material=material, **options)
            except slicer.PartTooLargeError as error:
                too_large = error
        raise too_large or ValueError("no printer profile given")


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
