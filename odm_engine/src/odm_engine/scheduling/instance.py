"""The scheduling instance: its public data types, input checks, and the minute grid.

An operation on an ordinary machine runs inside one working window (an unattended machine run).
On a pausable machine (a manned work center) it starts inside a working window and goes on over
breaks and nights until it has had its duration of working time, as Odoo plans work orders; it
holds the machine over its whole elapsed span, breaks included, and ends the moment its working
time is complete.

Callers speak seconds from the plan origin (floats). The solvers work on a grid of whole
minutes, rounded so that every grid plan is a valid plan in seconds: durations, releases and
window starts round up, window ends round down, bookings round outward. A slot's real end is its
grid start plus the real duration, so a plan never claims more time than an operation takes
after it starts.

An operation may belong to several jobs (a build job: one plate or chamber run holding the parts
of several manufacturing orders). It is given with the same key and durations in each; it is one
run on one machine, after the previous operation of every job holding it and after all their
releases. Such jobs form a group: when one of them cannot be planned, none of them is.
"""

import bisect
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

GRID = 60.0
"""Seconds per grid step."""

_ROUNDING_SLACK = 1e-9
"""Float noise tolerated before rounding up or down to the grid (3600.0000001 s is 60 min)."""


@dataclass(frozen=True)
class Machine:
    """A resource; ``windows`` are its working hours (sorted, disjoint), None when always on.

    ``pausable``: work stops at the end of a window and resumes at the next (a manned bench);
    otherwise each operation must fit one window (an unattended machine run)."""

    key: Hashable
    windows: tuple[tuple[float, float], ...] | None = None
    pausable: bool = False


@dataclass(frozen=True)
class Operation:
    """One work order, or one machine run shared by several jobs (same key and durations in
    each); the keys of ``durations`` are the machines able to do it."""

    key: Hashable
    durations: Mapping[Hashable, float]


@dataclass(frozen=True)
class Job:
    """Operations done in order (a manufacturing order); some may be shared with other jobs."""

    key: Hashable
    operations: tuple[Operation, ...]
    release: float = 0.0
    due: float | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Booking:
    """Time already taken on a machine: work in progress, a frozen plan, maintenance."""

    machine: Hashable
    start: float
    end: float


@dataclass(frozen=True)
class Slot:
    """Where and when an operation runs."""

    machine: Hashable
    start: float
    end: float


@dataclass
class Plan:
    """A schedule and its figures; jobs that cannot be planned are listed with the reason.

    ``slots`` has one slot per operation key: a shared operation's run serves every job holding
    it.     ``lateness`` is per job, unweighted; ``total_lateness`` sums it weighted. ``method`` is
    "cp-sat optimal", "cp-sat feasible", "greedy" or "odoo sequential". ``lateness_bound`` is
    CP-SAT's proven lower bound on the total weighted lateness of the minute-grid model (whole
    seconds) when CP-SAT ran, else None.
    """

    slots: dict[Hashable, Slot]
    finish: dict[Hashable, float]
    lateness: dict[Hashable, float]
    total_lateness: float
    makespan: float
    method: str
    lateness_bound: float | None = None
    seconds: float = 0.0
    unschedulable: dict[Hashable, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GridOption:
    """One eligible machine of an operation: grid duration and real duration in seconds."""

    machine: Hashable
    steps: int
    seconds: float


@dataclass(frozen=True)
class GridOperation:
    key: Hashable
    options: tuple[GridOption, ...]


@dataclass(frozen=True)
class GridJob:
    key: Hashable
    operations: tuple[GridOperation, ...]
    release: int
    due: float | None
    weight: float


@dataclass
class GridInstance:
    """The instance on the minute grid, without the jobs no machine calendar can ever hold.

    ``hours`` has the working hours of each pausable machine that has windows, on the grid and
    in seconds. ``holders`` lists, for each operation in several jobs, those jobs and its index
    in each; ``groups`` gives each job that shares operations all the jobs linked to it that way
    (itself included). Both are empty when nothing is shared.
    """

    jobs: list[GridJob]
    windows: dict[Hashable, list[tuple[int, int]] | None]
    hours: dict[Hashable, "PausableHours"]
    bookings: dict[Hashable, list[tuple[int, int]]]
    unschedulable: dict[Hashable, str]
    holders: dict[Hashable, tuple[tuple[GridJob, int], ...]] = field(default_factory=dict)
    groups: dict[Hashable, tuple[GridJob, ...]] = field(default_factory=dict)

    def group(self, job: GridJob) -> tuple[GridJob, ...]:
        """The jobs planned or left out together with ``job`` (only itself unless it shares)."""
        return self.groups.get(job.key, (job,))

    def finish(self, machine: Hashable, start: int, seconds: float) -> float:
        """The real end (s) of a run of ``seconds`` starting at grid minute ``start``."""
        hours = self.hours.get(machine)
        if hours is None or seconds == 0:
            return start * GRID + seconds
        return hours.seconds.finish(start * GRID, seconds)


class WorkingHours:
    """Sorted disjoint windows and the working time before each, in any unit: where a run that
    pauses outside them starts and ends."""

    def __init__(self, windows: Sequence[tuple[float, float]]):
        self.starts = [start for start, _end in windows]
        self.ends = [end for _start, end in windows]
        self.before = list(itertools.accumulate((end - start for start, end in windows), initial=0))

    def next_start(self, moment: float) -> float | None:
        """The first working instant at or after ``moment`` that has work after it."""
        index = bisect.bisect_right(self.ends, moment)
        if index == len(self.ends):
            return None
        return max(moment, self.starts[index])

    def worked(self, moment: float) -> float:
        """Working time before ``moment``."""
        index = bisect.bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0
        return min(self.before[index] + moment - self.starts[index], self.before[index + 1])

    def finish(self, start: float, work: float) -> float | None:
        """When ``work`` (> 0) started at ``start`` is done: the first moment with that much
        working time after ``start``, inside a window; None when the calendar ends first."""
        target = self.worked(start) + work
        # The slack keeps float noise from pushing an end at a window's end to the next window.
        index = bisect.bisect_left(self.before, target - _ROUNDING_SLACK, lo=1) - 1
        if index == len(self.starts):
            return None
        return min(self.starts[index] + target - self.before[index], self.ends[index])

    def start_before_last(self, work: float) -> float:
        """The latest start that leaves ``work`` (> 0, at most all the working time) before the
        calendar ends."""
        target = self.before[-1] - work
        index = bisect.bisect_right(self.before, target) - 1
        return self.starts[index] + target - self.before[index]

    def left(self, moment: float) -> float:
        """Working time after ``moment``."""
        return self.before[-1] - self.worked(moment)


@dataclass(frozen=True)
class PausableHours:
    """A pausable machine's working hours on the grid (planning) and in seconds (real ends)."""

    grid: WorkingHours
    seconds: WorkingHours


def linked_reason(culprit: Hashable, reason: str) -> str:
    """Why a job is left out because a job it shares operations with cannot be planned."""
    return (
        f"shares operations (directly or through other jobs) with job {culprit!r}, "
        f"which cannot be planned: {reason}"
    )


def to_steps_up(seconds: float) -> int:
    return math.ceil(seconds / GRID - _ROUNDING_SLACK)


def to_steps_down(seconds: float) -> int:
    return math.floor(seconds / GRID + _ROUNDING_SLACK)


def hours_text(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def check_input(
    jobs: Sequence[Job], machines: Sequence[Machine], bookings: Iterable[Booking]
) -> dict[Hashable, Machine]:
    """Raises ValueError naming the first inconsistency; returns the machines by key."""
    by_key: dict[Hashable, Machine] = {}
    for machine in machines:
        if machine.key in by_key:
            raise ValueError(f"machine {machine.key!r} is given twice")
        by_key[machine.key] = machine
        _check_windows(machine)
    job_keys: set[Hashable] = set()
    first_seen: dict[Hashable, tuple[Operation, Hashable]] = {}
    shared = False
    for job in jobs:
        if job.key in job_keys:
            raise ValueError(f"job {job.key!r} is given twice")
        job_keys.add(job.key)
        _check_job(job, by_key)
        in_job: set[Hashable] = set()
        for operation in job.operations:
            if operation.key in in_job:
                raise ValueError(f"operation {operation.key!r} appears twice in job {job.key!r}")
            in_job.add(operation.key)
            seen = first_seen.setdefault(operation.key, (operation, job.key))
            if seen[1] != job.key:
                shared = True
                _check_same_run(operation, job.key, *seen)
    if shared:
        _check_acyclic(jobs)
    for booking in bookings:
        if booking.machine not in by_key:
            raise ValueError(f"booking on unknown machine {booking.machine!r}")
        if not (math.isfinite(booking.start) and math.isfinite(booking.end)):
            raise ValueError(f"booking on machine {booking.machine!r} has a non-finite time")
        if booking.end < booking.start:
            raise ValueError(
                f"booking on machine {booking.machine!r} ends ({booking.end}) "
                f"before it starts ({booking.start})"
            )
    return by_key


def _check_same_run(
    operation: Operation, job: Hashable, first: Operation, first_job: Hashable
) -> None:
    if dict(operation.durations) != dict(first.durations):
        raise ValueError(
            f"operation {operation.key!r} has different durations in jobs {first_job!r} and "
            f"{job!r}; an operation shared by several jobs is one run and needs the same "
            "durations in each"
        )


def _check_acyclic(jobs: Sequence[Job]) -> None:
    """Refuses shared operations that the jobs holding them put in contradictory orders."""
    predecessors: dict[Hashable, dict[Hashable, None]] = {}
    successors: dict[Hashable, list[Hashable]] = {}
    for job in jobs:
        for operation in job.operations:
            predecessors.setdefault(operation.key, {})
            successors.setdefault(operation.key, [])
        for before, after in itertools.pairwise(job.operations):
            if before.key not in predecessors[after.key]:
                predecessors[after.key][before.key] = None
                successors[before.key].append(after.key)
    waiting = {key: len(before) for key, before in predecessors.items()}
    ready = [key for key, count in waiting.items() if count == 0]
    while ready:
        for after in successors[ready.pop()]:
            waiting[after] -= 1
            if waiting[after] == 0:
                ready.append(after)
    blocked = [key for key, count in waiting.items() if count > 0]
    if blocked:
        # Every blocked operation waits for a blocked one: walking back must close a cycle.
        path, key = [], blocked[0]
        while key not in path:
            path.append(key)
            key = next(before for before in predecessors[key] if waiting[before] > 0)
        cycle = [key, *reversed(path[path.index(key) :])]
        raise ValueError(
            "the jobs sharing operations order them in a circle: "
            + " before ".join(repr(key) for key in cycle)
        )


def _check_windows(machine: Machine) -> None:
    if machine.windows is None:
        return
    previous_end = -math.inf
    for start, end in machine.windows:
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"machine {machine.key!r} has a non-finite working window")
        if end <= start:
            raise ValueError(
                f"machine {machine.key!r}: working window ({start}, {end}) ends before it starts"
            )
        if start < previous_end:
            raise ValueError(
                f"machine {machine.key!r}: working windows must be sorted and disjoint, "
                f"({start}, {end}) starts before the previous one ends"
            )
        previous_end = end


def _check_job(job: Job, machines: Mapping[Hashable, Machine]) -> None:
    if not job.operations:
        raise ValueError(f"job {job.key!r} has no operations")
    if not math.isfinite(job.release):
        raise ValueError(f"job {job.key!r} has a non-finite release")
    if job.due is not None and not math.isfinite(job.due):
        raise ValueError(f"job {job.key!r} has a non-finite due date")
    if not (math.isfinite(job.weight) and job.weight >= 0):
        raise ValueError(f"job {job.key!r}: weight must be a finite number >= 0, got {job.weight}")
    for operation in job.operations:
        if not operation.durations:
            raise ValueError(
                f"operation {operation.key!r} of job {job.key!r} has no eligible machine"
            )
        for machine, duration in operation.durations.items():
            if machine not in machines:
                raise ValueError(f"operation {operation.key!r} names unknown machine {machine!r}")
            if not (math.isfinite(duration) and duration >= 0):
                raise ValueError(
                    f"operation {operation.key!r} on machine {machine!r}: duration must be a "
                    f"finite number of seconds >= 0, got {duration}"
                )


def grid_instance(
    jobs: Sequence[Job], machines: Mapping[Hashable, Machine], bookings: Iterable[Booking]
) -> GridInstance:
    """The minute-grid instance of checked input; impossible jobs get their reason, and so do
    the jobs sharing operations with them."""
    windows: dict[Hashable, list[tuple[int, int]] | None] = {}
    hours: dict[Hashable, PausableHours] = {}
    for key, machine in machines.items():
        if machine.windows is None:
            windows[key] = None
            continue
        grid_windows = [(to_steps_up(a), to_steps_down(b)) for a, b in machine.windows]
        windows[key] = [(a, b) for a, b in grid_windows if b > a]
        if machine.pausable:
            hours[key] = PausableHours(WorkingHours(windows[key]), WorkingHours(machine.windows))
    booked: dict[Hashable, list[tuple[int, int]]] = {key: [] for key in machines}
    for booking in bookings:
        if booking.end > booking.start:
            booked[booking.machine].append((to_steps_down(booking.start), to_steps_up(booking.end)))
    holder_jobs = _holder_jobs(jobs)
    releases = {job.key: to_steps_up(max(0.0, job.release)) for job in jobs}
    converted: dict[Hashable, GridOperation | str] = {}
    grid_jobs, unschedulable = [], {}
    for job in jobs:
        operations = []
        for operation in job.operations:
            grid_operation = converted.get(operation.key)
            if grid_operation is None:
                # A shared operation starts after the release of every job holding it.
                release = max(
                    releases[holder.key] for holder in holder_jobs.get(operation.key, [job])
                )
                grid_operation = _grid_operation(operation, windows, hours, release)
                converted[operation.key] = grid_operation
            if isinstance(grid_operation, str):
                unschedulable[job.key] = grid_operation
                break
            operations.append(grid_operation)
        else:
            grid_jobs.append(
                GridJob(job.key, tuple(operations), releases[job.key], job.due, float(job.weight))
            )
    instance = GridInstance(
        grid_jobs,
        windows,
        hours,
        {key: _merged(spans) for key, spans in booked.items()},
        unschedulable,
    )
    if holder_jobs:
        _link_shared(instance, jobs, holder_jobs)
    return instance


def _holder_jobs(jobs: Sequence[Job]) -> dict[Hashable, list[Job]]:
    """The jobs holding each operation that is in more than one job, in the order given."""
    holding: dict[Hashable, list[Job]] = {}
    for job in jobs:
        for operation in job.operations:
            holding.setdefault(operation.key, []).append(job)
    return {key: holders for key, holders in holding.items() if len(holders) > 1}


def _grid_operation(
    operation: Operation,
    windows: Mapping[Hashable, list[tuple[int, int]] | None],
    hours: Mapping[Hashable, PausableHours],
    release: int,
) -> GridOperation | str:
    """The operation on the grid with the machines that can ever hold it, or why none can."""
    options = tuple(
        GridOption(machine, to_steps_up(seconds), seconds)
        for machine, seconds in operation.durations.items()
    )

    def longest_run(option: GridOption) -> float:
        """The most working time one run can have after the release."""
        if option.machine in hours and option.steps > 0:
            return hours[option.machine].grid.left(release)
        return _longest_window(windows[option.machine], release)

    fitting = tuple(option for option in options if longest_run(option) >= option.steps)
    if not fitting:
        shortest = min(option.seconds for option in options)
        longest = max(0, *(longest_run(option) for option in options)) * GRID
        eligible = ", ".join(repr(option.machine) for option in options)
        return (
            f"operation {operation.key!r} needs at least {hours_text(shortest)} but the longest "
            f"run its eligible machines ({eligible}) can hold after the job's release is "
            f"{hours_text(longest)} (one working window, or all the working time left on a "
            "pausable machine)"
        )
    return GridOperation(operation.key, fitting)


def _link_shared(
    instance: GridInstance, jobs: Sequence[Job], holder_jobs: dict[Hashable, list[Job]]
) -> None:
    """Fills the instance's holders and groups; a group with an impossible job leaves out whole."""
    linked: dict[Hashable, list[Hashable]] = {}
    for holders in holder_jobs.values():
        first = holders[0].key
        for other in holders[1:]:
            linked.setdefault(first, []).append(other.key)
            linked.setdefault(other.key, []).append(first)
    order = {job.key: index for index, job in enumerate(jobs)}
    grid_jobs = {job.key: job for job in instance.jobs}
    unschedulable = instance.unschedulable
    grouped: set[Hashable] = set()
    for job in jobs:
        if job.key not in linked or job.key in grouped:
            continue
        members, stack = [], [job.key]
        grouped.add(job.key)
        while stack:
            key = stack.pop()
            members.append(key)
            fresh = [other for other in linked[key] if other not in grouped]
            grouped.update(fresh)
            stack += fresh
        members.sort(key=order.__getitem__)
        culprit = next((key for key in members if key in unschedulable), None)
        if culprit is not None:
            for key in members:
                unschedulable.setdefault(key, linked_reason(culprit, unschedulable[culprit]))
                grid_jobs.pop(key, None)
            continue
        group = tuple(grid_jobs[key] for key in members)
        instance.groups.update((key, group) for key in members)
    instance.jobs = [job for job in instance.jobs if job.key in grid_jobs]
    holders: dict[Hashable, list[tuple[GridJob, int]]] = {}
    for job in instance.jobs:
        for index, operation in enumerate(job.operations):
            if operation.key in holder_jobs:
                holders.setdefault(operation.key, []).append((job, index))
    instance.holders = {key: tuple(places) for key, places in holders.items()}


def _longest_window(windows: list[tuple[int, int]] | None, release: int) -> float:
    if windows is None:
        return math.inf
    return max((end - max(start, release) for start, end in windows), default=0)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class Timeline:
    """One machine on the grid: its working windows and the spans already taken."""

    def __init__(
        self,
        windows: list[tuple[int, int]] | None,
        busy: list[tuple[int, int]],
        hours: WorkingHours | None = None,
    ):
        spans = windows if windows is not None else [(-math.inf, math.inf)]
        self.window_starts = [start for start, _end in spans]
        self.window_ends = [end for _start, end in spans]
        self.hours = hours
        self.busy_starts = [start for start, _end in busy]
        self.busy_ends = [end for _start, end in busy]

    def earliest_span(self, ready: int, steps: int) -> tuple[int, int] | None:
        """Start and end of the first free run of ``steps`` working minutes from ``ready`` on;
        None if the calendar ends first. A run pauses over breaks on a pausable machine and
        holds it over them; elsewhere it fits one window."""
        if self.hours is None or steps == 0:
            start = self._earliest_in_one_window(ready, steps)
            return None if start is None else (start, start + steps)
        # Walk the free gaps from ready on; a gap shorter than the work cannot hold it.
        index = bisect.bisect_right(self.busy_ends, ready)
        gap_start = ready
        while True:
            gap_end = self.busy_starts[index] if index < len(self.busy_starts) else math.inf
            if gap_end - gap_start >= steps:
                start = self.hours.next_start(gap_start)
                end = None if start is None else self.hours.finish(start, steps)
                if end is None:
                    return None
                if end <= gap_end:
                    return start, end
            gap_start = self.busy_ends[index]
            index += 1

    def _earliest_in_one_window(self, ready: int, steps: int) -> int | None:
        """First start >= ready of a ``steps``-long span inside one window and free."""
        index = bisect.bisect_left(self.window_ends, ready + steps)
        for window in range(index, len(self.window_starts)):
            start = max(ready, self.window_starts[window])
            end_of_window = self.window_ends[window]
            while start + steps <= end_of_window:
                blocker = self._first_overlap(start, start + steps)
                if blocker is None:
                    return start
                start = self.busy_ends[blocker]
        return None

    def _first_overlap(self, start: int, end: int) -> int | None:
        before = bisect.bisect_right(self.busy_starts, start) - 1
        if before >= 0 and self.busy_ends[before] > start:
            return before
        after = before + 1
        if after < len(self.busy_starts) and self.busy_starts[after] < end:
            return after
        return None

    def reserve(self, start: int, end: int) -> None:
        if end > start:
            index = bisect.bisect_right(self.busy_starts, start)
            self.busy_starts.insert(index, start)
            self.busy_ends.insert(index, end)

    def release(self, start: int) -> None:
        """Frees the reserved span starting at ``start`` (none for a zero-length one)."""
        index = bisect.bisect_left(self.busy_starts, start)
        if index < len(self.busy_starts) and self.busy_starts[index] == start:
            del self.busy_starts[index]
            del self.busy_ends[index]


def timelines(instance: GridInstance) -> dict[Hashable, Timeline]:
    return {
        key: Timeline(
            windows,
            instance.bookings[key],
            instance.hours[key].grid if key in instance.hours else None,
        )
        for key, windows in instance.windows.items()
    }
