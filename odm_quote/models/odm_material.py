from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odm_engine.pricing.params import ConfigError, Material


class OdmMaterial(models.Model):
    """A material a part can be made of; density and price turn geometry into material cost.

    The process-specific numbers (powder bulk density, machining rates, moulding thermal data)
    are the engine's own material fields; a process refuses a material that lacks the ones it
    needs.
    """

    _name = "odm.material"
    _inherit = ["odm.money.mixin"]
    _description = "Manufacturing Material"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    process_ids = fields.Many2many(
        "odm.process", "odm_material_process_rel", "material_id", "process_id", string="Processes"
    )
    density_g_cm3 = fields.Float(
        "Density (g/cm³)", digits=(6, 3), required=True, help="Mass of one cubic centimetre."
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    price_per_kg = fields.Monetary(
        "Price per kg",
        required=True,
        groups="base.group_user",
        help="What one kilogram of this material costs the shop (staff only).",
    )
    color = fields.Char(help="Colour or grade as the customer sees it.")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    bulk_density_g_cm3 = fields.Float(
        "Bulk density (g/cm³)", digits=(6, 3), help="Powder bed density (SLS, MJF)."
    )
    removal_rate_cm3_min = fields.Float(
        "Removal rate (cm³/min)", digits=(8, 2), help="CNC roughing material removal rate."
    )
    finishing_rate_cm2_min = fields.Float(
        "Finishing rate (cm²/min)",
        digits=(8, 2),
        help="CNC finishing: surface machined per minute.",
    )
    thermal_diffusivity_mm2_s = fields.Float(
        "Thermal diffusivity (mm²/s)", digits=(8, 4), help="Injection moulding cooling time."
    )
    melt_temp_c = fields.Float("Melt temperature (°C)")
    mould_temp_c = fields.Float("Mould temperature (°C)")
    eject_temp_c = fields.Float("Ejection temperature (°C)")
    cavity_pressure_mpa = fields.Float(
        "Cavity pressure (MPa)", help="Mean cavity pressure; sets the press clamp force."
    )

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A material code must be unique."),
    ]

    ENGINE_FIELDS = (
        "density_g_cm3",
        "price_per_kg",
        "bulk_density_g_cm3",
        "removal_rate_cm3_min",
        "finishing_rate_cm2_min",
        "thermal_diffusivity_mm2_s",
        "melt_temp_c",
        "mould_temp_c",
        "eject_temp_c",
        "cavity_pressure_mpa",
    )

    def engine_record(self, company=None):
        """The engine's Material (prices in ``company``'s currency); ValidationError with the
        engine's reason when inconsistent."""
        self.ensure_one()
        try:
            return Material(
                code=self.code,
                name=self.name,
                processes=tuple(self.process_ids.mapped("code")),
                **{name: self._odm_engine_value(name, company) for name in self.ENGINE_FIELDS},
            )
        except ConfigError as error:
            raise ValidationError(str(error)) from error

    @api.constrains(*ENGINE_FIELDS)
    def _check_engine_values(self):
        for material in self:
            material.engine_record()
