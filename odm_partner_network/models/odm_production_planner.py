from odoo import api, models


class OdmProductionPlanner(models.AbstractModel):
    _inherit = "odm.production.planner"

    @api.model
    def _open_workorders(self):
        """Operations a partner does are not planned on our work centers."""
        return super()._open_workorders().filtered(lambda wo: not wo.odm_offload_purchase_id)
