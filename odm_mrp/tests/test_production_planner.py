import itertools
from datetime import timedelta
from unittest.mock import patch

import pytz

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.odm_quote.tests.common import box_stl

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestProductionPlanner(TransactionCase):
    """Finite-capacity planning of real manufacturing orders, written back as Odoo plans."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Only this test's work exists, so the figures below are this test's.
        cls.env["mrp.production"].search([("state", "not in", ("done", "cancel"))]).action_cancel()
        calendars = cls.env["resource.calendar"]
        cls.always = calendars.create(
            {
                "name": "Test 24/7",
                "tz": "UTC",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": str(day),
                            "dayofweek": str(day),
                            "hour_from": 0,
                            "hour_to": 24,
                            "day_period": "morning",
                        }
                    )
                    for day in range(7)
                ],
            }
        )
        cls.shift = calendars.create(
            {
                "name": "Test 8-16",
                "tz": "UTC",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": str(day),
                            "dayofweek": str(day),
                            "hour_from": 8,
                            "hour_to": 16,
                            "day_period": "morning",
                        }
                    )
                    for day in range(7)
                ],
            }
        )
        workcenters = cls.env["mrp.workcenter"]
        cls.printer_a = workcenters.create(
            {"name": "Printer A", "resource_calendar_id": cls.always.id, "time_efficiency": 100}
        )
        cls.printer_b = workcenters.create(
            {"name": "Printer B", "resource_calendar_id": cls.always.id, "time_efficiency": 100}
        )
        cls.printer_a.alternative_workcenter_ids = cls.printer_b
        cls.bench = workcenters.create(
            {"name": "Finishing bench", "resource_calendar_id": cls.shift.id}
        )
        cls.planner = cls.env["odm.production.planner"]

    def _product(self, name, steps):
        """A manufactured product whose routing is ``steps``: (work center, minutes) in order."""
        product = self.env["product.product"].create({"name": name, "is_storable": True})
        self.env["mrp.bom"].create(
            {
                "product_tmpl_id": product.product_tmpl_id.id,
                "operation_ids": [
                    Command.create(
                        {
                            "name": f"Step {index}",
                            "workcenter_id": workcenter.id,
                            "time_mode": "manual",
                            "time_cycle_manual": minutes,
                            "sequence": index,
                        }
                    )
                    for index, (workcenter, minutes) in enumerate(steps)
                ],
            }
        )
        return product

    def _order(self, product, deadline_hours=None, priority="0"):
        production = self.env["mrp.production"].create(
            {"product_id": product.id, "product_qty": 1, "priority": priority}
        )
        production.action_confirm()
        if deadline_hours is not None:
            production.date_deadline = fields.Datetime.now() + timedelta(hours=deadline_hours)
        return production

    def assertNoOverlap(self, workorders):
        for workcenter in workorders.workcenter_id:
            spans = sorted(
                (wo.date_start, wo.date_finished)
                for wo in workorders.filtered(lambda wo, wc=workcenter: wo.workcenter_id == wc)
            )
            for (_start, end), (next_start, _end) in itertools.pairwise(spans):
                self.assertLessEqual(end, next_start, f"{workcenter.name} is overbooked")

    def test_orders_spread_over_alternatives_in_due_date_order(self):
        part = self._product("Bracket", [(self.printer_a, 600)])
        late_due = self._order(part, deadline_hours=48)
        urgent = self._order(part, deadline_hours=11)
        third = self._order(part, deadline_hours=30)
        result = self.planner.replan(time_limit=5)
        self.assertFalse(result.unschedulable)
        workorders = (late_due | urgent | third).workorder_ids
        self.assertTrue(all(wo.leave_id for wo in workorders), "each plan reserves its slot")
        self.assertEqual(len(workorders.workcenter_id), 2, "the alternative printer is used")
        self.assertNoOverlap(workorders)
        # Odoo would plan them in creation order; due dates decide here: nothing is late.
        self.assertEqual(result.total_lateness, 0)
        self.assertLessEqual(urgent.date_finished, urgent.date_deadline)
        for production in late_due | urgent | third:
            self.assertTrue(production.is_planned)
            self.assertFalse(production.odm_plan_issue)

    def _replan_from_six_tomorrow(self):
        """Re-plans as if it were 06:00 tomorrow: shift-bound expectations do not depend on the
        hour the suite runs at."""
        six_today = fields.Datetime.now().replace(hour=6, minute=0, second=0, microsecond=0)
        origin = six_today + timedelta(days=1)
        with patch.object(type(self.planner), "_plan_origin", lambda _planner: origin):
            return self.planner.replan(time_limit=2)

    def test_manual_steps_stay_inside_working_hours_after_printing(self):
        part = self._product("Housing", [(self.printer_a, 90), (self.bench, 120)])
        production = self._order(part)
        # From 06:00, so the 2 h bench step fits the shift (from 13:30 on, it would pause
        # overnight, as manual work does).
        self._replan_from_six_tomorrow()
        printing, finishing = production.workorder_ids.sorted("sequence")
        self.assertGreaterEqual(finishing.date_start, printing.date_finished)
        start = pytz.utc.localize(finishing.date_start)
        end = pytz.utc.localize(finishing.date_finished)
        self.assertEqual(start.date(), end.date())
        self.assertGreaterEqual(start.hour, 8)
        self.assertLessEqual((end - start.replace(hour=16, minute=0)).total_seconds(), 0)
        self.assertEqual(production.date_start, printing.date_start)
        self.assertEqual(production.date_finished, finishing.date_finished)

    def test_running_work_keeps_its_machine_and_replanning_is_stable(self):
        part = self._product("Clip", [(self.printer_a, 300)])
        self.printer_a.alternative_workcenter_ids = False
        running = self._order(part)
        waiting = self._order(part)
        self.planner.replan(time_limit=2)
        running.workorder_ids.button_start()
        self.planner.replan(time_limit=2)
        started = running.workorder_ids
        self.assertEqual(started.state, "progress")
        remaining_end = fields.Datetime.now() + timedelta(minutes=300)
        self.assertGreaterEqual(
            waiting.workorder_ids.date_start, remaining_end - timedelta(minutes=2)
        )
        before = waiting.workorder_ids.read(["date_start", "workcenter_id"])
        self.planner.replan(time_limit=2)
        self.assertEqual(waiting.workorder_ids.read(["date_start", "workcenter_id"]), before)
        self.assertEqual(
            self.env["resource.calendar.leaves"].search_count(
                [("resource_id", "=", self.printer_a.resource_id.id), ("time_type", "=", "other")]
            ),
            2,
            "re-planning replaces reservations instead of adding to them",
        )

    def test_manual_work_pauses_overnight_a_machine_run_does_not(self):
        long_finish = self._product("Sculpture", [(self.bench, 10 * 60)])
        production = self._order(long_finish)
        self._replan_from_six_tomorrow()  # a full shift, then 2 h of the next one
        finishing = production.workorder_ids
        start = pytz.utc.localize(finishing.date_start)
        end = pytz.utc.localize(finishing.date_finished)
        self.assertEqual((end.date() - start.date()).days, 1, "two shifts of 8 hours")
        self.assertTrue(8 <= start.hour < 16 and 8 <= end.hour <= 16)
        self.assertAlmostEqual(finishing.duration_expected, 600, places=3)
        working = self.env["odm.workcenter.load"].search([("workcenter_id", "=", self.bench.id)])
        self.assertAlmostEqual(sum(working.mapped("load_hours")), 10, places=3)
        # A printer does not pause: a print longer than its working day cannot be planned on it.
        printer = self.env["odm.machine"].create(
            {
                "name": "Day-shift printer",
                "process_id": self.env.ref("odm_quote.process_fdm").id,
                "build_x_mm": 200,
                "build_y_mm": 200,
                "build_z_mm": 200,
                "resource_calendar_id": self.shift.id,
            }
        )
        long_print = self._product("Statue", [(printer.workcenter_id, 9 * 60)])
        blocked = self._order(long_print)
        result = self.planner.replan(time_limit=2)
        self.assertIn(blocked.id, result.unschedulable)
        self.assertIn("needs at least 9.00 h", blocked.odm_plan_issue)
        self.assertIn("(Day-shift printer)", blocked.odm_plan_issue, "machines by name, not id")
        self.assertFalse(blocked.is_planned)
        self.assertFalse(blocked.workorder_ids.leave_id)

    def test_load_never_exceeds_capacity_and_adds_up(self):
        part = self._product("Lid", [(self.printer_a, 900), (self.bench, 240)])
        orders = self.env["mrp.production"].union(*(self._order(part) for _ in range(4)))
        self.planner.replan(time_limit=3)
        rows = self.env["odm.workcenter.load"].search(
            [("workcenter_id", "in", (self.printer_a | self.printer_b | self.bench).ids)]
        )
        self.assertFalse(rows.filtered("overbooked"))
        planned_hours = sum(orders.workorder_ids.mapped("duration_expected")) / 60
        self.assertAlmostEqual(sum(rows.mapped("load_hours")), planned_hours, places=3)
        bench_days = rows.filtered(lambda row: row.workcenter_id == self.bench and row.load_hours)
        self.assertTrue(all(row.capacity_hours == 8 for row in bench_days))

    def test_promise_moves_with_the_load(self):
        steps = [{self.printer_a: 5 * 3600.0}]
        self.printer_a.alternative_workcenter_ids = False
        empty_shop = self.planner.earliest_finish(steps)
        part = self._product("Bracket", [(self.printer_a, 600)])
        self._order(part)
        self._order(part)
        self.planner.replan(time_limit=2)
        loaded_shop = self.planner.earliest_finish(steps)
        self.assertGreaterEqual(loaded_shop - empty_shop, timedelta(hours=19, minutes=58))
        rush = self.planner.earliest_finish(steps, started_only=True)
        # Minutes may have passed between the calls: the plan origin is the current minute.
        self.assertAlmostEqual(rush, empty_shop, delta=timedelta(minutes=2))
        waiting_material = self.planner.earliest_finish(steps, release_seconds=2 * 86400)
        self.assertGreaterEqual(waiting_material - empty_shop, timedelta(days=2))


@tagged("post_install", "-at_install")
class TestPlanQuotedOrders(MakeToOrderCase):
    """Quoted parts go to any machine able to make them, never to one that cannot."""

    def test_print_runs_on_any_capable_printer(self):
        self.env["odm.machine"].search([("id", "!=", self.printer.id)]).active = False
        twin = self._machine("Twin printer", self.fdm, self.pla, (250, 210, 220))
        small = self._machine("Small printer", self.fdm, self.pla, (100, 100, 100))
        other_material = self._machine("PETG printer", self.fdm, self.aluminium, (300, 300, 300))
        orders = self._order(*[(box_stl(180, 30, 20), self.fdm, self.pla, 20) for _ in range(3)])
        orders.action_confirm()
        productions = orders.order_line._odm_productions()
        self.assertEqual(len(productions), 3)
        self.env["odm.production.planner"].replan(time_limit=3)
        printing = productions.workorder_ids.filtered(lambda wo: wo.name == "Print")
        used = printing.workcenter_id
        self.assertEqual(used, (self.printer | twin).workcenter_id, "both capable printers work")
        self.assertFalse(used & (small | other_material).workcenter_id)
        self.assertTrue(all(production.is_planned for production in productions))


@tagged("post_install", "-at_install")
class TestCapableToPromise(MakeToOrderCase):
    """The date promised on a quote follows the machines' load and the material."""

    def _stock(self, product, quantity):
        self.env["stock.quant"]._update_available_quantity(
            product, self.env.ref("stock.stock_location_stock"), quantity
        )

    def test_promise_moves_when_the_shop_is_loaded(self):
        # Only this test's work, on the only capable printer.
        self.env["mrp.production"].search([("state", "not in", ("done", "cancel"))]).action_cancel()
        self.env["odm.machine"].search([("id", "!=", self.printer.id)]).active = False
        self._stock(self.pla.product_id, 100)
        quotation = self._fdm_order(quantity=5)
        line = quotation.order_line
        first = line.odm_promised_date
        self.assertTrue(first)
        self.assertEqual(quotation.odm_promised_date, first)
        # Days of printing for other customers on the only capable printer.
        busy = self._order((box_stl(150, 100, 60), self.fdm, self.pla, 20))
        busy.action_confirm()
        busy.order_line._odm_productions().action_assign()  # its filament is on the shelf
        self.assertFalse(self.env["odm.production.planner"].replan(time_limit=2).unschedulable)
        line.product_uom_qty = 6
        self.assertGreater(line.odm_promised_date, first + timedelta(days=5))
        # Express jumps the queue of work not started yet.
        express = self.env["odm.lead.time.tier"].search([("lead_time_factor", "<", 1)], limit=1)
        line.odm_lead_time_id = express
        self.assertLess(line.odm_promised_date, first + timedelta(days=5))
        # Confirmed, the promise is the manufacturing order's deadline.
        quotation.action_confirm()
        production = line._odm_productions()
        self.assertEqual(production.date_deadline.date(), line.odm_promised_date)

    def test_salesperson_without_manufacturing_rights_gets_a_promise(self):
        salesperson = new_test_user(
            self.env,
            login="odm_ctp_sales",
            groups="sales_team.group_sale_salesman,odm_quote.group_odm_quote_user",
        )
        order = (
            self.env["sale.order"].with_user(salesperson).create({"partner_id": self.customer.id})
        )
        order._odm_add_uploads([("part.stl", box_stl(40, 30, 20))], self.fdm, 5, material=self.pla)
        self.assertTrue(order.order_line.odm_promised_date)

    def test_missing_material_waits_for_the_vendor(self):
        self.pla.product_id.seller_ids.delay = 12
        line = self._fdm_order(quantity=5).order_line
        self.assertGreaterEqual(
            line.odm_promised_date, fields.Date.context_today(line) + timedelta(days=12)
        )
        self._stock(self.pla.product_id, 100)
        line.product_uom_qty = 4
        self.assertLess(
            line.odm_promised_date, fields.Date.context_today(line) + timedelta(days=12)
        )
