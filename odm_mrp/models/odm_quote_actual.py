from odoo import api, fields, models

from odm_engine.pricing.actuals import Observation, deviation_pct
from odm_engine.scheduling.routing import quote_figures

# Report fields holding each measure's quoted and actual totals, in the engine's measure names.
MEASURE_FIELDS = {
    "machine": ("quoted_machine_min", "actual_machine_min"),
    "material": ("quoted_material_g", "actual_material_g"),
    "labour": ("quoted_labour_min", "actual_labour_min"),
}


class OdmQuoteActual(models.Model):
    """What a finished manufacturing order of a quoted part used, next to what its quote said.

    One row is stored when the order is marked done, from Odoo's own records: the time logged on
    its work orders and the material its component moves consumed. The quoted side comes from
    the quote version its BoM was made from, for the quantity actually produced.
    """

    _name = "odm.quote.actual"
    _description = "Quote vs Actual"
    _order = "date_done desc, id desc"
    _rec_name = "production_id"

    production_id = fields.Many2one(
        "mrp.production", "Manufacturing order", required=True, ondelete="cascade", index=True
    )
    quote_id = fields.Many2one("odm.part.quote", "Quote version", required=True, ondelete="cascade")
    product_id = fields.Many2one(related="production_id.product_id", store=True)
    process_id = fields.Many2one("odm.process", required=True, ondelete="cascade", index=True)
    material_id = fields.Many2one("odm.material", required=True, ondelete="cascade", index=True)
    machine_id = fields.Many2one(
        "odm.machine", ondelete="set null", help="The machine of the machine-time operation."
    )
    company_id = fields.Many2one(related="production_id.company_id", store=True)
    date_done = fields.Datetime("Finished", required=True)
    quantity = fields.Float("Quantity produced", required=True, digits="Product Unit of Measure")
    quoted_machine_min = fields.Float("Quoted machine (min)", digits=(12, 1))
    actual_machine_min = fields.Float("Actual machine (min)", digits=(12, 1))
    machine_deviation_pct = fields.Float(
        "Machine deviation (%)", compute="_compute_deviations", store=True, aggregator="avg"
    )
    quoted_material_g = fields.Float(
        "Quoted material (g)", digits=(12, 1), help="Grams issued per the quote, scrap included."
    )
    actual_material_g = fields.Float("Actual material (g)", digits=(12, 1))
    material_deviation_pct = fields.Float(
        "Material deviation (%)", compute="_compute_deviations", store=True, aggregator="avg"
    )
    quoted_labour_min = fields.Float(
        "Planned hands-on (min)",
        digits=(12, 1),
        help="Expected minutes of the operations other than machine time, as routed from the "
        "quote (preparation, setups, post-processing).",
    )
    actual_labour_min = fields.Float("Actual hands-on (min)", digits=(12, 1))
    labour_deviation_pct = fields.Float(
        "Hands-on deviation (%)", compute="_compute_deviations", store=True, aggregator="avg"
    )

    _sql_constraints = [
        ("production_uniq", "unique(production_id)", "A manufacturing order is reported once."),
    ]

    @api.depends(*(name for pair in MEASURE_FIELDS.values() for name in pair))
    def _compute_deviations(self):
        for row in self:
            for measure, (quoted, actual) in MEASURE_FIELDS.items():
                row[f"{measure}_deviation_pct"] = deviation_pct(row[quoted], row[actual])

    @api.model
    def _record(self, productions):
        """Stores the rows of finished orders of quoted parts that have none yet.

        Rows are facts derived from the orders, written whoever marks the order done (a
        manufacturing user need not read quotes).
        """
        reported = self.sudo().search([("production_id", "in", productions.ids)]).production_id
        values = [
            self.sudo()._values_of(production.sudo())
            for production in productions - reported
            if production.state == "done"
            and production.bom_id.odm_quote_id
            and production.qty_produced > 0
        ]
        return self.sudo().create(values)

    def _observations(self):
        """The engine's view of these rows: one observation per measure and row."""
        return [
            Observation(
                process=row.process_id.id,
                technology=row.process_id.technology,
                material=row.material_id.id,
                measure=measure,
                quoted=row[quoted],
                actual=row[actual],
            )
            for row in self
            for measure, (quoted, actual) in MEASURE_FIELDS.items()
        ]

    def action_propose_recalibration(self):
        """Opens the proposals fitted on the selected rows, or on every row of the companies in
        use when none is."""
        rows = self or self.search([("company_id", "in", self.env.companies.ids)])
        wizard = self.env["odm.recalibration.wizard"].create({})
        wizard._propose(rows)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Propose recalibration"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def load_demo_actuals(self, partner_id, orders):
        """Demo data: orders of the sample parts produced off their quotes, so the report and
        the recalibration have something to show.

        ``orders`` is [(file path in odm_mrp, process xmlid, material xmlid, quantity,
        (machine, material, hands-on) as actual / quoted)].
        """
        for path, process, material, quantity, (machine, grams, hands_on) in orders:
            sale = self.env["sale.order"].load_demo_production_order(
                partner_id, [(path, process, material, quantity)]
            )
            production = self.env["mrp.production"].search(
                [("sale_line_id", "in", sale.order_line.ids)]
            )
            for workorder in production.workorder_ids:
                machine_time = workorder.operation_id.odm_duration_mode == "machine"
                workorder.duration = workorder.duration_expected * (
                    machine if machine_time else hands_on
                )
            production.qty_producing = production.product_qty
            production._set_qty_producing()
            for move in production.move_raw_ids:
                move.quantity = move.product_uom_qty * grams
                move.picked = True
            production.with_context(skip_consumption=True).button_mark_done()

    @api.model
    def _values_of(self, production):
        """A row from a finished order: its time logs and consumption against its quote."""
        quote = production.bom_id.odm_quote_id
        figures = quote_figures(quote.result, quote.parameters)
        quantity = production.qty_produced
        workorders = production.workorder_ids.filtered(lambda wo: wo.state != "cancel")
        machine_steps = workorders.filtered(
            lambda wo: wo.operation_id.odm_duration_mode == "machine"
        )
        hands_on = workorders - machine_steps
        gram = self.env.ref("uom.product_uom_gram")
        consumed = production.move_raw_ids.filtered(
            lambda move: move.state == "done" and move.product_id == quote.material_id.product_id
        )
        machine = self.env["odm.machine"].search(
            [("workcenter_id", "in", machine_steps.workcenter_id.ids)], limit=1
        )
        return {
            "production_id": production.id,
            "quote_id": quote.id,
            "process_id": quote.process_id.id,
            "material_id": quote.material_id.id,
            "machine_id": machine.id,
            "date_done": production.date_finished,
            "quantity": quantity,
            "quoted_machine_min": figures.machine_min * quantity,
            "actual_machine_min": sum(machine_steps.mapped("duration")),
            "quoted_material_g": figures.material_with_waste_g * quantity,
            "actual_material_g": sum(
                move.product_uom._compute_quantity(move.quantity, gram) for move in consumed
            ),
            "quoted_labour_min": sum(hands_on.mapped("duration_expected")),
            "actual_labour_min": sum(hands_on.mapped("duration")),
        }
