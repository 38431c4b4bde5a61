from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestPlanConstraints(MakeToOrderCase):
    """The plan only uses machines that can run now and says why an order is late or blocked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Only this test's work, on this test's printers.
        cls.env["mrp.production"].search([("state", "not in", ("done", "cancel"))]).action_cancel()
        cls.env["odm.machine"].search([("id", "!=", cls.printer.id)]).active = False
        cls.env["stock.quant"]._update_available_quantity(
            cls.pla.product_id, cls.env.ref("stock.stock_location_stock"), 100
        )
        cls.planner = cls.env["odm.production.planner"]

    def _confirmed(self, quantity=4):
        order = self._fdm_order(quantity)
        order.action_confirm()
        production = self._productions(order.order_line)
        production.action_assign()
        return production

    def _stop(self, machine):
        """A breakdown declared in Manufacturing on the machine's work center, still open."""
        self.env["mrp.workcenter.productivity"].create(
            {
                "workcenter_id": machine.workcenter_id.id,
                "loss_id": self.env.ref("mrp.block_reason1").id,
                "date_start": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        self.assertEqual(machine.working_state, "blocked")

    def _printing(self, productions):
        return productions.workorder_ids.filtered(lambda wo: wo.name == "Print")

    def test_stopped_machine_gets_no_work(self):
        twin = self._machine("Twin printer", self.fdm, self.pla, (250, 210, 220))
        self._stop(self.printer)
        productions = self._confirmed() | self._confirmed()
        result = self.planner.replan(time_limit=2)
        self.assertFalse(result.unschedulable)
        self.assertEqual(self._printing(productions).workcenter_id, twin.workcenter_id)
        self.assertFalse(
            self.env["mrp.workorder"].search(
                [("workcenter_id", "=", self.printer.workcenter_id.id), ("leave_id", "!=", False)]
            ),
            "nothing is reserved on the stopped printer",
        )

    def test_order_without_a_runnable_machine_is_reported_with_its_reason(self):
        production = self._confirmed()
        self._stop(self.printer)
        action = self.planner.action_replan()
        self.assertFalse(production.is_planned)
        self.assertIn("Test printer is stopped (Equipment Failure)", production.odm_plan_issue)
        self.assertFalse(self._printing(production).leave_id)
        message = action["params"]["message"]
        self.assertIn("0 late, 1 cannot run", message)
        self.assertIn(f"{production.name}: ", message)
        self.assertIn("Equipment Failure", message)
        self.assertEqual(action["params"]["type"], "warning")

    def test_order_late_for_its_material_says_so(self):
        on_time = self._confirmed(quantity=1)
        on_time.date_deadline = fields.Datetime.now() + timedelta(days=30)
        self.env["stock.quant"]._update_available_quantity(
            self.pla.product_id,
            self.env.ref("stock.stock_location_stock"),
            -self.pla.product_id.free_qty,
        )
        self.pla.product_id.seller_ids.delay = 12
        order = self._fdm_order(5)
        order.action_confirm()
        production = self._productions(order.order_line)
        production.date_deadline = fields.Datetime.now() + timedelta(days=2)
        action = self.planner.action_replan()
        self.assertTrue(production.is_planned)
        self.assertIn("waits for material until", production.odm_plan_delay)
        self.assertFalse(on_time.odm_plan_delay)
        message = action["params"]["message"]
        self.assertIn("1 late, 0 cannot run", message)
        self.assertIn(f"{production.name}: waits for material until", message)

    def test_promise_leaves_stopped_machines_out(self):
        self._stop(self.printer)
        self.assertFalse(
            self.env["sale.order.line"]._odm_earliest_finish(
                self._fdm_order(2).order_line.odm_quote_id
            ),
            "the only capable printer is stopped: the plan cannot promise from it",
        )
