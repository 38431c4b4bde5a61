from odoo import models


class OdmPartQuote(models.Model):
    _inherit = "odm.part.quote"

    def _odm_capable_partners(self):
        """Partners with an agreement in force whose capability covers this quote's part: its
        process, material, finish and size (turned any way)."""
        self.ensure_one()
        size = sorted((self.part_id.size_x_mm, self.part_id.size_y_mm, self.part_id.size_z_mm))
        capabilities = self.env["odm.partner.capability"]._odm_in_force(
            [("process_id", "=", self.process_id.id), ("material_ids", "in", self.material_id.ids)]
        )
        return capabilities.filtered(
            lambda capability: (
                (not self.finish_id or self.finish_id in capability.finish_ids)
                and capability._odm_holds(size)
            )
        ).partner_id

    def _odm_supply_issue(self):
        """A part no machine of ours makes is still supplied when a partner can make it."""
        issue = super()._odm_supply_issue()
        if issue and self._odm_capable_partners():
            return ""
        return issue
