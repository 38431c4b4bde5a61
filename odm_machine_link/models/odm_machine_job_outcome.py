from collections import Counter
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError

from odm_engine.machines import job_state
from odm_engine.machines.job_state import Answer, JobState


class OdmMachineJobOutcomeMixin(models.AbstractModel):
    """How a job ends (done with its good parts, failed, cancelled) and the operators'
    answers that end it. Each answer goes through the engine's state machine
    (``job_state.on_answer``): an answer that does not apply to a job's state is ignored."""

    _name = "odm.machine.job.outcome.mixin"
    _description = "Machine Job: Outcomes"

    # ------------------------------------------------------------------ outcomes
    def _complete(self, good_copies=None):
        """Done: the good parts are booked with the run's time and material; the bad ones
        are scrapped and made on a later run. ``good_copies`` counts the good parts: a number
        for a single work order's run, {work order id: number} for a build job's plate (each
        order's parts are told apart), None when all are good."""
        for job in self:
            on_plate = job._parts_on_plate()
            if good_copies is None:
                good_by = dict(on_plate)
            elif isinstance(good_copies, dict):
                good_by = {wo_id: good_copies.get(wo_id, 0) for wo_id in on_plate}
            else:
                good_by = {job.workorder_ids.ensure_one().id: good_copies}
            good = sum(good_by.values())
            job.write(
                {
                    "state": JobState.DONE.value,
                    "good_copies": good,
                    "good_by_workorder": {str(wo_id): n for wo_id, n in good_by.items()},
                    "finished_at": job.finished_at or fields.Datetime.now(),
                }
            )
            if good < job.copies:
                job._scrap({wo_id: on_plate[wo_id] - good_by[wo_id] for wo_id in on_plate})
                job.message_post(
                    body=job.env._(
                        "%(good)s of %(copies)s parts good; the others are scrapped and made "
                        "again.",
                        good=good,
                        copies=job.copies,
                    )
                )
            job._record_actuals()
            job.machine_id._count_job(job.duration_min / 60, failed=False)

    def _fail(self, reason):
        """Failed: the parts made are scrapped and the work goes back in the queue."""
        for job in self:
            if not job_state.failing_allowed(job.state):
                continue
            made_anything = job.state != JobState.QUEUED.value
            job.write(
                {
                    "state": JobState.FAILED.value,
                    "failure_reason": reason,
                    "finished_at": fields.Datetime.now(),
                    "eta": False,
                }
            )
            if made_anything:
                job._scrap(job._parts_on_plate())
            job._requeue()
            job.message_post(body=job.env._("Failed: %(reason)s", reason=reason))
            hours = job.started_at and (job.finished_at - job.started_at).total_seconds() / 3600
            job.machine_id._count_job(hours or 0.0, failed=True)

    def _cancel(self, reason):
        """Never started: the work orders are free to go to another machine."""
        for job in self:
            if not job_state.on_answer(job.state, Answer.CANCEL):
                continue
            job.write({"state": JobState.CANCELLED.value, "failure_reason": reason})
            job._requeue()
            job.message_post(body=job.env._("Cancelled: %(reason)s", reason=reason))

    def _requeue(self):
        workorders = self.workorder_ids.filtered(lambda wo: wo.odm_machine_job_id == self)
        started = workorders.filtered(lambda wo: wo.state == "progress")
        started.end_all()
        started.write({"state": "ready"})
        workorders.odm_machine_job_id = False

    def _parts_on_plate(self):
        """{work order id: its parts on this job's plate}: the run's copies for a single work
        order, each member's placements for a build job."""
        self.ensure_one()
        if not self.build_job_id:
            return {self.workorder_ids.id: self.copies}
        placed = Counter(p["workorder_id"] for p in self.build_job_id.layout["placements"])
        return {workorder.id: placed[workorder.id] for workorder in self.workorder_ids}

    def _good_parts_of(self, workorder):
        """The good parts this done job made of ``workorder``'s part."""
        self.ensure_one()
        if self.good_by_workorder:
            return self.good_by_workorder.get(str(workorder.id), 0)
        return 0 if self.build_job_id else self.good_copies

    def _share_of(self, workorder):
        """``workorder``'s share of this run's time and material: by expected duration among
        the run's work orders (all of it for a single work order's run)."""
        self.ensure_one()
        members = self.workorder_ids.filtered(lambda wo: wo.state != "cancel")
        expected = sum(members.mapped("duration_expected"))
        if not expected:
            return 1.0 / len(members)
        return workorder.duration_expected / expected

    def _scrap(self, bad_by_workorder):
        """Scraps the parts this job made bad: {work order id: bad parts}, each on its own
        order."""
        scraps = self.env["stock.scrap"]
        for workorder in self.workorder_ids.filtered(
            lambda wo: wo.odm_machine_job_id == self and bad_by_workorder.get(wo.id)
        ):
            production = workorder.production_id
            scraps |= self.env["stock.scrap"].create(
                {
                    "product_id": production.product_id.id,
                    "product_uom_id": production.product_uom_id.id,
                    "scrap_qty": bad_by_workorder[workorder.id],
                    "production_id": production.id,
                    "workorder_id": workorder.id,
                    "company_id": production.company_id.id,
                    "origin": self.name,
                }
            )
        scraps.do_scrap()
        self.scrap_ids = [fields.Command.link(scrap.id) for scrap in scraps]

    def _record_actuals(self):
        """Each work order gets its share of the machine time (as a time log) and of the
        material (as consumed on its raw moves), shared by expected duration, for its good
        parts only: its share divided by its parts on the plate (good and bad), times its good
        ones. A work order whose parts are all made finishes; one with parts still to make goes
        back to dispatch for another run, out of its build job (the missing copies are made as
        its own runs, not with the plate's other orders)."""
        workorders = self.workorder_ids.filtered(lambda wo: wo.state not in ("done", "cancel"))
        start = self.started_at or self.finished_at
        on_plate = self._parts_on_plate()
        made = workorders.filtered(lambda wo: not wo._odm_copies_left())
        made.filtered(lambda wo: wo.state == "ready").button_start()
        made.button_finish()
        again = workorders - made
        again.end_all()
        for workorder in workorders:
            good_share = self._good_parts_of(workorder) / on_plate[workorder.id]
            minutes = self.duration_min * self._share_of(workorder) * good_share
            workorder.time_ids.filtered(lambda log, start=start: log.date_start >= start).unlink()
            self.env["mrp.workcenter.productivity"].create(
                workorder._prepare_timeline_vals(minutes, start, start + timedelta(minutes=minutes))
            )
            grams = workorder._odm_good_material_g()
            if grams:
                workorder.production_id._odm_consume_material(grams)
        again.filtered(lambda wo: wo.state == "progress").write({"state": "ready"})
        leaving = again.filtered("odm_build_job_id")
        for workorder in leaving:
            workorder.production_id.message_post(
                body=self.env._(
                    "%(left)s parts left after %(job)s: made on their own runs, out of %(build)s.",
                    left=workorder._odm_copies_left(),
                    job=self.name,
                    build=workorder.odm_build_job_id.display_name,
                )
            )
        leaving.odm_build_job_id = False
        workorders.odm_machine_job_id = False

    # ------------------------------------------------------------------ operators
    def _answered(self, answer):
        """The jobs among these the answer applies to."""
        return self.filtered(lambda job: job_state.on_answer(job.state, answer))

    def _manual(self, answer):
        jobs = self._answered(answer)
        if jobs.filtered(lambda job: job.machine_id.link_kind != "manual"):
            raise UserError(self.env._("Only jobs of manual machines are started by hand."))
        return jobs

    def action_start(self):
        """Manual machines: the operator started the job."""
        for job in self._manual(Answer.START):
            job._track(job_state.on_answer(job.state, Answer.START).state)
            job.machine_id.sudo().link_state = "busy"
        return True

    def action_finish(self):
        """Manual machines: finished and taken off the machine."""
        for job in self._manual(Answer.FINISH):
            job._finish()
            job.machine_id.sudo().link_state = "idle"
            job._complete()
        return True

    def action_fail(self):
        """Manual machines: the job failed (from any state but done)."""
        for job in self._manual(Answer.FAIL):
            job.machine_id.sudo().link_state = "idle"
            job._fail(self.env._("Reported failed by %(user)s.", user=self.env.user.name))
        return True

    def action_bed_clear(self):
        """Operator: the parts came off the bed and are good."""
        self._answered(Answer.BED_CLEAR).machine_id._clear_bed(succeeded=True)
        return True

    def action_bed_clear_failed(self):
        """Operator: the bed is clear but no part is good."""
        self._answered(Answer.BED_CLEAR_BAD).machine_id._clear_bed(succeeded=False)
        return True

    def action_bed_clear_partial(self):
        """Operator: some parts are good; a dialog asks how many (per order on a build job's
        plate)."""
        job = self._answered(Answer.BED_CLEAR)[:1]
        if not job:
            return True
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Bed clear: how many parts are good?"),
            "res_model": "odm.machine.job.outcome",
            "view_mode": "form",
            "target": "new",
            "context": {"default_job_id": job.id, "default_good_copies": job.copies},
        }

    def action_mark_done(self):
        """Operator's answer to an unknown job: the machine did make it."""
        for job in self._answered(Answer.MADE):
            job._finish()
            job._complete()
        return True

    def action_mark_failed(self):
        """Operator's answer to an unknown job: it did not come out."""
        self._answered(Answer.NOT_MADE)._fail(
            self.env._("Marked failed by %(user)s.", user=self.env.user.name)
        )
        return True
