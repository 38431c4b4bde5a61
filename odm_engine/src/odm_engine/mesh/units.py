"""Length units of uploaded parts: names, conversion to millimetres and inference.

Everything downstream of the loaders works in millimetres. Formats that declare a unit (3MF's
``unit`` attribute, STEP's length unit, glTF's metres) are honoured; STL, OBJ and PLY carry no
unit, so the unit is inferred from the file name (``bracket_inch.stl``) or from the part's size,
and the choice is explained in one sentence (``reason``) that the quote shows to the customer, who
can override it.
"""

import re
from dataclasses import dataclass

import numpy as np

MM_PER_UNIT = {
    "micron": 0.001,
    "mm": 1.0,
    "cm": 10.0,
    "m": 1000.0,
    "inch": 25.4,
    "ft": 304.8,
}

UNIT_WORDS = {
    "micron": "microns",
    "mm": "millimetres",
    "cm": "centimetres",
    "m": "metres",
    "inch": "inches",
    "ft": "feet",
}

_ALIASES = {
    "um": "micron",
    "µm": "micron",
    "micrometer": "micron",
    "micrometre": "micron",
    "microns": "micron",
    "millimeter": "mm",
    "millimetre": "mm",
    "millimeters": "mm",
    "millimetres": "mm",
    "centimeter": "cm",
    "centimetre": "cm",
    "centimeters": "cm",
    "centimetres": "cm",
    "meter": "m",
    "metre": "m",
    "meters": "m",
    "metres": "m",
    "in": "inch",
    "inches": "inch",
    "foot": "ft",
    "feet": "ft",
}

# A unitless part whose largest dimension, read as millimetres, is below this is taken as inches:
# a 9.5 "mm" bracket is far more often a 9.5 in bracket exported without a unit.
INCH_BELOW_MM = 10.0
# Below this even inches give a part under ~13 mm; such files are usually written in metres.
METRE_BELOW_MM = 0.5

# Designers dimension parts on round values: multiples of 0.5 mm or of 1/64 in.
_ROUND_STEPS_MM = (0.5, 25.4 / 64.0)

_FILENAME_UNIT = re.compile(
    r"(?:^|[^a-z])(?:units?[_-]?)?(mm|millimet(?:er|re)s?|inch(?:es)?)(?:$|[^a-z])"
)


def normalise_unit(name: str) -> str:
    """Canonical unit key (``mm``, ``inch``...) of a user's or file's spelling, else ValueError."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in MM_PER_UNIT:
        raise ValueError(f"unknown length unit {name!r}; use one of {sorted(MM_PER_UNIT)}")
    return key


@dataclass(frozen=True)
class UnitChoice:
    """The unit a file's coordinates are read in, whether it was guessed, and why."""

    unit: str
    inferred: bool
    reason: str

    @property
    def mm_per_unit(self) -> float:
        return MM_PER_UNIT[self.unit]


def choose_unit(
    requested: str,
    declared: str | None,
    declared_by: str,
    raw_extents: np.ndarray,
    filename: str,
) -> UnitChoice:
    """Decide the unit of a file's raw coordinates.

    ``requested`` is the caller's choice (``auto`` to decide here), ``declared`` the unit the file
    states (``declared_by`` names where, e.g. "3MF unit attribute"), ``raw_extents`` the bounding
    box size in file units.
    """
    if requested != "auto":
        unit = normalise_unit(requested)
        reason = f"Read in {UNIT_WORDS[unit]} as requested"
        if declared and declared != unit:
            reason += f", although the file declares {UNIT_WORDS[declared]}"
        return UnitChoice(unit, False, reason + ".")
    if declared:
        return UnitChoice(declared, False, f"The {declared_by} declares {UNIT_WORDS[declared]}.")
    named = unit_from_filename(filename)
    if named:
        return UnitChoice(named, True, f"The file name says {UNIT_WORDS[named]}.")
    return infer_unit_from_size(raw_extents)


def unit_from_filename(filename: str) -> str | None:
    """Unit spelled in a file name such as ``plate_mm.stl`` or ``counter.unitsmm.STL``."""
    stem = filename.lower().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    match = _FILENAME_UNIT.search(stem)
    return normalise_unit(match.group(1)) if match else None


def infer_unit_from_size(raw_extents: np.ndarray) -> UnitChoice:
    """Guess the unit of a unitless file from how big the part would be in each candidate unit."""
    largest = float(np.max(raw_extents))
    if largest >= INCH_BELOW_MM:
        return UnitChoice(
            "mm",
            True,
            f"The file has no unit; read as millimetres since the part would then measure "
            f"{largest:.4g} mm, a plausible size.",
        )
    if largest >= METRE_BELOW_MM or _round_extent_count(raw_extents, "inch") > (
        _round_extent_count(raw_extents, "m")
    ):
        return UnitChoice(
            "inch",
            True,
            f"The file has no unit; read as inches since its largest dimension is only "
            f"{largest:.4g}, which as millimetres would be an implausibly small part "
            f"({largest * 25.4:.4g} mm as inches).",
        )
    return UnitChoice(
        "m",
        True,
        f"The file has no unit; read as metres since its largest dimension is only {largest:.4g}"
        f" ({largest * 1000:.4g} mm as metres, {largest * 25.4:.4g} mm as inches) and its "
        f"dimensions are round numbers in metres.",
    )


def _round_extent_count(raw_extents: np.ndarray, unit: str) -> int:
    """How many extents, read in ``unit``, land on a round design dimension (tie-breaker only)."""
    count = 0
    for extent in np.asarray(raw_extents, dtype=float) * MM_PER_UNIT[unit]:
        tolerance = max(1e-3, 1e-5 * extent)
        if extent > tolerance and any(
            abs(extent - step * round(extent / step)) <= tolerance for step in _ROUND_STEPS_MM
        ):
            count += 1
    return count
