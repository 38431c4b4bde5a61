"""What a buyer may see of a quote: a quantity x lead-time price grid and a customer breakdown.

``quote_grid`` prices one part at a few quantities (the shop's quantity breaks and the chosen
quantity) in every lead-time tier. Each row is one quote through ``price_at``, the very function
that prices the order line, so a cell is exactly what the line costs once the buyer chooses it.
Nothing is re-analysed: the rows reuse the stored geometry.

``customer_breakdown`` turns a quote's itemised breakdown into what a customer may read: the
margin folded into the cost lines it marks up, no formulas or rates, at the level the shop
chooses (``full``, ``summary`` or ``none``). The lines always add up to the unit price.
"""

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from odm_engine.pricing.costing import CATEGORIES, PartGeometry
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.params import PricingConfig, PricingError
from odm_engine.pricing.quote import Quote, checked_quantity, quote_part

# Rows of a grid: enough to see the quantity breaks, few enough to read (and to stay fast).
MAX_ROWS = 8

# Categories priced before the margin: the costs the margin marks up.
COST_CATEGORIES = CATEGORIES[: CATEGORIES.index("margin")]

BREAKDOWN_LEVELS = ("full", "summary", "none")

# Summary groups of a customer breakdown, in the order shown; a category not listed here (a
# commercial option added later) falls into "options".
SUMMARY_GROUPS = (
    ("material", "Material", ("material",)),
    ("machine", "Machine time", ("machine", "surcharge", "scrap")),
    ("setup", "Setup and tooling", ("setup", "tooling")),
    ("post_processing", "Post-processing", ("post_processing",)),
    ("options", "Options and delivery", ("finish", "lead_time")),
    ("discount", "Quantity discount", ("discount",)),
    ("minimum", "Minimum order value", ("minimum",)),
)


@dataclass(frozen=True)
class GridCell:
    """One quantity in one lead-time tier: its price, or why it is not offered."""

    quantity: int
    tier: str
    available: bool
    unit_price: float | None = None
    total_price: float | None = None
    days: int | None = None
    reason: str = ""
    chosen: bool = False
    cheapest: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "tier": self.tier,
            "available": self.available,
            "unit_price": self.unit_price,
            "total_price": self.total_price,
            "days": self.days,
            "reason": self.reason,
            "chosen": self.chosen,
            "cheapest": self.cheapest,
        }


@dataclass(frozen=True)
class PriceGrid:
    """Rows of quantities by columns of lead-time tiers; the cheapest cell per part is marked."""

    currency: str
    quantities: tuple[int, ...]
    tiers: tuple[tuple[str, str], ...]  # (code, name) in the shop's order
    rows: tuple[tuple[GridCell, ...], ...]

    @property
    def cells(self) -> tuple[GridCell, ...]:
        return tuple(cell for row in self.rows for cell in row)

    @property
    def cheapest(self) -> GridCell | None:
        return next((cell for cell in self.cells if cell.cheapest), None)

    def cell(self, quantity: int, tier: str) -> GridCell:
        return next(c for c in self.cells if c.quantity == quantity and c.tier == tier)

    def to_dict(self) -> dict[str, Any]:
        cheapest = self.cheapest
        return {
            "currency": self.currency,
            "quantities": list(self.quantities),
            "tiers": [{"code": code, "name": name} for code, name in self.tiers],
            "rows": [
                {"quantity": quantity, "cells": [cell.to_dict() for cell in row]}
                for quantity, row in zip(self.quantities, self.rows, strict=True)
            ],
            "cheapest": (
                {"quantity": cheapest.quantity, "tier": cheapest.tier} if cheapest else None
            ),
        }


def grid_quantities(
    chosen: int,
    breaks: Iterable[int],
    *,
    max_rows: int = MAX_ROWS,
    max_quantity: int | None = None,
) -> tuple[int, ...]:
    """The chosen quantity and the ``max_rows - 1`` break quantities nearest to it (by ratio),
    none above ``max_quantity``, in increasing order."""
    chosen = checked_quantity(chosen)
    others = {q for q in breaks if q != chosen and (max_quantity is None or q <= max_quantity)}
    nearest = sorted(others, key=lambda q: (abs(math.log(q / chosen)), q))[: max(max_rows - 1, 0)]
    return tuple(sorted({chosen, *nearest}))


def price_grid(
    price_at: Callable[[int], Quote],
    quantities: Sequence[int],
    tiers: Sequence[tuple[str, str]],
    *,
    currency: str,
    chosen: tuple[int, str] | None = None,
    amounts: Callable[[float, int], tuple[float, float]] | None = None,
) -> PriceGrid:
    """Prices each quantity once (``price_at(quantity)``) and reads every tier off that quote.

    ``amounts(unit_price, quantity)`` turns a quote's unit price into the (unit price, total)
    an order line would carry (currency, rounding); by default the engine's own figures. A
    quantity the engine refuses, or a tier the quote does not offer, is an unavailable cell with
    the reason; the cheapest available cell per part is marked.
    """
    rows = []
    for quantity in quantities:
        try:
            quote = price_at(quantity)
        except PricingError as error:
            rows.append([GridCell(quantity, code, False, reason=str(error)) for code, _ in tiers])
            continue
        offered = {option.tier: option for option in quote.lead_time_options}
        row = []
        for code, _name in tiers:
            option = offered.get(code)
            if option is None:
                row.append(GridCell(quantity, code, False, reason="not offered for this process"))
                continue
            unit, total = (
                amounts(option.unit_price, quantity)
                if amounts
                else (option.unit_price, option.total_price)
            )
            row.append(
                GridCell(
                    quantity,
                    code,
                    True,
                    unit_price=unit,
                    total_price=total,
                    days=option.days,
                    chosen=(quantity, code) == chosen,
                )
            )
        rows.append(row)
    available = [cell for row in rows for cell in row if cell.available]
    if available:
        best = min(available, key=lambda cell: cell.unit_price)
        rows = [[_marked(cell, cell is best) for cell in row] for row in rows]
    return PriceGrid(
        currency=currency,
        quantities=tuple(quantities),
        tiers=tuple(tiers),
        rows=tuple(tuple(row) for row in rows),
    )


def _marked(cell: GridCell, cheapest: bool) -> GridCell:
    return dataclasses.replace(cell, cheapest=True) if cheapest else cell


def quote_grid(
    geometry: Mapping[str, Any] | PartGeometry,
    process: str,
    material: str | None = None,
    quantity: int = 1,
    *,
    finish: str | None = None,
    config: PricingConfig | None = None,
    lead_time: str | None = None,
    measured: Mapping[str, float] | None = None,
    max_rows: int = MAX_ROWS,
    max_quantity: int | None = None,
    price_at: Callable[[int], Quote] | None = None,
    amounts: Callable[[float, int], tuple[float, float]] | None = None,
) -> PriceGrid:
    """The grid of one part as ``quote_part`` prices it with these options.

    Rows: the process's quantity breaks (else the comparison quantities) and ``quantity``, at
    most ``max_rows``. Columns: the config's lead-time tiers. ``price_at`` replaces the quote
    of a row when the caller prices lines another way (e.g. with calibrated figures): it must
    be the function the line is priced with.
    """
    config = config or default_config()
    params = config.process(process)
    part = PartGeometry.from_mapping(geometry)
    breaks = [brk.min_quantity for brk in config.quantity_breaks_for(params.code)]
    quantities = grid_quantities(
        quantity,
        breaks or config.comparison_quantities,
        max_rows=max_rows,
        max_quantity=max_quantity,
    )
    price_at = price_at or functools.partial(
        quote_part,
        part,
        params.code,
        material,
        finish=finish,
        config=config,
        lead_time=lead_time,
        measured=measured,
    )
    tiers = [(tier.code, tier.name) for tier in config.lead_time_tiers.values()]
    chosen = (quantity, config.lead_time_tier(lead_time or config.default_lead_time).code)
    return price_grid(
        price_at, quantities, tiers, currency=config.currency, chosen=chosen, amounts=amounts
    )


def customer_breakdown(quote: Mapping[str, Any], level: str) -> list[dict[str, Any]]:
    """The breakdown of a quote (``Quote.to_dict()``) a customer may see, at ``level``.

    The margin is spread over the cost lines in proportion to them, and only code, label,
    category and amount per part are kept: no formula, input or rate. ``summary`` groups the
    lines (SUMMARY_GROUPS); ``none`` shows nothing.
    """
    if level not in BREAKDOWN_LEVELS:
        raise ValueError(f"breakdown level must be one of {BREAKDOWN_LEVELS}, got {level!r}")
    items = list(quote.get("breakdown") or ())
    if level == "none" or not items:
        return []
    unit_cost = sum(item["amount"] for item in items if item["category"] in COST_CATEGORIES)
    margin = sum(item["amount"] for item in items if item["category"] == "margin")
    markup = 1 + margin / unit_cost if unit_cost else 1
    lines = [
        {
            "code": item["code"],
            "label": item["label"],
            "category": item["category"],
            "amount": item["amount"] * (markup if item["category"] in COST_CATEGORIES else 1),
        }
        for item in items
        if item["category"] != "margin"
    ]
    if level == "full":
        return lines
    return _summary(lines)


def _summary(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    def group_of(category: str) -> str:
        return next((code for code, _, cats in SUMMARY_GROUPS if category in cats), "options")

    totals: dict[str, float] = {}
    for line in lines:
        group = group_of(line["category"])
        totals[group] = totals.get(group, 0.0) + line["amount"]
    return [
        {"code": code, "label": label, "category": code, "amount": totals[code]}
        for code, label, _ in SUMMARY_GROUPS
        if code in totals
    ]
