from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odm_engine.pricing.params import ConfigError, MachineRate
from odm_engine.slicing import profile_reader

# The technologies PrusaSlicer slices, with the words that tell their printer profiles apart.
SLICED_TECHNOLOGIES = {"fdm": "FDM", "sla": "SLA"}


def _slicer_printers(_model):
    return [
        (code, f"{code} ({label})")
        for technology, label in SLICED_TECHNOLOGIES.items()
        for code in profile_reader.available_printers(technology=technology)
    ]


class OdmMachineType(models.Model):
    """A kind of machine the shop runs (e.g. Original Prusa MK4S): hourly rate and envelope.

    Quotes pick the cheapest type a part fits in; physical machines (odm_mrp) belong to a type.
    """

    _name = "odm.machine.type"
    _inherit = ["odm.money.mixin"]
    _description = "Machine Type"
    _order = "process_id, sequence, name"

    name = fields.Char(required=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    process_id = fields.Many2one("odm.process", required=True, ondelete="restrict")
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    rate_per_hour = fields.Monetary(
        required=True,
        help="Cost of one machine hour: depreciation, energy, maintenance, floor space.",
    )
    build_x_mm = fields.Float("Build X (mm)", required=True)
    build_y_mm = fields.Float("Build Y (mm)", required=True)
    build_z_mm = fields.Float("Build Z (mm)", required=True)
    available_hours_per_day = fields.Float(
        "Hours per day", default=20, help="Hours per day the machines of this type can run."
    )
    clamp_force_kn = fields.Float("Clamp force (kN)", help="Injection moulding presses only.")
    slicer_printer = fields.Selection(
        _slicer_printers,
        "Slicer printer profile",
        help="FDM and SLA: the PrusaSlicer printer profile precise quotes slice with on this "
        "machine type (an SLA profile for an SLA process). Empty: the first profile of the "
        "process's technology the part fits.",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A machine type code must be unique."),
    ]

    def engine_record(self, company=None):
        """The engine's MachineRate, its rate in ``company``'s currency."""
        self.ensure_one()
        try:
            return MachineRate(
                code=self.code,
                name=self.name,
                process=self.process_id.code,
                rate_per_hour=self._odm_engine_value("rate_per_hour", company),
                build_x_mm=self.build_x_mm,
                build_y_mm=self.build_y_mm,
                build_z_mm=self.build_z_mm,
                available_hours_per_day=self.available_hours_per_day,
                clamp_force_kn=self.clamp_force_kn,
            )
        except ConfigError as error:
            raise ValidationError(
                self.env._("Machine type %(name)s: %(error)s", name=self.name, error=error)
            ) from error

    @api.constrains(
        "rate_per_hour", "build_x_mm", "build_y_mm", "build_z_mm", "available_hours_per_day"
    )
    def _check_engine_values(self):
        for machine_type in self:
            machine_type.engine_record()

    @api.constrains("slicer_printer", "process_id")
    def _check_slicer_printer(self):
        """A printer profile of another technology would slice resin parts as filament ones."""
        for machine_type in self.filtered("slicer_printer"):
            technology = machine_type.process_id.technology
            printers = (
                profile_reader.available_printers(technology=technology)
                if technology in SLICED_TECHNOLOGIES
                else ()
            )
            if machine_type.slicer_printer not in printers:
                raise ValidationError(
                    self.env._(
                        "Machine type %(name)s: the slicer printer profile %(printer)s is not "
                        "one of its process's technology (%(process)s).",
                        name=machine_type.name,
                        printer=machine_type.slicer_printer,
                        process=machine_type.process_id.name,
                    )
                )
