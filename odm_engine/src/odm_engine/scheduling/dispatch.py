"""List scheduling on the minute grid: the greedy planner and Odoo's own sequential planning.

Every operation goes, after its predecessors, to the eligible machine where it finishes first,
into the first free gap of a working window that holds it (on a pausable machine: the first
start in a window from which its elapsed span, breaks included, is free). An operation shared
by several jobs has as predecessors the previous operation of each of them (and waits for all
their releases): the operations form a DAG, not only chains. Odoo plans whole jobs one after
another in the order given (``schedule_in_order``). The greedy planner dispatches operation by
operation (``dispatch``, after Giffler and Thompson): among the operations whose predecessors
are all placed and that could start before the earliest of them finishes, a priority rule picks
the one to place. A job that cannot be placed takes the jobs it shares operations with out too.
"""

import math
from collections.abc import Callable, Hashable, Iterable
from typing import NamedTuple

from odm_engine.scheduling.instance import (
    GRID,
    GridInstance,
    GridJob,
    GridOperation,
    Plan,
    Slot,
    Timeline,
    linked_reason,
    timelines,
)


class Placement(NamedTuple):
    """Where an operation goes: the grid minutes it holds its machine (breaks included on a
    pausable machine), its real duration and its real end in seconds."""

    machine: Hashable
    start: int
    end: int
    seconds: float
    finish: float


Placed = dict[Hashable, Placement]
Failed = dict[Hashable, str]


def best_placement(
    instance: GridInstance, operation: GridOperation, ready: int, lines: dict[Hashable, Timeline]
) -> Placement | None:
    """The earliest-finishing placement from ``ready`` on; the first option listed on ties."""
    best = None
    for option in operation.options:
        span = lines[option.machine].earliest_span(ready, option.steps)
        if span is None:
            continue
        start, end = span
        finish = instance.finish(option.machine, start, option.seconds)
        if best is None or (end, finish) < (best.end, best.finish):
            best = Placement(option.machine, start, end, option.seconds, finish)
    return best


def _no_room(operation: GridOperation) -> str:
    return (
        f"operation {operation.key!r} finds no free working window on its eligible machines "
        f"after its predecessors (their calendars end too early)"
    )


def _leave_out(
    instance: GridInstance,
    job: GridJob,
    reason: str,
    *,
    placed: Placed,
    failed: Failed,
    lines: dict[Hashable, Timeline],
) -> tuple[GridJob, ...]:
    """Takes ``job`` and the jobs it shares operations with out of the plan, freeing their
    machine time; returns them."""
    group = instance.group(job)
    for member in group:
        failed[member.key] = reason if member is job else linked_reason(job.key, reason)
        for operation in member.operations:
            placement = placed.pop(operation.key, None)
            if placement is not None:
                lines[placement.machine].release(placement.start)
    return group


def schedule_in_order(instance: GridInstance, order: Iterable[GridJob]) -> tuple[Placed, Failed]:
    """Inserts whole jobs in ``order``; returns placements by operation key and failed jobs.

    A shared operation is placed when the first job holding it comes up. What it waits for
    is placed just before it: in each job holding it (in the instance's job order), the
    operations before it not placed yet, i.e. the prefix of a job later in ``order``, each
    after its own predecessors in the same way. A job whose turn comes later only places the
    operations it has left. When an operation finds no room, its job and every job sharing
    operations with it are taken out and their machine time freed.
    """
    lines = timelines(instance)
    placed: Placed = {}
    failed: Failed = {}
    for job in order:
        if job.key in failed:
            continue
        for position in range(len(job.operations)):
            stuck = _place_with_predecessors(instance, job, position, lines, placed)
            if stuck is not None:
                _leave_out(
                    instance,
                    stuck[0],
                    _no_room(stuck[1]),
                    placed=placed,
                    failed=failed,
                    lines=lines,
                )
                break
    return placed, failed


def _place_with_predecessors(
    instance: GridInstance,
    job: GridJob,
    position: int,
    lines: dict[Hashable, Timeline],
    placed: Placed,
) -> tuple[GridJob, GridOperation] | None:
    """Places the operation at ``position`` of ``job`` and, first, whatever it waits for;
    returns the job and operation that found no room, if any."""
    stack = [(job, position)]
    while stack:
        holder, index = stack[-1]
        operation = holder.operations[index]
        if operation.key in placed:
            stack.pop()
            continue
        places = instance.holders.get(operation.key, ((holder, index),))
        waiting = [
            (other, at - 1)
            for other, at in places
            if at > 0 and other.operations[at - 1].key not in placed
        ]
        if waiting:
            stack += reversed(waiting)
            continue
        stack.pop()
        ready = max(
            placed[other.operations[at - 1].key].end if at > 0 else other.release
            for other, at in places
        )
        placement = best_placement(instance, operation, ready, lines)
        if placement is None:
            return holder, operation
        lines[placement.machine].reserve(placement.start, placement.end)
        placed[operation.key] = placement
    return None


Rule = Callable[[GridJob, float, float], tuple]
"""Priority of a job's next operation from its job, its earliest start (s) and the work left in
the job (s, on the fastest machines); the smallest goes first. An operation shared by several
jobs takes the most urgent of its jobs' priorities."""


def _due_or_never(job: GridJob) -> float:
    return math.inf if job.due is None else job.due


RULES: dict[str, Rule] = {
    "earliest due date": lambda job, start, work: (_due_or_never(job), -work),
    "least slack": lambda job, start, work: (_due_or_never(job) - start - work, -work),
    # Jobs without due dates: the longest remaining chain first shortens the makespan.
    "most work left": lambda job, start, work: (-work, _due_or_never(job)),
}


def dispatch(instance: GridInstance, rule: Rule) -> tuple[Placed, Failed]:
    """Operation-by-operation list scheduling; a job whose next operation no longer fits any
    calendar is taken back out whole, with the jobs it shares operations with.

    A ready operation is known by its lead: the first job (by index) holding it. Each job's
    next operation is ready once it is the next operation of every job holding it.
    """
    lines = timelines(instance)
    jobs = instance.jobs
    index_of = {job.key: index for index, job in enumerate(jobs)}
    holders = {
        key: tuple((index_of[job.key], at) for job, at in places)
        for key, places in instance.holders.items()
    }
    # The (job index, position) places of each job's operations: only itself unless shared.
    places = [
        [holders.get(operation.key, ((index, at),)) for at, operation in enumerate(job.operations)]
        for index, job in enumerate(jobs)
    ]
    work_left = [_work_left(job) for job in jobs]
    position = [0] * len(jobs)
    ready = [job.release for job in jobs]
    candidate: list[Placement | None] = [None] * len(jobs)

    def places_of(index: int) -> tuple[tuple[int, int], ...]:
        return places[index][position[index]]

    def best_for(index: int) -> Placement | None:
        operation = jobs[index].operations[position[index]]
        return best_placement(instance, operation, ready[index], lines)

    def priority(index: int) -> tuple:
        here = places_of(index)
        start = candidate[index].start * GRID
        if len(here) == 1:  # the usual operation, in one job
            return rule(jobs[index], start, work_left[index][position[index]])
        return min(rule(jobs[holder], start, work_left[holder][at]) for holder, at in here)

    def is_ready(index: int) -> bool:
        """Whether the job's next operation is the next one of every job holding it."""
        return all(position[holder] == at for holder, at in places_of(index))

    def activate(index: int) -> int:
        """Makes the ready next operation of the job active under its lead, ready when all its
        holders are; returns the lead."""
        here = places_of(index)
        lead = here[0][0]
        ready[lead] = max(ready[holder] for holder, _at in here)
        candidate[lead] = best_for(lead)
        active.add(lead)
        return lead

    active: set[int] = set()
    for index in range(len(jobs)):
        if places_of(index)[0][0] == index and is_ready(index):
            activate(index)
    placed: Placed = {}
    failed: Failed = {}
    while active:
        for index in sorted(index for index in active if candidate[index] is None):
            if index in active:
                operation = jobs[index].operations[position[index]]
                group = _leave_out(
                    instance,
                    jobs[index],
                    _no_room(operation),
                    placed=placed,
                    failed=failed,
                    lines=lines,
                )
                active.difference_update(index_of[member.key] for member in group)
        if not active:
            break
        first = min(active, key=lambda index: (candidate[index].end, index))
        horizon = candidate[first].end
        chosen = min(
            (index for index in active if candidate[index].start < horizon or index == first),
            key=lambda index: (*priority(index), index),
        )
        placement = candidate[chosen]
        lines[placement.machine].reserve(placement.start, placement.end)
        advanced = places_of(chosen)
        placed[jobs[chosen].operations[position[chosen]].key] = placement
        active.discard(chosen)
        for holder, _at in advanced:
            position[holder] += 1
            ready[holder] = placement.end
        fresh = set()
        for holder, _at in advanced:
            if position[holder] < len(jobs[holder].operations) and is_ready(holder):
                fresh.add(activate(holder))
        for index in active:
            if index not in fresh and candidate[index].machine == placement.machine:
                candidate[index] = best_for(index)
    return placed, failed


def _work_left(job: GridJob) -> list[float]:
    """Seconds of work from each operation to the end of the job, on the fastest machines."""
    left, total = [], 0.0
    for operation in reversed(job.operations):
        total += min(option.seconds for option in operation.options)
        left.append(total)
    return left[::-1]


def greedy(instance: GridInstance) -> tuple[Placed, Failed]:
    """The best of the dispatching rules and of whole jobs in the given order: fewest failed
    jobs, then least weighted lateness, then shortest makespan; ties keep the earlier one."""
    attempts = [dispatch(instance, rule) for rule in RULES.values()]
    attempts.append(schedule_in_order(instance, instance.jobs))
    best, best_rank = None, None
    for placed, failed in attempts:
        figures = to_plan(instance, placed, failed, "greedy")
        rank = (len(figures.unschedulable), figures.total_lateness, figures.makespan)
        if best_rank is None or rank < best_rank:
            best, best_rank = (placed, failed), rank
    return best


def compact(instance: GridInstance, placed: Placed) -> Placed:
    """The same plan with every operation moved as early as its machine and predecessors allow.

    CP-SAT only optimises lateness and makespan, so it may leave idle time before an operation
    that changes neither. Taken in start order (predecessors first on ties, which only
    zero-length operations have), each operation keeps its machine and moves to
    the first free span from its ready time: its old span is still free (everything placed before
    it only moved earlier), so no operation ends later, and lateness and makespan never grow.
    """
    predecessors: dict[Hashable, list[Hashable]] = {}
    release: dict[Hashable, int] = {}
    options = {}
    for job in instance.jobs:
        previous = None
        for operation in job.operations:
            predecessors.setdefault(operation.key, [])
            if previous is not None:
                predecessors[operation.key].append(previous)
            release[operation.key] = max(release.get(operation.key, 0), job.release)
            options[operation.key] = {option.machine: option for option in operation.options}
            previous = operation.key
    lines = timelines(instance)
    moved: Placed = {}

    def move(key: Hashable) -> None:
        placement = placed[key]
        ready = max([release[key]] + [moved[before].end for before in predecessors[key]])
        option = options[key][placement.machine]
        span = lines[placement.machine].earliest_span(ready, option.steps)
        if span is None or span[0] > placement.start:
            span = (placement.start, placement.end)
        lines[placement.machine].reserve(*span)
        moved[key] = Placement(
            placement.machine,
            span[0],
            span[1],
            option.seconds,
            instance.finish(placement.machine, span[0], option.seconds),
        )

    for first in sorted(placed, key=lambda key: (placed[key].start, placed[key].end)):
        # A zero-length operation may start with its predecessor: that one moves first.
        pending = [first]
        while pending:
            waiting = [before for before in predecessors[pending[-1]] if before not in moved]
            if waiting:
                pending += waiting
            elif (key := pending.pop()) not in moved:
                move(key)
    return moved


def to_plan(instance: GridInstance, placed: Placed, failed: Failed, method: str) -> Plan:
    """The plan in seconds of grid placements; the instance's impossible jobs join ``failed``."""
    slots, finish, lateness = {}, {}, {}
    total = 0.0
    for job in instance.jobs:
        if job.key in failed:
            continue
        for operation in job.operations:
            placement = placed[operation.key]
            slots[operation.key] = Slot(placement.machine, placement.start * GRID, placement.finish)
        finish[job.key] = slots[job.operations[-1].key].end
        lateness[job.key] = 0.0 if job.due is None else max(0.0, finish[job.key] - job.due)
        total += job.weight * lateness[job.key]
    return Plan(
        slots=slots,
        finish=finish,
        lateness=lateness,
        total_lateness=total,
        makespan=max(finish.values(), default=0.0),
        method=method,
        unschedulable={**instance.unschedulable, **failed},
    )
