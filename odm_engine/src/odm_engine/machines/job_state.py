"""The life of a machine job, apart from where it is stored.

A job is the dispatch of one work order (or one build job's plate) to one machine. Its state
moves on three kinds of event: a **reading** of the machine (matched to the job by the tag the
machine echoes), the machine **going silent**, and an **operator's** answer. This module says,
for a state and an event, which state comes next and what the caller must do on the way (an
``Effect``); the Odoo model stores the state and carries the effects out (start the work
orders, record actuals, scrap, requeue...). Keeping the rules here lets them be read and tested
in one place, as OCA ``queue_job`` keeps its job states apart from the ``queue.job`` records.
"""

from dataclasses import dataclass
from enum import Enum

from odm_engine.machines.connectors.base import MachineState


class JobState(str, Enum):
    QUEUED = "queued"  # created, nothing sent yet
    SENT = "sent"  # the start request left; no reading has shown the job yet
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # the machine ended it well; a printer's bed still holds the parts
    UNKNOWN = "unknown"  # the machine shows no sign of it: an operator says what happened
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"  # never started: the work is free for another machine


# The machine holds (or may hold) the job's parts: at most one such job per machine and per
# work order or build job.
ACTIVE = (
    JobState.QUEUED,
    JobState.SENT,
    JobState.RUNNING,
    JobState.PAUSED,
    JobState.FINISHED,
    JobState.UNKNOWN,
)
CLOSED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
# A machine reading its job as finished ends it from these states (not from ``finished``
# itself: the first reading did, and the bed is the operator's call from then on).
FINISHABLE = (
    JobState.QUEUED,
    JobState.SENT,
    JobState.RUNNING,
    JobState.PAUSED,
    JobState.UNKNOWN,
)


class Effect(str, Enum):
    """What the caller does besides storing the next state."""

    NONE = "none"
    TRACK = "track"  # record progress and expected end; start the work orders once
    FINISH = "finish"  # record duration and material as finished
    COMPLETE = "complete"  # finish the work with the job's actuals (good parts made)
    FAIL = "fail"  # scrap what was made, give the work back to dispatch
    LOSE = "lose"  # tell the operator the machine shows no sign of the job


@dataclass(frozen=True)
class Step:
    """The next state and the effect that goes with it."""

    state: JobState
    effect: Effect = Effect.NONE


def on_reading(
    state: JobState,
    *,
    ours: bool,
    machine_state: MachineState,
    sent_overdue: bool = False,
    clearance: bool = True,
) -> Step:
    """The step a reading of the machine causes.

    ``ours``: the machine names this job (by its tag). ``sent_overdue``: the job was sent longer
    ago than the grace a machine needs to show it. ``clearance``: the machine's parts stay on
    its plate until an operator takes them off (FDM, SLA): a finished job waits for that
    instead of completing at once.
    """
    state = JobState(state)
    if not ours:
        if state in (JobState.RUNNING, JobState.PAUSED) or (
            state == JobState.SENT and sent_overdue
        ):
            return Step(JobState.UNKNOWN, Effect.LOSE)
        return Step(state)
    if machine_state == MachineState.BUSY:
        return Step(JobState.RUNNING, Effect.TRACK)
    if machine_state == MachineState.PAUSED:
        return Step(JobState.PAUSED, Effect.TRACK)
    if machine_state == MachineState.FINISHED:
        if state not in FINISHABLE:
            return Step(state)
        if clearance:
            return Step(JobState.FINISHED, Effect.FINISH)
        return Step(JobState.DONE, Effect.COMPLETE)
    if machine_state == MachineState.FAILED and state != JobState.FINISHED:
        # A finished print stays the operator's call, even if the machine errs later.
        return Step(JobState.FAILED, Effect.FAIL)
    return Step(state)


def on_silence(state: JobState) -> Step:
    """The machine stopped answering: a job it may be running is kept, as unknown."""
    state = JobState(state)
    if state in (JobState.SENT, JobState.RUNNING, JobState.PAUSED):
        return Step(JobState.UNKNOWN, Effect.LOSE)
    return Step(state)


class Answer(str, Enum):
    """What an operator (or the sender, for ``cancel``) says about a job."""

    START = "start"  # manual machines: started by hand
    FINISH = "finish"  # manual machines: finished and taken off
    FAIL = "fail"  # manual machines: failed, from any state but closed ones
    BED_CLEAR = "bed_clear"  # the parts came off the bed (all, or some, good)
    BED_CLEAR_BAD = "bed_clear_bad"  # the bed is clear, no part is good
    MADE = "made"  # an unknown job: the machine did make it
    NOT_MADE = "not_made"  # an unknown job: it did not come out
    CANCEL = "cancel"  # never started: free the work


_ANSWERS = {
    Answer.START: ((JobState.QUEUED,), Step(JobState.RUNNING, Effect.TRACK)),
    Answer.FINISH: ((JobState.RUNNING,), Step(JobState.DONE, Effect.COMPLETE)),
    Answer.FAIL: ((JobState.QUEUED, JobState.RUNNING), Step(JobState.FAILED, Effect.FAIL)),
    Answer.BED_CLEAR: ((JobState.FINISHED,), Step(JobState.DONE, Effect.COMPLETE)),
    Answer.BED_CLEAR_BAD: ((JobState.FINISHED,), Step(JobState.FAILED, Effect.FAIL)),
    Answer.MADE: ((JobState.UNKNOWN,), Step(JobState.DONE, Effect.COMPLETE)),
    Answer.NOT_MADE: ((JobState.UNKNOWN,), Step(JobState.FAILED, Effect.FAIL)),
    Answer.CANCEL: ((JobState.QUEUED, JobState.SENT), Step(JobState.CANCELLED)),
}


def on_answer(state: JobState, answer: Answer) -> Step | None:
    """The step an answer causes, or None when it does not apply to a job in ``state`` (the
    caller ignores it: a double click, or a screen that was not refreshed)."""
    allowed, step = _ANSWERS[Answer(answer)]
    return step if JobState(state) in allowed else None


def failing_allowed(state: JobState) -> bool:
    """Whether a failure (reported by the machine or the sender) still applies to the job."""
    return JobState(state) not in CLOSED
