import dataclasses

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.params import PROCESS_TECHNOLOGIES, ConfigError
from odm_engine.slicing import precise

# Fields of the engine's process records that are not numbers users tune.
IDENTITY_FIELDS = ("code", "name", "default_material")
# The estimate's band is measured on this many of a process's latest slice samples.
BAND_SAMPLES = 200


def tunable_fields(technology):
    """The engine's numeric parameters of one technology, in declaration order."""
    params = PROCESS_TECHNOLOGIES[technology]
    return [spec for spec in dataclasses.fields(params) if spec.name not in IDENTITY_FIELDS]


class OdmProcess(models.Model):
    """A manufacturing process the shop sells (FDM, SLA, SLS, MJF, CNC milling...).

    The technology selects the engine's cost model; its numbers are parameter lines users tune,
    created from the engine's parameter list so each one carries its unit and meaning.
    """

    _name = "odm.process"
    _description = "Manufacturing Process"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True, help="Short stable identifier used by the API and the odm-quote command."
    )
    technology = fields.Selection(
        [
            ("fdm", "Fused deposition modelling (FDM)"),
            ("sla", "Stereolithography / DLP (SLA)"),
            ("sls", "Selective laser sintering (SLS)"),
            ("mjf", "Multi Jet Fusion (MJF)"),
            ("cnc", "CNC milling"),
            ("moulding", "Injection moulding"),
        ],
        required=True,
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    material_ids = fields.Many2many(
        "odm.material", "odm_material_process_rel", "process_id", "material_id", string="Materials"
    )
    default_material_id = fields.Many2one(
        "odm.material",
        domain="[('id', 'in', material_ids)]",
        help="Material quoted when the customer picks none.",
    )
    parameter_ids = fields.One2many(
        "odm.process.parameter", "process_id", string="Parameters", copy=True
    )
    calibration = fields.Json(
        readonly=True,
        groups="base.group_user",
        help="FDM and SLA: factors that correct the instant print time and material against the "
        "slicer, fitted on the slice samples.",
    )
    calibration_summary = fields.Char(compute="_compute_calibration_summary")
    estimate_band = fields.Json(
        compute="_compute_estimate_band",
        groups="base.group_user",
        help="FDM and SLA: how far the slicer's time and material were from the instant estimate "
        "on the latest slice samples ({quantity: {relative, samples}}); the range an instant "
        "quote shows.",
    )
    slice_sample_ids = fields.One2many("odm.slice.sample", "process_id", string="Slice samples")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A process code must be unique."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        processes = super().create(vals_list)
        processes._add_missing_parameters()
        return processes

    def copy_data(self, default=None):
        """A duplicate keeps every tuned parameter and gets a code of its own in its company
        (codes are unique per company: the API and the odm-quote command name processes by it)."""
        values_list = super().copy_data(default)
        for process, values in zip(self, values_list, strict=True):
            if default and "code" in default:
                continue
            company = values.get("company_id", process.company_id.id)
            taken = set(
                self.with_context(active_test=False)
                .search([("company_id", "=", company)])
                .mapped("code")
            )
            number = 2
            while f"{process.code}-{number}" in taken:
                number += 1
            values["code"] = f"{process.code}-{number}"
            if not (default and "name" in default):
                values["name"] = self.env._("%(name)s (copy)", name=process.name)
        return values_list

    def write(self, vals):
        result = super().write(vals)
        if "technology" in vals:
            self.parameter_ids.unlink()
            self._add_missing_parameters()
        return result

    @api.model
    def add_missing_parameters(self):
        """Parameters a newer engine introduced get a line, valued as the engine's defaults for
        that process (else the parameter's own default), so existing databases keep quoting and
        show the new figure for review. Called by the migration of each version whose engine
        gained parameters (``migrations/<version>/post-migrate.py``)."""
        config = default_config()
        for process in self.with_context(active_test=False).search([("technology", "!=", False)]):
            params = config.processes.get(process.code)
            same_model = params is not None and params.technology == process.technology
            process._add_missing_parameters(dataclasses.asdict(params) if same_model else None)

    def _add_missing_parameters(self, defaults=None):
        """Creates a line per engine parameter the process lacks (value from ``defaults``)."""
        lines = []
        for process in self:
            present = set(process.parameter_ids.mapped("key"))
            for sequence, spec in enumerate(tunable_fields(process.technology)):
                if spec.name in present:
                    continue
                default = (defaults or {}).get(spec.name, spec.default)
                lines.append(
                    {
                        "process_id": process.id,
                        "key": spec.name,
                        "sequence": sequence,
                        "value": 0.0 if default is dataclasses.MISSING else default,
                    }
                )
        self.env["odm.process.parameter"].create(lines)

    @api.depends("calibration")
    def _compute_calibration_summary(self):
        for process in self:
            parts = [
                self.env._(
                    "%(quantity)s x%(factor).3f (typical error %(error).1f %%, %(samples)s parts)",
                    quantity=quantity,
                    factor=values["factor"],
                    error=values["mdape"] * 100,
                    samples=values["samples"],
                )
                for quantity, values in (process.calibration or {}).items()
            ]
            process.calibration_summary = "; ".join(parts)

    def action_recalibrate(self):
        """Fits the instant FDM or SLA figures on every slice sample of the process."""
        for process in self:
            samples = process.slice_sample_ids
            if len(samples) < 3:
                raise ValidationError(
                    self.env._(
                        "%(process)s has %(count)s slice samples; calibrating needs 3 or more "
                        "(each precise quote adds one).",
                        process=process.name,
                        count=len(samples),
                    )
                )
            process.calibration = precise.fit(
                samples.read(
                    [
                        "estimate_print_time_s",
                        "slicer_print_time_s",
                        "estimate_material_g",
                        "slicer_material_g",
                    ]
                )
            )

    @api.depends("slice_sample_ids")
    def _compute_estimate_band(self):
        """Measures the instant estimate's band on the latest slice samples (the estimate in use
        changes, so old samples say less about it).

        Computed when read rather than stored: slicing jobs that finish together each add a
        sample, and each rewriting one stored band on the process row failed on the other's
        concurrent update. Reading the latest BAND_SAMPLES rows costs about 4 ms, once per
        transaction, with 5,000 samples on the process."""
        # The band is the process's figure, shown to whoever may read the process.
        samples = self.env["odm.slice.sample"].sudo()
        figures = [
            f"{source}_{quantity}"
            for quantity in precise.MEASURED
            for source in ("estimate", "slicer")
        ]
        for process in self:
            latest = samples.search_fetch(
                [("process_id", "=", process._origin.id)], figures, limit=BAND_SAMPLES
            )
            bands = {}
            for quantity in precise.MEASURED:
                pairs = [
                    (sample[f"estimate_{quantity}"], sample[f"slicer_{quantity}"])
                    for sample in latest
                ]
                relative = precise.uncalibrated_band(pairs)
                if relative is not None:
                    bands[quantity] = {"relative": relative, "samples": len(pairs)}
            process.estimate_band = bands

    @api.model
    def _odm_offered(self):
        """The processes customers may request (portal, quote API, federation): the current
        company's active ones. Modules that know what the shop can make narrow it."""
        return self.search([("company_id", "in", (self.env.company.id, False))])

    def engine_params(self):
        """The engine's parameter record for this process; ValidationError when inconsistent."""
        self.ensure_one()
        params_class = PROCESS_TECHNOLOGIES[self.technology]
        values = {line.key: line.typed_value() for line in self.parameter_ids}
        try:
            return params_class(
                code=self.code,
                name=self.name,
                default_material=self.default_material_id.code or "",
                **values,
            )
        except (ConfigError, TypeError) as error:
            raise ValidationError(
                self.env._("Process %(name)s: %(error)s", name=self.name, error=error)
            ) from error

    @api.constrains("parameter_ids", "default_material_id", "technology")
    def _check_engine_params(self):
        for process in self.filtered("default_material_id"):
            process.engine_params()
