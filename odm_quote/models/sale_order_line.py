import base64
import functools

from odoo import api, fields, models
from odoo.exceptions import UserError

from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.loaders import load_part
from odm_engine.pricing.costing import finding_audience
from odm_engine.slicing import precise


def customer_findings(findings):
    """The DFM findings (dicts) meant for the customer; quotes frozen before findings had an
    audience get the default of each finding's kind."""
    return [
        finding
        for finding in findings or ()
        if (finding.get("audience") or finding_audience(finding["code"])) == "customer"
    ]


# Changing any of these re-prices a part line and freezes a new quote version.
REPRICE_FIELDS = (
    "odm_process_id",
    "odm_material_id",
    "odm_finish_id",
    "odm_lead_time_id",
    "product_uom_qty",
)


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    odm_part_id = fields.Many2one("odm.part", string="3D part", index=True, ondelete="restrict")
    odm_process_id = fields.Many2one("odm.process", string="Process", ondelete="restrict")
    odm_material_id = fields.Many2one(
        "odm.material",
        string="Material",
        domain="[('process_ids', 'in', odm_process_id)]",
        ondelete="restrict",
    )
    odm_finish_id = fields.Many2one(
        "odm.finish",
        string="Finish",
        domain="[('process_ids', 'in', odm_process_id)]",
        ondelete="restrict",
    )
    odm_lead_time_id = fields.Many2one(
        "odm.lead.time.tier", string="Lead time", ondelete="restrict"
    )
    odm_quote_id = fields.Many2one(
        "odm.part.quote", string="Quote version", readonly=True, copy=False
    )
    odm_thumbnail = fields.Image(related="odm_part_id.thumbnail")
    odm_dimensions = fields.Char(related="odm_part_id.dimensions")
    odm_lead_time_days = fields.Integer(related="odm_quote_id.lead_time_days")
    odm_fatal = fields.Boolean(related="odm_quote_id.fatal", string="DFM block")
    odm_dfm_status = fields.Char(
        "Manufacturability",
        compute="_compute_odm_dfm_status",
        help="Why the line blocks the order, or what the checks found.",
    )
    odm_precise_state = fields.Selection(
        [("queued", "Slicing"), ("done", "Sliced"), ("failed", "Slicing failed")],
        "Precise quote",
        readonly=True,
        copy=False,
    )
    odm_precise_message = fields.Char(readonly=True, copy=False)
    odm_dfm_override = fields.Boolean(
        "DFM override", readonly=True, copy=False, help="A manager accepted the blocking findings."
    )

    @api.depends("odm_quote_id", "odm_dfm_override")
    def _compute_odm_dfm_status(self):
        for line in self:
            findings = (line.odm_quote_id.result or {}).get("dfm") or []
            fatal = [f["message"] for f in findings if f["severity"] == "fatal"]
            warnings = [f for f in findings if f["severity"] == "warning"]
            if fatal and line.odm_dfm_override:
                status = self.env._("Block accepted: %(reason)s", reason=fatal[0])
            elif fatal:
                status = self.env._("Blocked: %(reason)s", reason=" ".join(fatal))
            elif warnings:
                status = self.env._("%(count)s warning(s)", count=len(warnings))
            else:
                status = self.env._("OK") if line.odm_quote_id else False
            line.odm_dfm_status = status

    def _odm_customer_findings(self):
        """The line's findings printed on the quotation (warnings and blocks for the customer)."""
        self.ensure_one()
        findings = (self.odm_quote_id.result or {}).get("dfm")
        return [f for f in customer_findings(findings) if f["severity"] != "info"]

    def action_odm_precise_quote(self):
        """Slices the line's part in the background; its figures then replace the estimate."""
        for line in self:
            if line.odm_process_id.technology != "fdm":
                raise UserError(
                    self.env._("Only FDM lines can be sliced: %(line)s", line=line.odm_part_id.name)
                )
            line.odm_precise_state = "queued"
            line.odm_precise_message = False
            line.with_delay(
                description=self.env._("Slice %(part)s", part=line.odm_part_id.name)
            )._odm_precise_reprice()

    def _odm_precise_reprice(self):
        """Job: slice as estimated, price with the slicer's figures, keep a calibration sample.

        Refusals from the slicer end the job with a message on the line; anything else raises so
        that queue_job retries it.
        """
        self.ensure_one()
        part, instant = self.odm_part_id, self.odm_quote_id
        machine_type = self.env["odm.machine.type"].search(
            [("code", "=", instant.result["machine"])], limit=1
        )
        printers = (
            [machine_type.slicer_printer]
            if machine_type.slicer_printer
            else list(precise.DEFAULT_PRINTERS)
        )
        try:
            mesh = load_part(base64.b64decode(part.file), part.file_name, unit=part.unit)
            sliced = precise.slice_as_estimated(
                mesh, part.analysis, self.odm_material_id.code, printers=printers
            )
        except (MeshError, ValueError) as error:
            self.write({"odm_precise_state": "failed", "odm_precise_message": str(error)})
            return
        result, parameters = self._odm_quote(measured=sliced.measured())
        parameters["slice"] = sliced.to_dict()
        self._odm_apply(result, self._odm_freeze(result, parameters))
        self.env["odm.slice.sample"].create(
            {
                "process_id": self.odm_process_id.id,
                "part_id": part.id,
                "printer": sliced.printer,
                "material": sliced.material,
                "estimate_print_time_s": instant.result["print_time_s"],
                "slicer_print_time_s": sliced.print_time_s,
                "estimate_material_g": instant.result["material_g"],
                "slicer_material_g": sliced.filament_g,
                "slicer_version": sliced.slicer,
            }
        )
        self.write(
            {
                "odm_precise_state": "done",
                "odm_precise_message": self.env._(
                    "Sliced on %(printer)s: %(minutes).0f min, %(grams).1f g per part.",
                    printer=sliced.printer,
                    minutes=sliced.print_time_s / 60,
                    grams=sliced.filament_g,
                ),
            }
        )

    def action_odm_open_quote(self):
        """The price explained: breakdown, delivery options and the parameters used."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "odm.part.quote",
            "res_id": self.odm_quote_id.id,
            "view_mode": "form",
            "target": "new",
        }

    def _compute_price_unit(self):
        # A part line's price is the frozen quote's, not the pricelist's.
        return super(SaleOrderLine, self - self.filtered("odm_part_id"))._compute_price_unit()

    @api.constrains("odm_process_id", "odm_material_id", "odm_finish_id")
    def _check_odm_options(self):
        """A material or finish the process does not offer is refused, never priced as another."""
        options = self.env["odm.request.options"]
        for line in self.filtered("odm_process_id"):
            options.check_compatible(line.odm_process_id, line.odm_material_id, line.odm_finish_id)

    @api.onchange(*REPRICE_FIELDS)
    def _onchange_odm_reprice(self):
        """Shows the new price while editing; saving freezes it as a quote version."""
        engine_config = functools.cache(self.env["odm.pricing"].engine_config)
        options = self.env["odm.request.options"]
        for line in self.filtered(lambda line: line.odm_part_id and line.odm_process_id):
            # A new process keeps only the material and finish it offers.
            line.odm_material_id, line.odm_finish_id = options.drop_incompatible(
                line.odm_process_id, line.odm_material_id, line.odm_finish_id
            )
            result, _parameters = line._odm_quote(config=engine_config(line.odm_part_id.company_id))
            line.price_unit = line._odm_order_price(result)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.filtered("odm_part_id")._odm_reprice()
        return lines

    def write(self, vals):
        result = super().write(vals)
        repricing = self.env.context.get("odm_repricing")
        if not repricing and any(field in vals for field in REPRICE_FIELDS):
            self.filtered("odm_part_id")._odm_reprice()
        return result

    def _odm_reprice(self):
        """Prices each part line with today's parameters and freezes that version on it."""
        # One engine configuration per company for all the lines (it reads every pricing model).
        engine_config = functools.cache(self.env["odm.pricing"].engine_config)
        for line in self:
            result, parameters = line._odm_quote(
                measured=line._odm_sliced_figures(),
                config=engine_config(line.odm_part_id.company_id),
            )
            line._odm_apply(result, line._odm_freeze(result, parameters))

    def _odm_quote(self, measured=None, config=None):
        """The line's part priced with the line's options (see odm.pricing.quote)."""
        return self.env["odm.pricing"].quote(
            self.odm_part_id,
            self.odm_process_id,
            self._odm_material(),
            self.product_uom_qty,
            finish=self.odm_finish_id,
            lead_time=self.odm_lead_time_id,
            measured=measured,
            config=config,
        )

    def _odm_sliced_figures(self):
        """The slicer's per-part figures of this line, while process and material are unchanged."""
        sliced = (
            self.env["odm.part.quote"]
            .search(
                [
                    ("sale_line_id", "=", self.id),
                    ("process_id", "=", self.odm_process_id.id),
                    ("material_id", "=", self._odm_material().id),
                ]
            )
            .filtered(lambda quote: quote.parameters.get("measured"))[:1]
        )
        return sliced.parameters["measured"] if sliced else None

    def _odm_freeze(self, result, parameters):
        """Stores the line's priced version (odm.part.quote), reusing the line's records."""
        return self.env["odm.pricing"].freeze(
            self.odm_part_id,
            result,
            parameters,
            sale_line=self,
            known={
                "process_id": self.odm_process_id,
                "material_id": self._odm_material(),
                "finish_id": self.odm_finish_id,
                "lead_time_id": self.odm_lead_time_id,
            },
        )

    def _odm_apply(self, result, quote):
        """Puts a frozen quote version on the line: price, description, references."""
        price = self._odm_order_price(result)
        self.with_context(odm_repricing=True).write(
            {
                "odm_material_id": quote.material_id.id,
                "odm_lead_time_id": quote.lead_time_id.id,
                "odm_quote_id": quote.id,
                "odm_dfm_override": False,
                "price_unit": price,
                "technical_price_unit": price,
                "name": self._odm_description(result),
            }
        )

    def _odm_order_price(self, result):
        """The quote's unit price (the quoting company's currency) in the order's currency."""
        order = self.order_id
        source = self.odm_part_id.company_id.currency_id  # the currency of its engine_config
        if not order.currency_id or source == order.currency_id:
            return result.unit_price
        return source._convert(
            result.unit_price,
            order.currency_id,
            order.company_id,
            order.date_order or fields.Date.context_today(self),
        )

    def _odm_material(self):
        """The line's material, else the process's default (_check_odm_options keeps them
        compatible)."""
        return self.odm_material_id or self.odm_process_id.default_material_id

    def _odm_description(self, result):
        part = self.odm_part_id
        tier = next(o.name for o in result.lead_time_options if o.tier == result.lead_time)
        details = [result.process_name, result.material_name]
        if self.odm_finish_id:
            details.append(self.odm_finish_id.name)
        return self.env._(
            "%(part)s\n%(details)s, %(size)s, %(days)s working days (%(tier)s)",
            part=part.name,
            details=", ".join(details),
            size=part.dimensions,
            days=result.lead_time_days,
            tier=tier,
        )
