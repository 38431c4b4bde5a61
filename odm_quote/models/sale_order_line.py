import functools

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round
from odoo.tools.misc import format_amount

from odoo.addons.queue_job.job import identity_exact

from odm_engine.mesh.errors import MeshError
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
    odm_estimate_source = fields.Selection(
        [("estimated", "Estimated"), ("calibrated", "Calibrated"), ("sliced", "Sliced")],
        "Figures",
        compute="_compute_odm_estimate",
        help="Where the line's print time and material come from: the instant estimate, the "
        "estimate corrected by the shop's slices, or the slicer itself.",
    )
    odm_estimate_note = fields.Char(
        "Figures from", compute="_compute_odm_estimate", help="E.g. estimated ±18 %, sliced."
    )
    odm_dfm_override = fields.Boolean(
        "DFM override", readonly=True, copy=False, help="A manager accepted the blocking findings."
    )
    # A duplicated quotation asks for the same part made the same way.
    odm_specification_ids = fields.One2many(
        "odm.part.specification", "sale_line_id", string="Specification", copy=True
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

    @api.depends("odm_quote_id", "odm_precise_state")
    def _compute_odm_estimate(self):
        for line in self:
            quote = line.odm_quote_id
            line.odm_estimate_source = (quote._odm_estimate() if quote else {}).get("source")
            line.odm_estimate_note = (quote._odm_estimate_note() if quote else "") or False

    def _odm_estimate_status(self):
        """The line's figures for a page waiting on its slice: slicing state, source, words."""
        self.ensure_one()
        return {
            "state": self.odm_precise_state or False,
            "source": self.odm_estimate_source,
            "note": self.odm_estimate_note,
        }

    def action_odm_precise_quote(self):
        """Slices the line's part in the background; its figures then replace the estimate."""
        for line in self:
            if line.odm_process_id.technology not in precise.SLICED_TECHNOLOGIES:
                raise UserError(
                    self.env._(
                        "Only FDM and SLA lines can be sliced: %(line)s", line=line.odm_part_id.name
                    )
                )
        self._odm_queue_slice()

    def _odm_slices_itself(self):
        """Whether the line's estimate is refined by a background slice without anybody asking:
        an FDM or SLA line of an order the customer has not accepted yet, where the company
        wants it."""
        self.ensure_one()
        return (
            self.odm_process_id.technology in precise.SLICED_TECHNOLOGIES
            and self.odm_part_id.company_id.odm_auto_slice
            and not self.order_id._odm_accepted()
        )

    def _odm_queue_slice(self):
        """Queues one slicing job per line (a job already waiting for the line is not doubled)."""
        for line in self:
            line.with_context(odm_repricing=True).write(
                {"odm_precise_state": "queued", "odm_precise_message": False}
            )
            # Portal and API lines are the customer's; the job slices and prices for the shop.
            line.sudo().with_delay(
                description=self.env._("Slice %(part)s", part=line.odm_part_id.name),
                identity_key=identity_exact,
            )._odm_precise_reprice()

    def _odm_precise_reprice(self):
        """Job: slice as estimated, price with the slicer's figures, keep a calibration sample.

        Refusals from the slicer end the job with a message on the line and leave the estimate;
        anything else raises so that queue_job retries it. An order the customer accepted keeps
        its price: the slice is recorded and a person is told when it differs much.
        """
        self.ensure_one()
        # A line removed since (the customer changed their mind) has nothing left to slice.
        if not self.exists() or not self.odm_part_id:
            return
        if self.odm_process_id.technology not in precise.SLICED_TECHNOLOGIES:
            return
        part, instant = self.odm_part_id, self.odm_quote_id
        try:
            sliced = self.env["odm.slice.result"]._odm_slice(
                part, instant.result["machine"], instant.result["material"], instant
            )
        except (MeshError, ValueError) as error:
            self.write(
                {
                    "odm_precise_state": "failed",
                    "odm_precise_message": self.env._(
                        "Slicing failed, the estimate stays: %(reason)s", reason=error
                    ),
                }
            )
            return
        measured = precise.measured_figures(sliced)
        message = self.env._(
            "Sliced on %(printer)s: %(minutes).0f min, %(grams).1f g per part.",
            printer=sliced["printer"],
            minutes=sliced["print_time_s"] / 60,
            grams=measured["material_g"],
        )
        if self.order_id._odm_accepted():
            message = self._odm_slice_after_acceptance(measured, message)
        else:
            result, parameters = self._odm_quote(measured=measured)
            parameters["slice"] = sliced
            self._odm_apply(result, self._odm_freeze(result, parameters))
        self.write({"odm_precise_state": "done", "odm_precise_message": message})

    def _odm_slice_after_acceptance(self, measured, message):
        """Nothing re-prices an accepted order: the slicer's price is only compared with the
        accepted one, and the salesperson gets an activity when they differ by more than the
        company's threshold. Returns the line's message."""
        result, _parameters = self._odm_quote(measured=measured)
        sliced_price = self._odm_order_price(result)
        change = (sliced_price - self.price_unit) / self.price_unit if self.price_unit else 0.0
        message = self.env._(
            "%(message)s Accepted at %(accepted)s; sliced, it would be %(sliced)s "
            "(%(change)+.0f %%).",
            message=message,
            accepted=format_amount(self.env, self.price_unit, self.currency_id),
            sliced=format_amount(self.env, sliced_price, self.currency_id),
            change=change * 100,
        )
        threshold = self.odm_part_id.company_id.odm_slice_alert_percent
        if abs(change) * 100 > threshold:
            order = self.order_id
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Sliced price differs from the accepted one"),
                note=self.env._(
                    "%(part)s: %(message)s The order keeps its accepted price.",
                    part=self.odm_part_id.name,
                    message=message,
                ),
                user_id=(order.user_id or self.env.user).id,
            )
        return message

    def action_odm_open_specification(self):
        """Tolerance, threads, inserts, roughness, inspection and drawing of the part line."""
        self.ensure_one()
        spec = self.odm_specification_ids[:1]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Specification of %(part)s", part=self.odm_part_id.name),
            "res_model": "odm.part.specification",
            "res_id": spec.id,
            "view_mode": "form",
            "target": "new",
            "context": {"default_sale_line_id": self.id},
        }

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
            # Only the price is shown: the band's two extra engine runs are for the saved version.
            result, _parameters = line._odm_quote(
                config=engine_config(line.odm_part_id.company_id), with_band=False
            )
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
        """Prices each part line with today's parameters and freezes that version on it.

        An FDM or SLA line takes the slicer's figures once its part was sliced as quoted (from the
        store when the same file was sliced before); until then its estimate is refined by a
        background slice (``_odm_slices_itself``).
        """
        # One engine configuration per company for all the lines (it reads every pricing model).
        engine_config = functools.cache(self.env["odm.pricing"].engine_config)
        to_slice = self.browse()
        for line in self:
            config = engine_config(line.odm_part_id.company_id)
            measured = line._odm_sliced_figures()
            result, parameters = line._odm_quote(measured=measured, config=config)
            slices = measured is None and line._odm_slices_itself()
            stored = slices and self.env["odm.slice.result"].sudo()._odm_stored_for(
                line.odm_part_id, result.machine, result.material
            )
            if stored:
                measured = precise.measured_figures(stored)
                result, parameters = line._odm_quote(measured=measured, config=config)
                parameters["slice"] = stored
            line._odm_apply(result, line._odm_freeze(result, parameters))
            if slices and not stored:
                to_slice |= line
        to_slice._odm_queue_slice()

    def _odm_quote(self, measured=None, config=None, quantity=None, with_band=True):
        """The line's part priced with the line's options (see odm.pricing.quote), at
        ``quantity`` instead of the line's when given (the line's price grid)."""
        return self.env["odm.pricing"].quote(
            self.odm_part_id,
            self.odm_process_id,
            self._odm_material(),
            quantity or self.product_uom_qty,
            finish=self.odm_finish_id,
            lead_time=self.odm_lead_time_id,
            measured=measured,
            config=config,
            specification=self.odm_specification_ids[:1]._odm_engine_spec(),
            with_band=with_band,
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
        return self._odm_order_amount(result.unit_price)

    def _odm_order_amount(self, amount):
        """An amount of the engine (the quoting company's currency) in the order's currency."""
        order = self.order_id
        source = self.odm_part_id.company_id.currency_id  # the currency of its engine_config
        if not order.currency_id or source == order.currency_id:
            return amount
        return source._convert(
            amount,
            order.currency_id,
            order.company_id,
            order.date_order or fields.Date.context_today(self),
        )

    def _odm_line_amounts(self, unit_price, quantity):
        """(unit price, total) this line would carry for an engine unit price at ``quantity``:
        in the order's currency, rounded as the line rounds its price and subtotal."""
        digits = self.env["decimal.precision"].precision_get("Product Price")
        unit = float_round(self._odm_order_amount(unit_price), precision_digits=digits)
        return unit, self.order_id.currency_id.round(unit * quantity)

    def _odm_price_grid(self, config=None):
        """The line's quantity x lead-time grid, each row priced by ``_odm_quote`` as the line
        would be at that quantity: a chosen cell is exactly the line's next price."""
        self.ensure_one()
        config = config or self.env["odm.pricing"].engine_config(self.odm_part_id.company_id)
        measured = self._odm_sliced_figures()
        return self.env["odm.customer.view"].price_grid(
            self.odm_part_id,
            self.odm_process_id,
            self._odm_material(),
            int(self.product_uom_qty),
            finish=self.odm_finish_id,
            lead_time=self.odm_lead_time_id,
            config=config,
            price_at=lambda quantity: self._odm_quote(
                measured=measured, config=config, quantity=quantity, with_band=False
            )[0],
            amounts=self._odm_line_amounts,
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
        description = self.env._(
            "%(part)s\n%(details)s, %(size)s, %(days)s working days (%(tier)s)",
            part=part.name,
            details=", ".join(details),
            size=part.dimensions,
            days=result.lead_time_days,
            tier=tier,
        )
        specification = self.env["odm.part.specification"]._odm_describe(
            result.specification and result.specification.to_dict()
        )
        return "\n".join([description, *specification])
