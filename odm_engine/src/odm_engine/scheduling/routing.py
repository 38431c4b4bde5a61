"""From a frozen quote to a bill of materials: material per part and operation durations.

Odoo computes an operation's expected duration as ``ceil(quantity / capacity) * time_cycle``
(plus the work center's own start and stop times, divided by its efficiency). The functions here
give the material to put on the BoM and the ``time_cycle`` of each templated operation so that,
for the quoted quantity, Odoo expects exactly the time the quote was priced on.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DURATION_MODES = ("order", "part", "machine", "setup")
"""How a routing step lasts: fixed minutes per order, minutes per part, the quoted machine time
(print or machining time per part), or minutes per CNC setup of the part."""


class RoutingError(ValueError):
    """A quote or a routing step that cannot become a BoM; the message says why."""


@dataclass(frozen=True)
class QuoteFigures:
    """The figures of a quote version that production needs, per part."""

    quantity: int
    material_g: float
    scrap_pct: float
    machine_min: float
    setups: int

    @property
    def material_with_waste_g(self) -> float:
        """Material to issue per good part: the quoted grams (supports included) plus scrap."""
        return self.material_g * (1 + self.scrap_pct / 100)


@dataclass(frozen=True)
class RoutingStep:
    """One line of a routing template: ``minutes`` is per order, part or setup by ``mode``."""

    name: str
    mode: str
    minutes: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in DURATION_MODES:
            raise RoutingError(f"{self.name}: duration mode must be one of {DURATION_MODES}")
        if self.minutes < 0:
            raise RoutingError(f"{self.name}: minutes cannot be negative, got {self.minutes}")


def quote_figures(result: Mapping[str, Any], parameters: Mapping[str, Any]) -> QuoteFigures:
    """Reads a quote's engine answer and frozen parameters (``odm.part.quote``)."""
    try:
        quantity = int(result["quantity"])
        material_g = float(result["material_g"])
        # The machine time before the quote's calibration from prints: each machine's own
        # factor acts on the plan, through its work center's time efficiency.
        base = (parameters.get("print_calibration") or {}).get("base_machine_time_s")
        machine_s = float(result["machine_time_s"] if base is None else base)
    except (KeyError, TypeError, ValueError) as error:
        raise RoutingError(f"the quote lacks its production figures ({error})") from error
    if quantity < 1 or material_g <= 0 or machine_s < 0:
        raise RoutingError(
            f"the quote's figures are not producible: quantity {quantity}, "
            f"{material_g} g, {machine_s} s per part"
        )
    return QuoteFigures(
        quantity=quantity,
        material_g=material_g,
        scrap_pct=float(parameters.get("process", {}).get("scrap_pct", 0.0)),
        machine_min=machine_s / 60,
        setups=_setups(result),
    )


def _setups(result: Mapping[str, Any]) -> int:
    """The setups the quote paid for (CNC); a part is clamped or loaded at least once."""
    for item in result.get("breakdown", ()):
        setups = item.get("inputs", {}).get("setups")
        if setups:
            return int(setups)
    return 1


def order_minutes(step: RoutingStep, figures: QuoteFigures) -> float:
    """Minutes the step takes for the quoted quantity."""
    if step.mode == "order":
        return step.minutes
    if step.mode == "part":
        return step.minutes * figures.quantity
    if step.mode == "machine":
        return figures.machine_min * figures.quantity
    return step.minutes * figures.setups


def cycle_minutes(step: RoutingStep, figures: QuoteFigures, capacity: float = 1.0) -> float:
    """The operation's ``time_cycle``: Odoo then expects ``order_minutes`` for the quantity."""
    if capacity <= 0:
        raise RoutingError(f"{step.name}: work center capacity must be positive")
    cycles = math.ceil(figures.quantity / capacity)
    return order_minutes(step, figures) / cycles
