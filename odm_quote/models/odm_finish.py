from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odm_engine.pricing.params import ConfigError, Finish


class OdmFinish(models.Model):
    """A surface finish offered on top of a process (sanding, dyeing, anodising...)."""

    _name = "odm.finish"
    _inherit = ["odm.money.mixin"]
    _description = "Surface Finish"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    process_ids = fields.Many2many("odm.process", string="Processes")
    material_ids = fields.Many2many(
        "odm.material", string="Materials", help="Materials the finish suits; empty for all."
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    setup_price = fields.Monetary(help="Fixed charge per order line (masking, jigs, batch).")
    price_per_cm2 = fields.Monetary("Price per cm²", help="Charged on the part's surface area.")
    price_per_part = fields.Monetary(help="Fixed handling charged once per part.")
    extra_days = fields.Integer("Extra lead days", help="Days the finish adds to the lead time.")
    description = fields.Text(translate=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A finish code must be unique."),
    ]

    def engine_record(self, company=None):
        """The engine's Finish, its prices in ``company``'s currency."""
        self.ensure_one()
        try:
            return Finish(
                code=self.code,
                name=self.name,
                processes=tuple(self.process_ids.mapped("code")),
                materials=tuple(self.material_ids.mapped("code")),
                setup_price=self._odm_engine_value("setup_price", company),
                price_per_part=self._odm_engine_value("price_per_part", company),
                price_per_cm2=self._odm_engine_value("price_per_cm2", company),
                extra_days=self.extra_days,
            )
        except ConfigError as error:
            raise ValidationError(
                self.env._("Finish %(name)s: %(error)s", name=self.name, error=error)
            ) from error

    @api.constrains("setup_price", "price_per_part", "price_per_cm2", "extra_days")
    def _check_engine_values(self):
        for finish in self:
            finish.engine_record()
