from odoo import api, fields, models

from odoo.addons.queue_job.job import identity_exact

from odm_engine.mesh.errors import MeshError
from odm_engine.service import quote_report
from odm_engine.slicing import precise


class OdmPartQuote(models.Model):
    """One priced version of a part: the engine's answer and the parameters it used, frozen.

    Editing prices later never changes a quote already given; re-pricing a line creates a new
    version and the old ones stay for the record.
    """

    _name = "odm.part.quote"
    _description = "Part Quote Version"
    _order = "id desc"

    part_id = fields.Many2one("odm.part", required=True, ondelete="cascade", index=True)
    sale_line_id = fields.Many2one("sale.order.line", ondelete="set null", index=True)
    process_id = fields.Many2one("odm.process", required=True, ondelete="restrict")
    material_id = fields.Many2one("odm.material", required=True, ondelete="restrict")
    finish_id = fields.Many2one("odm.finish", ondelete="restrict")
    lead_time_id = fields.Many2one("odm.lead.time.tier", ondelete="restrict")
    quantity = fields.Integer(required=True)
    currency_id = fields.Many2one("res.currency", required=True)
    unit_price = fields.Monetary(required=True)
    total_price = fields.Monetary(required=True)
    lead_time_days = fields.Integer()
    fatal = fields.Boolean(help="A manufacturability check failed.")
    result = fields.Json(required=True, help="The engine's full answer: breakdown, DFM, tiers.")
    parameters = fields.Json(
        required=True,
        groups="base.group_user",
        help="Every parameter the price was computed from (cost rates, markups): staff only.",
    )
    engine_version = fields.Char(required=True)
    slice_state = fields.Selection(
        [("queued", "Slicing"), ("done", "Sliced"), ("failed", "Slicing failed")],
        readonly=True,
        help="A quote given outside an order (quote API) is sliced in the background too.",
    )
    slice_message = fields.Char(readonly=True)
    superseded_by_id = fields.Many2one(
        "odm.part.quote",
        "Superseded by",
        readonly=True,
        help="The version of this quote priced with the slicer's time and material.",
    )
    breakdown_html = fields.Html(compute="_compute_breakdown_html", sanitize=True)

    @api.depends("result")
    def _compute_breakdown_html(self):
        for quote in self:
            quote.breakdown_html = self.env["ir.qweb"]._render(
                "odm_quote.quote_breakdown", {"quote": quote.result or {}, "record": quote}
            )

    def _odm_estimate(self):
        """Where the quote's print time and material come from (odm.pricing.quote): source,
        ranges and the unit prices at both ends; {} for a quote without such figures."""
        self.ensure_one()
        # Not a cost: the source and range of the figures are the customer's to see too.
        return (self.sudo().parameters or {}).get("estimate") or {}

    def _odm_estimate_note(self):
        """The figures' source in words: "estimated ±18 %", "calibrated ±9 %", "sliced on MK4",
        "calibrated from 12 prints ±7 %", "sliced on MK4, calibrated from 12 prints"."""
        self.ensure_one()
        printer = (self.sudo().parameters.get("slice") or {}).get("printer")
        return self._odm_estimate_words(self._odm_estimate(), self.unit_price, printer)

    @api.model
    def _odm_estimate_words(self, estimate, unit_price, printer=None):
        """The words of ``_odm_estimate_note`` for an ``estimate`` (odm.pricing.quote's
        parameters["estimate"]) priced at ``unit_price``; "" without an estimate."""
        source = (estimate or {}).get("source")
        prints = (estimate or {}).get("prints")
        if source == "sliced":
            if printer:
                words = self.env._("sliced on %(printer)s", printer=printer)
            else:
                words = self.env._("sliced")
            if prints:
                return self.env._(
                    "%(sliced)s, calibrated from %(prints)s prints", sliced=words, prints=prints
                )
            return words
        if not source or not unit_price:
            return ""
        low, high = estimate["unit_price"]
        # A price the slice cannot move by a whole percent (e.g. at the minimum price per part)
        # reads "±<1 %", not "±0 %": it is still an estimate.
        band = round(max(high - unit_price, unit_price - low, 0.0) / unit_price * 100) or "<1"
        if prints:
            return self.env._(
                "calibrated from %(prints)s prints ±%(band)s %%", prints=prints, band=band
            )
        if source == "calibrated":
            return self.env._("calibrated estimate ±%(band)s %%", band=band)
        return self.env._("estimated ±%(band)s %%", band=band)

    # ------------------------------------------------------------------ quotes outside orders
    def _odm_refine(self):
        """A quote given outside an order (quote API) is refined like an order line: priced at
        once from a stored slice of its file, else sliced in the background. Returns the
        version to show now."""
        self.ensure_one()
        quote = self.sudo()  # the shop refines the caller's quote: slices, samples, versions
        if (
            quote.sale_line_id
            or quote._odm_estimate().get("source") not in ("estimated", "calibrated")
            or not quote.part_id.company_id.odm_auto_slice
        ):
            return self
        stored = (
            self.env["odm.slice.result"]
            .sudo()
            ._odm_stored_for(quote.part_id, quote.result["machine"], quote.result["material"])
        )
        if stored:
            return quote._odm_sliced_version(stored)
        quote.slice_state = "queued"
        quote.with_delay(
            description=self.env._("Slice %(part)s", part=quote.part_id.name),
            identity_key=identity_exact,
        )._odm_slice_reprice()
        return self

    def _odm_slice_reprice(self):
        """Job: slices the quote's part and freezes the version priced with the slicer's
        figures; a refusal leaves the estimate with the reason (anything else is retried)."""
        self.ensure_one()
        try:
            sliced = self.env["odm.slice.result"]._odm_slice(
                self.part_id, self.result["machine"], self.result["material"], self
            )
        except (MeshError, ValueError) as error:
            self.write(
                {
                    "slice_state": "failed",
                    "slice_message": self.env._(
                        "Slicing failed, the estimate stays: %(reason)s", reason=error
                    ),
                }
            )
            return
        self._odm_sliced_version(sliced)

    def _odm_sliced_version(self, sliced):
        """Freezes this quote again with the slicer's figures (SliceResult.to_dict()) and the
        same options; this one is then superseded by it."""
        pricing = self.env["odm.pricing"]
        result, parameters = pricing.quote(
            self.part_id,
            self.process_id,
            self.material_id,
            self.quantity,
            finish=self.finish_id,
            lead_time=self.lead_time_id,
            measured=precise.measured_figures(sliced),
            specification=self.result.get("specification"),
        )
        parameters["slice"] = sliced
        known = {
            "process_id": self.process_id,
            "material_id": self.material_id,
            "finish_id": self.finish_id,
            "lead_time_id": self.lead_time_id,
        }
        version = pricing.freeze(self.part_id, result, parameters, known=known)
        self.write({"superseded_by_id": version.id, "slice_state": "done", "slice_message": False})
        return version

    @api.model
    def _odm_caller_quote(self, quote_id):
        """The quote ``quote_id`` if it was given to the current user's company (empty else):
        what the quote API lets a caller read back."""
        customer = self.env.user.partner_id.commercial_partner_id
        return self.search(
            [("id", "=", quote_id), ("part_id.partner_id", "child_of", customer.id)], limit=1
        )

    def _odm_latest(self):
        """The newest version of this quote (following the slicer's re-pricings)."""
        quote = self
        while quote.superseded_by_id:
            quote = quote.superseded_by_id
        return quote

    def _odm_api_report(self, api_version):
        """The quote API's answer for this quote: the engine's report (as ``odm-quote --json``)
        with the records and where its figures come from; ``estimate_source`` "sliced" is
        final, "estimated" or "calibrated" with ``slice_state`` "queued" will change."""
        self.ensure_one()
        part = self.part_id
        estimate = self._odm_estimate()
        report = quote_report(part.file_name, part.analysis, self.result)
        report.update(
            api_version=api_version,
            part_id=part.id,
            quote_id=self.id,
            estimate_source=estimate.get("source"),
            estimate={
                "note": self._odm_estimate_note() or None,
                "coverage": estimate.get("coverage"),
                "unit_price_range": estimate.get("unit_price"),
            },
            slice_state=self.slice_state or None,
            slice_message=self.slice_message or None,
        )
        return report
