from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OdmPartnerCapacity(models.Model):
    """Free machine-hours a partner publishes for one process, which dates its offers."""

    _name = "odm.partner.capacity"
    _description = "Partner Published Capacity"
    _order = "partner_id, process_id"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    process_id = fields.Many2one("odm.process", required=True, ondelete="restrict")
    free_hours_per_day = fields.Float(
        "Free hours per day", help="Machine-hours a day the partner can give the network."
    )
    next_free_date = fields.Date("Next free day", help="First day work could start.")
    source = fields.Selection(
        [("manual", "Entered by hand"), ("federation", "Published by the partner")],
        required=True,
        default="manual",
    )
    published_at = fields.Datetime(help="When the partner last published this figure.")

    _sql_constraints = [
        (
            "partner_process_uniq",
            "unique(partner_id, process_id)",
            "A partner publishes one capacity per process.",
        ),
    ]

    @api.depends("partner_id", "process_id")
    def _compute_display_name(self):
        for capacity in self:
            capacity.display_name = (
                f"{capacity.partner_id.display_name} - {capacity.process_id.display_name}"
            )

    @api.constrains("free_hours_per_day")
    def _check_free_hours(self):
        for capacity in self:
            if not 0 <= capacity.free_hours_per_day <= 24 * 50:
                raise ValidationError(
                    self.env._(
                        "%(name)s: free hours per day must be zero or more (zero: no capacity).",
                        name=capacity.display_name,
                    )
                )
