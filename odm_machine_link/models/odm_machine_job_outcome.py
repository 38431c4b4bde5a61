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
        """Done: the good parts are booked with the run's time and material; copies that came
        out bad (``good_copies`` below ``copies``) are scrapped and made on a later run."""
        for job in self:
            good = job.copies if good_copies is None else good_copies
            job.write(
                {
                    "state": JobState.DONE.value,
                    "good_copies": good,
                    "finished_at": job.finished_at or fields.Datetime.now(),
                }
            )
            if good < job.copies:
                job._scrap(job.copies - good)
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
                job._scrap(job.copies)
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

    def _scrap(self, copies):
        """Scraps the parts this job made bad: ``copies`` of a single work order's part, or
        every work order's whole quantity for a build job's plate."""
        scraps = self.env["stock.scrap"]
        for workorder in self.workorder_ids.filtered(lambda wo: wo.odm_machine_job_id == self):
            production = workorder.production_id
            scraps |= self.env["stock.scrap"].create(
                {
                    "product_id": production.product_id.id,
                    "product_uom_id": production.product_uom_id.id,
                    "scrap_qty": production.product_qty if self.build_job_id else copies,
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
        material (as consumed on its raw moves), shared by expected duration, for the good
        parts only: a run's time and material divided by the parts it made (good and bad),
        times the good ones. A work order with parts still to make goes back to dispatch for
        another run; otherwise it finishes."""
        workorders = self.workorder_ids.filtered(lambda wo: wo.state not in ("done", "cancel"))
        expected = sum(workorders.mapped("duration_expected")) or len(workorders)
        start = self.started_at or self.finished_at
        good_share = self.good_copies / self.copies
        last_run = self.build_job_id or not workorders or not workorders._odm_copies_left()
        if last_run:
            workorders.filtered(lambda wo: wo.state == "ready").button_start()
            workorders.button_finish()
        else:
            workorders.end_all()
        for workorder in workorders:
            share = (workorder.duration_expected or 1.0) / expected if expected else 1.0
            minutes = self.duration_min * share * good_share
            workorder.time_ids.filtered(lambda log, start=start: log.date_start >= start).unlink()
            self.env["mrp.workcenter.productivity"].create(
                workorder._prepare_timeline_vals(minutes, start, start + timedelta(minutes=minutes))
            )
            grams = self._good_material_g(share)
            if grams:
                workorder.production_id._odm_consume_material(grams)
        if not last_run:
            workorders.filtered(lambda wo: wo.state == "progress").write({"state": "ready"})
        workorders.odm_machine_job_id = False

    def _good_material_g(self, share):
        """Material the work order's good parts took so far: this run's share for a build
        job; for a work order made in runs, every done run's material times its good part."""
        if self.build_job_id:
            return self.material_used_g * share
        runs = self.search([("subject", "=", self.subject), ("state", "=", JobState.DONE.value)])
        return sum(run.material_used_g * run.good_copies / run.copies for run in runs)

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
        """Operator: some parts are good; a dialog asks how many."""
        job = self._answered(Answer.BED_CLEAR)[:1]
        if not job:
            return True
        if job.build_job_id:
            raise UserError(
                self.env._(
                    "A build job's plate holds several orders' parts: clear it as all good or "
                    "all bad."
                )
            )
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
