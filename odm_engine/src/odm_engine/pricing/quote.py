"""Quotes and process comparison.

``quote_part`` prices one part: the process model's costs (on the cheapest machine that fits),
plus the costs every process shares (order setup, post-processing, scrap), then the commercial
rules (margin, finish price, quantity break, minimum order value, lead-time tier). Every step is
a ``CostItem`` of the breakdown, so the breakdown always adds up to the unit price.

``compare_processes`` prices every feasible process over a list of quantities and finds the
break-even quantities, e.g. from which quantity a moulding tool pays off against printing.
"""

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from odm_engine.pricing.costing import (
    CATEGORIES,
    SEVERITIES,
    CostItem,
    DfmIssue,
    Job,
    PartGeometry,
    ProcessEstimate,
    cost,
    process_dfm,
)
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.params import (
    Finish,
    LeadTimeTier,
    MachineRate,
    PricingConfig,
    ProcessParams,
    QuoteError,
)
from odm_engine.pricing.processes import MODELS
from odm_engine.pricing.specifications import (
    Specification,
    specification_costs,
    specification_review,
)

# Cost categories a failed part has to be paid again for.
SCRAP_BASIS = ("material", "machine", "surcharge", "post_processing")


@dataclass(frozen=True)
class LeadTimeOption:
    """The price of the same quote in one lead-time tier."""

    tier: str
    name: str
    days: int
    unit_price: float
    total_price: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "name": self.name,
            "days": self.days,
            "unit_price": self.unit_price,
            "total_price": self.total_price,
        }


@dataclass(frozen=True)
class Quote:
    """An explained price for one part in one process, material, quantity and lead time."""

    process: str
    process_name: str
    material: str
    material_name: str
    machine: str
    machine_name: str
    finish: str | None
    quantity: int
    currency: str
    lead_time: str
    lead_time_days: int
    unit_cost: float
    unit_price: float
    total_price: float
    breakdown: tuple[CostItem, ...]
    dfm: tuple[DfmIssue, ...]
    material_g: float
    part_mass_g: float
    machine_time_s: float
    print_time_s: float | None
    parts_per_batch: int
    batches: int
    lead_time_options: tuple[LeadTimeOption, ...]
    specification: Specification | None = None

    @property
    def fatal(self) -> bool:
        """True when a DFM check failed: confirming needs a manager override."""
        return any(issue.severity == "fatal" for issue in self.dfm)

    def to_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "process_name": self.process_name,
            "material": self.material,
            "material_name": self.material_name,
            "machine": self.machine,
            "machine_name": self.machine_name,
            "finish": self.finish,
            "quantity": self.quantity,
            "currency": self.currency,
            "lead_time": self.lead_time,
            "lead_time_days": self.lead_time_days,
            "unit_cost": self.unit_cost,
            "unit_price": self.unit_price,
            "total_price": self.total_price,
            "material_g": self.material_g,
            "part_mass_g": self.part_mass_g,
            "machine_time_s": self.machine_time_s,
            "print_time_s": self.print_time_s,
            "parts_per_batch": self.parts_per_batch,
            "batches": self.batches,
            "breakdown": [item.to_dict() for item in self.breakdown],
            "dfm": [issue.to_dict() for issue in self.dfm],
            "fatal": self.fatal,
            "lead_time_options": [option.to_dict() for option in self.lead_time_options],
            "specification": self.specification.to_dict() if self.specification else None,
        }


def quote_part(
    geometry: Mapping[str, Any] | PartGeometry,
    process: str,
    material: str | None = None,
    quantity: int = 1,
    *,
    finish: str | None = None,
    config: PricingConfig | None = None,
    lead_time: str | None = None,
    measured: Mapping[str, float] | None = None,
    specification: Mapping[str, Any] | None = None,
) -> Quote:
    """Prices ``quantity`` parts.

    ``geometry`` is ``Analysis.to_dict()`` (or a ``PartGeometry``); ``material`` defaults to the
    process's default material, ``lead_time`` to the config's default tier. ``measured`` holds
    figures from a slicer (``print_time_s``, ``material_g`` per part) that replace the FDM
    and SLA estimates. ``specification`` (tolerance, threads, inserts, roughness, inspection,
    drawing: see ``specifications.py``) adds one explained cost per item and review findings. Raises
    QuoteError for an invalid request; DFM problems are reported, not raised.
    """
    config = config or default_config()
    part = PartGeometry.from_mapping(geometry)
    params = config.process(process)
    stock = config.material(material or params.default_material, params)
    finishing = config.finish(finish, params, stock) if finish else None
    tier = config.lead_time_tier(lead_time or config.default_lead_time)
    quantity = checked_quantity(quantity)
    spec = Specification.from_mapping(specification) if specification else None
    if measured and params.technology not in ("fdm", "sla"):
        raise QuoteError(f"slicer measurements apply to FDM and SLA only, not to {params.name}")

    job, estimate = _cheapest_machine(
        [
            Job(part, params, stock, machine, quantity, measured)
            for machine in config.machines_for(params.code)
        ]
    )
    machine = job.machine
    asked = specification_costs(spec, params, part, quantity, estimate.items) if spec else []
    costs = _shared_costs(params, [*estimate.items, *asked], quantity)
    by_tier = {
        code: _priced(job, option, estimate=estimate, costs=costs, finish=finishing, config=config)
        for code, option in config.lead_time_tiers.items()
    }
    chosen, commercial = by_tier[tier.code]
    return Quote(
        process=params.code,
        process_name=params.name,
        material=stock.code,
        material_name=stock.name,
        machine=machine.code,
        machine_name=machine.name,
        finish=finishing.code if finishing else None,
        quantity=quantity,
        currency=config.currency,
        lead_time=tier.code,
        lead_time_days=chosen.days,
        unit_cost=sum(item.amount for item in costs),
        unit_price=chosen.unit_price,
        total_price=chosen.total_price,
        breakdown=tuple(sorted((*costs, *commercial), key=lambda i: CATEGORIES.index(i.category))),
        dfm=_merged_dfm(
            part.dfm,
            process_dfm(part, params),
            estimate.dfm,
            specification_review(spec, params, part) if spec else (),
        ),
        material_g=estimate.material_g,
        part_mass_g=part.volume_mm3 / 1000 * stock.density_g_cm3,
        machine_time_s=estimate.machine_time_s,
        print_time_s=(
            (estimate.print_time_s or estimate.machine_time_s) if estimate.additive else None
        ),
        parts_per_batch=estimate.parts_per_batch,
        batches=estimate.batches,
        lead_time_options=tuple(option for option, _ in by_tier.values()),
        specification=spec,
    )


def checked_quantity(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise QuoteError(f"quantity must be a whole number of at least 1, got {quantity!r}")
    return quantity


def _cheapest_machine(jobs: Sequence[Job]) -> tuple[Job, ProcessEstimate]:
    """The job (machine) of lowest cost among the machines the part fits; else the largest."""
    estimates = [(job, MODELS[job.process.technology](job)) for job in jobs]
    fitting = [pair for pair in estimates if not _has_fatal(pair[1].dfm)]
    if fitting:
        return min(fitting, key=lambda pair: pair[1].cost)
    return max(estimates, key=lambda pair: _machine_size(pair[0].machine))


def _machine_size(machine: MachineRate) -> tuple[float, float]:
    return machine.clamp_force_kn, machine.build_x_mm * machine.build_y_mm * machine.build_z_mm


def _shared_costs(
    params: ProcessParams, model_items: Sequence[CostItem], quantity: int
) -> list[CostItem]:
    """The model's items plus order setup, post-processing and scrap."""
    labour = params.labour_rate_per_hour
    items = [
        *model_items,
        cost(
            "order_setup",
            "Order preparation, spread over quantity",
            "setup",
            params.order_setup_min / 60 * labour / quantity,
            "order_setup_min / 60 * labour_rate_per_hour / quantity",
            order_setup_min=params.order_setup_min,
            labour_rate_per_hour=labour,
            quantity=quantity,
        ),
        cost(
            "post_processing",
            "Cleaning, inspection and packing",
            "post_processing",
            params.post_process_min_per_part / 60 * labour,
            "post_process_min_per_part / 60 * labour_rate_per_hour",
            post_process_min_per_part=params.post_process_min_per_part,
            labour_rate_per_hour=labour,
        ),
    ]
    basis = sum(item.amount for item in items if item.category in SCRAP_BASIS)
    items.append(
        cost(
            "scrap",
            "Scrap allowance",
            "scrap",
            basis * params.scrap_pct / 100,
            "basis * scrap_pct / 100, basis = material + machine + surcharges + post-processing",
            basis=basis,
            scrap_pct=params.scrap_pct,
        )
    )
    return items


def _finish_item(job: Job, finish: Finish) -> CostItem:
    area_cm2 = job.geometry.area_mm2 / 100
    quantity = job.quantity
    return cost(
        "finish",
        finish.name,
        "finish",
        finish.setup_price / quantity + finish.price_per_part + area_cm2 * finish.price_per_cm2,
        "setup_price / quantity + price_per_part + area_cm2 * price_per_cm2",
        setup_price=finish.setup_price,
        quantity=quantity,
        price_per_part=finish.price_per_part,
        area_cm2=area_cm2,
        price_per_cm2=finish.price_per_cm2,
    )


def _priced(
    job: Job,
    tier: LeadTimeTier,
    *,
    estimate: ProcessEstimate,
    costs: Sequence[CostItem],
    finish: Finish | None,
    config: PricingConfig,
) -> tuple[LeadTimeOption, list[CostItem]]:
    """Applies margin, finish, quantity break, minimum order value and lead-time tier."""
    params, machine, quantity = job.process, job.machine, job.quantity
    unit_cost = sum(item.amount for item in costs)
    margin = config.margin_for(params.code)
    items = [
        cost(
            "margin",
            "Margin",
            "margin",
            unit_cost * margin.markup_pct / 100,
            "unit_cost * markup_pct / 100",
            unit_cost=unit_cost,
            markup_pct=margin.markup_pct,
        )
    ]
    if finish:
        items.append(_finish_item(job, finish))
    price = unit_cost + sum(item.amount for item in items)
    reached = [
        brk for brk in config.quantity_breaks_for(params.code) if brk.min_quantity <= quantity
    ]
    best = max(reached, key=lambda brk: brk.min_quantity, default=None)
    if best and best.discount_pct:
        items.append(
            cost(
                "quantity_discount",
                f"Quantity discount from {best.min_quantity} parts",
                "discount",
                -price * best.discount_pct / 100,
                "-price * discount_pct / 100",
                price=price,
                discount_pct=best.discount_pct,
            )
        )
        price += items[-1].amount
    if price * quantity < margin.minimum_order_value:
        items.append(
            cost(
                "minimum_order",
                "Minimum order value",
                "minimum",
                margin.minimum_order_value / quantity - price,
                "minimum_order_value / quantity - price",
                minimum_order_value=margin.minimum_order_value,
                quantity=quantity,
                price=price,
            )
        )
        price = margin.minimum_order_value / quantity
    if tier.price_factor != 1:
        items.append(
            cost(
                "lead_time",
                f"{tier.name} delivery",
                "lead_time",
                price * (tier.price_factor - 1),
                "price * (price_factor - 1)",
                price=price,
                price_factor=tier.price_factor,
            )
        )
        price *= tier.price_factor
    production_h = estimate.order_machine_time_s / 3600
    days = (
        _whole_days(params.lead_time_days * tier.lead_time_factor)
        + _whole_days(production_h / machine.available_hours_per_day)
        + (finish.extra_days if finish else 0)
    )
    option = LeadTimeOption(tier.code, tier.name, days, price, price * quantity)
    return option, items


def _whole_days(days: float) -> int:
    """Started days count, without float noise turning 3.0000000000000004 into 4."""
    return math.ceil(round(days, 6))


def _has_fatal(issues: Iterable[DfmIssue]) -> bool:
    return any(issue.severity == "fatal" for issue in issues)


def _merged_dfm(*groups: Iterable[DfmIssue]) -> tuple[DfmIssue, ...]:
    """All findings once each, the most severe first."""
    unique = dict.fromkeys(itertools.chain(*groups))
    return tuple(sorted(unique, key=lambda issue: -SEVERITIES.index(issue.severity)))


# --- Process comparison -----------------------------------------------------------------------


@dataclass(frozen=True)
class BreakEven:
    """From ``quantity`` on, ``challenger`` is at least as cheap per part as ``incumbent``."""

    incumbent: str
    challenger: str
    quantity: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "incumbent": self.incumbent,
            "challenger": self.challenger,
            "quantity": self.quantity,
        }


@dataclass(frozen=True)
class ProcessComparison:
    """Every feasible process priced over the same quantities."""

    quantities: tuple[int, ...]
    currency: str
    quotes: Mapping[str, tuple[Quote, ...]]
    cheapest: tuple[str | None, ...]
    excluded: Mapping[str, tuple[DfmIssue, ...]]
    break_evens: tuple[BreakEven, ...]
    cheapest_from: tuple[tuple[int, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantities": list(self.quantities),
            "currency": self.currency,
            "processes": {
                code: [
                    {
                        "quantity": quote.quantity,
                        "material": quote.material,
                        "machine": quote.machine,
                        "unit_price": quote.unit_price,
                        "total_price": quote.total_price,
                        "lead_time_days": quote.lead_time_days,
                    }
                    for quote in quotes
                ]
                for code, quotes in self.quotes.items()
            },
            "cheapest": list(self.cheapest),
            "excluded": {
                code: [issue.to_dict() for issue in issues]
                for code, issues in self.excluded.items()
            },
            "break_evens": [even.to_dict() for even in self.break_evens],
            "cheapest_from": [
                {"quantity": quantity, "process": process}
                for quantity, process in self.cheapest_from
            ],
        }


def compare_processes(
    geometry: Mapping[str, Any] | PartGeometry,
    quantities: Sequence[int] | None = None,
    config: PricingConfig | None = None,
    *,
    processes: Sequence[str] | None = None,
    materials: Mapping[str, str] | None = None,
    lead_time: str | None = None,
) -> ProcessComparison:
    """Prices each process (default: all) at each quantity and finds where the cheapest changes.

    A process with a fatal DFM finding is excluded (with its reasons). ``materials`` maps a
    process code to the material to quote it in (default: the process's default material).
    """
    config = config or default_config()
    part = PartGeometry.from_mapping(geometry)
    quantities = tuple(checked_quantity(q) for q in (quantities or config.comparison_quantities))
    materials = materials or {}
    cache: dict[tuple[str, int], Quote] = {}

    def unit_price(code: str, quantity: int) -> float:
        return priced(code, quantity).unit_price

    def priced(code: str, quantity: int) -> Quote:
        if (code, quantity) not in cache:
            cache[code, quantity] = quote_part(
                part, code, materials.get(code), quantity, config=config, lead_time=lead_time
            )
        return cache[code, quantity]

    feasible, excluded = [], {}
    for code in processes or tuple(config.processes):
        probe = priced(code, quantities[0])
        if probe.fatal:
            excluded[code] = tuple(issue for issue in probe.dfm if issue.severity == "fatal")
        else:
            feasible.append(code)
    upper = max(config.comparison_max_quantity, *quantities)
    break_evens = tuple(
        BreakEven(incumbent, challenger, quantity)
        for incumbent, challenger in itertools.permutations(feasible, 2)
        if (quantity := _break_even(incumbent, challenger, unit_price, upper)) is not None
    )
    return ProcessComparison(
        quantities=quantities,
        currency=config.currency,
        quotes={code: tuple(priced(code, q) for q in quantities) for code in feasible},
        cheapest=tuple(_cheapest(feasible, unit_price, q) for q in quantities),
        excluded=excluded,
        break_evens=break_evens,
        cheapest_from=_cheapest_from(feasible, break_evens, unit_price),
    )


def _cheapest(codes: Sequence[str], unit_price: Callable[[str, int], float], quantity: int):
    return min(codes, key=lambda code: unit_price(code, quantity)) if codes else None


def _break_even(
    incumbent: str, challenger: str, unit_price: Callable[[str, int], float], upper: int
) -> int | None:
    """The first quantity at which ``challenger`` is no dearer than ``incumbent``.

    Only when the incumbent is cheaper for one part and the challenger at ``upper``; the
    crossing is found by doubling then bisection, assuming the prices cross once.
    """

    def challenger_wins(quantity: int) -> bool:
        return unit_price(challenger, quantity) <= unit_price(incumbent, quantity)

    if challenger_wins(1) or not challenger_wins(upper):
        return None
    low, high = 1, 2
    while not challenger_wins(high):
        low, high = high, min(upper, high * 2)
    while high - low > 1:
        middle = (low + high) // 2
        if challenger_wins(middle):
            high = middle
        else:
            low = middle
    return high


def _cheapest_from(
    codes: Sequence[str],
    break_evens: Sequence[BreakEven],
    unit_price: Callable[[str, int], float],
) -> tuple[tuple[int, str], ...]:
    """The bridge-production path: from which quantity each process is the cheapest overall."""
    if not codes:
        return ()
    path = [(1, _cheapest(codes, unit_price, 1))]
    for quantity in sorted({even.quantity for even in break_evens}):
        best = _cheapest(codes, unit_price, quantity)
        if best != path[-1][1]:
            path.append((quantity, best))
    return tuple(path)
