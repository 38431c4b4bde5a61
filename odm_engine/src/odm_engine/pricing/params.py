"""Every number a price depends on, as flat, validated records.

Each record mirrors one editable Odoo record: flat fields, a unit and a help text per field (in
the field metadata), no nesting. ``PricingConfig`` gathers them and checks that they refer to
each other consistently. ``PricingConfig.with_overrides`` applies a JSON/TOML override file on
top of the defaults (see ``defaults.py``) so that any value can be tuned without code.
"""

import dataclasses
import itertools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: TOML config files need Python 3.11
    tomllib = None


class PricingError(ValueError):
    """A price cannot be computed; the message is meant for the end user."""


class ConfigError(PricingError):
    """Invalid pricing parameters (defaults, config file or Odoo records)."""


class QuoteError(PricingError):
    """Invalid quote request: unknown code, bad quantity, incomplete geometry."""


def number(
    unit: str,
    meaning: str,
    *,
    default: Any = MISSING,
    minimum: float = 0.0,
    maximum: float | None = None,
    positive: bool = False,
) -> Any:
    """A numeric parameter: its unit and help text document it; the bounds are enforced."""
    limits = {"minimum": minimum, "maximum": maximum, "positive": positive}
    return field(default=default, metadata={"unit": unit, "help": meaning, **limits})


def text(meaning: str, *, default: Any = MISSING) -> Any:
    """A code, a name or a list of codes."""
    return field(default=default, metadata={"unit": "", "help": meaning})


def _checked(owner: str, spec: dataclasses.Field, value: Any) -> Any:
    """Returns ``value`` coerced to the field's type, or raises ConfigError saying what is wrong."""
    where = f"{owner}.{spec.name}"
    if spec.type is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be text, got {value!r}")
        if not value.strip() and spec.default is MISSING:
            raise ConfigError(f"{where} must not be empty")
        return value.strip()
    if spec.type == tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise ConfigError(f"{where} must be a list of codes, got {value!r}")
        codes = tuple(value)
        if not all(isinstance(code, str) and code for code in codes):
            raise ConfigError(f"{where} must be a list of codes, got {value!r}")
        return codes
    if spec.type is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ConfigError(f"{where} must be a whole number, got {value!r}")
        value = int(value)
    elif spec.type is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{where} must be finite, got {value!r}")
    limits = spec.metadata
    unit = f" {limits['unit']}" if limits.get("unit") else ""
    if limits.get("positive") and value <= 0:
        raise ConfigError(f"{where} must be greater than 0{unit}, got {value!r}")
    if value < limits.get("minimum", 0.0):
        raise ConfigError(f"{where} must be at least {limits['minimum']:g}{unit}, got {value!r}")
    if limits.get("maximum") is not None and value > limits["maximum"]:
        raise ConfigError(f"{where} must be at most {limits['maximum']:g}{unit}, got {value!r}")
    return value


@dataclass(frozen=True, kw_only=True)
class Record:
    """Base of the parameter records: types and ranges are checked when a record is created."""

    def __post_init__(self) -> None:
        owner = self.describe()
        for spec in fields(self):
            object.__setattr__(self, spec.name, _checked(owner, spec, getattr(self, spec.name)))
        self.check()

    def describe(self) -> str:
        """Names the record in error messages, e.g. ``Material 'PLA'``."""
        code = getattr(self, "code", None) or getattr(self, "process", None)
        return f"{type(self).__name__} {code!r}" if code else type(self).__name__

    def check(self) -> None:
        """Cross-field rules; records that have some override this."""

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(spec.name for spec in fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str) -> "Record":
        """Builds a record from a config mapping, reporting unknown and missing fields by name."""
        _reject_unknown(values, cls.field_names(), where)
        missing = [
            spec.name
            for spec in fields(cls)
            if spec.default is MISSING
            and spec.default_factory is MISSING
            and spec.name not in values
        ]
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(missing)}")
        return cls(**values)

    def updated(self, changes: Mapping[str, Any], where: str) -> "Record":
        """A copy with some fields changed (a partial override from a config file)."""
        _reject_unknown(changes, self.field_names(), where)
        return dataclasses.replace(self, **changes)


def _reject_unknown(values: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where} must be a table of fields, got {values!r}")
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
        )


# --- Materials, machines, finishes -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Material(Record):
    """A material as bought: filament, resin, powder, bar stock or moulding granulate."""

    code: str = text("Short unique code used in requests and config files, e.g. PLA")
    name: str = text("Name shown to customers")
    processes: tuple[str, ...] = text("Process codes this material can be quoted with")
    density_g_cm3: float = number("g/cm3", "Density of the finished part", positive=True)
    price_per_kg: float = number(
        "currency/kg", "Purchase price of the material (resins: price per litre divided by density)"
    )
    bulk_density_g_cm3: float = number(
        "g/cm3", "Powder bed (bulk) density, powder processes only", default=0.0
    )
    removal_rate_cm3_min: float = number(
        "cm3/min", "CNC roughing material removal rate in this material", default=0.0
    )
    finishing_rate_cm2_min: float = number(
        "cm2/min", "CNC finishing rate (surface machined per minute) in this material", default=0.0
    )
    thermal_diffusivity_mm2_s: float = number(
        "mm2/s", "Thermal diffusivity of the melt, injection moulding only", default=0.0
    )
    melt_temp_c: float = number("°C", "Melt temperature, injection moulding", default=0.0)
    mould_temp_c: float = number("°C", "Mould wall temperature, injection moulding", default=0.0)
    eject_temp_c: float = number("°C", "Part temperature at ejection, moulding", default=0.0)
    cavity_pressure_mpa: float = number(
        "MPa", "Mean cavity pressure, sets the press clamp force, moulding", default=0.0
    )

    def check(self) -> None:
        temps = (self.melt_temp_c, self.eject_temp_c, self.mould_temp_c)
        if any(temps) and not self.melt_temp_c > self.eject_temp_c > self.mould_temp_c:
            raise ConfigError(
                f"{self.describe()}: moulding temperatures must satisfy "
                f"melt > eject > mould, got {temps}"
            )


@dataclass(frozen=True, kw_only=True)
class MachineRate(Record):
    """A machine (or a pool of identical machines): its hourly rate and its working envelope."""

    code: str = text("Short unique code of the machine")
    name: str = text("Machine name, e.g. Original Prusa MK4S")
    process: str = text("Process code this machine runs")
    rate_per_hour: float = number(
        "currency/h",
        "Cost of one machine hour (depreciation, energy, maintenance, floor space; printers "
        "exclude the operator, CNC machines and presses include the attending operator)",
        positive=True,
    )
    build_x_mm: float = number(
        "mm", "Usable envelope along X (press: max part size)", positive=True
    )
    build_y_mm: float = number("mm", "Usable envelope along Y", positive=True)
    build_z_mm: float = number("mm", "Usable envelope along Z (build height)", positive=True)
    available_hours_per_day: float = number(
        "h/day",
        "Hours per day this machine pool can work on one order (lead time)",
        positive=True,
    )
    clamp_force_kn: float = number(
        "kN", "Clamp force, injection moulding presses only", default=0.0
    )


@dataclass(frozen=True, kw_only=True)
class Finish(Record):
    """An optional surface finish, sold at its own prices (no margin on top)."""

    code: str = text("Short unique code of the finish")
    name: str = text("Name shown to customers")
    processes: tuple[str, ...] = text("Process codes this finish can be ordered with")
    materials: tuple[str, ...] = text(
        "Material codes the finish suits (e.g. anodising: aluminium); empty for all", default=()
    )
    setup_price: float = number("currency/order", "Fixed charge per order (masking, jigs, batch)")
    price_per_part: float = number("currency/part", "Handling charged once per part")
    price_per_cm2: float = number("currency/cm2", "Charged per cm² of part surface")
    extra_days: int = number("days", "Working days the finish adds to the lead time")


# --- Commercial rules -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class QuantityBreak(Record):
    """A discount granted from a quantity on (the highest break reached applies)."""

    min_quantity: int = number("parts", "Quantity from which the discount applies", minimum=1)
    discount_pct: float = number("%", "Discount on the price after margin", maximum=90.0)
    process: str = text("Process code, or empty for every process", default="")


@dataclass(frozen=True, kw_only=True)
class LeadTimeTier(Record):
    """A delivery option: how fast and at what price factor."""

    code: str = text("Short unique code, e.g. express")
    name: str = text("Name shown to customers")
    lead_time_factor: float = number(
        "factor", "Multiplies the process base lead time (queue, not machine time)", positive=True
    )
    price_factor: float = number("factor", "Multiplies the price after discount", positive=True)


@dataclass(frozen=True, kw_only=True)
class Margin(Record):
    """Markup and minimum order value, per process or as the default (empty process)."""

    process: str = text("Process code, or empty for the default margin", default="")
    markup_pct: float = number(
        "%", "Markup on the full cost: price = cost * (1 + markup_pct / 100)"
    )
    minimum_order_value: float = number(
        "currency", "Minimum total price of an order line (before lead time factor)"
    )


# --- Process parameters -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProcessParams(Record):
    """Parameters every process has; subclasses add those of their ``technology``'s model."""

    technology: ClassVar[str] = ""

    code: str = text("Short unique code, e.g. FDM, MJF")
    name: str = text("Name shown to customers")
    default_material: str = text("Material code quoted when none is given")
    labour_rate_per_hour: float = number(
        "currency/h", "Cost of an hour of hands-on work off the machine", positive=True
    )
    order_setup_min: float = number(
        "min/order", "Job preparation per order line (file check, slicing, paperwork)"
    )
    post_process_min_per_part: float = number(
        "min/part", "Manual work per part (cleaning, deburring, inspection, packing)"
    )
    scrap_pct: float = number(
        "%", "Allowance for failed parts on material, machine and post-processing", maximum=100.0
    )
    lead_time_days: int = number("days", "Base lead time (queue and preparation)")
    min_wall_mm: float = number("mm", "Thinner walls get a DFM warning")
    critical_wall_mm: float = number("mm", "Thinner walls cannot be produced: fatal DFM")
    min_feature_mm: float = number("mm", "Smaller overall part dimensions get a DFM warning")
    # Specifications a customer may ask for (see ``specifications.py``); defaults suit printing.
    standard_tolerance_mm: float = number(
        "mm",
        "Tolerance (±) held without extra care; tighter ones add machine time",
        default=0.2,
        positive=True,
    )
    best_tolerance_mm: float = number(
        "mm",
        "Finest tolerance (±) the process can hold; tighter ones need a review",
        default=0.1,
        positive=True,
    )
    tolerance_machine_pct: float = number(
        "%",
        "Machine cost added per halving of the tolerance below the standard one",
        default=25.0,
    )
    thread_min: float = number(
        "min/thread", "Tapping or thread-milling one thread, with its gauge check", default=1.5
    )
    insert_min: float = number(
        "min/insert", "Setting one threaded insert (heat-set or pressed)", default=1.0
    )
    insert_price: float = number("currency/insert", "Purchase price of one insert", default=0.15)
    standard_roughness_ra_um: float = number(
        "µm",
        "Surface roughness Ra the process leaves; finer ones need finishing",
        default=12.5,
        positive=True,
    )
    finishing_min_per_cm2: float = number(
        "min/cm2",
        "Finishing per cm² of surface for each halving of Ra below the standard",
        default=0.05,
    )
    first_article_min: float = number(
        "min/order", "Measuring the first part against the drawing and recording it", default=20.0
    )
    inspection_report_min_per_part: float = number(
        "min/part", "Full dimensional inspection of every part, with its report", default=10.0
    )

    def check(self) -> None:
        if self.critical_wall_mm > self.min_wall_mm:
            raise ConfigError(f"{self.describe()}: critical_wall_mm must not exceed min_wall_mm")
        if self.best_tolerance_mm > self.standard_tolerance_mm:
            raise ConfigError(
                f"{self.describe()}: best_tolerance_mm must not exceed standard_tolerance_mm"
            )


@dataclass(frozen=True, kw_only=True)
class PlatePrintParams(ProcessParams):
    """Layer-wise printing of parts placed side by side on a build plate (FDM, SLA/DLP)."""

    layer_height_mm: float = number("mm", "Layer height", positive=True)
    support_density_pct: float = number(
        "%", "Share of the support volume actually filled with material", maximum=100.0
    )
    part_spacing_mm: float = number("mm", "Gap kept between parts on the plate")
    plate_setup_min: float = number(
        "min/plate", "Operator time per build plate (prepare, start, remove parts)"
    )
    support_removal_min_per_cm3: float = number(
        "min/cm3", "Manual support removal time per cm³ of supported region"
    )


@dataclass(frozen=True, kw_only=True)
class FdmParams(PlatePrintParams):
    """Fused deposition modelling: shells, top/bottom skins, sparse infill, supports."""

    technology: ClassVar[str] = "fdm"

    line_width_mm: float = number(
        "mm", "Extrusion line width (≈ nozzle diameter + 10 %)", positive=True
    )
    perimeters: int = number("lines", "Number of perimeter lines around every wall", minimum=1)
    top_layers: int = number("layers", "Solid layers under upward-facing surfaces")
    bottom_layers: int = number("layers", "Solid layers over downward-facing surfaces")
    infill_pct: float = number("%", "Sparse infill density of the inner volume", maximum=100.0)
    support_interface_layers: int = number(
        "layers", "Dense support layers printed right under every overhang"
    )
    support_interface_pct: float = number(
        "%", "Density of the support interface layers", maximum=100.0
    )
    volumetric_flow_mm3_s: float = number(
        "mm3/s",
        "Average extrusion rate over a print (slower perimeters included)",
        positive=True,
    )
    layer_overhead_s: float = number("s/layer", "Travel, retraction and layer change per layer")
    print_time_factor: float = number(
        "x",
        "Correction of the layer-by-layer print time, from production actuals (1: none)",
        default=1.0,
        positive=True,
    )


@dataclass(frozen=True, kw_only=True)
class SlaParams(PlatePrintParams):
    """Vat photopolymerisation (SLA, DLP, MSLA): whole layers exposed, time set by layer count."""

    technology: ClassVar[str] = "sla"

    layer_exposure_s: float = number("s/layer", "Exposure time of one layer", positive=True)
    layer_peel_s: float = number("s/layer", "Peel, lift and recoat time per layer")
    support_lift_mm: float = number(
        "mm", "Height parts are raised on supports above the platform (raft included)"
    )
    wash_cure_min: float = number("min/platform", "Operator time to wash and post-cure a platform")


@dataclass(frozen=True, kw_only=True)
class SlsParams(ProcessParams):
    """Powder bed fusion (SLS, MJF): parts nested in 3D; each pays its share of a full build."""

    technology: ClassVar[str] = "sls"

    layer_height_mm: float = number("mm", "Layer height", positive=True)
    layer_time_s: float = number("s/layer", "Recoat and fuse time per layer", positive=True)
    build_overhead_h: float = number(
        "h/build", "Machine time per build besides layers (warm-up, in-machine cool-down)"
    )
    packing_density_pct: float = number(
        "%",
        "Share of the chamber volume that part bounding boxes fill in a nested build",
        positive=True,
        maximum=100.0,
    )
    refresh_pct: float = number(
        "%",
        "Share of the unfused powder around a part that must be replaced by fresh powder",
        maximum=100.0,
    )
    build_setup_min: float = number(
        "min/build", "Operator time per build (nesting, powder loading, unpacking)"
    )
    depowder_min_per_part: float = number("min/part", "Depowdering and bead blasting per part")


@dataclass(frozen=True, kw_only=True)
class CncParams(ProcessParams):
    """CNC milling from a rectangular blank."""

    technology: ClassVar[str] = "cnc"

    stock_allowance_mm: float = number("mm", "Extra stock on every side of the part's box")
    setup_min_per_setup: float = number(
        "min/setup", "Fixturing and zeroing per setup, once per order (machine blocked)"
    )
    load_unload_min_per_setup: float = number(
        "min/part/setup", "Clamping and unclamping each part in each setup"
    )
    programming_min: float = number("min/order", "CAM programming base time per order line")
    programming_min_per_setup: float = number("min/setup", "CAM programming time per setup")
    deep_pocket_ratio: float = number(
        "depth/width",
        "Pockets deeper than this ratio need long tools: DFM warning and surcharge",
        positive=True,
    )
    deep_pocket_surcharge_pct: float = number(
        "%", "Surcharge on machining time when a deep pocket is present"
    )
    sharp_edge_min_per_mm: float = number(
        "min/mm", "Extra machining (small-tool rest machining) per mm of sharp inner edge"
    )
    max_inaccessible_pct: float = number(
        "%",
        "More surface out of reach of every 3-axis setup than this: DFM warning",
        maximum=100.0,
    )


@dataclass(frozen=True, kw_only=True)
class MouldingParams(ProcessParams):
    """Injection moulding, first order: an aluminium/soft-steel bridge tool, one cavity."""

    technology: ClassVar[str] = "moulding"

    mould_fixed_cost: float = number(
        "currency", "Mould base, design and first samples, whatever the part"
    )
    mould_cost_per_cm2: float = number(
        "currency/cm2", "Cavity and core machining per cm² of projected part area"
    )
    mould_cost_per_cm3: float = number(
        "currency/cm3", "Mould size: cost per cm³ of the part's bounding box"
    )
    mould_cost_per_side_action: float = number(
        "currency/slide", "Each side action (slide, lifter) needed to release undercuts"
    )
    undercut_area_per_side_action_mm2: float = number(
        "mm2", "Undercut area one side action can form", positive=True
    )
    max_side_actions: int = number("slides", "More side actions than this: DFM warning")
    cycle_overhead_s: float = number(
        "s/shot", "Injection, holding, mould opening and ejection besides cooling"
    )
    runner_waste_pct: float = number("%", "Runner and sprue material per shot, not reground")
    press_setup_min: float = number(
        "min/order", "Mounting the mould and first-off approval per order (press blocked)"
    )
    clamp_safety_factor: float = number(
        "factor",
        "Required clamp force = projected area * cavity pressure * this factor",
        positive=True,
    )
    max_wall_mm: float = number(
        "mm",
        "Thicker equivalent walls cause sink marks and long cycles: DFM warning",
        positive=True,
    )


@dataclass(frozen=True, kw_only=True)
class MjfParams(SlsParams):
    """Multi Jet Fusion: priced with the powder-bed model of SLS, with its own parameters."""

    technology: ClassVar[str] = "mjf"


PROCESS_TECHNOLOGIES: dict[str, type[ProcessParams]] = {
    params.technology: params
    for params in (FdmParams, SlaParams, SlsParams, MjfParams, CncParams, MouldingParams)
}


# --- The whole configuration ------------------------------------------------------------------

# Material fields a cost model cannot do without, by process technology.
MATERIAL_NEEDS: dict[str, tuple[str, ...]] = {
    "sls": ("bulk_density_g_cm3",),
    "mjf": ("bulk_density_g_cm3",),
    "cnc": ("removal_rate_cm3_min", "finishing_rate_cm2_min"),
    "moulding": ("thermal_diffusivity_mm2_s", "melt_temp_c", "cavity_pressure_mpa"),
}

RECORD_TABLES: dict[str, type[Record]] = {
    "materials": Material,
    "machines": MachineRate,
    "finishes": Finish,
    "lead_time_tiers": LeadTimeTier,
}
RECORD_LISTS: dict[str, type[Record]] = {"quantity_breaks": QuantityBreak, "margins": Margin}


@dataclass(frozen=True)
class PricingConfig:
    """All pricing parameters, checked for consistency when created."""

    currency: str
    default_process: str
    default_lead_time: str
    comparison_quantities: tuple[int, ...]
    comparison_max_quantity: int
    processes: Mapping[str, ProcessParams]
    materials: Mapping[str, Material]
    machines: Mapping[str, MachineRate]
    finishes: Mapping[str, Finish]
    lead_time_tiers: Mapping[str, LeadTimeTier]
    quantity_breaks: tuple[QuantityBreak, ...]
    margins: tuple[Margin, ...]

    def __post_init__(self) -> None:
        for table in ("processes", *RECORD_TABLES):
            records = getattr(self, table)
            for code, record in records.items():
                if code != record.code:
                    raise ConfigError(f"{table}: key {code!r} differs from code {record.code!r}")
            if len({code.casefold() for code in records}) != len(records):
                raise ConfigError(f"{table}: codes must differ by more than letter case")
        self._check_settings()
        self._check_references()
        self._check_commercial_rules()

    def _check_settings(self) -> None:
        if not (isinstance(self.currency, str) and len(self.currency) == 3):
            raise ConfigError(
                f"currency must be an ISO 4217 code such as EUR, got {self.currency!r}"
            )
        if self.default_process not in self.processes:
            raise ConfigError(f"default_process {self.default_process!r} is not a process")
        if self.default_lead_time not in self.lead_time_tiers:
            raise ConfigError(f"default_lead_time {self.default_lead_time!r} is not a tier")
        quantities = self.comparison_quantities
        if not quantities or any(
            isinstance(q, bool) or not isinstance(q, int) or q < 1 for q in quantities
        ):
            raise ConfigError(f"comparison_quantities must be positive whole numbers: {quantities}")
        if not isinstance(self.comparison_max_quantity, int) or self.comparison_max_quantity < max(
            quantities
        ):
            raise ConfigError("comparison_max_quantity must cover every comparison quantity")

    def _check_references(self) -> None:
        for machine in self.machines.values():
            self._require_process(machine.process, machine.describe())
            process = self.processes[machine.process]
            if process.technology == "moulding" and not machine.clamp_force_kn:
                raise ConfigError(f"{machine.describe()}: a moulding press needs clamp_force_kn")
        for record in (*self.materials.values(), *self.finishes.values()):
            for process in record.processes:
                self._require_process(process, record.describe())
        for finish in self.finishes.values():
            for code in finish.materials:
                if code not in self.materials:
                    raise ConfigError(f"{finish.describe()}: unknown material {code!r}")
        for material in self.materials.values():
            for process in material.processes:
                technology = self.processes[process].technology
                needed = MATERIAL_NEEDS.get(technology, ())
                missing = [name for name in needed if not getattr(material, name)]
                if missing:
                    raise ConfigError(
                        f"{material.describe()}: {', '.join(missing)} needed to quote {process}"
                    )
        for process in self.processes.values():
            material = self.materials.get(process.default_material)
            if material is None or process.code not in material.processes:
                raise ConfigError(
                    f"{process.describe()}: default_material {process.default_material!r} "
                    "is not a material of this process"
                )
            if not self.machines_for(process.code):
                raise ConfigError(f"{process.describe()}: no machine runs this process")

    def _check_commercial_rules(self) -> None:
        margin_processes = [margin.process for margin in self.margins]
        if margin_processes.count("") != 1 or len(set(margin_processes)) != len(margin_processes):
            raise ConfigError(
                "margins need exactly one default (empty process) and one per process"
            )
        for margin in self.margins:
            if margin.process:
                self._require_process(margin.process, margin.describe())
        for group in {brk.process for brk in self.quantity_breaks}:
            if group:
                self._require_process(group, f"QuantityBreak {group!r}")
            steps = sorted(
                (brk for brk in self.quantity_breaks if brk.process == group),
                key=lambda brk: brk.min_quantity,
            )
            for low, high in itertools.pairwise(steps):
                if low.min_quantity == high.min_quantity or low.discount_pct > high.discount_pct:
                    raise ConfigError(
                        f"quantity_breaks{' of ' + group if group else ''}: the discount must "
                        "grow with the quantity and quantities must differ "
                        f"({low.min_quantity}: {low.discount_pct}%, "
                        f"{high.min_quantity}: {high.discount_pct}%)"
                    )
        tiers = sorted(self.lead_time_tiers.values(), key=lambda tier: tier.lead_time_factor)
        for faster, slower in itertools.pairwise(tiers):
            if faster.price_factor < slower.price_factor:
                raise ConfigError(
                    f"lead_time_tiers: {faster.code!r} is faster than {slower.code!r} "
                    "and must not be cheaper"
                )

    def _require_process(self, code: str, where: str) -> None:
        if code not in self.processes:
            raise ConfigError(f"{where}: unknown process {code!r}")

    # --- Lookups for quote requests ---------------------------------------------------------

    def process(self, code: str) -> ProcessParams:
        return _lookup(self.processes, code, "process")

    def material(self, code: str, process: ProcessParams) -> Material:
        material = _lookup(self.materials, code, "material")
        if process.code not in material.processes:
            allowed = [m.code for m in self.materials.values() if process.code in m.processes]
            raise QuoteError(
                f"material {code!r} is not available for {process.code} "
                f"(choose from: {', '.join(allowed)})"
            )
        return material

    def finish(self, code: str, process: ProcessParams, material: Material) -> Finish:
        finish = _lookup(self.finishes, code, "finish")
        if process.code not in finish.processes:
            raise QuoteError(f"finish {code!r} is not available for {process.code}")
        if finish.materials and material.code not in finish.materials:
            raise QuoteError(
                f"finish {code!r} does not suit {material.code} "
                f"(only {', '.join(finish.materials)})"
            )
        return finish

    def lead_time_tier(self, code: str) -> LeadTimeTier:
        return _lookup(self.lead_time_tiers, code, "lead time tier")

    def machines_for(self, process: str) -> tuple[MachineRate, ...]:
        return tuple(m for m in self.machines.values() if m.process == process)

    def margin_for(self, process: str) -> Margin:
        by_process = {margin.process: margin for margin in self.margins}
        return by_process.get(process, by_process[""])

    def quantity_breaks_for(self, process: str) -> tuple[QuantityBreak, ...]:
        """The process's own breaks if it has any, else the breaks for every process."""
        own = tuple(brk for brk in self.quantity_breaks if brk.process == process)
        return own or tuple(brk for brk in self.quantity_breaks if not brk.process)

    # --- Overrides ---------------------------------------------------------------------------

    def with_overrides(self, overrides: Mapping[str, Any]) -> "PricingConfig":
        """A copy with a config file's values applied.

        Tables keyed by code (processes, materials, machines, finishes, lead_time_tiers) merge
        record by record: fields given replace the defaults, a new code creates a record (all its
        fields required; new processes also need ``technology``), ``null``/``false`` removes one.
        Lists (quantity_breaks, margins, comparison_quantities) and single values replace.
        """
        _reject_unknown(overrides, [spec.name for spec in fields(self)], "config")
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if key == "processes":
                changes[key] = _merge_table(self.processes, value, key, _new_process)
            elif key in RECORD_TABLES:
                changes[key] = _merge_table(
                    getattr(self, key), value, key, RECORD_TABLES[key].from_mapping
                )
            elif key in RECORD_LISTS:
                if not isinstance(value, list):
                    raise ConfigError(f"{key} must be a list of tables")
                changes[key] = tuple(
                    RECORD_LISTS[key].from_mapping(item, f"{key}[{index}]")
                    for index, item in enumerate(value)
                )
            elif key == "comparison_quantities":
                if not isinstance(value, list):
                    raise ConfigError("comparison_quantities must be a list of quantities")
                changes[key] = tuple(value)
            else:
                changes[key] = value
        return dataclasses.replace(self, **changes)


def _lookup(table: Mapping[str, Any], code: Any, what: str) -> Any:
    """The record of ``code``, ignoring case (``fdm`` finds ``FDM``)."""
    if code in table:
        return table[code]
    if isinstance(code, str):
        for key, record in table.items():
            if key.casefold() == code.casefold():
                return record
    raise QuoteError(f"unknown {what} {code!r} (choose from: {', '.join(table)})")


def _new_process(values: Mapping[str, Any], where: str) -> ProcessParams:
    values = dict(values)
    technology = values.pop("technology", None)
    if technology not in PROCESS_TECHNOLOGIES:
        raise ConfigError(
            f"{where}: a new process needs technology = one of {', '.join(PROCESS_TECHNOLOGIES)}"
        )
    return PROCESS_TECHNOLOGIES[technology].from_mapping(values, where)


def _merge_table(table: Mapping[str, Record], overrides: Any, name: str, create) -> dict:
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{name} must be a table keyed by code")
    merged = dict(table)
    for code, values in overrides.items():
        where = f"{name}.{code}"
        if values is None or values is False:
            merged.pop(code, None)
        elif not isinstance(values, Mapping):
            raise ConfigError(f"{where} must be a table of fields, or null to remove it")
        elif code in merged:
            merged[code] = merged[code].updated(
                _without_technology(values, merged[code], where), where
            )
        else:
            merged[code] = create({"code": code, **values}, where)
    return merged


def _without_technology(values: Mapping[str, Any], record: Record, where: str) -> Mapping[str, Any]:
    """Allows ``technology`` in an override of a process as long as it does not change it."""
    if "technology" in values and isinstance(record, ProcessParams):
        if values["technology"] != record.technology:
            raise ConfigError(
                f"{where}: technology cannot change ({record.technology} → {values['technology']})"
            )
        return {key: value for key, value in values.items() if key != "technology"}
    return values


def read_overrides(path: str | Path) -> dict[str, Any]:
    """Reads a JSON (.json) or TOML (.toml) override file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ConfigError(f"config file {path} must end in .json or .toml")
    if suffix == ".toml" and tomllib is None:
        raise ConfigError("TOML config files need Python 3.11 or newer; use JSON")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from None
    try:
        source = raw.decode("utf-8")
        data = tomllib.loads(source) if suffix == ".toml" else json.loads(source)
    except ValueError as error:  # UnicodeDecodeError, JSONDecodeError and TOMLDecodeError
        raise ConfigError(
            f"config file {path} is not valid {suffix[1:].upper()}: {error}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a table of settings")
    return data
