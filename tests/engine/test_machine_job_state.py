"""Every transition of the machine job's state machine (odm_engine.machines.job_state)."""

import pytest

from odm_engine.machines.connectors.base import MachineState
from odm_engine.machines.job_state import (
    ACTIVE,
    CLOSED,
    Answer,
    Effect,
    JobState,
    Step,
    failing_allowed,
    on_answer,
    on_reading,
    on_silence,
)

S, M = JobState, MachineState


@pytest.mark.parametrize("state", list(JobState))
def test_states_are_active_or_closed(state):
    assert (state in ACTIVE) != (state in CLOSED)


@pytest.mark.parametrize(
    ("state", "overdue", "expected"),
    [
        (S.QUEUED, True, Step(S.QUEUED)),
        (S.SENT, False, Step(S.SENT)),
        (S.SENT, True, Step(S.UNKNOWN, Effect.LOSE)),
        (S.RUNNING, False, Step(S.UNKNOWN, Effect.LOSE)),
        (S.PAUSED, False, Step(S.UNKNOWN, Effect.LOSE)),
        (S.FINISHED, True, Step(S.FINISHED)),
        (S.UNKNOWN, True, Step(S.UNKNOWN)),
    ],
)
def test_a_reading_of_another_job(state, overdue, expected):
    """The machine names another job or none: only a job it should be running is lost."""
    for machine_state in MachineState:
        step = on_reading(state, ours=False, machine_state=machine_state, sent_overdue=overdue)
        assert step == expected


@pytest.mark.parametrize("state", ACTIVE)
def test_busy_and_paused_readings_track(state):
    assert on_reading(state, ours=True, machine_state=M.BUSY) == Step(S.RUNNING, Effect.TRACK)
    assert on_reading(state, ours=True, machine_state=M.PAUSED) == Step(S.PAUSED, Effect.TRACK)


@pytest.mark.parametrize("state", [S.QUEUED, S.SENT, S.RUNNING, S.PAUSED, S.UNKNOWN])
def test_finished_reading(state):
    """Printers wait for the bed to be cleared; other machines complete at once."""
    finished = on_reading(state, ours=True, machine_state=M.FINISHED, clearance=True)
    assert finished == Step(S.FINISHED, Effect.FINISH)
    done = on_reading(state, ours=True, machine_state=M.FINISHED, clearance=False)
    assert done == Step(S.DONE, Effect.COMPLETE)


def test_finished_job_read_finished_again_waits_for_the_operator():
    assert on_reading(S.FINISHED, ours=True, machine_state=M.FINISHED) == Step(S.FINISHED)


@pytest.mark.parametrize("state", [S.QUEUED, S.SENT, S.RUNNING, S.PAUSED, S.UNKNOWN])
def test_failed_reading_fails(state):
    assert on_reading(state, ours=True, machine_state=M.FAILED) == Step(S.FAILED, Effect.FAIL)


def test_machine_error_after_a_finished_print_leaves_it_to_the_operator():
    assert on_reading(S.FINISHED, ours=True, machine_state=M.FAILED) == Step(S.FINISHED)


@pytest.mark.parametrize("machine_state", [M.IDLE, M.OFFLINE])
@pytest.mark.parametrize("state", ACTIVE)
def test_idle_or_offline_reading_of_our_job_changes_nothing(state, machine_state):
    assert on_reading(state, ours=True, machine_state=machine_state) == Step(state)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (S.QUEUED, Step(S.QUEUED)),
        (S.SENT, Step(S.UNKNOWN, Effect.LOSE)),
        (S.RUNNING, Step(S.UNKNOWN, Effect.LOSE)),
        (S.PAUSED, Step(S.UNKNOWN, Effect.LOSE)),
        (S.FINISHED, Step(S.FINISHED)),
        (S.UNKNOWN, Step(S.UNKNOWN)),
    ],
)
def test_silence(state, expected):
    assert on_silence(state) == expected


ANSWERS = {
    Answer.START: {S.QUEUED: Step(S.RUNNING, Effect.TRACK)},
    Answer.FINISH: {S.RUNNING: Step(S.DONE, Effect.COMPLETE)},
    Answer.FAIL: {
        S.QUEUED: Step(S.FAILED, Effect.FAIL),
        S.RUNNING: Step(S.FAILED, Effect.FAIL),
    },
    Answer.BED_CLEAR: {S.FINISHED: Step(S.DONE, Effect.COMPLETE)},
    Answer.BED_CLEAR_BAD: {S.FINISHED: Step(S.FAILED, Effect.FAIL)},
    Answer.MADE: {S.UNKNOWN: Step(S.DONE, Effect.COMPLETE)},
    Answer.NOT_MADE: {S.UNKNOWN: Step(S.FAILED, Effect.FAIL)},
    Answer.CANCEL: {S.QUEUED: Step(S.CANCELLED), S.SENT: Step(S.CANCELLED)},
}


@pytest.mark.parametrize("answer", list(Answer))
@pytest.mark.parametrize("state", list(JobState))
def test_every_answer_in_every_state(answer, state):
    """An answer moves only the states it is meant for; elsewhere it is ignored."""
    assert on_answer(state, answer) == ANSWERS[answer].get(state)


@pytest.mark.parametrize("state", list(JobState))
def test_failing_allowed(state):
    assert failing_allowed(state) == (state not in CLOSED)


def test_plain_strings_are_accepted():
    """The Odoo glue stores states as strings."""
    assert on_answer("finished", "bed_clear") == Step(S.DONE, Effect.COMPLETE)
    assert on_reading("sent", ours=True, machine_state=M.BUSY).state == "running"
