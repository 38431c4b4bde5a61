"""Grouping of work items into build jobs: compatibility, due-date windows, packing per run."""

from datetime import date, timedelta

import pytest

from odm_engine.packing.build_jobs import (
    MachineType,
    PackingError,
    WorkItem,
    plan_build_jobs,
)
from odm_engine.packing.nesting import Plate
from odm_engine.packing.packing3d import Chamber

MONDAY = date(2026, 3, 2)
SQUARE_50 = [(0, 0), (50, 0), (50, 50), (0, 50)]
FDM = MachineType("fdm-printer", plate=Plate(100, 100))
SLS = MachineType("sls-printer", chamber=Chamber(100, 100, 100))


def fdm_item(key, material="PLA", due=MONDAY, quantity=1, footprint=SQUARE_50, **values):
    return WorkItem(key, "fdm", material, "fdm-printer", due, quantity, footprint, **values)


def sls_item(key, box=(50, 50, 50), due=MONDAY, quantity=1, **values):
    return WorkItem(key, "sls", "PA12", "sls-printer", due, quantity, box=box, **values)


def test_different_materials_never_share_a_run():
    plan = plan_build_jobs([fdm_item("pla", "PLA"), fdm_item("petg", "PETG")], [FDM])
    assert sorted((job.material, tuple(job.copies)) for job in plan.jobs) == [
        ("PETG", ("petg",)),
        ("PLA", ("pla",)),
    ]
    assert all(job.utilisation == pytest.approx(0.25) for job in plan.jobs)


def test_compatible_items_share_a_run_and_report_the_earliest_due_date():
    plan = plan_build_jobs(
        [fdm_item("late", due=MONDAY + timedelta(days=1)), fdm_item("early", quantity=2)], [FDM]
    )
    (job,) = plan.jobs
    assert job.copies == {"early": 2, "late": 1}
    assert job.earliest_due == MONDAY
    assert job.utilisation == pytest.approx(0.75)
    assert job.build_height_mm is None


@pytest.mark.parametrize(
    ("window_days", "runs"), [(2, [["a", "b"], ["c"]]), (10, [["a", "b", "c"]])]
)
def test_due_window_decides_who_waits_for_whom(window_days, runs):
    items = [
        fdm_item("a"),
        fdm_item("b", due=MONDAY + timedelta(days=2)),
        fdm_item("c", due=MONDAY + timedelta(days=5)),
    ]
    plan = plan_build_jobs(items, [FDM], due_window=timedelta(days=window_days))
    assert [sorted(job.copies) for job in plan.jobs] == runs


def test_windows_start_at_the_earliest_item_left():
    days = [0, 1, 2, 3, 4]
    items = [fdm_item(f"day{d}", due=MONDAY + timedelta(days=d)) for d in days]
    plan = plan_build_jobs(items, [FDM], due_window=timedelta(days=1))
    assert [sorted(job.copies) for job in plan.jobs] == [
        ["day0", "day1"],
        ["day2", "day3"],
        ["day4"],
    ]
    assert [job.earliest_due for job in plan.jobs] == [
        MONDAY + timedelta(days=d) for d in (0, 2, 4)
    ]


def test_items_without_due_date_come_last_together():
    plan = plan_build_jobs([fdm_item("someday", due=None), fdm_item("dated")], [FDM])
    assert [list(job.copies) for job in plan.jobs] == [["dated"], ["someday"]]
    assert plan.jobs[1].earliest_due is None


def test_a_window_too_big_for_one_run_fills_several():
    plan = plan_build_jobs([fdm_item("many", quantity=10)], [FDM])
    assert [job.copies["many"] for job in plan.jobs] == [4, 4, 2]
    assert [job.utilisation for job in plan.jobs] == pytest.approx([1.0, 1.0, 0.5])


def test_chamber_jobs_report_build_height_and_density():
    plan = plan_build_jobs(
        [sls_item("cubes", quantity=4), sls_item("slab", box=(100, 100, 20), part_volume_mm3=1e5)],
        [SLS],
    )
    (job,) = plan.jobs
    assert job.copies == {"cubes": 4, "slab": 1}
    assert job.build_height_mm == pytest.approx(70)
    assert job.utilisation == pytest.approx((4 * 125_000 + 100_000) / (100 * 100 * 70))
    assert job.chamber.placements and job.plate is None


def test_part_hours_add_up_only_when_every_item_has_them():
    timed = plan_build_jobs(
        [fdm_item("a", part_hours=1.5, quantity=2), fdm_item("b", part_hours=2)], [FDM]
    )
    assert timed.jobs[0].part_hours == pytest.approx(5.0)
    untimed = plan_build_jobs([fdm_item("a", part_hours=1.5), fdm_item("b")], [FDM])
    assert untimed.jobs[0].part_hours is None


def test_unplannable_items_come_back_with_a_reason():
    items = [
        fdm_item("ok"),
        fdm_item("too big", footprint=[(0, 0), (150, 0), (150, 10)]),
        WorkItem("no machine", "fdm", "PLA", "unknown", MONDAY, footprint=SQUARE_50),
        WorkItem("no footprint", "fdm", "PLA", "fdm-printer", MONDAY),
        WorkItem("no box", "sls", "PA12", "sls-printer", MONDAY, footprint=SQUARE_50),
        fdm_item("flat", footprint=[(0, 0), (1, 1), (2, 2)]),
        sls_item("none", quantity=0),
    ]
    plan = plan_build_jobs(items, [FDM, SLS])
    reasons = {miss.key: miss.reason for miss in plan.unplanned}
    assert [list(job.copies) for job in plan.jobs] == [["ok"]]
    assert "does not fit the usable plate" in reasons.pop("too big")
    assert "No machine type unknown" in reasons.pop("no machine")
    assert "needs the part's footprint" in reasons.pop("no footprint")
    assert "needs the part's box" in reasons.pop("no box")
    assert "no area" in reasons.pop("flat")
    assert "quantity" in reasons.pop("none")
    assert not reasons


def test_bad_configuration_is_refused():
    with pytest.raises(PackingError, match="either a plate or a chamber"):
        MachineType("both", plate=Plate(100, 100), chamber=Chamber(100, 100, 100))
    with pytest.raises(PackingError, match="unique"):
        plan_build_jobs([fdm_item("twice"), fdm_item("twice")], [FDM])
    with pytest.raises(PackingError, match="negative"):
        plan_build_jobs([fdm_item("a")], [FDM], due_window=timedelta(days=-1))
