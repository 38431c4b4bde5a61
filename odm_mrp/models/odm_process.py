from odoo import api, models


class OdmProcess(models.Model):
    """Processes keep a chatter: recalibrations from production actuals are posted there."""

    _name = "odm.process"
    _inherit = ["odm.process", "mail.thread"]

    @api.model
    def _odm_offered(self):
        """Only processes someone can make are offered: a process without a machine is not."""
        offered = super()._odm_offered()
        return offered & offered._odm_with_maker()

    def _odm_with_maker(self):
        """The processes of ``self`` an active machine of the shop runs (read as the system:
        customers choosing a process may not read machines)."""
        machines = (
            self.env["odm.machine"]
            .sudo()
            .search([("process_id", "in", self.ids), ("material_ids", "!=", False)])
        )
        return self & machines.process_id.with_env(self.env)
