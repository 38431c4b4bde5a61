"""Build jobs for batch processes: compatible work orders packed into machine runs.

One build job is one machine run: a plate (FDM, SLA) or a chamber (SLS, MJF) with the copies of
the work items it holds. Work items share a run only when they have the same process, material
and machine type and their due dates lie within ``due_window`` of the earliest among them.

Interface (plain data, so the Odoo glue can call it with records' values)::

    plan = plan_build_jobs(
        [WorkItem(key=workorder.id, process="fdm", material="PLA", machine_type=type.id,
                  due=date(...), quantity=10, footprint=[(x, y), ...], part_hours=1.5), ...],
        [MachineType(key=type.id, plate=Plate(250, 210, margin_mm=5, spacing_mm=3)),
         MachineType(key=other.id, chamber=Chamber(340, 340, 600, margin_mm=10, spacing_mm=4))],
        due_window=timedelta(days=2),
    )
    for job in plan.jobs:
        job.copies            # {work item key: copies in this run}
        job.plate             # nesting.PlateLayout (placements, utilisation) for plate machines
        job.chamber           # packing3d.ChamberLoad (placements, build height, density) otherwise
        job.utilisation, job.build_height_mm, job.earliest_due, job.part_hours
    plan.unplanned            # [Unplanned(key, quantity, reason)]: nothing of those was placed

Plate machines need each item's ``footprint`` (see ``nesting.footprint_along`` and friends),
chamber machines its ``box`` (see ``packing3d.box_from_analysis``). Within a group, items are
taken earliest due first: the first window starts at the earliest due date and holds every item
due within ``due_window`` of it, the next window starts at the next item left, and so on; items
without a due date come last, together. Each window is packed on its own (largest parts first)
into as many runs as it needs, so a window's last run may be partly empty rather than wait for
later work. ``part_hours`` sums the items' per-part estimates when every item in the run has one
(a batch usually takes less than the sum: the real run time is the machine's business).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from odm_engine.packing import nesting, packing3d
from odm_engine.packing.nesting import PackingError, Plate, PlateLayout
from odm_engine.packing.packing3d import Chamber, ChamberLoad

DEFAULT_DUE_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class MachineType:
    """A kind of machine: its plate (2D nesting) or its chamber (3D packing), not both."""

    key: Any
    plate: Plate | None = None
    chamber: Chamber | None = None
    rotation_step_deg: float = 90.0  # turns of footprints tried on plates

    def __post_init__(self) -> None:
        if (self.plate is None) == (self.chamber is None):
            raise PackingError(f"Machine type {self.key} needs either a plate or a chamber.")


@dataclass(frozen=True)
class WorkItem:
    """Parts to build: copies of one footprint (plates) or one box (chambers)."""

    key: Any
    process: str
    material: str
    machine_type: Any
    due: date | None
    quantity: int = 1
    footprint: Sequence[Sequence[float]] | None = None
    box: Sequence[float] | None = None
    part_volume_mm3: float | None = None
    part_hours: float | None = None
    turnable: bool = True  # chambers: the box may lie on any side


@dataclass(frozen=True)
class BuildJob:
    machine_type: Any
    process: str
    material: str
    earliest_due: date | None
    copies: dict[Any, int]
    plate: PlateLayout | None = None
    chamber: ChamberLoad | None = None
    part_hours: float | None = None

    @property
    def utilisation(self) -> float:
        """Plate area used (plates) or packing density (chambers), 0 to 1."""
        return self.plate.utilisation if self.plate else self.chamber.density

    @property
    def build_height_mm(self) -> float | None:
        return self.chamber.build_height_mm if self.chamber else None


@dataclass(frozen=True)
class Unplanned:
    key: Any
    quantity: int
    reason: str


@dataclass(frozen=True)
class BuildPlan:
    jobs: list[BuildJob] = field(default_factory=list)
    unplanned: list[Unplanned] = field(default_factory=list)


def plan_build_jobs(
    items: Iterable[WorkItem],
    machine_types: Iterable[MachineType],
    due_window: timedelta = DEFAULT_DUE_WINDOW,
) -> BuildPlan:
    """Groups compatible work items and packs each group, window by window, into runs."""
    if due_window < timedelta(0):
        raise PackingError("The due-date window cannot be negative.")
    types = {machine_type.key: machine_type for machine_type in machine_types}
    items = list(items)
    if len({item.key for item in items}) < len(items):
        raise PackingError("Work item keys must be unique.")
    groups: dict[tuple, list[WorkItem]] = defaultdict(list)
    plan = BuildPlan()
    for item in items:
        reason = _unplannable(item, types)
        if reason:
            plan.unplanned.append(Unplanned(item.key, item.quantity, reason))
        else:
            groups[item.process, item.material, item.machine_type].append(item)
    for (process, material, type_key), group in groups.items():
        machine_type = types[type_key]
        for window in _windows(group, due_window):
            for job in _pack(window, machine_type, plan.unplanned):
                plan.jobs.append(BuildJob(type_key, process, material, **job))
    return plan


def _unplannable(item: WorkItem, types: dict) -> str | None:
    """Why the item cannot be planned (unknown machine, missing or bad geometry), or None."""
    machine_type = types.get(item.machine_type)
    if machine_type is None:
        return f"No machine type {item.machine_type} to build on."
    try:
        if item.quantity < 1:
            raise PackingError("The quantity must be at least 1.")
        if machine_type.plate is not None:
            if item.footprint is None:
                raise PackingError("A plate machine needs the part's footprint.")
            nesting.convex_outline(item.footprint, item.key)
        else:
            if item.box is None:
                raise PackingError("A chamber machine needs the part's box.")
            packing3d.box_size(_box_item(item))
    except PackingError as error:
        return str(error)
    return None


def _windows(group: list[WorkItem], due_window: timedelta) -> list[list[WorkItem]]:
    """Earliest due first, items due within the window of the window's first item."""
    dated = sorted((item for item in group if item.due is not None), key=lambda item: item.due)
    windows = []
    for item in dated:
        if windows and item.due - windows[-1][0].due <= due_window:
            windows[-1].append(item)
        else:
            windows.append([item])
    undated = [item for item in group if item.due is None]
    return windows + ([undated] if undated else [])


def _pack(window: list[WorkItem], machine_type: MachineType, unplanned: list) -> list[dict]:
    """The runs of one window, as BuildJob fields; what fits nowhere goes to ``unplanned``."""
    by_key = {item.key: item for item in window}
    if machine_type.plate is not None:
        result = nesting.nest(
            [nesting.NestItem(item.key, item.footprint, item.quantity) for item in window],
            machine_type.plate,
            machine_type.rotation_step_deg,
        )
        runs = [(layout, None, layout.placements) for layout in result.plates]
    else:
        result = packing3d.pack([_box_item(item) for item in window], machine_type.chamber)
        runs = [(None, load, load.placements) for load in result.chambers]
    unplanned.extend(Unplanned(miss.key, miss.quantity, miss.reason) for miss in result.unfitted)
    jobs = []
    for plate, chamber, placements in runs:
        copies: dict[Any, int] = defaultdict(int)
        for placement in placements:
            copies[placement.key] += 1
        held = [by_key[key] for key in copies]
        dues = [item.due for item in held if item.due is not None]
        hours = [item.part_hours for item in held]
        jobs.append(
            {
                "earliest_due": min(dues) if dues else None,
                "copies": dict(copies),
                "plate": plate,
                "chamber": chamber,
                "part_hours": None
                if None in hours
                else sum(item.part_hours * copies[item.key] for item in held),
            }
        )
    return jobs


def _box_item(item: WorkItem) -> packing3d.BoxItem:
    return packing3d.BoxItem(item.key, item.box, item.quantity, item.part_volume_mm3, item.turnable)
