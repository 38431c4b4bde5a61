"""The finite-capacity scheduler: rules every plan keeps, optima known by hand, Odoo's baseline."""

import random
import time
from pathlib import Path

import pytest

from odm_engine.scheduling.dispatch import Placement, compact, to_plan
from odm_engine.scheduling.fjsp import read_fjs
from odm_engine.scheduling.instance import check_input, grid_instance
from odm_engine.scheduling.scheduler import (
    Booking,
    Job,
    Machine,
    Operation,
    Slot,
    earliest_finish,
    odoo_sequential_plan,
    plan,
    validate,
)

MINUTE = 60.0
HOUR = 3600.0
FJSP = Path.home() / ".cache" / "odm" / "fjsp"


def job(key, *durations, release=0.0, due=None, weight=1.0):
    """A job whose operations ``key/1``, ``key/2``... take ``durations`` (machine -> minutes)."""
    return Job(
        key,
        tuple(
            Operation(f"{key}/{step}", {m: minutes * MINUTE for m, minutes in options.items()})
            for step, options in enumerate(durations, start=1)
        ),
        release=release * MINUTE,
        due=None if due is None else due * MINUTE,
        weight=weight,
    )


def shifts(days: int, start_h: float, end_h: float) -> tuple:
    return tuple(((day * 24 + start_h) * HOUR, (day * 24 + end_h) * HOUR) for day in range(days))


def random_shop(seed: int, jobs_count: int = 25):
    """Printers around the clock, mills on one shift, a bench with a lunch break, bookings."""
    rng = random.Random(seed)
    machines = [
        Machine("P1"),
        Machine("P2"),
        Machine("M1", shifts(30, 6, 14)),
        Machine("M2", shifts(30, 6, 22)),
        Machine("B1", tuple(sorted(shifts(30, 8, 12) + shifts(30, 13, 17)))),
    ]
    bookings = [
        Booking("P1", 0.0, 3 * HOUR),
        Booking("M2", 7 * HOUR, 9 * HOUR),
        Booking("B1", 24 * HOUR + 8 * HOUR, 24 * HOUR + 10 * HOUR),
    ]
    jobs = []
    for number in range(jobs_count):
        chain = [{"P1": rng.randint(30, 600), "P2": rng.randint(30, 600)}]
        if rng.random() < 0.5:
            chain.append({"M1": rng.randint(20, 240), "M2": rng.randint(20, 240)})
        chain.append({"B1": rng.randint(5, 120)})
        jobs.append(
            job(
                f"J{number}",
                *chain,
                release=rng.choice([0, 0, rng.randint(0, 600)]),
                due=rng.randint(300, 3000),
                weight=rng.choice([1.0, 2.0]),
            )
        )
    return jobs, machines, bookings


@pytest.mark.parametrize("method", ["greedy", "auto"])
@pytest.mark.parametrize("seed", [1, 2])
def test_plans_keep_every_rule(seed, method):
    jobs, machines, bookings = random_shop(seed)
    result = plan(jobs, machines, bookings=bookings, time_limit=2.0, method=method)
    validate(result, jobs, machines, bookings)
    assert not result.unschedulable
    windows = {machine.key: machine.windows for machine in machines}
    for each in jobs:
        ends = []
        for operation in each.operations:
            slot = result.slots[operation.key]
            assert slot.machine in operation.durations
            assert slot.end - slot.start == operation.durations[slot.machine]
            if windows[slot.machine]:
                assert any(a <= slot.start and slot.end <= b for a, b in windows[slot.machine])
            assert slot.start >= (ends[-1] if ends else each.release)
            ends.append(slot.end)
        assert result.finish[each.key] == ends[-1]
    for booking in bookings:
        for slot in result.slots.values():
            if slot.machine == booking.machine:
                assert slot.end <= booking.start or slot.start >= booking.end


def test_cp_sat_never_does_worse_than_greedy():
    jobs, machines, bookings = random_shop(3, jobs_count=30)
    greedy = plan(jobs, machines, bookings=bookings, method="greedy")
    full = plan(jobs, machines, bookings=bookings, time_limit=3.0)
    assert full.method.startswith("cp-sat")
    assert full.total_lateness <= greedy.total_lateness
    assert full.lateness_bound <= full.total_lateness + 1e-6


def test_operation_waits_for_a_window_that_holds_it():
    machines = [Machine("M", ((0.0, 2 * HOUR), (3 * HOUR, 8 * HOUR)))]
    result = plan([job("A", {"M": 180})], machines, time_limit=1.0)
    assert result.slots["A/1"] == Slot("M", 3 * HOUR, 6 * HOUR)


def test_bookings_and_gaps():
    machines = [Machine("M")]
    bookings = [Booking("M", 60 * MINUTE, 120 * MINUTE)]
    jobs = [job("short", {"M": 30}), job("long", {"M": 90})]
    result = plan(jobs, machines, bookings=bookings, time_limit=1.0)
    validate(result, jobs, machines, bookings)
    assert result.slots["short/1"].start == 0.0
    assert result.slots["long/1"].start == 120 * MINUTE


def test_seconds_are_kept_exactly():
    machines = [Machine("M")]
    jobs = [
        Job("A", (Operation("A/1", {"M": 90.0}), Operation("A/2", {"M": 45.5}))),
        Job("B", (Operation("B/1", {"M": 10.0}),), release=5.0),
    ]
    result = plan(jobs, machines, time_limit=1.0)
    validate(result, jobs, machines)
    for each in jobs:
        for operation in each.operations:
            slot = result.slots[operation.key]
            assert slot.end - slot.start == operation.durations["M"]


def test_weighted_lateness_optimum_known_by_hand():
    """X (40 min, due 40) first is what every due-date rule picks: Y (20 min, due 50, weight 10)
    is then 10 min late, 100 weighted minutes. Y first leaves X 20 min late: 20, the optimum."""
    jobs = [job("X", {"M": 40}, due=40), job("Y", {"M": 20}, due=50, weight=10.0)]
    machines = [Machine("M")]
    assert plan(jobs, machines, method="greedy").total_lateness == 100 * MINUTE
    result = plan(jobs, machines, time_limit=5.0)
    assert result.method == "cp-sat optimal"
    assert result.total_lateness == 20 * MINUTE
    assert result.lateness_bound == 20 * MINUTE
    assert result.lateness == {"X": 20 * MINUTE, "Y": 0.0}
    assert result.makespan == 60 * MINUTE


def test_makespan_optimum_after_lateness():
    """Two crossed two-step jobs on two machines overlap perfectly: 60 min, not 90 or 120."""
    jobs = [job("J1", {"A": 30}, {"B": 30}), job("J2", {"B": 30}, {"A": 30})]
    result = plan(jobs, [Machine("A"), Machine("B")], time_limit=5.0)
    assert result.method == "cp-sat optimal"
    assert result.makespan == 60 * MINUTE
    assert result.lateness_bound is None


def test_lateness_comes_before_makespan():
    """On its fast machine the urgent job is on time; the shortest makespan would put the long
    job there instead and make the urgent one late."""
    jobs = [
        job("urgent", {"fast": 30, "slow": 60}, due=30),
        job("long", {"fast": 60, "slow": 180}),
    ]
    result = plan(jobs, [Machine("fast"), Machine("slow")], time_limit=5.0)
    assert result.total_lateness == 0.0
    assert result.slots["urgent/1"] == Slot("fast", 0.0, 30 * MINUTE)
    assert result.makespan == 90 * MINUTE
    assert result.method == "cp-sat optimal"


def test_nothing_to_plan_and_instant_operations():
    empty = plan([], [Machine("M")])
    assert (empty.slots, empty.makespan, empty.total_lateness) == ({}, 0.0, 0.0)
    jobs = [job("J", {"gate": 0}, {"M": 30}), job("K", {"M": 30})]
    machines = [Machine("gate"), Machine("M")]
    result = plan(jobs, machines, time_limit=2.0)
    validate(result, jobs, machines)
    assert result.slots["J/1"] == Slot("gate", 0.0, 0.0)
    assert result.makespan == 60 * MINUTE


def test_tiny_time_limit_falls_back_to_greedy():
    jobs = [job("X", {"M": 40}, due=40), job("Y", {"M": 20}, due=50, weight=10.0)]
    result = plan(jobs, [Machine("M")], time_limit=0.0)
    assert result.method == "greedy"
    assert result.lateness_bound is None
    assert result.total_lateness == 100 * MINUTE


def test_unschedulable_jobs_are_left_out_with_their_reason():
    machines = [Machine("mill", shifts(5, 6, 14)), Machine("printer")]
    jobs = [
        job("too long", {"printer": 60}, {"mill": 9 * 60}),
        job("fine", {"printer": 60}, {"mill": 60}),
    ]
    result = plan(jobs, machines, time_limit=1.0)
    validate(result, jobs, machines)
    reason = result.unschedulable["too long"]
    assert "'too long/2'" in reason and "9.00 h" in reason and "8.00 h" in reason
    assert set(result.finish) == {"fine"}
    assert "too long/1" not in result.slots


def test_calendar_ending_too_early_is_a_reason_too():
    machines = [Machine("M", ((0.0, 2 * HOUR),))]
    bookings = [Booking("M", 0.0, 90 * MINUTE)]
    jobs = [job("late", {"M": 60}), job("small", {"M": 30})]
    result = plan(jobs, machines, bookings=bookings, time_limit=1.0)
    validate(result, jobs, machines, bookings)
    assert "finds no free working window" in result.unschedulable["late"]
    assert result.slots["small/1"] == Slot("M", 90 * MINUTE, 120 * MINUTE)
    assert earliest_finish(jobs[0], machines, bookings=bookings) is None


def test_earliest_finish_matches_the_plan_of_the_same_job():
    jobs, machines, bookings = random_shop(4, jobs_count=12)
    committed = plan(jobs[:-1], machines, bookings=bookings, method="greedy")
    booked = bookings + [Booking(s.machine, s.start, s.end) for s in committed.slots.values()]
    newcomer = jobs[-1]
    promised = earliest_finish(newcomer, machines, bookings=booked)
    alone = plan([newcomer], machines, bookings=booked, time_limit=2.0)
    assert promised == alone.finish[newcomer.key]
    assert promised > max(0.0, newcomer.release)


def test_earliest_finish_is_fast_with_hundreds_of_bookings():
    machines = [Machine(f"M{n}", shifts(60, 6, 22)) for n in range(5)]
    bookings = [
        Booking(f"M{n}", (day * 24 + 6 + slot) * HOUR, (day * 24 + 6.5 + slot) * HOUR)
        for n in range(5)
        for day in range(20)
        for slot in range(0, 16, 2)
    ]
    assert len(bookings) == 800
    quoted = job("quote", {"M0": 90, "M1": 100}, {"M2": 45, "M3": 45, "M4": 50}, {"M0": 30})
    started = time.perf_counter()
    finish = earliest_finish(quoted, machines, bookings=bookings)
    assert time.perf_counter() - started < 0.05
    assert finish is not None
    alone = plan([quoted], machines, bookings=bookings, method="greedy")
    assert finish == alone.finish["quote"]


def test_plans_are_deterministic():
    jobs, machines, bookings = random_shop(5, jobs_count=10)
    first = plan(jobs, machines, bookings=bookings, time_limit=5.0)
    second = plan(jobs, machines, bookings=bookings, time_limit=5.0)
    assert first.method == "cp-sat optimal"
    assert first.slots == second.slots
    assert first.total_lateness == second.total_lateness


def test_odoo_plans_orders_in_turn_blind_to_due_dates():
    jobs = [job("X", {"M": 40}, due=40), job("Y", {"M": 20}, due=50, weight=10.0)]
    result = odoo_sequential_plan(jobs, [Machine("M")])
    validate(result, jobs, [Machine("M")])
    assert result.method == "odoo sequential"
    assert result.slots["X/1"].start == 0.0
    assert result.total_lateness == 100 * MINUTE


def test_odoo_picks_the_work_center_that_finishes_first_then_the_first_listed():
    machines = [Machine("main"), Machine("alternative")]
    bookings = [Booking("alternative", 0.0, 20 * MINUTE)]
    jobs = [
        job("A", {"main": 60, "alternative": 30}),
        job("B", {"main": 30, "alternative": 30}),
        job("C", {"alternative": 10, "main": 10}),
    ]
    result = odoo_sequential_plan(jobs, machines, bookings=bookings)
    validate(result, jobs, machines, bookings)
    assert result.slots["A/1"] == Slot("alternative", 20 * MINUTE, 50 * MINUTE)
    assert result.slots["B/1"] == Slot("main", 0.0, 30 * MINUTE)
    assert result.slots["C/1"] == Slot("main", 30 * MINUTE, 40 * MINUTE)


def test_odoo_fills_earlier_gaps_like_get_first_available_slot():
    machines = [Machine("M")]
    bookings = [Booking("M", 60 * MINUTE, 120 * MINUTE)]
    jobs = [job("long", {"M": 90}), job("short", {"M": 30})]
    result = odoo_sequential_plan(jobs, machines, bookings=bookings)
    assert result.slots["long/1"].start == 120 * MINUTE
    assert result.slots["short/1"].start == 0.0


@pytest.mark.parametrize(
    ("jobs", "machines", "bookings", "message"),
    [
        ([job("J", {"M": -5})], [Machine("M")], [], "duration must be a finite number"),
        ([Job("J", (Operation("J/1", {}),))], [Machine("M")], [], "has no eligible machine"),
        ([job("J", {"X": 5})], [Machine("M")], [], "unknown machine 'X'"),
        ([job("J", {"M": 5})], [Machine("M")], [Booking("X", 0, 1)], "unknown machine 'X'"),
        ([job("J", {"M": 5})], [Machine("M")], [Booking("M", 5, 1)], "ends (1) before"),
        ([Job("J", ())], [Machine("M")], [], "has no operations"),
        ([job("J", {"M": 5}), job("J", {"M": 5})], [Machine("M")], [], "given twice"),
        (
            [Job("A", (Operation("x", {"M": 1}), Operation("x", {"M": 1})))],
            [Machine("M")],
            [],
            "operation 'x' appears twice in job 'A'",
        ),
        (
            [Job("A", (Operation("x", {"M": 1}),)), Job("B", (Operation("x", {"M": 2}),))],
            [Machine("M")],
            [],
            "operation 'x' has different durations in jobs 'A' and 'B'",
        ),
        (
            [
                Job("A", (Operation("x", {"M": 1}), Operation("y", {"M": 1}))),
                Job("B", (Operation("y", {"M": 1}), Operation("x", {"M": 1}))),
            ],
            [Machine("M")],
            [],
            "order them in a circle: 'x' before 'y' before 'x'",
        ),
        ([job("J", {"M": 5})], [Machine("M", ((10, 20), (0, 5)))], [], "sorted and disjoint"),
        ([job("J", {"M": 5}, weight=-1)], [Machine("M")], [], "weight must be"),
        ([job("J", {"M": 5}, due=float("nan"))], [Machine("M")], [], "non-finite due"),
    ],
)
def test_bad_input_is_refused_clearly(jobs, machines, bookings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan(jobs, machines, bookings=bookings, time_limit=0.0)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        odoo_sequential_plan(jobs, machines, bookings=bookings)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        plan([job("J", {"M": 5})], [Machine("M")], method="fastest")


def test_validate_names_every_broken_rule():
    machines = [Machine("A", ((0.0, HOUR),)), Machine("B")]
    jobs = [job("J", {"A": 30}, {"A": 30, "B": 30}), job("K", {"B": 30})]
    bookings = [Booking("B", 0.0, 10 * MINUTE)]
    good = plan(jobs, machines, bookings=bookings, method="greedy")
    validate(good, jobs, machines, bookings)
    good.slots["J/2"] = Slot("A", 0.0, 30 * MINUTE)
    good.slots["K/1"] = Slot("A", 50 * MINUTE, 80 * MINUTE)
    with pytest.raises(ValueError) as refused:
        validate(good, jobs, machines, bookings)
    text = str(refused.value)
    assert "'K/1' is on machine 'A', which is not eligible" in text
    assert "'J/2' starts at 0.0 before" in text
    assert "overlap on machine 'A'" in text
    assert "finishes at" in text


def test_validate_catches_window_and_booking_violations():
    machines = [Machine("A", ((0.0, HOUR),))]
    jobs = [job("J", {"A": 30})]
    bookings = [Booking("A", 0.0, 10 * MINUTE)]
    result = plan(jobs, machines, bookings=bookings, method="greedy")
    result.slots["J/1"] = Slot("A", 5 * MINUTE, 35 * MINUTE)
    with pytest.raises(ValueError, match="a booking and operation 'J/1' overlap"):
        validate(result, jobs, machines, bookings)
    result.slots["J/1"] = Slot("A", 40 * MINUTE, 70 * MINUTE)
    with pytest.raises(ValueError, match="not inside one working window"):
        validate(result, jobs, machines, bookings)


def step(key, **minutes):
    """An operation taking ``minutes`` on each machine named; shared when in several jobs."""
    return Operation(key, {machine: value * MINUTE for machine, value in minutes.items()})


def build_job_pair():
    """A and B prepare on their own benches (30 and 50 min), print together (120 min), then
    finish on one bench (20 and 40 min)."""
    shared = step("RUN", P=120)
    jobs = [
        Job("A", (step("A/prep", benchA=30), shared, step("A/post", F=20)), due=200 * MINUTE),
        Job("B", (step("B/prep", benchB=50), shared, step("B/post", F=40)), due=300 * MINUTE),
    ]
    machines = [Machine("benchA"), Machine("benchB"), Machine("P"), Machine("F")]
    return jobs, machines


PLANNERS = {
    "greedy": lambda jobs, machines, **kw: plan(jobs, machines, method="greedy", **kw),
    "cp-sat": lambda jobs, machines, **kw: plan(jobs, machines, time_limit=5.0, **kw),
    "odoo": odoo_sequential_plan,
}


@pytest.mark.parametrize("planner", PLANNERS)
def test_shared_run_waits_for_every_prep_and_precedes_every_post(planner):
    jobs, machines = build_job_pair()
    result = PLANNERS[planner](jobs, machines)
    validate(result, jobs, machines)
    assert len(result.slots) == 5
    assert result.slots["RUN"] == Slot("P", 50 * MINUTE, 170 * MINUTE)
    assert result.slots["A/post"].start >= 170 * MINUTE
    assert result.slots["B/post"].start >= 170 * MINUTE
    for each in jobs:
        assert result.finish[each.key] == result.slots[f"{each.key}/post"].end
    assert result.makespan == 230 * MINUTE
    assert result.total_lateness == 0.0


def test_odoo_plans_the_prefix_of_a_later_order_before_the_shared_run():
    """A comes first, but the run waits for B's prep: A's prep, B's prep, the run, then A's
    post; B's post follows when B's turn comes."""
    shared = step("RUN", P=120)
    jobs = [
        Job("A", (step("A/prep", M=30), shared, step("A/post", F=20))),
        Job("B", (step("B/prep", M=50), shared, step("B/post", F=40))),
    ]
    machines = [Machine("M"), Machine("P"), Machine("F")]
    result = odoo_sequential_plan(jobs, machines)
    validate(result, jobs, machines)
    assert result.slots["A/prep"] == Slot("M", 0.0, 30 * MINUTE)
    assert result.slots["B/prep"] == Slot("M", 30 * MINUTE, 80 * MINUTE)
    assert result.slots["RUN"] == Slot("P", 80 * MINUTE, 200 * MINUTE)
    assert result.slots["A/post"] == Slot("F", 200 * MINUTE, 220 * MINUTE)
    assert result.slots["B/post"] == Slot("F", 220 * MINUTE, 260 * MINUTE)


def test_shared_run_optimum_known_by_hand():
    """The plate of A and B needs both preps on M (50 min in all), so it starts at 50 at the
    earliest; C's 50-min print fits before it on the printer and is on time. A then ends at
    50 + 60 + 10 = 120 at the earliest, 40 min late; the two posts share F: makespan 130.
    Counting the plate once per job would push C or the plate back by an hour."""
    shared = step("PLATE", P=60)
    jobs = [
        Job("A", (step("A/prep", M=10), shared, step("A/post", F=10)), due=80 * MINUTE),
        Job("B", (step("B/prep", M=40), shared, step("B/post", F=10)), due=200 * MINUTE),
        job("C", {"P": 50}, due=60),
    ]
    machines = [Machine("M"), Machine("P"), Machine("F")]
    result = plan(jobs, machines, time_limit=5.0)
    validate(result, jobs, machines)
    assert result.method == "cp-sat optimal"
    assert result.total_lateness == 40 * MINUTE
    assert result.lateness_bound == 40 * MINUTE
    assert result.lateness == {"A": 40 * MINUTE, "B": 0.0, "C": 0.0}
    assert result.slots["PLATE"] == Slot("P", 50 * MINUTE, 110 * MINUTE)
    assert result.slots["C/1"] == Slot("P", 0.0, 50 * MINUTE)
    assert result.makespan == 130 * MINUTE


def test_validate_catches_a_shared_run_before_one_of_its_predecessors():
    jobs, machines = build_job_pair()
    result = plan(jobs, machines, method="greedy")
    result.slots["RUN"] = Slot("P", 30 * MINUTE, 150 * MINUTE)
    with pytest.raises(ValueError) as refused:
        validate(result, jobs, machines)
    assert str(refused.value) == (
        "invalid plan: operation 'RUN' starts at 1800.0 before 3000.0 "
        "(release or predecessor in job 'B')"
    )


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_job_that_cannot_be_planned_takes_its_build_partners_out(planner):
    shared = step("RUN", P=60)
    jobs = [
        Job("A", (shared, step("A/post", mill=9 * 60))),
        Job("B", (step("B/prep", P=30), shared, step("B/post", mill=60))),
        job("C", {"mill": 60}),
    ]
    machines = [Machine("P"), Machine("mill", shifts(5, 6, 14))]
    result = PLANNERS[planner](jobs, machines)
    validate(result, jobs, machines)
    assert "9.00 h" in result.unschedulable["A"]
    assert "with job 'A', which cannot be planned" in result.unschedulable["B"]
    assert set(result.slots) == {"C/1"}


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_build_job_without_room_frees_the_time_its_members_took(planner):
    """B's prep fits, but the shared run finds no window left: B's prep is taken back out."""
    shared = step("RUN", M=60)
    jobs = [
        Job("A", (shared,)),
        Job("B", (step("B/prep", P=30), shared)),
        job("C", {"P": 30}),
    ]
    machines = [Machine("M", ((0.0, 2 * HOUR),)), Machine("P")]
    bookings = [Booking("M", 0.0, 90 * MINUTE)]
    result = PLANNERS[planner](jobs, machines, bookings=bookings)
    validate(result, jobs, machines, bookings)
    assert "'RUN' finds no free working window" in result.unschedulable["A"]
    assert "job 'A'" in result.unschedulable["B"]
    assert result.slots == {"C/1": Slot("P", 0.0, 30 * MINUTE)}


def test_earliest_finish_takes_a_build_job_member_alone():
    jobs, machines = build_job_pair()
    assert earliest_finish(jobs[0], machines) == (30 + 120 + 20) * MINUTE


@pytest.mark.parametrize("seed", [1, 2])
def test_plans_with_build_jobs_keep_every_rule(seed):
    """Every three jobs of the random shop print their first operation on one shared plate."""
    jobs, machines, bookings = random_shop(seed, jobs_count=24)
    grouped = []
    for first in range(0, len(jobs), 3):
        members = jobs[first : first + 3]
        plate = step(f"plate {first}", P1=240, P2=260)
        grouped += [
            Job(each.key, (plate, *each.operations[1:]), each.release, each.due, each.weight)
            for each in members
        ]
    for planner in PLANNERS.values():
        result = planner(grouped, machines, bookings=bookings)
        validate(result, grouped, machines, bookings)
        assert not result.unschedulable
        assert len(result.slots) == sum(len(each.operations) - 1 for each in grouped) + 8


FJS_TEXT = """2 2 1.5
2 1 1 3 2 1 2 2 4
1 1 2 2
"""


def test_fjs_reader():
    jobs, machines = read_fjs(FJS_TEXT)
    assert [machine.key for machine in machines] == [1, 2]
    assert jobs[0].operations[0].durations == {1: 3 * MINUTE}
    assert jobs[0].operations[1].durations == {1: 2 * MINUTE, 2: 4 * MINUTE}
    assert jobs[1].operations == (Operation((2, 1), {2: 2 * MINUTE}),)
    result = plan(jobs, machines, time_limit=2.0)
    assert result.makespan == 5 * MINUTE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "first line"),
        ("2 2\n1 1 1 3\n", "announces 2 jobs"),
        ("1 2\n2 1 1 3\n", "ends before its last operation"),
        ("1 2\n1 1 3 3\n", "names machine 3 of 2"),
        ("1 2\n1 1 1 3 7\n", "1 numbers after"),
        ("1 2\n1 1 x 3\n", "not an .fjs instance"),
    ],
)
def test_fjs_reader_refuses_broken_files(text, message):
    with pytest.raises(ValueError, match=message):
        read_fjs(text)


def test_brandimarte_mk01_reaches_its_optimum():
    path = FJSP / "BrandimarteMk1.fjs"
    if not path.exists():
        pytest.skip(
            f"Brandimarte instance not found at {path} (bench/bench_scheduler.py fetches it)"
        )
    jobs, machines = read_fjs(path.read_text())
    result = plan(jobs, machines, time_limit=10.0)
    validate(result, jobs, machines)
    assert result.makespan == 40 * MINUTE


DAY = 24 * HOUR


def bench(key="bench", days=5, pausable=True):
    """A manned bench working 8-12 and 13-17 every day."""
    return Machine(key, tuple(sorted(shifts(days, 8, 12) + shifts(days, 13, 17))), pausable)


def at(day, hour):
    return day * DAY + hour * HOUR


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_pausable_operation_stops_at_the_end_of_a_shift_and_resumes_at_the_next(planner):
    """10 h on an 8-12/13-17 bench: 8 h on the first day, the last 2 h the next morning."""
    jobs = [job("support removal", {"bench": 600})]
    result = PLANNERS[planner](jobs, [bench()])
    validate(result, jobs, [bench()])
    assert result.slots["support removal/1"] == Slot("bench", at(0, 8), at(1, 10))
    assert earliest_finish(jobs[0], [bench()]) == at(1, 10)
    ordinary = PLANNERS[planner](jobs, [bench(pausable=False)])
    assert "the longest run" in ordinary.unschedulable["support removal"]


@pytest.mark.parametrize("planner", PLANNERS)
def test_nothing_starts_on_the_bench_while_a_paused_operation_holds_it(planner):
    """B, ready at 12:30, would start at 13:00 if A's lunch break were free; A holds the bench
    until it ends the next morning."""
    jobs = [job("A", {"bench": 600}), job("B", {"bench": 60}, release=12.5 * 60)]
    result = PLANNERS[planner](jobs, [bench()])
    validate(result, jobs, [bench()])
    assert result.slots["A/1"] == Slot("bench", at(0, 8), at(1, 10))
    assert result.slots["B/1"] == Slot("bench", at(1, 10), at(1, 11))


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_booking_in_the_lunch_break_keeps_a_paused_run_from_spanning_it(planner):
    """Starting at 8:00 the run would hold the bench over the booking at 12:15-12:45; the first
    start after it inside a window is 13:00, done the next day at 15:00."""
    jobs = [job("A", {"bench": 600})]
    bookings = [Booking("bench", at(0, 12.25), at(0, 12.75))]
    result = PLANNERS[planner](jobs, [bench()], bookings=bookings)
    validate(result, jobs, [bench()], bookings)
    assert result.slots["A/1"] == Slot("bench", at(0, 13), at(1, 15))


def test_validate_checks_the_span_start_and_end_of_a_pausable_run():
    jobs = [job("A", {"bench": 600}), job("B", {"bench": 60})]
    machines = [bench()]
    result = odoo_sequential_plan(jobs, machines)
    validate(result, jobs, machines)
    result.slots["B/1"] = Slot("bench", at(0, 13), at(0, 14))
    with pytest.raises(ValueError, match="'A/1' and operation 'B/1' overlap on machine 'bench'"):
        validate(result, jobs, machines)
    result.slots["B/1"] = Slot("bench", at(0, 12.5), at(0, 13.5))
    with pytest.raises(ValueError, match="'B/1' does not start inside a working window"):
        validate(result, jobs, machines)
    result = odoo_sequential_plan(jobs, machines)
    result.slots["A/1"] = Slot("bench", at(0, 8), at(1, 11))
    with pytest.raises(ValueError) as refused:
        validate(result, jobs, machines)
    assert (
        "operation 'A/1' ends at 126000.0 with 39600.0 s of working time on pausable machine "
        "'bench'; its 36000.0 s are done at 122400.0"
    ) in str(refused.value)


def test_cp_sat_and_greedy_agree_on_the_known_optimum():
    """Both finishing runs (6 h and 5 h) can start at 8:00 on the bench, which then works
    without idling: 11 h of work end the next day at 11:00 whatever the order."""
    jobs = [job("J1", {"P": 120}, {"bench": 360}), job("J2", {"P": 60}, {"bench": 300})]
    machines = [Machine("P"), bench()]
    greedy = plan(jobs, machines, method="greedy")
    full = plan(jobs, machines, time_limit=5.0)
    for result in (greedy, full):
        validate(result, jobs, machines)
        assert result.makespan == at(1, 11)
    assert full.method == "cp-sat optimal"


def test_cp_sat_finds_the_lateness_optimum_across_breaks():
    """Both due at 17:00, J2 weighted twice. Every rule puts the longer J1 first; J1 then ends
    at 15:00 and J2 runs over the night to 9:00, 16 h late, 32 weighted. J2 first (8-11) leaves
    J1 5 h that day: it ends at 9:00 the next day, 16 h late: the optimum."""
    jobs = [
        job("J1", {"bench": 360}, due=17 * 60),
        job("J2", {"bench": 180}, due=17 * 60, weight=2.0),
    ]
    machines = [bench()]
    assert plan(jobs, machines, method="greedy").total_lateness == 32 * HOUR
    result = plan(jobs, machines, time_limit=5.0)
    validate(result, jobs, machines)
    assert result.method == "cp-sat optimal"
    assert result.total_lateness == result.lateness_bound == 16 * HOUR
    assert result.slots["J2/1"] == Slot("bench", at(0, 8), at(0, 11))
    assert result.slots["J1/1"] == Slot("bench", at(0, 11), at(1, 9))


def two_benches():
    """The bench, an alternative bench working 9-12 and 12:30-17:30 with a booking at 10-11,
    and three orders."""
    alternative = Machine(
        "alt", tuple(sorted(shifts(5, 9, 12) + shifts(5, 12.5, 17.5))), pausable=True
    )
    jobs = [
        job("MO1", {"bench": 600, "alt": 720}),
        job("MO2", {"bench": 180, "alt": 180}),
        job("MO3", {"bench": 120}),
    ]
    return jobs, [bench(), alternative], [Booking("alt", at(0, 10), at(0, 11))]


def test_odoo_sequential_matches_get_first_available_slot_by_hand():
    """Worked through ``_get_first_available_slot``: MO1 finishes first on the bench (next day
    10:00; on the alternative 15:30). MO2 on the alternative restarts after the booking at
    11:00 and, pausing for its 12:00-12:30 break, ends at 14:30 (on the bench: next day 14:00).
    MO3 conflicts with MO1's leave until the next day 10:00 and then fits by 12:00."""
    jobs, machines, bookings = two_benches()
    result = odoo_sequential_plan(jobs, machines, bookings=bookings)
    validate(result, jobs, machines, bookings)
    assert result.slots == {
        "MO1/1": Slot("bench", at(0, 8), at(1, 10)),
        "MO2/1": Slot("alt", at(0, 11), at(0, 14.5)),
        "MO3/1": Slot("bench", at(1, 10), at(1, 12)),
    }


def test_cp_sat_proves_the_makespan_with_alternative_pausable_benches():
    """The bench does MO3 and, unless the alternative takes it, MO1: 12 h of work from 8:00
    end the next day at 12:00. MO1 on the alternative would end the next day at 15:30 at the
    earliest, so 12:00 is the optimum."""
    jobs, machines, bookings = two_benches()
    result = plan(jobs, machines, bookings=bookings, time_limit=5.0)
    validate(result, jobs, machines, bookings)
    assert result.method == "cp-sat optimal"
    assert result.makespan == at(1, 12)
    assert result.slots["MO1/1"].machine == "bench"


@pytest.mark.parametrize("planner", PLANNERS)
def test_a_pausable_run_is_unschedulable_only_when_the_calendar_lacks_its_working_time(planner):
    """Two days of the bench hold 16 h of work; from 13:00 on the first day, 12 h."""
    machines = [bench(days=2)]
    jobs = [
        job("all of it", {"bench": 16 * 60}),
        job("one minute more", {"bench": 16 * 60 + 1}),
        job("from lunch", {"bench": 12 * 60}, release=13 * 60),
        job("from lunch, more", {"bench": 12 * 60 + 1}, release=13 * 60),
    ]
    result = PLANNERS[planner]([jobs[0], jobs[1]], machines)
    validate(result, jobs[:2], machines)
    assert result.slots["all of it/1"] == Slot("bench", at(0, 8), at(1, 17))
    assert "16.02 h" in result.unschedulable["one minute more"]
    assert "16.00 h" in result.unschedulable["one minute more"]
    result = PLANNERS[planner]([jobs[2], jobs[3]], machines)
    validate(result, jobs[2:], machines)
    assert result.slots["from lunch/1"] == Slot("bench", at(0, 13), at(1, 17))
    assert "12.00 h" in result.unschedulable["from lunch, more"]


def test_pausable_runs_keep_seconds_on_windows_off_the_minute():
    """Windows 8:00:30-12:00 and 13:00-16:59:40: the run starts on the first whole minute, 8:01,
    and its 5 h 10.5 s of work end 3,670.5 s after 13:00, measured on the real windows."""
    machines = [Machine("bench", ((8 * HOUR + 30, 12 * HOUR), (13 * HOUR, 17 * HOUR - 20)), True)]
    jobs = [Job("J", (Operation("J/1", {"bench": 5 * HOUR + 10.5}),))]
    for planner in PLANNERS.values():
        result = planner(jobs, machines)
        validate(result, jobs, machines)
        assert result.slots["J/1"] == Slot("bench", 8 * HOUR + MINUTE, 13 * HOUR + 3670.5)


@pytest.mark.parametrize("seed", [1, 2])
def test_plans_with_pausable_benches_keep_every_rule(seed):
    """The random shop with its bench pausable and some bench work longer than a shift."""
    jobs, machines, bookings = random_shop(seed)
    machines = [Machine(each.key, each.windows, pausable=each.key == "B1") for each in machines]
    rng = random.Random(seed)
    jobs = [
        Job(
            each.key,
            (*each.operations[:-1], step(f"{each.key}/long", B1=rng.randint(30, 600))),
            each.release,
            each.due,
            each.weight,
        )
        for each in jobs
    ]
    greedy = plan(jobs, machines, bookings=bookings, method="greedy")
    full = plan(jobs, machines, bookings=bookings, time_limit=3.0)
    odoo = odoo_sequential_plan(jobs, machines, bookings=bookings)
    for result in (greedy, full, odoo):
        validate(result, jobs, machines, bookings)
        assert not result.unschedulable
    assert full.method.startswith("cp-sat")
    assert full.total_lateness <= greedy.total_lateness
    assert full.lateness_bound <= full.total_lateness + 1e-6
    paused = [slot for slot in full.slots.values() if slot.end - slot.start > 4 * HOUR]
    assert paused, "some bench work spans a break"


def test_compact_moves_idle_operations_earlier_without_making_anything_later():
    """CP-SAT may leave idle time that changes neither lateness nor makespan: compacted away."""
    machines = [Machine("printer"), Machine("bench")]
    jobs = [
        Job("A", (Operation("print", {"printer": 3600}), Operation("finish", {"bench": 600}))),
        Job("B", (Operation("long", {"bench": 7200}),)),
    ]
    instance = grid_instance(jobs, check_input(jobs, machines, ()), ())
    # The print idles an hour though nothing waits for it; the bench work is already tight.
    idle = {
        "print": Placement("printer", 60, 120, 3600.0, 7200.0),
        "finish": Placement("bench", 120, 130, 600.0, 7800.0),
        "long": Placement("bench", 0, 120, 7200.0, 7200.0),
    }
    moved = compact(instance, idle)
    assert (moved["print"].start, moved["print"].end) == (0, 60)
    assert (moved["finish"].start, moved["finish"].end) == (120, 130), "the bench is busy until 120"
    assert moved["long"] == idle["long"]
    assert all(moved[key].end <= idle[key].end for key in idle)
    validate(to_plan(instance, moved, {}, "compacted"), jobs, machines)


def test_compact_moves_a_zero_length_predecessor_first_when_it_starts_with_its_successor():
    """A zero-length run and the zero-length operation before it in another job tie in start
    order; the run listed first must still wait for that predecessor's window."""
    machines = [Machine("always"), Machine("shift", ((10 * MINUTE, 100 * HOUR),)), Machine("M")]
    run = Operation("run", {"always": 0})
    jobs = [
        Job("X", (run, Operation("X/2", {"M": MINUTE}))),
        Job("Y", (Operation("Y/1", {"shift": 0}), run)),
    ]
    instance = grid_instance(jobs, check_input(jobs, machines, ()), ())
    idle = {
        "run": Placement("always", 20, 20, 0.0, 20 * MINUTE),
        "X/2": Placement("M", 20, 21, MINUTE, 21 * MINUTE),
        "Y/1": Placement("shift", 20, 20, 0.0, 20 * MINUTE),
    }
    validate(to_plan(instance, idle, {}, "idle"), jobs, machines)
    moved = compact(instance, idle)
    validate(to_plan(instance, moved, {}, "compacted"), jobs, machines)
    assert [(moved[key].start, moved[key].end) for key in ("Y/1", "run", "X/2")] == [
        (10, 10),
        (10, 10),
        (10, 11),
    ]
