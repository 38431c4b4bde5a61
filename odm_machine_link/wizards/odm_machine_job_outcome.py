from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OdmMachineJobOutcome(models.TransientModel):
    """The operator's count of good parts when a plate comes off the machine: the bad ones
    are scrapped and made again on a later run, the good ones booked."""

    _name = "odm.machine.job.outcome"
    _description = "Machine Job Outcome"

    job_id = fields.Many2one("odm.machine.job", required=True, ondelete="cascade")
    copies = fields.Integer(related="job_id.copies", string="Parts on the plate")
    good_copies = fields.Integer("Good parts", required=True)

    @api.constrains("good_copies", "job_id")
    def _check_good_copies(self):
        for outcome in self:
            if not 0 <= outcome.good_copies <= outcome.copies:
                raise ValidationError(
                    self.env._("Between 0 and %(copies)s parts can be good.", copies=outcome.copies)
                )

    def action_confirm(self):
        self.ensure_one()
        self.job_id.machine_id._clear_bed(
            succeeded=self.good_copies > 0, good_copies=self.good_copies
        )
        return {"type": "ir.actions.act_window_close"}
