from odoo import fields, models


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    odm_plan_issue = fields.Char(
        "Planning issue",
        readonly=True,
        copy=False,
        help="Why the last planning run could not place this order on its machines.",
    )
    odm_plan_delay = fields.Char(
        "Delay",
        readonly=True,
        copy=False,
        help="Why the last planning run finishes this order after its deadline: the material's "
        "arrival, or the first free time of the machines able to make it.",
    )

    def button_mark_done(self):
        """Finished orders of quoted parts leave a row in the quote-vs-actual report."""
        result = super().button_mark_done()
        self.env["odm.quote.actual"]._record(self)
        return result
