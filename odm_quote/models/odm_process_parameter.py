import dataclasses

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odm_engine.pricing.params import PROCESS_TECHNOLOGIES


class OdmProcessParameter(models.Model):
    """One number of a process's cost model (layer height, machine flow, setup minutes...).

    Label, unit and explanation come from the engine's own parameter declaration, so what users
    read in Odoo is exactly what the cost model uses.
    """

    _name = "odm.process.parameter"
    _description = "Process Cost Parameter"
    _order = "process_id, sequence, id"

    process_id = fields.Many2one("odm.process", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer()
    key = fields.Char(required=True, readonly=True)
    value = fields.Float(digits=(16, 4), required=True)
    label = fields.Char(compute="_compute_engine_metadata")
    unit = fields.Char(compute="_compute_engine_metadata")
    explanation = fields.Char(compute="_compute_engine_metadata")

    _sql_constraints = [
        ("process_key_uniq", "unique(process_id, key)", "A parameter appears once per process."),
    ]

    def _spec(self):
        params = PROCESS_TECHNOLOGIES[self.process_id.technology]
        return next(spec for spec in dataclasses.fields(params) if spec.name == self.key)

    @api.depends("key", "process_id.technology")
    def _compute_engine_metadata(self):
        for line in self:
            spec = line._spec()
            line.label = spec.name.replace("_", " ").capitalize()
            line.unit = spec.metadata.get("unit", "")
            line.explanation = spec.metadata.get("help", "")

    @api.constrains("value")
    def _check_process_still_quotes(self):
        for process in self.process_id.filtered("default_material_id"):
            process.engine_params()

    def typed_value(self):
        """The value as the engine declares it: whole numbers stay whole."""
        if self._spec().type is int:
            if self.value != int(self.value):
                raise ValidationError(
                    self.env._(
                        "%(label)s of %(process)s must be a whole number.",
                        label=self.label,
                        process=self.process_id.name,
                    )
                )
            return int(self.value)
        return self.value
