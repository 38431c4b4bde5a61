"""Building blocks shared by the process cost models.

A model (``processes/<technology>.py``) reads a ``PartGeometry`` and the parameters of a ``Job`` and
returns a ``ProcessEstimate``: explained ``CostItem``s per part plus the figures quoting needs
(material, machine time, batches, DFM). ``quote.py`` adds the commercial layer on top.
"""

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from odm_engine.mesh.messages import decimals, number, render
from odm_engine.pricing.params import MachineRate, Material, ProcessParams, QuoteError

SEVERITIES = ("info", "warning", "fatal")
AUDIENCES = ("customer", "internal")
# Findings about how the shop makes the part, not about the part: kept off customer documents.
INTERNAL_FINDINGS = frozenset({"reoriented", "wall_not_checked", "repaired", "inverted_normals"})


def finding_audience(code: str) -> str:
    """Who a finding of this kind is meant for when its producer did not say."""
    return "internal" if code in INTERNAL_FINDINGS else "customer"


# Order in which a breakdown lists its items.
CATEGORIES = (
    "material",
    "machine",
    "surcharge",
    "setup",
    "tooling",
    "post_processing",
    "scrap",
    "margin",
    "finish",
    "discount",
    "minimum",
    "lead_time",
)


@dataclass(frozen=True)
class DfmIssue:
    """A design-for-manufacturing finding; ``fatal`` blocks confirmation without an override.

    ``audience`` says who may read it: ``customer`` findings go on quotations and the portal,
    ``internal`` ones only to the shop (empty: the default of the finding's kind).
    """

    code: str
    severity: str
    message: str
    audience: str = ""
    # The message with %(name)s placeholders and its numbers apart (odm_engine.mesh.messages),
    # for applications that format numbers in their reader's language; empty for plain text.
    template: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"DFM severity must be one of {SEVERITIES}, got {self.severity!r}")
        if not self.audience:
            object.__setattr__(self, "audience", finding_audience(self.code))
        if self.audience not in AUDIENCES:
            raise ValueError(f"DFM audience must be one of {AUDIENCES}, got {self.audience!r}")

    @classmethod
    def of(cls, code: str, severity: str, template: str, **params: Any) -> "DfmIssue":
        """An issue whose message is ``template`` filled with ``params`` (numbers given by
        odm_engine.mesh.messages.number), the template and parameters kept."""
        return cls(code, severity, render(template, params), template=template, params=params)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "audience": self.audience,
        }
        if self.template:
            data.update(template=self.template, params=dict(self.params))
        return data


@dataclass(frozen=True)
class CostItem:
    """One line of an explained price: amount per part and the formula with its inputs."""

    code: str
    label: str
    category: str
    amount: float
    formula: str
    inputs: Mapping[str, float | int | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"cost category must be one of {CATEGORIES}, got {self.category!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "category": self.category,
            "amount": self.amount,
            "formula": self.formula,
            "inputs": dict(self.inputs),
        }


def cost(code: str, label: str, category: str, amount: float, formula: str, **inputs) -> CostItem:
    """Shorthand for a cost item whose inputs are the names used in its formula."""
    return CostItem(code, label, category, amount, formula, inputs)


def _triple(value: Any, key: str) -> tuple[float, float, float]:
    try:
        triple = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        triple = ()
    if len(triple) != 3 or not all(math.isfinite(v) and v >= 0 for v in triple):
        raise QuoteError(f"geometry {key} must be three non-negative sizes, got {value!r}")
    return triple  # type: ignore[return-value]


def _scalar(geometry: Mapping[str, Any], key: str, *, whole: bool = False) -> float:
    value = geometry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise QuoteError(f"geometry lacks a numeric {key!r} (got {value!r})")
    if value < 0:
        raise QuoteError(f"geometry {key!r} must not be negative, got {value!r}")
    return int(value) if whole else float(value)


def _section(geometry: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    section = geometry.get(key)
    if not isinstance(section, Mapping):
        raise QuoteError(f"geometry lacks the {key!r} section")
    return section


@dataclass(frozen=True)
class PartGeometry:
    """The geometry metrics the cost models read, taken from ``Analysis.to_dict()``.

    ``print_box_mm`` is the part in its print orientation: the footprint's minimal rectangle
    (longer side first) and the height.
    """

    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]
    obb_mm: tuple[float, float, float]
    bodies: int
    min_wall_mm: float | None
    thin_area_by_threshold_mm2: Mapping[str, float]
    print_box_mm: tuple[float, float, float]
    support_volume_mm3: float
    overhang_area_mm2: float
    skin_area_mm2: float
    wall_area_mm2: float
    projected_area_mm2: float
    undercut_area_mm2: float
    cnc_setups: int
    cnc_inaccessible_area_mm2: float
    deep_pocket_ratio: float
    sharp_inner_edges: int
    sharp_inner_edge_length_mm: float
    dfm: tuple[DfmIssue, ...]
    # The packed fine-layer table of the analysis (``odm_engine.slicing.layers``), if stored.
    fdm_layers: Mapping[str, Any] | None = None
    # The SLA layer table of the analysis (``odm_engine.slicing.sla_layers``), if stored.
    sla_layers: Mapping[str, Any] | None = None

    @classmethod
    def from_mapping(cls, geometry: Mapping[str, Any]) -> "PartGeometry":
        """Reads and checks the analysis mapping; QuoteError names the first missing metric."""
        if isinstance(geometry, PartGeometry):
            return geometry
        if not isinstance(geometry, Mapping):
            raise QuoteError(
                f"geometry must be a mapping of metrics, got {type(geometry).__name__}"
            )
        orientation = _section(geometry, "orientation")
        cnc = _section(geometry, "cnc")
        footprint = orientation.get("footprint_mm")
        if not (isinstance(footprint, Sequence) and len(footprint) == 2):
            raise QuoteError("geometry orientation.footprint_mm must be [width, depth]")
        # The best orientation's support volume, else the one of the requested build direction.
        supports = orientation if orientation.get("support_volume_mm3") is not None else geometry
        area = _scalar(geometry, "area_mm2")
        print_box = _triple(
            [*footprint, orientation.get("height_mm")], "orientation footprint and height"
        )
        # Analyses stored before skin and wall areas: both faces of the footprint are skins.
        skins = min(area, 2.0 * print_box[0] * print_box[1])
        part = cls(
            volume_mm3=_scalar(geometry, "volume_mm3"),
            area_mm2=area,
            bbox_mm=_triple(geometry.get("bbox_mm"), "bbox_mm"),
            obb_mm=tuple(sorted(_triple(geometry.get("obb_mm"), "obb_mm"), reverse=True)),
            bodies=_scalar(geometry, "bodies", whole=True),
            min_wall_mm=(
                None if geometry.get("min_wall_mm") is None else _scalar(geometry, "min_wall_mm")
            ),
            thin_area_by_threshold_mm2=dict(geometry.get("thin_area_by_threshold_mm2") or {}),
            print_box_mm=print_box,
            support_volume_mm3=_scalar(supports, "support_volume_mm3"),
            overhang_area_mm2=(
                0.0
                if supports.get("overhang_area_mm2") is None
                else _scalar(supports, "overhang_area_mm2")
            ),
            skin_area_mm2=_scalar(geometry, "skin_area_mm2")
            if "skin_area_mm2" in geometry
            else skins,
            wall_area_mm2=(
                _scalar(geometry, "wall_area_mm2") if "wall_area_mm2" in geometry else area - skins
            ),
            projected_area_mm2=_scalar(geometry, "projected_area_mm2"),
            undercut_area_mm2=_scalar(geometry, "undercut_area_mm2"),
            cnc_setups=max(1, _scalar(cnc, "setups", whole=True)),
            cnc_inaccessible_area_mm2=_scalar(cnc, "inaccessible_area_mm2"),
            deep_pocket_ratio=_scalar(cnc, "deep_pocket_ratio"),
            sharp_inner_edges=_scalar(cnc, "sharp_inner_edges", whole=True),
            sharp_inner_edge_length_mm=_scalar(cnc, "sharp_inner_edge_length_mm"),
            dfm=tuple(_dfm_issue(issue) for issue in geometry.get("dfm") or ()),
            fdm_layers=geometry.get("fdm_layers") or None,
            sla_layers=geometry.get("sla_layers") or None,
        )
        if part.volume_mm3 <= 0 or part.area_mm2 <= 0:
            raise QuoteError("the part has no volume: nothing to quote")
        return part

    @property
    def footprint_mm2(self) -> float:
        """Area of the footprint rectangle in the print orientation."""
        return self.print_box_mm[0] * self.print_box_mm[1]

    @property
    def equivalent_wall_mm(self) -> float:
        """2·V/A: the thickness of a plate with the same volume and surface (Chvorinov modulus)."""
        return 2.0 * self.volume_mm3 / self.area_mm2


def _dfm_issue(issue: Any) -> DfmIssue:
    if isinstance(issue, DfmIssue):
        return issue
    try:
        return DfmIssue(
            str(issue["code"]),
            str(issue["severity"]),
            str(issue["message"]),
            str(issue.get("audience") or ""),
            str(issue.get("template") or ""),
            dict(issue.get("params") or {}),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise QuoteError(f"geometry dfm entries need code, severity, message: {issue!r}") from error


@dataclass(frozen=True)
class Job:
    """What a process model prices: one part, on one machine, in one material, in a quantity."""

    geometry: PartGeometry
    process: ProcessParams
    material: Material
    machine: MachineRate
    quantity: int
    measured: Mapping[str, float] | None = None


@dataclass(frozen=True)
class ProcessEstimate:
    """A process model's result for one job."""

    items: tuple[CostItem, ...]
    material_g: float
    machine_time_s: float
    order_machine_time_s: float
    parts_per_batch: int
    batches: int
    dfm: tuple[DfmIssue, ...] = ()
    additive: bool = False
    # One part printed alone, where its machine time is a share of a platform (SLA): the
    # figure a slicer measures and ``Job.measured`` gives.
    print_time_s: float | None = None

    @property
    def cost(self) -> float:
        return sum(item.amount for item in self.items)


def envelope_of(machine: MachineRate) -> tuple[float, float, float]:
    return (machine.build_x_mm, machine.build_y_mm, machine.build_z_mm)


def fit_in_envelope(
    dims: Sequence[float], machine: MachineRate, *, keep_height: bool = False
) -> tuple[float, float, float] | None:
    """The first axis permutation of ``dims`` that fits the machine, the given one first.

    With ``keep_height`` only the footprint may turn (the print orientation was chosen for a
    reason); otherwise the part may be laid in any direction.
    """
    envelope = envelope_of(machine)
    candidates = (
        [(dims[0], dims[1], dims[2]), (dims[1], dims[0], dims[2])]
        if keep_height
        else itertools.permutations(dims)
    )
    for candidate in candidates:
        if all(size <= room for size, room in zip(candidate, envelope, strict=True)):
            return tuple(candidate)  # type: ignore[return-value]
    return None


def oriented_fit(
    dims: tuple[float, float, float], machine: MachineRate, dfm: list[DfmIssue]
) -> tuple[float, float, float]:
    """Fits a print-oriented box on a machine, turning it only if it must; notes it in ``dfm``."""
    fitted = fit_in_envelope(dims, machine, keep_height=True)
    if fitted is not None:
        return fitted
    fitted = fit_in_envelope(dims, machine)
    if fitted is not None:
        dfm.append(
            DfmIssue.of(
                "reoriented",
                "info",
                "Printed lying on another side to fit %(machine)s: height %(height)s mm instead "
                "of %(planned)s mm.",
                machine=machine.name,
                height=number(fitted[2], 1),
                planned=number(dims[2], 1),
            )
        )
        return fitted
    dfm.append(envelope_issue(dims, machine))
    return dims


def envelope_issue(dims: Sequence[float], machine: MachineRate) -> DfmIssue:
    room = envelope_of(machine)
    return DfmIssue.of(
        "exceeds_envelope",
        "fatal",
        "%(x)s x %(y)s x %(z)s mm does not fit the largest machine, %(machine)s (%(room_x)s x "
        "%(room_y)s x %(room_z)s mm): split the part or choose another process.",
        x=number(dims[0], 1),
        y=number(dims[1], 1),
        z=number(dims[2], 1),
        machine=machine.name,
        room_x=number(room[0]),
        room_y=number(room[1]),
        room_z=number(room[2]),
    )


def plate_capacity(part_x: float, part_y: float, machine: MachineRate, spacing: float) -> int:
    """Parts per plate in a rectangular grid, whichever way round packs more (at least one)."""

    def grid(x: float, y: float) -> int:
        columns = math.floor((machine.build_x_mm + spacing) / (x + spacing))
        rows = math.floor((machine.build_y_mm + spacing) / (y + spacing))
        return columns * rows

    return max(1, grid(part_x, part_y), grid(part_y, part_x))


def process_dfm(geometry: PartGeometry, process: ProcessParams) -> list[DfmIssue]:
    """Checks every process makes against its own thresholds: walls and overall size."""
    issues = []
    wall = geometry.min_wall_mm
    if wall is None:
        issues.append(
            DfmIssue("wall_not_checked", "info", "Wall thickness was not analysed for this part.")
        )
    elif wall < process.critical_wall_mm:
        issues.append(
            DfmIssue.of(
                "wall_too_thin",
                "fatal",
                "Walls down to %(wall)s mm cannot be made by %(process)s (minimum %(minimum)s "
                "mm); thicken them.",
                wall=number(wall, 2),
                process=process.name,
                minimum=number(process.critical_wall_mm, decimals(process.critical_wall_mm)),
            )
        )
    elif wall < process.min_wall_mm:
        thin_area = geometry.thin_area_by_threshold_mm2.get(f"{process.min_wall_mm:g}")
        template = (
            "Walls down to %(wall)s mm over %(area)s mm² are below the %(minimum)s mm "
            "recommended for %(process)s: they may break or not form."
            if thin_area
            else "Walls down to %(wall)s mm are below the %(minimum)s mm recommended for "
            "%(process)s: they may break or not form."
        )
        issues.append(
            DfmIssue.of(
                "thin_wall",
                "warning",
                template,
                wall=number(wall, 2),
                **({"area": number(thin_area)} if thin_area else {}),
                minimum=number(process.min_wall_mm, decimals(process.min_wall_mm)),
                process=process.name,
            )
        )
    smallest = min(geometry.bbox_mm)
    if smallest < process.min_feature_mm:
        issues.append(
            DfmIssue.of(
                "small_part",
                "warning",
                "The part is only %(smallest)s mm thick overall, below the %(minimum)s mm "
                "%(process)s reproduces reliably.",
                smallest=number(smallest, 2),
                minimum=number(process.min_feature_mm, decimals(process.min_feature_mm)),
                process=process.name,
            )
        )
    return issues
