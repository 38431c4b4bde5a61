from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from odm_engine.scheduling.routing import RoutingError, order_minutes, quote_figures

# A confirmed line's part revision (its product) is made from these; they cannot change after.
REVISION_FIELDS = ("odm_part_id", "odm_process_id", "odm_material_id", "odm_finish_id")
# Manufacturing orders in these states have not consumed or produced anything yet.
UNSTARTED_STATES = ("draft", "confirmed")


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    odm_promised_date = fields.Date(
        "Promised date",
        readonly=True,
        copy=False,
        help="The later of the delivery option's date and the earliest finish the production "
        "plan allows today (machines' load and calendars, material on hand, incoming or the "
        "vendor's lead time), computed when the line was priced.",
    )
    odm_supply_issue = fields.Char(
        "Cannot be made",
        compute="_compute_odm_supply_issue",
        help="Why no machine of the shop can make the part as quoted: the line needs a review and "
        "cannot be signed or confirmed until it is re-quoted or a manager accepts it.",
    )

    @api.depends("odm_quote_id", "odm_dfm_override")
    def _compute_odm_supply_issue(self):
        for line in self:
            # Machines are production's; the answer is only a sentence about the line.
            quote = line.odm_quote_id.sudo()
            line.odm_supply_issue = quote._odm_supply_issue() if quote else False

    # ------------------------------------------------------------------ capable to promise
    def _odm_apply(self, result, quote):
        applied = super()._odm_apply(result, quote)
        self._odm_promise(result, quote)
        return applied

    def _odm_promise(self, result, quote):
        """Promises a date production can keep (none for a part nobody can make) and writes it
        into the description, so that the backend, the portal and the PDF say the same."""
        line = self.with_context(odm_repricing=True)
        line.odm_promised_date = quote._odm_promised_date()
        line.name = self._odm_description(result)

    def _odm_description(self, result):
        description = super()._odm_description(result)
        if self.odm_promised_date:
            return self.env._(
                "%(description)s\nReady by %(date)s",
                description=description,
                date=format_date(self.env, self.odm_promised_date),
            )
        if self.odm_supply_issue:
            return self.env._(
                "%(description)s\nNeeds review: our team confirms how and when it can be made.",
                description=description,
            )
        return description

    def _prepare_procurement_values(self, group_id=False):
        """The promised date becomes the manufacturing order's deadline, which the planner
        keeps; production still starts as soon as the plan allows."""
        values = super()._prepare_procurement_values(group_id)
        if self.odm_promised_date and not self.order_id.commitment_date:
            values["date_deadline"] = datetime.combine(self.odm_promised_date, time(23, 59))
        return values

    def _odm_earliest_finish(self, quote):
        """When the planner could finish this line if it were confirmed now (None: unknown).

        An express delivery is planned as a rush, behind running work only.
        """
        try:
            figures = quote_figures(quote.result, quote.parameters)
            template = self.env["odm.routing.template"]._for_process(quote.process_id)
        except (RoutingError, UserError):
            return None
        material = quote.material_id
        machines = quote._odm_capable_machines().filtered(
            lambda machine: not machine._odm_plan_blocker(material, quote)
        )
        steps = []
        for line in template.line_ids:
            on_machine = line.workcenter_source == "machine"
            workcenters = machines.workcenter_id if on_machine else line.workcenter_id
            if not workcenters:
                return None
            minutes = order_minutes(line._routing_step(), figures)
            step = {wc: minutes * 6000 / (wc.time_efficiency or 100) for wc in workcenters}
            for machine in machines if on_machine else ():
                # As the plan books it: the runs the copies need and the bed clearing between.
                step[machine.workcenter_id] += 60 * machine._odm_between_runs_minutes(
                    quote.part_id, figures.quantity
                )
            steps.append(step)
        return self.env["odm.production.planner"].earliest_finish(
            steps,
            release_seconds=self._odm_material_release(quote.material_id, figures),
            started_only=bool(quote.lead_time_id) and quote.lead_time_id.lead_time_factor < 1,
        )

    def _odm_material_release(self, material, figures):
        """Seconds until the material is there: free stock, the incoming receipts that cover the
        need (in date order), else the vendor's lead time."""
        product = material.product_id
        if not product:
            return 0.0
        needed = self.env.ref("uom.product_uom_gram")._compute_quantity(
            figures.material_with_waste_g * figures.quantity, product.uom_id
        )
        available = product.free_qty
        if available >= needed:
            return 0.0
        now = fields.Datetime.now()
        incoming = self.env["stock.move"].search(
            [
                ("product_id", "=", product.id),
                ("state", "not in", ("draft", "done", "cancel")),
                ("location_id.usage", "not in", ("internal", "transit")),
                ("location_dest_id.usage", "in", ("internal", "transit")),
            ],
            order="date",
        )
        for move in incoming:
            available += move.product_qty
            if available >= needed:
                return max(0.0, (move.date - now).total_seconds())
        seller = product._select_seller(quantity=needed - available)
        return (seller.delay if seller else 0) * 86400.0

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        """Gives each confirmed part line its revision product and BoM before procurement runs."""
        self.filtered(lambda line: line.odm_part_id and line.state == "sale")._odm_make_to_order()
        return super()._action_launch_stock_rule(previous_product_uom_qty)

    def _odm_make_to_order(self):
        """All lines get their product and BoM, or none does (the error says what is missing)."""
        with self.env.cr.savepoint():
            for line in self:
                line._odm_make_line_to_order()

    def _odm_make_line_to_order(self):
        self.ensure_one()
        # Sales people confirm orders; products and BoMs are production's, made on their behalf.
        product = self.env["product.template"].sudo()._odm_revision_product(self)
        self.env["mrp.bom"].sudo()._odm_for_quote(self.odm_quote_id, product)
        if self.product_id != product:
            # Written together, the sold description, price and taxes are kept as quoted.
            self.write(
                {
                    "product_id": product.id,
                    "name": self.name,
                    "price_unit": self.price_unit,
                    "technical_price_unit": self.technical_price_unit,
                    "discount": self.discount,
                    "product_uom": self.product_uom.id,
                    "customer_lead": self.customer_lead,
                    "tax_id": [fields.Command.set(self.tax_id.ids)],
                }
            )

    def _odm_bom(self):
        """The BoM of the line's current quote version (empty until the line is confirmed)."""
        if not (self.odm_quote_id and self.product_id.odm_part_id):
            return self.env["mrp.bom"]
        return (
            self.env["mrp.bom"]
            .sudo()
            .search(
                [
                    ("odm_quote_id", "=", self.odm_quote_id.id),
                    ("product_id", "=", self.product_id.id),
                ],
                limit=1,
            )
        )

    def _odm_productions(self):
        """The line's manufacturing orders that are not cancelled."""
        return (
            self.env["mrp.production"]
            .sudo()
            .search([("sale_line_id", "in", self.ids), ("state", "!=", "cancel")])
        )

    def write(self, vals):
        made = self.filtered(lambda line: line.state == "sale" and line.product_id.odm_part_id)
        made._odm_check_revision_unchanged(vals)
        shrinking = self.browse()
        if "product_uom_qty" in vals:
            shrinking = made.filtered(lambda line: vals["product_uom_qty"] < line.product_uom_qty)
            shrinking._odm_check_productions_unstarted()
        before = {line: line.product_uom_qty for line in shrinking}
        result = super(SaleOrderLine, self.with_context(skip_activity=bool(shrinking))).write(vals)
        for line, quantity in before.items():
            line._odm_reduce_productions(quantity - line.product_uom_qty)
        if "odm_quote_id" in vals:
            for line in made:
                self.env["mrp.bom"].sudo()._odm_for_quote(line.odm_quote_id, line.product_id)
        return result

    def _odm_check_revision_unchanged(self, vals):
        for line in self:
            if any(name in vals and line[name].id != vals[name] for name in REVISION_FIELDS):
                raise UserError(
                    self.env._(
                        "%(order)s is confirmed: the process, material and finish of %(part)s "
                        "can no longer change. Set the line's quantity to 0 and add it again.",
                        order=line.order_id.name,
                        part=line.odm_part_id.name,
                    )
                )

    def _odm_check_productions_unstarted(self):
        started = self._odm_productions().filtered(
            lambda production: production.state not in UNSTARTED_STATES
        )
        if started:
            raise UserError(
                self.env._(
                    "The quantity cannot be reduced: production has started on %(productions)s. "
                    "Reduce or cancel those manufacturing orders first.",
                    productions=", ".join(started.mapped("name")),
                )
            )

    def _odm_reduce_productions(self, surplus):
        """Takes ``surplus`` parts off the line's newest orders, cancelling emptied ones."""
        for production in self._odm_productions().sorted("id", reverse=True):
            if surplus <= 0:
                break
            if production.product_qty <= surplus:
                surplus -= production.product_qty
                production.with_context(skip_activity=True).action_cancel()
                continue
            self.env["change.production.qty"].sudo().with_context(skip_activity=True).create(
                {"mo_id": production.id, "product_qty": production.product_qty - surplus}
            ).change_prod_qty()
            surplus = 0
