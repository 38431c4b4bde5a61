"""Which ready job goes to which machine: compatibility, readiness and staggered starts.

The Odoo glue locks the machines and work it may touch, describes them as ``Machine`` and
``Work`` and asks ``assign`` for pairs; it then creates one job row per pair. Nothing here
talks to a machine: a machine is offered only when its last known state says it can take work
(idle, bed confirmed clear, not under maintenance, no job of ours on it).
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

# Nozzles are measured to a hundredth of a millimetre; closer than this is the same nozzle.
NOZZLE_TOLERANCE_MM = 0.005


@dataclass(frozen=True)
class Machine:
    """A machine as dispatch sees it. ``envelope_mm`` is its build volume (x, y, z)."""

    key: Hashable
    process: Hashable
    loaded_material: Hashable | None
    envelope_mm: tuple[float, float, float]
    nozzle_mm: float | None = None
    state: str = "idle"
    bed_clear: bool = True
    under_maintenance: bool = False
    busy_with_job: bool = False


@dataclass(frozen=True)
class Work:
    """A work order or build job ready to run.

    ``size_mm``: a single part's size, which may be turned any way to fit a build volume.
    ``holders``: for a build job, the machines its layout was checked to fit (by the planner's
    own rule, with each machine's plate margin); it replaces the size check. ``nozzle_mm`` is
    the nozzle the work needs (None: any). ``preferred`` lists the machines the planner booked
    it on, tried first.
    """

    key: Hashable
    process: Hashable
    material: Hashable
    size_mm: tuple[float, float, float] | None
    holders: frozenset[Hashable] | None = None
    nozzle_mm: float | None = None
    preferred: tuple[Hashable, ...] = field(default=())


def fits(size_mm: Sequence[float], envelope_mm: Sequence[float]) -> bool:
    """Whether a part of ``size_mm`` fits ``envelope_mm`` turned some way: sorted sides against
    sorted sides."""
    return all(
        need <= room for need, room in zip(sorted(size_mm), sorted(envelope_mm), strict=True)
    )


@dataclass(frozen=True)
class Blocker:
    """Why a work cannot go to a machine now. ``code`` is stable (other code compares it):
    process, material, nozzle, volume, layout (machine set-up); maintenance, busy, offline,
    state, bed (machine readiness); taken (went to more urgent work this round), stagger
    (staggered starts), no_machine (no machine runs the work's process). ``machine`` is the
    machine's key (None for the whole round)."""

    code: str
    text: str
    machine: Hashable | None = None


def incompatibility(work: Work, machine: Machine) -> Blocker | None:
    """Why ``machine`` can never run ``work`` as it is set up now; None when it can."""
    key = machine.key
    if work.process != machine.process:
        return Blocker("process", "another process", key)
    if machine.loaded_material != work.material:
        return Blocker("material", "another material loaded", key)
    if (
        work.nozzle_mm is not None
        and machine.nozzle_mm is not None
        and abs(work.nozzle_mm - machine.nozzle_mm) > NOZZLE_TOLERANCE_MM
    ):
        text = f"a {machine.nozzle_mm:g} mm nozzle, the work needs {work.nozzle_mm:g} mm"
        return Blocker("nozzle", text, key)
    if work.holders is not None:
        if machine.key not in work.holders:
            return Blocker("layout", "the layout does not fit the machine's plate or chamber", key)
    elif not fits(work.size_mm, machine.envelope_mm):
        return Blocker("volume", "the work does not fit the build volume", key)
    return None


def unready(machine: Machine) -> Blocker | None:
    """Why ``machine`` cannot take a job now; None when it can."""
    key = machine.key
    if machine.under_maintenance:
        return Blocker("maintenance", "under maintenance", key)
    if machine.busy_with_job:
        return Blocker("busy", "holds a job", key)
    if machine.state == "offline":
        return Blocker("offline", "is offline", key)
    if machine.state != "idle":
        return Blocker("state", f"is {machine.state}", key)
    if not machine.bed_clear:
        return Blocker("bed", "waits for an operator to confirm the bed is clear", key)
    return None


def assign(
    works: Iterable[Work],
    machines: Iterable[Machine],
    *,
    starts_allowed: int | None = None,
) -> list[tuple[Hashable, Hashable]]:
    """(work key, machine key) pairs, each work and machine used at most once.

    Works are served in the order given (the caller sorts them by urgency); each takes its
    first preferred machine that is ready and compatible, else the first other one in the order
    given. ``starts_allowed`` caps the number of pairs (staggered starts); None: no cap.
    """
    free = [machine for machine in machines if unready(machine) is None]
    pairs = []
    for work in works:
        if starts_allowed is not None and len(pairs) >= starts_allowed:
            break
        able = [machine for machine in free if incompatibility(work, machine) is None]
        if not able:
            continue
        rank = {key: index for index, key in enumerate(work.preferred)}
        chosen = min(able, key=lambda machine: rank.get(machine.key, len(rank)))
        pairs.append((work.key, chosen.key))
        free.remove(chosen)
    return pairs


def blockers(
    works: Iterable[Work],
    machines: Iterable[Machine],
    pairs: Sequence[tuple[Hashable, Hashable]],
    *,
    starts_allowed: int | None = None,
) -> dict[Hashable, list[Blocker]]:
    """Why each work ``assign`` left out got no machine: for each machine of its process, the
    first reason that machine could not take it (set-up first, then readiness, then taken by
    more urgent work); a work the start cap held back is told so."""
    machines = list(machines)
    given = {work_key for work_key, _machine in pairs}
    taken = {machine_key for _work, machine_key in pairs}
    capped = starts_allowed is not None and len(pairs) >= starts_allowed
    reasons = {}
    for work in works:
        if work.key in given:
            continue
        candidates = [machine for machine in machines if machine.process == work.process]
        if not candidates:
            reasons[work.key] = [Blocker("no_machine", "no linked machine runs this process")]
            continue
        found = [
            incompatibility(work, machine)
            or unready(machine)
            or (
                Blocker("taken", "took more urgent work", machine.key)
                if machine.key in taken
                else None
            )
            for machine in candidates
        ]
        found = [blocker for blocker in found if blocker]
        if capped and len(found) < len(candidates):
            found.append(Blocker("stagger", "starts are staggered: it goes at a later round"))
        reasons[work.key] = found
    return reasons


def starts_allowed(stagger_s: float, seconds_since_last_start: float | None) -> int | None:
    """How many jobs may start now: no cap without staggering, else one once ``stagger_s`` has
    passed since the last start (heated beds and spindles do not all draw power at once)."""
    if stagger_s <= 0:
        return None
    if seconds_since_last_start is not None and seconds_since_last_start < stagger_s:
        return 0
    return 1
