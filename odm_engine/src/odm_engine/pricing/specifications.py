"""Specifications a machinist needs: tolerance, threads, inserts, roughness, inspection.

A customer's ``Specification`` is checked once (``Specification.from_mapping``: QuoteError names
the wrong value), then priced by ``specification_costs`` as one explained cost item per
specification, from the process's own parameters (``ProcessParams``: minutes per thread, price
per insert, machine time per halving of the tolerance...). ``specification_review`` says what a
person must look at before the part is made: a tolerance the process cannot hold, a stated
tolerance finer than ISO 2768-f or threads and inserts without a technical drawing.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from odm_engine.pricing.costing import CostItem, DfmIssue, PartGeometry, cost
from odm_engine.pricing.params import ProcessParams, QuoteError

# ISO 2768-1 general tolerances for linear dimensions (± mm) by nominal size range (upper bound,
# mm); None where the standard gives no value for the class.
ISO_2768_CLASSES = {"f": "fine", "m": "medium", "c": "coarse", "v": "very coarse"}
ISO_2768_LINEAR = (
    (3.0, {"f": 0.05, "m": 0.1, "c": 0.2, "v": None}),
    (6.0, {"f": 0.05, "m": 0.1, "c": 0.3, "v": 0.5}),
    (30.0, {"f": 0.1, "m": 0.2, "c": 0.5, "v": 1.0}),
    (120.0, {"f": 0.15, "m": 0.3, "c": 0.8, "v": 1.5}),
    (400.0, {"f": 0.2, "m": 0.5, "c": 1.2, "v": 2.5}),
    (1000.0, {"f": 0.3, "m": 0.8, "c": 2.0, "v": 4.0}),
    (2000.0, {"f": 0.5, "m": 1.2, "c": 3.0, "v": 6.0}),
    (4000.0, {"f": None, "m": 2.0, "c": 4.0, "v": 8.0}),
)
# ISO metric coarse threads the shop taps, and the insert sizes it stocks.
THREAD_SIZES = ("M1.6", "M2", "M2.5", "M3", "M4", "M5", "M6", "M8", "M10", "M12", "M16", "M20")
INSERT_SIZES = ("M2", "M2.5", "M3", "M4", "M5", "M6", "M8", "M10")
INSPECTION_LEVELS = {
    "none": "No inspection beyond the usual check",
    "first_article": "First-article inspection",
    "full": "Full dimensional report",
}
MAX_FEATURES = 1000  # threads or inserts of one size on one part
MIN_TOLERANCE_MM = 0.001
MIN_ROUGHNESS_RA_UM = 0.025


@dataclass(frozen=True)
class Feature:
    """Threads or inserts of one size: ``count`` of ``size`` (e.g. 4 x M3)."""

    size: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "count": self.count}


@dataclass(frozen=True)
class Specification:
    """What the customer asks for beyond the geometry; empty values ask for nothing."""

    tolerance_class: str = ""
    tolerance_mm: float = 0.0
    threads: tuple[Feature, ...] = ()
    inserts: tuple[Feature, ...] = ()
    roughness_ra_um: float = 0.0
    inspection: str = "none"
    drawing: bool = False

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "Specification":
        """A checked specification; QuoteError names the first value that cannot be used."""
        if values is None:
            return cls()
        if not isinstance(values, Mapping):
            raise QuoteError(f"specification must be a mapping, got {type(values).__name__}")
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise QuoteError(
                f"specification: unknown field(s) {', '.join(map(str, unknown))}; known: "
                f"{', '.join(cls.__dataclass_fields__)}"
            )
        tolerance_class = values.get("tolerance_class") or ""
        if tolerance_class not in ("", *ISO_2768_CLASSES):
            raise QuoteError(
                f"tolerance_class must be one of the ISO 2768 classes "
                f"{', '.join(ISO_2768_CLASSES)}, got {tolerance_class!r}"
            )
        inspection = values.get("inspection") or "none"
        if inspection not in INSPECTION_LEVELS:
            raise QuoteError(
                f"inspection must be one of {', '.join(INSPECTION_LEVELS)}, got {inspection!r}"
            )
        drawing = values.get("drawing", False)
        if not isinstance(drawing, bool):
            raise QuoteError(f"drawing must be true or false, got {drawing!r}")
        return cls(
            tolerance_class=tolerance_class,
            tolerance_mm=_optional_size(values, "tolerance_mm", MIN_TOLERANCE_MM, 10.0),
            threads=_features(values.get("threads"), "threads", THREAD_SIZES),
            inserts=_features(values.get("inserts"), "inserts", INSERT_SIZES),
            roughness_ra_um=_optional_size(values, "roughness_ra_um", MIN_ROUGHNESS_RA_UM, 50.0),
            inspection=inspection,
            drawing=drawing,
        )

    def required_tolerance_mm(self, part: PartGeometry) -> float | None:
        """The tightest tolerance asked for (± mm): the stated one or the class's at the part's
        largest dimension, whichever is finer; None when no tolerance is asked for."""
        candidates = [self.tolerance_mm] if self.tolerance_mm else []
        if self.tolerance_class:
            candidates.append(iso_2768_tolerance(self.tolerance_class, max(part.bbox_mm)))
        return min(candidates) if candidates else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tolerance_class": self.tolerance_class,
            "tolerance_mm": self.tolerance_mm,
            "threads": [feature.to_dict() for feature in self.threads],
            "inserts": [feature.to_dict() for feature in self.inserts],
            "roughness_ra_um": self.roughness_ra_um,
            "inspection": self.inspection,
            "drawing": self.drawing,
        }


def iso_2768_tolerance(tolerance_class: str, size_mm: float) -> float:
    """The ISO 2768-1 linear tolerance (± mm) of a class for a nominal size; a class the standard
    leaves open at that size (f above 2 m, v below 3 mm) takes its nearest neighbour's value."""
    by_class = next(
        (row for upper, row in ISO_2768_LINEAR if size_mm <= upper), ISO_2768_LINEAR[-1][1]
    )
    order = list(ISO_2768_CLASSES)
    start = order.index(tolerance_class)
    # The next coarser class where the finer one is undefined, else the next finer one.
    for code in (*order[start:], *reversed(order[:start])):
        if by_class[code] is not None:
            return by_class[code]
    raise AssertionError("every size range defines a tolerance")  # pragma: no cover


def specification_costs(
    spec: Specification,
    params: ProcessParams,
    part: PartGeometry,
    quantity: int,
    model_items: Sequence[CostItem],
) -> list[CostItem]:
    """One explained cost item per specification asked for (per part, before margin)."""
    labour = params.labour_rate_per_hour
    items = []
    tolerance = spec.required_tolerance_mm(part)
    if tolerance is not None:
        items.append(_tolerance_item(spec, params, tolerance, model_items))
    for feature in spec.threads:
        items.append(
            cost(
                f"threads_{feature.size}",
                f"{feature.count} x {feature.size} threads",
                "surcharge",
                feature.count * params.thread_min / 60 * labour,
                "count * thread_min / 60 * labour_rate_per_hour",
                count=feature.count,
                thread_min=params.thread_min,
                labour_rate_per_hour=labour,
            )
        )
    for feature in spec.inserts:
        items.append(
            cost(
                f"inserts_{feature.size}",
                f"{feature.count} x {feature.size} inserts",
                "surcharge",
                feature.count * (params.insert_min / 60 * labour + params.insert_price),
                "count * (insert_min / 60 * labour_rate_per_hour + insert_price)",
                count=feature.count,
                insert_min=params.insert_min,
                labour_rate_per_hour=labour,
                insert_price=params.insert_price,
            )
        )
    if spec.roughness_ra_um:
        halvings = _halvings(params.standard_roughness_ra_um, spec.roughness_ra_um)
        area_cm2 = part.area_mm2 / 100
        items.append(
            cost(
                "roughness",
                f"Surface roughness Ra {spec.roughness_ra_um:g} µm",
                "surcharge",
                area_cm2 * params.finishing_min_per_cm2 * halvings / 60 * labour,
                "area_cm2 * finishing_min_per_cm2 * halvings / 60 * labour_rate_per_hour, "
                "halvings = log2(standard_roughness_ra_um / roughness_ra_um) if finer",
                area_cm2=area_cm2,
                finishing_min_per_cm2=params.finishing_min_per_cm2,
                halvings=halvings,
                standard_roughness_ra_um=params.standard_roughness_ra_um,
                roughness_ra_um=spec.roughness_ra_um,
                labour_rate_per_hour=labour,
            )
        )
    if spec.inspection != "none":
        items.append(_inspection_item(spec, params, quantity))
    return items


def _tolerance_item(
    spec: Specification, params: ProcessParams, tolerance: float, model_items: Sequence[CostItem]
) -> CostItem:
    """Tighter than the process's standard: machine cost per halving of the tolerance."""
    machine_cost = sum(item.amount for item in model_items if item.category == "machine")
    halvings = _halvings(params.standard_tolerance_mm, tolerance)
    named = f"ISO 2768-{spec.tolerance_class}, " if spec.tolerance_class else ""
    return cost(
        "tolerance",
        f"Tolerance ±{tolerance:g} mm ({named}standard ±{params.standard_tolerance_mm:g} mm)",
        "surcharge",
        machine_cost * params.tolerance_machine_pct / 100 * halvings,
        "machine_cost * tolerance_machine_pct / 100 * halvings, "
        "halvings = log2(standard_tolerance_mm / tolerance_mm) if tighter",
        machine_cost=machine_cost,
        tolerance_machine_pct=params.tolerance_machine_pct,
        halvings=halvings,
        standard_tolerance_mm=params.standard_tolerance_mm,
        tolerance_mm=tolerance,
    )


def _inspection_item(spec: Specification, params: ProcessParams, quantity: int) -> CostItem:
    """First article: once per order line; a full report adds every part's measuring."""
    per_part_min = params.inspection_report_min_per_part if spec.inspection == "full" else 0.0
    minutes_per_part = params.first_article_min / quantity + per_part_min
    return cost(
        "inspection",
        INSPECTION_LEVELS[spec.inspection],
        "post_processing",
        minutes_per_part / 60 * params.labour_rate_per_hour,
        "(first_article_min / quantity + report_min_per_part) / 60 * labour_rate_per_hour",
        first_article_min=params.first_article_min,
        quantity=quantity,
        report_min_per_part=per_part_min,
        labour_rate_per_hour=params.labour_rate_per_hour,
        minutes_per_part=minutes_per_part,
    )


def specification_review(
    spec: Specification, params: ProcessParams, part: PartGeometry
) -> tuple[DfmIssue, ...]:
    """What blocks the part until a person reviewed it (fatal findings for the customer)."""
    issues = []
    tolerance = spec.required_tolerance_mm(part)
    if tolerance is not None and tolerance < params.best_tolerance_mm:
        issues.append(
            DfmIssue(
                "spec_tolerance_unreachable",
                "fatal",
                f"±{tolerance:g} mm is finer than {params.name} holds "
                f"(±{params.best_tolerance_mm:g} mm): our team reviews the part.",
                "customer",
            )
        )
    finest = iso_2768_tolerance("f", max(part.bbox_mm))
    needs_drawing = []
    if spec.tolerance_mm and spec.tolerance_mm < finest:
        needs_drawing.append(f"a tolerance of ±{spec.tolerance_mm:g} mm (finer than ISO 2768-f)")
    if spec.threads or spec.inserts:
        needs_drawing.append("threads and inserts")
    if needs_drawing and not spec.drawing:
        issues.append(
            DfmIssue(
                "spec_drawing_needed",
                "fatal",
                f"A technical drawing (PDF) is needed for {' and '.join(needs_drawing)}: "
                "attach one, or our team reviews the part.",
                "customer",
            )
        )
    return tuple(issues)


def _halvings(standard: float, asked: float) -> float:
    """How many times the standard value is halved to reach the one asked (0 if not finer)."""
    return math.log2(standard / asked) if asked < standard else 0.0


def _optional_size(values: Mapping[str, Any], key: str, low: float, high: float) -> float:
    value = values.get(key)
    if value in (None, 0, 0.0):
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise QuoteError(f"{key} must be a number, got {value!r}")
    if not low <= value <= high:
        raise QuoteError(f"{key} must be between {low:g} and {high:g}, got {value!r}")
    return float(value)


def _features(raw: Any, key: str, sizes: Sequence[str]) -> tuple[Feature, ...]:
    """[{"size": "M3", "count": 4}, ...]: known sizes, whole counts, each size once."""
    if raw in (None, ()):
        return ()
    if isinstance(raw, str | Mapping) or not isinstance(raw, Iterable):
        raise QuoteError(f"{key} must be a list of {{size, count}}, got {raw!r}")
    features = []
    for index, item in enumerate(raw):
        where = f"{key}[{index}]"
        if not isinstance(item, Mapping) or set(item) != {"size", "count"}:
            raise QuoteError(f"{where} must have exactly a size and a count, got {item!r}")
        size, count = item["size"], item["count"]
        if size not in sizes:
            raise QuoteError(f"{where}.size must be one of {', '.join(sizes)}, got {size!r}")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_FEATURES:
            raise QuoteError(
                f"{where}.count must be a whole number from 1 to {MAX_FEATURES}, got {count!r}"
            )
        if any(feature.size == size for feature in features):
            raise QuoteError(f"{where}: {size} is listed twice; give its total count once")
        features.append(Feature(size, count))
    return tuple(features)
