from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OdmPartnerCapability(models.Model):
    """What a partner manufacturer can make with one process: materials, envelope, tolerance."""

    _name = "odm.partner.capability"
    _description = "Partner Manufacturing Capability"
    _order = "partner_id, process_id"
    _rec_names_search = ["partner_id", "process_id"]

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    process_id = fields.Many2one("odm.process", required=True, ondelete="restrict")
    material_ids = fields.Many2many(
        "odm.material", string="Materials", domain="[('process_ids', 'in', process_id)]"
    )
    finish_ids = fields.Many2many(
        "odm.finish", string="Finishes", domain="[('process_ids', 'in', process_id)]"
    )
    max_x_mm = fields.Float("Max X (mm)")
    max_y_mm = fields.Float("Max Y (mm)")
    max_z_mm = fields.Float("Max Z (mm)")
    tolerance_mm = fields.Float(
        "Tolerance (± mm)", digits=(6, 3), help="Best general tolerance the partner commits to."
    )

    _sql_constraints = [
        (
            "partner_process_uniq",
            "unique(partner_id, process_id)",
            "A partner has one capability line per process.",
        ),
    ]

    @api.depends("partner_id", "process_id")
    def _compute_display_name(self):
        for capability in self:
            capability.display_name = (
                f"{capability.partner_id.display_name} - {capability.process_id.display_name}"
            )

    @api.model
    def _odm_in_force(self, domain):
        """Capabilities matching ``domain`` of manufacturing partners with an agreement in
        force: the partners work can go to."""
        return self.search(
            [
                *domain,
                ("partner_id.odm_is_manufacturer", "=", True),
                ("partner_id.odm_agreement_ids.state", "=", "active"),
                ("partner_id.company_id", "in", (False, self.env.company.id)),
            ]
        )

    def _odm_holds(self, sorted_size):
        """Whether a part of ``sorted_size`` (ascending) fits the envelope turned any way."""
        envelope = sorted((self.max_x_mm, self.max_y_mm, self.max_z_mm))
        return all(need <= room for need, room in zip(sorted_size, envelope, strict=True))

    @api.constrains("max_x_mm", "max_y_mm", "max_z_mm", "tolerance_mm")
    def _check_dimensions(self):
        for capability in self:
            dims = (capability.max_x_mm, capability.max_y_mm, capability.max_z_mm)
            if min(dims) <= 0 or capability.tolerance_mm < 0:
                raise ValidationError(
                    self.env._(
                        "Capability %(name)s needs a positive envelope and a tolerance of zero "
                        "or more.",
                        name=capability.display_name,
                    )
                )
