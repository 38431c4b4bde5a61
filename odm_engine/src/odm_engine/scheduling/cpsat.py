"""The CP-SAT model of the scheduling instance: lateness first, then makespan.

One start variable per operation; per eligible machine an optional interval sharing that start,
exactly one of them present. An operation shared by several jobs has one such set and starts
after the release and the previous operation of each job holding it. On an ordinary machine the
interval has the operation's size and its start is restricted to the starts that keep it inside
one working window. On a pausable machine its size is the elapsed time, breaks included: the
working time plus the pauses it spans, which depend only on its start. The starts are split by
that pause (none, a break, a night, a weekend, ...: a handful of values for a calendar); one
literal per pause value holds the start in the minutes with that pause and sets the size, so
the plan is exact and the model stays small (a table of windows per run, tried first, made
presolve alone outlast the 10 s limit on 1,000 work orders). Bookings are fixed intervals in the
machine's NoOverlap. Stage one minimises total weighted lateness (in whole seconds, weights
scaled to integers); stage two keeps lateness at the value found and minimises the makespan with
the time left. Both stages start from a hint (the greedy plan, then stage one's answer).
"""

import bisect
import itertools
import math
import time
from collections.abc import Hashable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from odm_engine.scheduling.dispatch import Placement
from odm_engine.scheduling.instance import (
    GRID,
    GridInstance,
    GridJob,
    GridOperation,
    GridOption,
    WorkingHours,
    to_steps_up,
)

WEIGHT_SCALE = 100
"""Job weights become integers at this scale (weights are kept to two decimals)."""

STAGE_ONE_SHARE = 0.75
"""Share of the remaining time the lateness stage may use when a makespan stage follows."""

_SECONDS_PER_STEP = round(GRID)


@dataclass
class CpSatAnswer:
    placed: dict[Hashable, Placement]
    lateness_bound: float | None
    optimal: bool


@dataclass
class _PausableRun:
    """The variables of one option on a pausable machine: elapsed size, end, and the literal
    of each pause it may span."""

    size: cp_model.IntVar
    end: cp_model.IntVar
    pauses: dict[int, cp_model.IntVar]


@dataclass
class _OperationVars:
    start: cp_model.IntVar
    end: cp_model.IntVar
    chosen: dict[Hashable, cp_model.IntVar | bool]
    slack: cp_model.LinearExprT
    """Seconds between the grid end and the real end (whole seconds) of the chosen option."""
    runs: dict[Hashable, _PausableRun] = field(default_factory=dict)


def _slack(steps: int, seconds: float) -> int:
    return steps * _SECONDS_PER_STEP - math.ceil(seconds)


class _Model:
    """The variables and constraints of one instance (only the jobs the greedy could place)."""

    def __init__(self, instance: GridInstance, jobs: list[GridJob]):
        self.model = cp_model.CpModel()
        self.instance = instance
        self.jobs = jobs
        self.horizon = horizon(instance, jobs)
        self.operations: dict[Hashable, _OperationVars] = {}
        intervals: dict[Hashable, list] = {key: [] for key in instance.windows}
        for job in jobs:
            previous_end = job.release
            for operation in job.operations:
                variables = self.operations.get(operation.key)
                if variables is None:
                    variables = self._operation(operation, instance, previous_end, intervals)
                    self.operations[operation.key] = variables
                else:
                    self.model.add(variables.start >= previous_end)
                previous_end = variables.end
        for machine, spans in instance.bookings.items():
            intervals[machine].extend(
                self.model.new_fixed_size_interval_var(start, end - start, f"booked {machine}")
                for start, end in spans
            )
        for machine_intervals in intervals.values():
            if len(machine_intervals) > 1:
                self.model.add_no_overlap(machine_intervals)
        self.lateness_vars: dict[Hashable, cp_model.IntVar] = {}
        self.lateness_terms = self._lateness_terms()
        self.makespan = self.model.new_int_var(0, self.horizon, "makespan")
        self.model.add_max_equality(
            self.makespan, [self.operations[job.operations[-1].key].end for job in jobs]
        )

    def _operation(
        self,
        operation: GridOperation,
        instance: GridInstance,
        previous_end: cp_model.LinearExprT,
        intervals: dict[Hashable, list],
    ) -> _OperationVars:
        model, name = self.model, str(operation.key)
        start = model.new_int_var(0, self.horizon, f"start {name}")
        end = model.new_int_var(0, self.horizon, f"end {name}")
        model.add(start >= previous_end)
        single = len(operation.options) == 1
        variables = _OperationVars(start, end, {}, 0)
        elapsed = []
        for option in operation.options:
            present = True if single else model.new_bool_var(f"{name} on {option.machine}")
            variables.chosen[option.machine] = present
            variables.slack += present * _slack(option.steps, option.seconds)
            if option.machine in instance.hours and option.steps > 0:
                run = self._pausable_run(variables, option, name)
                variables.runs[option.machine] = run
                elapsed.append(run.size)
                interval = (
                    model.new_interval_var(start, run.size, run.end, name)
                    if single
                    else model.new_optional_interval_var(start, run.size, run.end, present, name)
                )
            else:
                elapsed.append(present * option.steps)
                windows = instance.windows[option.machine]
                if single or windows is not None:
                    in_window = model.add_linear_expression_in_domain(
                        start, self._start_domain(windows, option.steps)
                    )
                    if not single:
                        in_window.only_enforce_if(present)
                interval = (
                    model.new_fixed_size_interval_var(start, option.steps, name)
                    if single
                    else model.new_optional_fixed_size_interval_var(
                        start, option.steps, present, name
                    )
                )
            intervals[option.machine].append(interval)
        if not single:
            model.add_exactly_one(variables.chosen.values())
        model.add(end == start + sum(elapsed))
        return variables

    def _pausable_run(
        self, variables: _OperationVars, option: GridOption, name: str
    ) -> _PausableRun:
        """Size: the working time plus the pause of the start's class when present, else 0."""
        model, start = self.model, variables.start
        present = variables.chosen[option.machine]
        starts = starts_by_pause(
            self.instance.hours[option.machine].grid, option.steps, self.horizon
        )
        sizes = [option.steps + pause for pause in starts]
        run = _PausableRun(
            model.new_int_var_from_domain(
                cp_model.Domain.from_values(sizes if present is True else [0, *sizes]),
                f"{name} elapsed on {option.machine}",
            ),
            model.new_int_var(0, self.horizon, f"{name} end on {option.machine}"),
            {
                pause: model.new_bool_var(f"{name} pauses {pause} on {option.machine}")
                for pause in starts
            },
        )
        for pause, literal in run.pauses.items():
            model.add_linear_expression_in_domain(
                start, cp_model.Domain.from_intervals(starts[pause])
            ).only_enforce_if(literal)
        model.add(sum(run.pauses.values()) == present)
        model.add(run.size == sum((option.steps + pause) * x for pause, x in run.pauses.items()))
        return run

    def _start_domain(self, windows, steps: int) -> cp_model.Domain:
        if windows is None:
            return cp_model.Domain(0, self.horizon - steps)
        return cp_model.Domain.from_intervals(
            [[max(start, 0), end - steps] for start, end in windows if end - steps >= max(start, 0)]
        )

    def _lateness_terms(self) -> list[cp_model.LinearExprT]:
        terms = []
        for job in self.jobs:
            weight = _integer_weight(job)
            if weight == 0:
                continue
            last = self.operations[job.operations[-1].key]
            due = math.floor(job.due)
            latest = self.horizon * _SECONDS_PER_STEP
            lateness = self.model.new_int_var(0, max(0, latest - due), f"lateness {job.key}")
            self.model.add(lateness >= last.end * _SECONDS_PER_STEP - last.slack - due)
            self.lateness_vars[job.key] = lateness
            terms.append(weight * lateness)
        return terms

    def lateness_of(self, placed: dict[Hashable, Placement]) -> dict[Hashable, int]:
        """Lateness in whole seconds of the weighted jobs of a grid plan, as the model counts."""
        lateness = {}
        for job in self.jobs:
            if job.key in self.lateness_vars:
                last = placed[job.operations[-1].key]
                slack = _slack(to_steps_up(last.seconds), last.seconds)
                end = last.end * _SECONDS_PER_STEP - slack
                lateness[job.key] = max(0, end - math.floor(job.due))
        return lateness

    def weighted_lateness_of(self, placed: dict[Hashable, Placement]) -> int:
        """The stage-one objective of a grid plan."""
        lateness = self.lateness_of(placed)
        return sum(_integer_weight(job) * lateness.get(job.key, 0) for job in self.jobs)

    def hint(self, placed: dict[Hashable, Placement]) -> None:
        """A complete hint (CP-SAT then starts from it as a first solution)."""
        self.model.clear_hints()
        for key, lateness in self.lateness_of(placed).items():
            self.model.add_hint(self.lateness_vars[key], lateness)
        last_ends = (placed[job.operations[-1].key] for job in self.jobs)
        self.model.add_hint(self.makespan, max(last.end for last in last_ends))
        for key, variables in self.operations.items():
            placement = placed[key]
            self.model.add_hint(variables.start, placement.start)
            self.model.add_hint(variables.end, placement.end)
            for machine, present in variables.chosen.items():
                if not isinstance(present, bool):
                    self.model.add_hint(present, machine == placement.machine)
            for machine, run in variables.runs.items():
                self._hint_run(run, machine == placement.machine, placement)

    def _hint_run(self, run: _PausableRun, chosen: bool, placement: Placement) -> None:
        """The chosen run's size, end and pause; the others size 0, no pause, end at the start."""
        size = placement.end - placement.start if chosen else 0
        self.model.add_hint(run.size, size)
        self.model.add_hint(run.end, placement.start + size)
        pause = size - to_steps_up(placement.seconds) if chosen else None
        for value, literal in run.pauses.items():
            self.model.add_hint(literal, value == pause)

    def solution(self, solver: cp_model.CpSolver) -> dict[Hashable, Placement]:
        placed = {}
        for job in self.jobs:
            for operation in job.operations:
                if operation.key in placed:
                    continue
                variables = self.operations[operation.key]
                option = next(
                    option
                    for option in operation.options
                    if _is_true(variables.chosen[option.machine], solver)
                )
                start = solver.value(variables.start)
                placed[operation.key] = Placement(
                    option.machine,
                    start,
                    solver.value(variables.end),
                    option.seconds,
                    self.instance.finish(option.machine, start, option.seconds),
                )
        return placed


def starts_by_pause(hours: WorkingHours, steps: int, horizon: int) -> dict[int, list[list[int]]]:
    """The starts of a ``steps``-long run (> 0) ending by ``horizon``, as minute ranges, by the
    pause it spans (its elapsed time minus its working time).

    Within a window, the end moves with the start until it reaches the end of its own window,
    then jumps over the next pause: each piece is one range.
    """
    latest = min(hours.start_before_last(steps), horizon)
    by_pause: dict[int, list[list[int]]] = {}
    for window_start, window_end in zip(hours.starts, hours.ends, strict=True):
        start, last = max(window_start, 0), min(window_end - 1, latest)
        while start <= last:
            end = hours.finish(start, steps)
            if end > horizon:
                return by_pause
            end_window = bisect.bisect_left(hours.ends, end)
            piece_last = min(last, start + hours.ends[end_window] - end, start + horizon - end)
            by_pause.setdefault(end - start - steps, []).append([start, piece_last])
            start = piece_last + 1
    return by_pause


def _is_true(present: cp_model.IntVar | bool, solver: cp_model.CpSolver) -> bool:
    return present is True or solver.boolean_value(present)


def _integer_weight(job: GridJob) -> int:
    return 0 if job.due is None else round(job.weight * WEIGHT_SCALE)


def horizon(instance: GridInstance, jobs: list[GridJob]) -> int:
    """A time no lateness-then-makespan optimal plan needs to pass.

    Some optimal plan is semi-active (nothing can move earlier), so every operation starts at
    its release, at the end of its predecessor or of the previous work on its machine, or at the
    first window after one of those that holds it (on a pausable machine: the first working
    minute). Following that chain back from the last end gives at most the latest release or
    booking end plus, per operation, its longest wait for a window and its longest elapsed run.
    """
    base = max(
        [0]
        + [job.release for job in jobs]
        + [end for spans in instance.bookings.values() for _start, end in spans]
    )
    total = 0
    operations = {operation.key: operation for job in jobs for operation in job.operations}
    for operation in operations.values():
        total += max(_longest_run(instance, option) for option in operation.options)
    return base + total


def _longest_run(instance: GridInstance, option: GridOption) -> int:
    """The option's longest wait for a start plus its longest elapsed time from there."""
    hours = instance.hours.get(option.machine)
    if hours is None or option.steps == 0:
        return option.steps + _longest_wait(instance.windows[option.machine], option.steps)
    hours = hours.grid
    gaps = [max(hours.starts[0], 0)]
    gaps += [start - end for end, start in zip(hours.ends, hours.starts[1:], strict=False)]
    # Within a window, the later the start the more breaks the run spans: try each window's
    # latest start that still leaves the run enough working time.
    latest = hours.start_before_last(option.steps)
    elapsed = 0
    for start, end in zip(hours.starts, hours.ends, strict=True):
        if start > latest:
            break
        last_start = min(end - 1, latest)
        elapsed = max(elapsed, hours.finish(last_start, option.steps) - last_start)
    return max(gaps) + elapsed


def _longest_wait(windows, steps: int) -> int:
    if windows is None:
        return 0
    starts = [start for start, end in windows if end - start >= steps]
    return max([max(starts[0], 0)] + [b - a for a, b in itertools.pairwise(starts)])


def solve(
    instance: GridInstance,
    jobs: list[GridJob],
    hint: dict[Hashable, Placement],
    deadline: float,
    workers: int,
) -> CpSatAnswer | None:
    """Lexicographic solve from the hint until ``deadline`` (time.monotonic); None when CP-SAT
    finds no plan in time."""
    built = _Model(instance, jobs)
    built.hint(hint)
    lateness_cap = built.weighted_lateness_of(hint)
    lateness_bound = 0.0 if built.lateness_terms else None
    stage_one_plan, stage_one_optimal = None, True
    if lateness_cap > 0:
        built.model.minimize(sum(built.lateness_terms))
        solver = _solver(workers, (deadline - time.monotonic()) * STAGE_ONE_SHARE)
        status = solver.solve(built.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        lateness_cap = round(solver.objective_value)
        lateness_bound = solver.best_objective_bound / WEIGHT_SCALE
        stage_one_optimal = status == cp_model.OPTIMAL
        stage_one_plan = built.solution(solver)
        built.hint(stage_one_plan)
    if built.lateness_terms:
        built.model.add(sum(built.lateness_terms) <= lateness_cap)
    built.model.minimize(built.makespan)
    solver = _solver(workers, deadline - time.monotonic())
    status = solver.solve(built.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        optimal = stage_one_optimal and status == cp_model.OPTIMAL
        return CpSatAnswer(built.solution(solver), lateness_bound, optimal)
    if stage_one_plan is not None:
        return CpSatAnswer(stage_one_plan, lateness_bound, optimal=False)
    return None


def _solver(workers: int, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.0)
    solver.parameters.num_workers = workers
    # One thread alone runs only the default search; interleaving gives it the large
    # neighbourhood searches too (Brandimarte mk09: optimal in 2 s instead of 321 after 10 s).
    # Probing in presolve ate the whole limit on 1,000 work orders (no plan after 10 s) and
    # does not change the Brandimarte results.
    solver.parameters.interleave_search = workers == 1
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.random_seed = 0
    return solver
