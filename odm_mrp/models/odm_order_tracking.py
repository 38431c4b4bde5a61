from odoo import api, models
from odoo.tools import float_compare

# A part line's stages in the order it goes through them; a line with several manufacturing
# orders is as far as its least advanced one.
STAGES = (
    "confirmed",
    "queued",
    "preparing",
    "making",
    "in_production",
    "post_processing",
    "ready",
    "shipped",
)
STARTED_STATES = ("progress", "done")


class OdmOrderTracking(models.AbstractModel):
    """What the customer's order tracking page shows of each part line, read from the records:
    the line's manufacturing orders and their work orders (the machine step is the operation
    sized from the quoted machine time), the delivered quantity, and, through
    ``_machine_step_progress`` (which odm_machine_link extends), what the machine reports.

    It returns plain values, never records, so that the portal page (rendered for a customer
    who cannot read manufacturing orders) shows nothing else of production.
    """

    _name = "odm.order.tracking"
    _description = "Order Tracking"

    @api.model
    def _part_rows(self, order):
        """One dict per part line of ``order`` (read as superuser: callers checked access)."""
        lines = order.sudo().order_line.filtered(lambda line: line.odm_part_id)
        return [self._part_row(line) for line in lines]

    def _part_row(self, line):
        productions = line._odm_productions()
        ordered = line.product_uom_qty
        rounding = line.product_uom.rounding
        stage, percent = "confirmed", None
        if productions:
            stage, percent = min(
                (self._production_stage(production) for production in productions),
                key=lambda stage_percent: STAGES.index(stage_percent[0]),
            )
        if ordered and float_compare(line.qty_delivered, ordered, precision_rounding=rounding) >= 0:
            stage, percent = "shipped", None
        technology = line.odm_process_id.technology
        # The last re-plan found nothing to make it on (a machine offline, under maintenance):
        # the customer is told, without machine names, that the date is under review.
        held = stage not in ("ready", "shipped") and any(
            production.odm_plan_issue for production in productions
        )
        return {
            "part": line.odm_part_id.name,
            "process": line.odm_process_id.name,
            "material": line.odm_material_id.name,
            "ordered": ordered,
            "made": sum(self._made_quantity(production) for production in productions),
            "made_label": self._made_label(technology),
            "shipped": line.qty_delivered,
            "stage": stage,
            "label": self._stage_label(stage, technology),
            "percent": percent,
            "held": held,
        }

    def _production_stage(self, production):
        """(stage, percent or None) of one manufacturing order from its work orders."""
        if production.state == "done":
            return "ready", None
        workorders = production.workorder_ids
        machine = workorders.filtered(lambda wo: wo.operation_id.odm_duration_mode == "machine")
        if not machine:
            started = workorders.filtered(lambda wo: wo.state in STARTED_STATES)
            busy = started or production.state in ("progress", "to_close")
            return ("in_production" if busy else "queued"), None
        running = machine.filtered(lambda wo: wo.state == "progress")
        if running:
            return "making", self._machine_step_progress(running[:1])[1]
        if all(wo.state == "done" for wo in machine):
            return "post_processing", None
        if any(wo.state == "done" for wo in machine) or self._made_quantity(production):
            return "making", None
        first_machine_step = min(machine.operation_id.mapped("sequence"))
        before = workorders.filtered(lambda wo: wo.operation_id.sequence < first_machine_step)
        done = before.filtered(lambda wo: wo.state == "done")
        if any(wo.state == "progress" for wo in before) or (done and done != before):
            return "preparing", None
        # Nothing started, or prepared and waiting for a machine.
        return "queued", None

    def _made_quantity(self, production):
        """Parts of ``production`` that came off the machine so far."""
        if production.state == "done":
            return production.qty_produced
        machine = production.workorder_ids.filtered(
            lambda wo: wo.operation_id.odm_duration_mode == "machine"
        )
        return min((self._machine_step_progress(wo)[0] for wo in machine), default=0.0)

    def _machine_step_progress(self, workorder):
        """(parts made, percent of the current run or None) of a machine work order. Here only
        a finished work order has made its parts and no percent is known; odm_machine_link
        adds the good parts of finished runs and the percent the machine reports."""
        made = workorder.qty_produced if workorder.state == "done" else 0.0
        return made, None

    def _stage_label(self, stage, technology):
        making = {
            "cnc": self.env._("Machining"),
            "moulding": self.env._("Moulding"),
        }.get(technology, self.env._("Printing"))
        return {
            "confirmed": self.env._("Order confirmed"),
            "queued": self.env._("Queued for production"),
            "preparing": self.env._("Preparing"),
            "making": making,
            "in_production": self.env._("In production"),
            "post_processing": self.env._("Post-processing"),
            "ready": self.env._("Inspected, ready to ship"),
            "shipped": self.env._("Shipped"),
        }[stage]

    def _made_label(self, technology):
        return {
            "cnc": self.env._("machined"),
            "moulding": self.env._("moulded"),
        }.get(technology, self.env._("printed"))
