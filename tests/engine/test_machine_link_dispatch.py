"""The dispatch matcher, the failure-trend flag and the job files of odm_machine_link."""

import shutil
import time

import numpy as np
import pytest

from odm_engine.machines import jobfiles, machine_dispatch, reliability
from odm_engine.machines.connectors.base import tag_in
from odm_engine.mesh.loaders import load_part
from odm_engine.packing import nesting

Machine, Work = machine_dispatch.Machine, machine_dispatch.Work


def printer(key, **values):
    return Machine(
        **{
            "key": key,
            "process": "FDM",
            "loaded_material": "PLA",
            "envelope_mm": (250, 210, 220),
            "nozzle_mm": 0.4,
            **values,
        }
    )


def part(key, **values):
    return Work(
        **{"key": key, "process": "FDM", "material": "PLA", "size_mm": (50, 40, 30), **values}
    )


def test_each_work_and_machine_used_once_in_urgency_order():
    pairs = machine_dispatch.assign([part("a"), part("b"), part("c")], [printer(1), printer(2)])
    assert pairs == [("a", 1), ("b", 2)]


def test_preferred_machine_first():
    pairs = machine_dispatch.assign([part("a", preferred=(2,))], [printer(1), printer(2)])
    assert pairs == [("a", 2)]


@pytest.mark.parametrize(
    ("machine", "work", "code", "reason"),
    [
        (printer(1, process="SLA"), part("a"), "process", "another process"),
        (printer(1, loaded_material="PETG"), part("a"), "material", "another material loaded"),
        (printer(1, loaded_material=None), part("a"), "material", "another material loaded"),
        (printer(1, nozzle_mm=0.6), part("a", nozzle_mm=0.4), "nozzle", "a 0.6 mm nozzle"),
        (printer(1), part("a", size_mm=(300, 10, 10)), "volume", "does not fit"),
        (
            printer(1),
            part("a", size_mm=None, holders=frozenset({2})),
            "layout",
            "layout does not fit",
        ),
    ],
)
def test_incompatible(machine, work, code, reason):
    blocker = machine_dispatch.incompatibility(work, machine)
    assert (blocker.code, blocker.machine) == (code, 1)
    assert reason in blocker.text
    assert machine_dispatch.assign([work], [machine]) == []


@pytest.mark.parametrize(
    ("machine", "code", "reason"),
    [
        (printer(1, under_maintenance=True), "maintenance", "under maintenance"),
        (printer(1, busy_with_job=True), "busy", "holds a job"),
        (printer(1, state="offline"), "offline", "is offline"),
        (printer(1, state="paused"), "state", "is paused"),
        (printer(1, bed_clear=False), "bed", "bed is clear"),
    ],
)
def test_unready(machine, code, reason):
    blocker = machine_dispatch.unready(machine)
    assert blocker.code == code
    assert reason in blocker.text
    works, machines = [part("a")], [machine]
    assert machine_dispatch.assign(works, machines) == []
    assert machine_dispatch.blockers(works, machines, []) == {"a": [blocker]}


def test_blockers_say_why_each_work_left_out_stayed():
    """Per work not sent: each machine of its process with its first reason."""
    works = [part("a"), part("b"), part("c", process="SLA"), part("d", material="PETG")]
    machines = [printer(1), printer(2, state="offline")]
    pairs = machine_dispatch.assign(works, machines)
    assert pairs == [("a", 1)]
    reasons = machine_dispatch.blockers(works, machines, pairs)
    assert set(reasons) == {"b", "c", "d"}
    assert [(b.code, b.machine) for b in reasons["b"]] == [("taken", 1), ("offline", 2)]
    assert [b.code for b in reasons["c"]] == ["no_machine"]
    assert [b.code for b in reasons["d"]] == ["material", "material"]


def test_blockers_name_staggered_starts():
    works, machines = [part("a"), part("b")], [printer(1), printer(2)]
    pairs = machine_dispatch.assign(works, machines, starts_allowed=1)
    reasons = machine_dispatch.blockers(works, machines, pairs, starts_allowed=1)
    assert [b.code for b in reasons["b"]] == ["taken", "stagger"]


def test_fits_turns_parts_any_way():
    assert machine_dispatch.fits((220, 30, 200), (250, 210, 220))
    assert machine_dispatch.fits((10, 10, 240), (250, 210, 220))
    assert not machine_dispatch.fits((10, 230, 240), (250, 210, 220))


def test_a_layout_goes_only_to_the_machines_it_was_checked_on():
    plate = part("plate", size_mm=None, holders=frozenset({2}))
    assert machine_dispatch.assign([plate], [printer(1), printer(2)]) == [("plate", 2)]


def test_staggered_starts():
    assert machine_dispatch.starts_allowed(0, 1) is None
    assert machine_dispatch.starts_allowed(60, None) == 1
    assert machine_dispatch.starts_allowed(60, 30) == 0
    assert machine_dispatch.starts_allowed(60, 61) == 1
    works, machines = [part("a"), part("b")], [printer(1), printer(2)]
    assert len(machine_dispatch.assign(works, machines, starts_allowed=1)) == 1
    assert machine_dispatch.assign(works, machines, starts_allowed=0) == []


def test_failure_trend_flags_a_machine_failing_beyond_its_history():
    history = [index % 10 == 0 for index in range(100)]  # 10 % failures
    assert not reliability.failure_trend(history + [False] * 18 + [True] * 2).flagged
    trend = reliability.failure_trend(history + [True, False] * 10)
    assert trend.flagged
    assert trend.recent_rate == 0.5
    assert trend.history_rate == pytest.approx(0.1)


def test_failure_trend_needs_history():
    trend = reliability.failure_trend([True] * 20)
    assert not trend.flagged
    assert trend.p_value is None
    with pytest.raises(ValueError, match="recent"):
        reliability.failure_trend([], recent=0)


def test_binomial_tail():
    assert reliability.binomial_tail(0, 5, 0.3) == pytest.approx(1.0)
    assert reliability.binomial_tail(5, 5, 0.5) == pytest.approx(1 / 32)


def test_nc_job_keeps_extension_and_tags_name():
    job = jobfiles.nc_job("odm-wo7-a1", "bracket.NGC", b"G0 X0\n")
    assert job.name == "odm-wo7-a1.ngc"
    assert tag_in(job.name) == "odm-wo7-a1"
    with pytest.raises(ValueError, match="empty"):
        jobfiles.nc_job("odm-wo7-a1", "bracket.nc", b"")


def test_filament_grams():
    assert jobfiles.filament_grams(1000, 1.24) == pytest.approx(2.982, abs=0.001)


def cube(size):
    vertices = np.array(
        [(x, y, z) for x in (0, size) for y in (0, size) for z in (0, size)], dtype=float
    )
    faces = np.array(
        [(0, 2, 3), (0, 3, 1), (4, 5, 7), (4, 7, 6), (0, 1, 5), (0, 5, 4),
         (2, 6, 7), (2, 7, 3), (0, 4, 6), (0, 6, 2), (1, 3, 7), (1, 7, 5)]
    )  # fmt: skip
    lines = ["solid c"]
    for face in faces:
        lines += ["facet normal 0 0 0", "outer loop"]
        lines += [f"vertex {x} {y} {z}" for x, y, z in vertices[face]]
        lines += ["endloop", "endfacet"]
    data = ("\n".join([*lines, "endsolid c"]) + "\n").encode()
    return load_part(data, "cube.stl", unit="mm")


def test_each_piece_goes_where_the_layout_placed_it():
    piece = cube(10)
    first = jobfiles.place(
        jobfiles.PlatePiece(piece, np.eye(3).tolist(), 0.0, [[20, 30], [30, 30], [30, 40]])
    )
    second = jobfiles.place(
        jobfiles.PlatePiece(piece, np.eye(3).tolist(), 90.0, [[100, 50], [110, 50], [110, 60]])
    )
    assert first.min(axis=0) == pytest.approx([20, 30, 0])
    assert second.min(axis=0) == pytest.approx([100, 50, 0])
    assert second.max(axis=0) == pytest.approx([110, 60, 10])


def test_copies_on_plate_fill_one_plate_and_leave_the_rest():
    square = [[0, 0], [40, 0], [40, 40], [0, 40]]
    plate = nesting.Plate(100, 100, margin_mm=5, spacing_mm=5)
    assert len(jobfiles.copies_on_plate(square, 3, plate)) == 3
    assert len(jobfiles.copies_on_plate(square, 9, plate)) == 4
    assert len(jobfiles.copies_on_plate(square, 3, plate, max_copies=2)) == 2
    with pytest.raises(nesting.PackingError):
        jobfiles.copies_on_plate([[0, 0], [200, 0], [200, 10]], 1, plate)


def test_a_large_quantity_costs_one_plate():
    """10 000 copies of a 12 mm square: one 250 x 210 plate's worth is nested, capped."""
    square = [[0, 0], [12, 0], [12, 12], [0, 12]]
    started = time.monotonic()
    placements = jobfiles.copies_on_plate(square, 10_000, nesting.Plate(250, 210, 5, 3))
    assert len(placements) == jobfiles.MAX_COPIES_PER_RUN
    assert time.monotonic() - started < 10


def gcode_objects(content):
    """The objects PrusaSlicer labels in a G-code (``gcode_label_objects``)."""
    return {
        line.split(b" id:")[0].removeprefix(b"; printing object ")
        for line in content.splitlines()
        if line.startswith(b"; printing object ")
    }


@pytest.mark.skipif(not shutil.which("prusa-slicer"), reason="prusa-slicer is not on PATH")
def test_slice_plate_makes_one_tagged_gcode_with_each_copy():
    piece = cube(8)
    square = [[0, 0], [8, 0], [8, 8], [0, 8]]
    placements = jobfiles.copies_on_plate(square, 3, nesting.Plate(250, 210, 5, 5))
    pieces = [
        jobfiles.PlatePiece(piece, np.eye(3).tolist(), spot.rotation_deg, spot.outline)
        for spot in placements
    ]
    sliced = jobfiles.slice_plate("odm-wo3-a1", pieces, "MK4", "PLA")
    assert sliced.file.name == "odm-wo3-a1.gcode"
    assert sliced.file.kind == "gcode"
    assert sliced.file.content.startswith(b";")
    assert gcode_objects(sliced.file.content) == {b"copy 1", b"copy 2", b"copy 3"}
    single = jobfiles.slice_plate("odm-wo4-a1", pieces[:1], "MK4", "PLA")
    assert len(gcode_objects(single.file.content)) == 1
    assert sliced.material_g == pytest.approx(3 * single.material_g, rel=0.15)
