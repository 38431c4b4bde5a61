from odoo import models


class OdmProcess(models.Model):
    _inherit = "odm.process"

    def _odm_with_maker(self):
        """A partner of the network that runs the process makes it offerable too."""
        covered = (
            self.env["odm.partner.capability"]
            .sudo()
            ._odm_in_force([("process_id", "in", self.ids), ("material_ids", "!=", False)])
            .process_id
        )
        return super()._odm_with_maker() | (self & covered.with_env(self.env))
