"""Finite-capacity scheduling of work orders on eligible machines, and capable-to-promise.

Times are seconds from the plan origin (now); nothing starts before it. An operation runs on one
of its eligible machines, after the previous operation of its job: without interruption inside
one working window, or, on a pausable machine (a manned work center), from a start inside a
window until it has had its duration of working time, pausing over breaks and nights and holding
the machine over them; its slot ends the moment that working time is complete. A machine does
one thing at a time and keeps its bookings. Plans minimise total weighted lateness first, then
the makespan.

Build jobs: one operation (same key and durations) may be listed in several jobs, e.g. the print
run of a plate holding the parts of several manufacturing orders. It is one run, with one slot,
on one machine: it starts after the release and the previous operation of every job holding it,
and each of those jobs goes on after it ends; finish and lateness stay per job. Input that
repeats an operation within a job, gives it different durations, or orders shared operations in
a circle is refused. A job that cannot be planned leaves out every job it shares operations
with, directly or through others, each with the reason.

``plan`` always answers: a greedy plan first (milliseconds), then OR-Tools CP-SAT started from
it within the time limit, keeping the better. Jobs that no calendar can hold are left out with a
reason instead of failing the whole plan. ``earliest_finish`` answers the quoting question "when
would this be done if confirmed now" without committing anything. ``odoo_sequential_plan`` is
Odoo's own planning of the same work, the benchmark's baseline. ``validate`` checks any plan.
"""

import itertools
import math
import time
from collections.abc import Hashable, Iterable, Sequence

from odm_engine.scheduling import cpsat
from odm_engine.scheduling.dispatch import compact, greedy, schedule_in_order, to_plan
from odm_engine.scheduling.instance import (
    Booking,
    GridInstance,
    Job,
    Machine,
    Operation,
    Plan,
    Slot,
    WorkingHours,
    check_input,
    grid_instance,
)

__all__ = [
    "Booking",
    "Job",
    "Machine",
    "Operation",
    "Plan",
    "Slot",
    "earliest_finish",
    "odoo_sequential_plan",
    "plan",
    "validate",
]

METHODS = ("auto", "greedy")

_TOLERANCE = 1e-6
"""Seconds of float noise ``validate`` forgives."""


def plan(
    jobs: Sequence[Job],
    machines: Sequence[Machine],
    *,
    bookings: Iterable[Booking] = (),
    time_limit: float = 10.0,
    method: str = "auto",
    workers: int = 1,
) -> Plan:
    """The plan of ``jobs``; ``method`` "greedy" skips CP-SAT, "auto" runs it for the time left
    of ``time_limit`` seconds with ``workers`` threads."""
    started = time.monotonic()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not (time_limit >= 0 and workers >= 1):
        raise ValueError("time_limit must be >= 0 seconds and workers >= 1")
    instance = _grid(jobs, machines, bookings)
    placed, failed = greedy(instance)
    result = to_plan(instance, placed, failed, "greedy")
    deadline = started + time_limit
    if method == "auto" and placed and time.monotonic() < deadline:
        planned = [job for job in instance.jobs if job.key not in failed]
        answer = cpsat.solve(instance, planned, placed, deadline, workers)
        if answer is not None:
            method_name = "cp-sat optimal" if answer.optimal else "cp-sat feasible"
            candidate = to_plan(instance, compact(instance, answer.placed), failed, method_name)
            if (candidate.total_lateness, candidate.makespan) <= (
                result.total_lateness,
                result.makespan,
            ):
                result = candidate
            result.lateness_bound = answer.lateness_bound
    result.seconds = time.monotonic() - started
    return result


def earliest_finish(
    job: Job, machines: Sequence[Machine], *, bookings: Iterable[Booking] = ()
) -> float | None:
    """When ``job`` would be done if confirmed now, fitted around ``bookings``; None if it
    cannot be planned. Nothing is committed. The job is taken alone: an operation it would share
    with other jobs counts as its own (put the others' planned runs in ``bookings``).

    Each operation takes the machine where it finishes first; as a later ready time never gives
    an earlier finish, that is also the earliest finish of the whole job.
    """
    instance = _grid([job], machines, bookings)
    placed, failed = schedule_in_order(instance, instance.jobs)
    if not instance.jobs or failed:
        return None
    return placed[instance.jobs[0].operations[-1].key].finish


def odoo_sequential_plan(
    jobs: Sequence[Job], machines: Sequence[Machine], *, bookings: Iterable[Booking] = ()
) -> Plan:
    """Odoo 18's planning of the same jobs, as ``mrp.production.button_plan`` does it.

    ``button_plan`` calls ``_plan_workorders`` on each manufacturing order in turn, in the
    order given, blind to due dates. ``mrp.workorder._plan_workorder`` plans a work order after
    its predecessors, from ``max(date_start, now)``, on its work center or an alternative: for
    each it asks ``mrp.workcenter._get_first_available_slot`` (the first gap in the calendar
    that no other work order's leave overlaps) and keeps the one that finishes first (the first
    listed on ties). On pausable machines this is exactly Odoo's rule: the slot accumulates
    working time across the calendar's intervals from a start inside one, and the work order's
    leave spans start to end, breaks included. (One quirk is not copied: when a conflicting work
    order ends inside a break, Odoo restarts there and counts the rest of the break as work;
    here the run starts at the next window.) On other machines a work order must fit one
    working window here, as in every plan of this engine, so that the plans compare on the same
    rules. A shared operation is placed with the first job holding it, after the operations it
    waits for in the jobs holding it, which are placed first even when their jobs come later.
    """
    started = time.monotonic()
    instance = _grid(jobs, machines, bookings)
    placed, failed = schedule_in_order(instance, instance.jobs)
    result = to_plan(instance, placed, failed, "odoo sequential")
    result.seconds = time.monotonic() - started
    return result


def _grid(
    jobs: Sequence[Job], machines: Sequence[Machine], bookings: Iterable[Booking]
) -> GridInstance:
    """The checked input on the minute grid; raises ValueError naming the first inconsistency."""
    bookings = tuple(bookings)
    return grid_instance(jobs, check_input(jobs, machines, bookings), bookings)


def validate(
    result: Plan, jobs: Sequence[Job], machines: Sequence[Machine], bookings: Iterable[Booking] = ()
) -> None:
    """Raises ValueError listing every broken rule of ``result``; silent when it is sound.

    A shared operation is checked against the release and predecessor of each job holding it;
    its slot takes its machine once, over its whole span (breaks included on a pausable one)."""
    by_key = {machine.key: machine for machine in machines}
    hours = {
        machine.key: WorkingHours(machine.windows)
        for machine in machines
        if machine.pausable and machine.windows is not None
    }
    problems: list[str] = []
    taken: dict[Hashable, list[tuple[float, float, str]]] = {key: [] for key in by_key}
    for booking in bookings:
        taken[booking.machine].append((booking.start, booking.end, "a booking"))
    checked: set[Hashable] = set()
    total = 0.0
    for job in jobs:
        if job.key in result.unschedulable:
            if any(operation.key in result.slots for operation in job.operations):
                problems.append(f"job {job.key!r} is unschedulable yet has slots")
            continue
        ready = max(0.0, job.release)
        for operation in job.operations:
            name = f"operation {operation.key!r}"
            slot = result.slots.get(operation.key)
            if slot is None:
                problems.append(f"{name} of job {job.key!r} has no slot")
                break
            if slot.start < ready - _TOLERANCE:
                problems.append(
                    f"{name} starts at {slot.start} before {ready} "
                    f"(release or predecessor in job {job.key!r})"
                )
            if operation.key not in checked:
                checked.add(operation.key)
                problems += _slot_problems(operation, slot, by_key, hours)
                taken.setdefault(slot.machine, []).append((slot.start, slot.end, name))
            ready = slot.end
        else:
            total += _job_figure_problems(result, job, ready, problems)
    for machine, spans in taken.items():
        # Any overlap shows between neighbours once the spans that take time are sorted.
        lasting = sorted(span for span in spans if span[1] > span[0])
        problems += [
            f"{first[2]} and {second[2]} overlap on machine {machine!r}"
            for first, second in itertools.pairwise(lasting)
            if second[0] < first[1] - _TOLERANCE
        ]
    if not math.isclose(total, result.total_lateness, rel_tol=1e-9, abs_tol=_TOLERANCE):
        problems.append(f"total lateness {result.total_lateness} should be {total}")
    makespan = max(result.finish.values(), default=0.0)
    if not math.isclose(makespan, result.makespan, abs_tol=_TOLERANCE):
        problems.append(f"makespan {result.makespan} should be {makespan}")
    if problems:
        raise ValueError("invalid plan: " + "; ".join(problems))


def _slot_problems(
    operation: Operation,
    slot: Slot,
    machines: dict[Hashable, Machine],
    hours: dict[Hashable, WorkingHours],
) -> list[str]:
    """Machine, duration and working-window problems of one slot."""
    name = f"operation {operation.key!r}"
    if slot.machine not in operation.durations:
        return [f"{name} is on machine {slot.machine!r}, which is not eligible"]
    duration = operation.durations[slot.machine]
    if slot.machine in hours and duration > 0:
        return _pausable_slot_problems(name, slot, duration, hours[slot.machine])
    problems = []
    if not math.isclose(slot.end - slot.start, duration, abs_tol=_TOLERANCE):
        problems.append(f"{name} lasts {slot.end - slot.start} s instead of its duration")
    windows = machines[slot.machine].windows
    if windows is not None and not any(
        start - _TOLERANCE <= slot.start and slot.end <= end + _TOLERANCE for start, end in windows
    ):
        problems.append(f"{name} is not inside one working window of machine {slot.machine!r}")
    return problems


def _pausable_slot_problems(
    name: str, slot: Slot, duration: float, hours: WorkingHours
) -> list[str]:
    """A run on a pausable machine starts inside a window and ends when it has had its
    duration of working time."""
    start = hours.next_start(slot.start)
    if start is None or start > slot.start + _TOLERANCE:
        return [f"{name} does not start inside a working window of machine {slot.machine!r}"]
    finish = hours.finish(slot.start, duration)
    if finish is None:
        return [f"{name} needs more working time than machine {slot.machine!r} has left"]
    if not math.isclose(slot.end, finish, abs_tol=_TOLERANCE):
        worked = hours.worked(slot.end) - hours.worked(slot.start)
        return [
            f"{name} ends at {slot.end} with {worked} s of working time on pausable machine "
            f"{slot.machine!r}; its {duration} s are done at {finish}"
        ]
    return []


def _job_figure_problems(result: Plan, job: Job, finish: float, problems: list[str]) -> float:
    """Checks the job's finish and lateness figures; returns its weighted lateness."""
    lateness = 0.0 if job.due is None else max(0.0, finish - job.due)
    if not math.isclose(result.finish.get(job.key, math.nan), finish, abs_tol=_TOLERANCE):
        problems.append(f"job {job.key!r} finishes at {finish}, not {result.finish.get(job.key)}")
    if not math.isclose(result.lateness.get(job.key, math.nan), lateness, abs_tol=_TOLERANCE):
        problems.append(f"job {job.key!r} is {lateness} s late, not {result.lateness.get(job.key)}")
    return job.weight * lateness
