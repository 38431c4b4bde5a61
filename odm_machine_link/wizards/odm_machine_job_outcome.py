from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class OdmMachineJobOutcome(models.TransientModel):
    """The operator's count of good parts when a plate comes off the machine: the bad ones
    are scrapped and made again on a later run, the good ones booked. A build job's plate
    holds several orders' parts, so it is counted per order (one line each)."""

    _name = "odm.machine.job.outcome"
    _description = "Machine Job Outcome"

    job_id = fields.Many2one("odm.machine.job", required=True, ondelete="cascade")
    build_job_id = fields.Many2one(related="job_id.build_job_id")
    copies = fields.Integer(related="job_id.copies", string="Parts on the plate")
    good_copies = fields.Integer("Good parts", required=True)
    line_ids = fields.One2many(
        "odm.machine.job.outcome.line",
        "outcome_id",
        "Good parts per order",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )

    @api.depends("job_id")
    def _compute_line_ids(self):
        """A build job's plate: one line per work order, all its parts good until told."""
        for outcome in self:
            job = outcome.job_id
            on_plate = job._parts_on_plate() if job.build_job_id else {}
            outcome.line_ids = [Command.clear()] + [
                Command.create({"workorder_id": wo_id, "on_plate": count, "good_copies": count})
                for wo_id, count in on_plate.items()
            ]

    @api.constrains("good_copies", "job_id")
    def _check_good_copies(self):
        for outcome in self.filtered(lambda outcome: not outcome.build_job_id):
            if not 0 <= outcome.good_copies <= outcome.copies:
                raise ValidationError(
                    self.env._("Between 0 and %(copies)s parts can be good.", copies=outcome.copies)
                )

    def action_confirm(self):
        self.ensure_one()
        if self.build_job_id:
            good = {line.workorder_id.id: line.good_copies for line in self.line_ids}
            succeeded = any(good.values())
        else:
            good, succeeded = self.good_copies, self.good_copies > 0
        self.job_id.machine_id._clear_bed(succeeded=succeeded, good_copies=good)
        return {"type": "ir.actions.act_window_close"}
