from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_datetime

from odm_engine.scheduling import scheduler

from .odm_machine import UNATTENDED_TECHNOLOGIES

# Work orders the planner may move; running ones are fixed bookings on their work center.
OPEN_WORKORDER_STATES = ("pending", "waiting", "ready")
OPEN_PRODUCTION_STATES = ("confirmed", "progress", "to_close")
# How far ahead calendars are read: work that fits nowhere in it is reported, not planned.
HORIZON_DAYS = 120
# Working intervals closer than this are one window (a 24/7 calendar comes day by day).
WINDOW_JOIN_SECONDS = 60
# The re-plan notification names this many late or blocked orders; the rest are counted.
MAX_REPORTED_ORDERS = 10
# Odoo priorities ("0" normal, "1" urgent) as lateness weights.
PRIORITY_WEIGHT = {"0": 1.0, "1": 3.0}


class OdmProductionPlanner(models.AbstractModel):
    """Finite-capacity planning of every open work order on its eligible work centers.

    Odoo plans one manufacturing order after another and never looks at due dates; this planner
    hands all open work to ``odm_engine.scheduling.scheduler`` (CP-SAT after a greedy start)
    and writes the result back the way Odoo's own planning does: work center, planned dates and
    the calendar leave that reserves the work center. It also answers "when could this be
    done" for quotes without committing anything (capable-to-promise).
    """

    _name = "odm.production.planner"
    _description = "Finite-Capacity Production Planner"

    # ------------------------------------------------------------------ planning
    @api.model
    def replan(self, time_limit=None):
        """Plans all open work orders again; returns the engine's Plan."""
        self.env["mrp.workorder"].check_access("write")
        company = self.env.company
        origin = self._plan_origin()
        self.env["odm.build.job"].regroup()
        workorders = self._open_workorders()
        running = self.env["mrp.workorder"].search(
            [("state", "=", "progress"), ("production_id.state", "in", OPEN_PRODUCTION_STATES)]
        )
        jobs, blocked = self._jobs(workorders, running, origin)
        workcenters = (
            # Plain ids: a record browsed with the engine's labelled keys would create rows
            # (the load per day) that Odoo's access check cannot read back.
            self.env["mrp.workcenter"].browse(
                {
                    int(key)
                    for job in jobs
                    for operation in job.operations
                    for key in operation.durations
                }
            )
            | running.workcenter_id
        )
        # Calendars are read once: for the plan and for the load it leaves.
        working = self._working_intervals(workcenters, origin)
        machines = self._machines(workcenters, origin, working)
        bookings = self._running_bookings(running) + self._held_bookings(workcenters, origin)
        limit = company.odm_plan_time_limit if time_limit is None else time_limit
        result = scheduler.plan(jobs, machines, bookings=bookings, time_limit=limit)
        result.unschedulable.update(blocked)
        self._write_plan(result, jobs, workorders, origin)
        self.env["odm.workcenter.load"].rebuild(working, origin)
        return result

    @api.model
    def action_replan(self):
        result = self.replan()
        late = [key for key, lateness in result.lateness.items() if lateness > 0]
        message = self.env._(
            "%(count)s manufacturing orders planned (%(method)s, %(seconds).1f s): "
            "%(late)s late, %(unplanned)s cannot run.",
            count=len(result.finish),
            method=result.method,
            seconds=result.seconds,
            late=len(late),
            unplanned=len(result.unschedulable),
        )
        productions = self.env["mrp.production"].browse(map(int, [*result.unschedulable, *late]))
        reasons = [
            f"{production.name}: {production.odm_plan_issue or production.odm_plan_delay}"
            for production in productions[:MAX_REPORTED_ORDERS]
        ]
        if len(productions) > MAX_REPORTED_ORDERS:
            reasons.append(
                self.env._(
                    "…and %(count)s more (see Planning issue and Delay on the orders).",
                    count=len(productions) - MAX_REPORTED_ORDERS,
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Production re-planned"),
                "message": "\n".join([message, *reasons]),
                "type": "warning" if late or result.unschedulable else "success",
                "sticky": bool(reasons),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _cron_replan(self):
        self.replan()

    @api.model
    def _plan_origin(self):
        return fields.Datetime.now().replace(second=0, microsecond=0)

    @api.model
    def _open_workorders(self):
        return self.env["mrp.workorder"].search(
            [
                ("state", "in", OPEN_WORKORDER_STATES),
                ("production_id.state", "in", OPEN_PRODUCTION_STATES),
            ],
            order="production_id, sequence, id",
        )

    @api.model
    def _working_intervals(self, workcenters, origin):
        """Each work center's working intervals over the horizon (its calendar minus time off,
        aware UTC datetimes); None for a work center without calendar (always available).

        One call per calendar for all its work centers: Odoo reckons the attendances once per
        time zone and only the time off per resource (a quote's promise asks on every price)."""
        start = pytz.utc.localize(origin)
        working = dict.fromkeys(workcenters.filtered(lambda wc: not wc.resource_calendar_id))
        for calendar, sharing in workcenters.grouped("resource_calendar_id").items():
            if not calendar:
                continue
            intervals = calendar._work_intervals_batch(
                start,
                start + timedelta(days=HORIZON_DAYS),
                resources=sharing.resource_id,
                tz=pytz.timezone(calendar.tz or "UTC"),
            )
            for workcenter in sharing:
                working[workcenter] = [
                    (begin, end) for begin, end, _records in intervals[workcenter.resource_id.id]
                ]
        return working

    @api.model
    def _machines(self, workcenters, origin, working=None):
        """The engine's machines: each work center with its working windows.

        A printer's run never stops once started; work on any other work center stops at the
        end of the shift and resumes at the next, keeping its station, as Odoo plans it.
        """
        unattended = (
            self.env["odm.machine"]
            .search(
                [
                    ("workcenter_id", "in", workcenters.ids),
                    ("technology", "in", UNATTENDED_TECHNOLOGIES),
                ]
            )
            .workcenter_id
        )
        if working is None:
            working = self._working_intervals(workcenters, origin)
        return [
            scheduler.Machine(
                key=_key(workcenter),
                windows=_windows(working[workcenter], origin),
                pausable=workcenter not in unattended,
            )
            for workcenter in workcenters
        ]

    @api.model
    def _running_bookings(self, running):
        """Work in progress keeps its work center until its expected time is used up."""
        return [
            scheduler.Booking(
                machine=_key(workorder.workcenter_id),
                start=0.0,
                end=_remaining_seconds(workorder),
            )
            for workorder in running
        ]

    @api.model
    def _jobs(self, workorders, running, origin):
        """One engine job per manufacturing order; the work orders of a build job share one
        operation, the machine run, which each member order waits for.

        Machines with a blocker (``odm.machine._odm_plan_blocker``) are left out; an order
        left with no machine for one of its operations is not planned. Returns (jobs,
        {manufacturing order id: why it cannot run}).
        """
        machine_workcenters = (
            self.env["odm.machine"]
            .with_context(active_test=False)
            .search([("workcenter_id", "in", workorders.workcenter_id.ids)])
            .workcenter_id
        )
        blocked, runs = {}, {}
        for build_job in workorders.odm_build_job_id:
            usable, reasons = self._usable(build_job._eligible_workcenters(), build_job.material_id)
            if not usable:
                reason = self._no_machine_reason(build_job.display_name, reasons)
                blocked.update(dict.fromkeys(build_job.workorder_ids.production_id.ids, reason))
                continue
            runs[build_job.id] = scheduler.Operation(
                key=_run_key(build_job),
                durations={_key(wc): build_job._run_seconds(wc) for wc in usable},
            )
        capable = {}  # quote -> work centers of the machines able to make its part
        running_by_production = running.grouped("production_id")
        jobs = []
        for production, members in workorders.grouped("production_id").items():
            if production.id in blocked:
                continue
            quote = production.bom_id.odm_quote_id
            if quote and quote not in capable:
                capable[quote] = quote._odm_capable_machines().workcenter_id
            operations = []
            for workorder in members:
                if workorder.odm_build_job_id:
                    operations.append(runs[workorder.odm_build_job_id.id])
                    continue
                on_machine = workorder.workcenter_id in machine_workcenters
                durations, reasons = self._durations(
                    workorder, capable.get(quote) if on_machine else None, quote
                )
                if not durations:
                    blocked[production.id] = self._no_machine_reason(
                        workorder.display_name, reasons
                    )
                    break
                operations.append(scheduler.Operation(key=_key(workorder), durations=durations))
            if production.id in blocked:
                continue
            busy = running_by_production.get(production, running.browse())
            release = max(
                [self._material_release(production, origin)]
                + [_remaining_seconds(workorder) for workorder in busy]
            )
            deadline = production.date_deadline
            jobs.append(
                scheduler.Job(
                    key=_key(production),
                    operations=tuple(operations),
                    release=release,
                    due=_seconds(deadline, origin) if deadline else None,
                    weight=PRIORITY_WEIGHT.get(production.priority, 1.0),
                )
            )
        return jobs, blocked

    @api.model
    def _usable(self, workcenters, material, quote=None):
        """(the work centers whose machine can take work in ``material`` now, of ``quote``'s
        part if given, [why each other cannot]); a work center that is no machine is always
        usable. Archived machines are found too: their work is moved to others."""
        machines = (
            self.env["odm.machine"]
            .with_context(active_test=False)
            .search([("workcenter_id", "in", workcenters.ids)])
        )
        machine_of = {machine.workcenter_id: machine for machine in machines}
        usable, reasons = workcenters.browse(), []
        for workcenter in workcenters:
            machine = machine_of.get(workcenter)
            reason = machine._odm_plan_blocker(material or None, quote or None) if machine else ""
            if reason:
                reasons.append(reason)
            else:
                usable |= workcenter
        return usable, reasons

    @api.model
    def _no_machine_reason(self, work, reasons):
        if not reasons:
            return self.env._("%(work)s: no capable machine", work=work)
        return self.env._(
            "%(work)s: no capable machine can run it now (%(reasons)s)",
            work=work,
            reasons="; ".join(reasons),
        )

    @api.model
    def _durations(self, workorder, capable=None, quote=None):
        """Seconds the work order takes on each work center it may run on, and why the others
        cannot take it: a quoted part's machine step on every ``capable`` machine, any other on
        its work center or the center's alternatives; machines with a blocker are left out."""
        workcenter = workorder.workcenter_id
        eligible = (
            capable if capable is not None else workcenter | workcenter.alternative_workcenter_ids
        )
        usable, reasons = self._usable(eligible, quote.material_id if quote else None, quote)
        durations = {}
        for candidate in usable:
            minutes = (
                workorder.duration_expected
                if candidate == workcenter
                else workorder._get_duration_expected(alternative_workcenter=candidate)
            )
            minutes += workorder._odm_between_runs_minutes(candidate)
            durations[_key(candidate)] = minutes * 60
        return durations, reasons

    @api.model
    def _held_bookings(self, workcenters, origin):
        """Machines held beyond their planned work (``odm.machine._odm_busy_until``), e.g. a
        bed to clear: nothing new starts on them before."""
        machines = self.env["odm.machine"].search([("workcenter_id", "in", workcenters.ids)])
        bookings = []
        for machine in machines:
            until = machine._odm_busy_until()
            if until and until > origin:
                bookings.append(
                    scheduler.Booking(
                        machine=_key(machine.workcenter_id), start=0.0, end=_seconds(until, origin)
                    )
                )
        return bookings

    @api.model
    def _material_release(self, production, origin):
        """Seconds until the components are there: now, the incoming date, or the vendor's lead."""
        release = 0.0
        for move in production.move_raw_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            if move.forecast_availability >= move.product_qty:
                continue
            if move.forecast_expected_date:
                release = max(release, _seconds(move.forecast_expected_date, origin))
                continue
            seller = move.product_id._select_seller(quantity=move.product_qty)
            release = max(release, (seller.delay if seller else 0) * 86400.0)
        return release

    @api.model
    def _write_plan(self, result, jobs, workorders, origin):
        """Writes work centers, dates and reservations; notes why an order was not planned.

        Members of a build job all get the run's machine and dates and keep their own expected
        duration (their share of the run, for costing).
        """
        durations = {op.key: op.durations for job in jobs for op in job.operations}
        workorders.leave_id.unlink()
        for workorder in workorders:
            build_job = workorder.odm_build_job_id
            slot = result.slots.get(_run_key(build_job) if build_job else workorder.id)
            if slot is None:
                continue
            if workorder.workcenter_id.id != slot.machine:
                workorder.workcenter_id = int(slot.machine)
            values = {
                "date_start": origin + timedelta(seconds=slot.start),
                "date_finished": origin + timedelta(seconds=slot.end),
            }
            if not build_job:
                values["duration_expected"] = durations[workorder.id][slot.machine] / 60
            workorder.with_context(bypass_duration_calculation=True).write(values)
        releases = {job.key: job.release for job in jobs}
        for production in workorders.production_id:
            reason = result.unschedulable.get(production.id, False)
            values = {
                "odm_plan_issue": reason,
                "is_planned": not reason,
                "odm_plan_delay": result.lateness.get(production.id, 0) > 0
                and self._delay_reason(releases.get(production.id, 0.0), origin),
            }
            if not reason:
                planned = production.workorder_ids.filtered("date_start")
                values["date_start"] = min(planned.mapped("date_start"))
                values["date_finished"] = max(planned.mapped("date_finished"))
            production.with_context(force_date=True).write(values)

    @api.model
    def _delay_reason(self, release, origin):
        """Why a planned order is late: its material comes too late, or its machines are busy."""
        if release > 0:
            return self.env._(
                "waits for material until %(date)s",
                date=format_datetime(self.env, origin + timedelta(seconds=release)),
            )
        return self.env._("its capable machines are booked until after its deadline")

    # ------------------------------------------------------------------ capable to promise
    @api.model
    def earliest_finish(self, steps, release_seconds=0.0, started_only=False):
        """When work would be done if confirmed now, around today's plan; nothing is written.

        ``steps`` are the operations in order, each a dict {work center record: seconds}.
        ``started_only`` plans it as a rush: only work already running stands in its way.
        Returns an UTC datetime, or None when no calendar can hold it.
        """
        origin = self._plan_origin()
        workcenters = self.env["mrp.workcenter"].union(*(wc for step in steps for wc in step))
        if not workcenters:
            raise UserError(self.env._("No work center can make this part."))
        job = scheduler.Job(
            key="promise",
            operations=tuple(
                scheduler.Operation(key=index, durations={_key(wc): s for wc, s in step.items()})
                for index, step in enumerate(steps)
            ),
            release=release_seconds,
        )
        running = self.env["mrp.workorder"].search(
            [("state", "=", "progress"), ("workcenter_id", "in", workcenters.ids)]
        )
        bookings = self._running_bookings(running) + self._held_bookings(workcenters, origin)
        if not started_only:
            bookings += self._planned_bookings(workcenters, origin)
        finish = scheduler.earliest_finish(
            job, self._machines(workcenters, origin), bookings=bookings
        )
        return None if finish is None else origin + timedelta(seconds=finish)

    @api.model
    def _planned_bookings(self, workcenters, origin):
        """Planned, not started work orders on these work centers, from their reservations."""
        planned = self.env["mrp.workorder"].search(
            [
                ("state", "in", OPEN_WORKORDER_STATES),
                ("workcenter_id", "in", workcenters.ids),
                ("date_finished", ">", origin),
            ]
        )
        return [
            scheduler.Booking(
                machine=_key(workorder.workcenter_id),
                start=max(0.0, _seconds(workorder.date_start, origin)),
                end=_seconds(workorder.date_finished, origin),
            )
            for workorder in planned
            if workorder.date_start
        ]


class _RecordKey(int):
    """An engine key that is a record id and reads as the record's name, so the engine's
    messages (why an order cannot be planned) name machines and orders as users know them."""

    def __new__(cls, record):
        key = super().__new__(cls, record.id)
        key.label = record.display_name
        return key

    def __repr__(self):
        return self.label


class _RunKey(tuple):
    """The engine key of a build job's machine run: apart from work order ids, named."""

    def __new__(cls, build_job):
        key = super().__new__(cls, ("build", build_job.id))
        key.label = build_job.display_name
        return key

    def __repr__(self):
        return self.label


def _key(record):
    return _RecordKey(record)


def _run_key(build_job):
    return _RunKey(build_job)


def _windows(intervals, origin):
    """Working intervals as the engine's windows, seconds from ``origin``, touching ones
    joined (a 24/7 calendar comes day by day); None stays None (always available)."""
    if intervals is None:
        return None
    windows = []
    for begin, end in intervals:
        window = [_seconds(begin, origin), _seconds(end, origin)]
        if windows and window[0] - windows[-1][1] <= WINDOW_JOIN_SECONDS:
            windows[-1][1] = max(windows[-1][1], window[1])
        elif window[1] > window[0]:
            windows.append(window)
    return tuple((begin, end) for begin, end in windows)


def _seconds(moment, origin):
    """Seconds from ``origin`` (naive UTC, as Odoo stores datetimes) to ``moment``."""
    if moment.tzinfo is not None:
        origin = pytz.utc.localize(origin) if origin.tzinfo is None else origin
    return (moment - origin).total_seconds()


def _remaining_seconds(workorder):
    """Expected time left of a running work order (never negative)."""
    return max(0.0, (workorder.duration_expected - workorder.duration) * 60)
