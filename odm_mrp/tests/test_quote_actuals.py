from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.odm_quote.tests.common import box_stl

from odm_engine.scheduling.routing import quote_figures

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestQuoteActuals(MakeToOrderCase):
    """Finished orders against their quotes, and quoting parameters recalibrated from them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="odm_actuals_manager",
            groups="odm_mrp.group_odm_production_manager,odm_quote.group_odm_quote_manager",
        )
        cls.planner = new_test_user(
            cls.env, login="odm_actuals_planner", groups="odm_mrp.group_odm_production_user"
        )

    def setUp(self):
        super().setUp()
        # Only this test's finished orders are reported (the demo database has some).
        self.env["odm.quote.actual"].search([]).unlink()

    def _finish(self, line, machine=1.0, material=1.0, hands_on=1.0):
        """Produces the line's order as a shop floor would: time logged on every work order
        (``machine`` times the expected on the print, ``hands_on`` times on the others), the
        filament weighed out at ``material`` times the BoM, then marked done, confirming the
        consumption warning."""
        production = self._productions(line)
        for workorder in production.workorder_ids:
            scale = machine if workorder.name == "Print" else hands_on
            workorder.duration = workorder.duration_expected * scale
        production.qty_producing = production.product_qty
        production._set_qty_producing()
        for move in production.move_raw_ids:
            move.quantity = move.product_uom_qty * material
            move.picked = True
        action = production.button_mark_done()
        if isinstance(action, dict) and action.get("res_model") == "mrp.consumption.warning":
            Form(
                self.env[action["res_model"]].with_context(**action["context"])
            ).save().action_confirm()
        self.assertEqual(production.state, "done")
        return production

    def _row(self, production):
        return self.env["odm.quote.actual"].search([("production_id", "=", production.id)])

    def _parameter(self, key):
        return self.fdm.parameter_ids.filtered(lambda line: line.key == key).value

    def test_finished_order_is_reported_against_its_quote(self):
        order = self._fdm_order(quantity=5)
        order.action_confirm()
        line = order.order_line
        self.assertFalse(self._row(self._productions(line)), "nothing before the order is done")
        production = self._finish(line, machine=1.3, material=1.1, hands_on=0.8)

        row = self._row(production)
        figures = quote_figures(line.odm_quote_id.result, line.odm_quote_id.parameters)
        self.assertEqual(row.quote_id, line.odm_quote_id)
        self.assertEqual((row.process_id, row.material_id), (self.fdm, self.pla))
        self.assertEqual(row.machine_id, self.printer)
        self.assertEqual(row.quantity, 5)
        self.assertAlmostEqual(row.quoted_machine_min, figures.machine_min * 5, delta=0.05)
        self.assertAlmostEqual(row.actual_machine_min, figures.machine_min * 5 * 1.3, delta=0.05)
        self.assertAlmostEqual(row.machine_deviation_pct, 30, delta=0.2)
        self.assertAlmostEqual(row.quoted_material_g, figures.material_with_waste_g * 5, delta=0.05)
        self.assertAlmostEqual(row.actual_material_g, row.quoted_material_g * 1.1, delta=0.1)
        self.assertAlmostEqual(row.material_deviation_pct, 10, delta=0.2)
        # Slicing 15 min per order, support removal 3 min per part: 30 min planned, 24 logged.
        self.assertAlmostEqual(row.quoted_labour_min, 30, places=2)
        self.assertAlmostEqual(row.actual_labour_min, 24, delta=0.05)
        self.assertAlmostEqual(row.labour_deviation_pct, -20, delta=0.2)

        production.button_mark_done()
        self.assertEqual(len(self._row(production)), 1, "an order is reported once")
        wizard = self._propose(row)
        self.assertFalse(wizard.line_ids, "one order proposes nothing")
        self.assertIn("1 usable finished order(s); a correction needs 3", wizard.unfitted)
        with self.assertRaisesRegex(UserError, "Tick the proposals"):
            wizard.action_apply()

    def _propose(self, rows, user=None):
        action = rows.with_user(user or self.manager).action_propose_recalibration()
        return (
            self.env[action["res_model"]].browse(action["res_id"]).with_user(user or self.manager)
        )

    def _three_slow_orders(self):
        """Three orders of different parts, each printing 25 % long on 10 % more filament."""
        lines = []
        for size, quantity in (((40, 30, 20), 5), ((30, 30, 30), 2), ((60, 20, 10), 4)):
            order = self._order((box_stl(*size), self.fdm, self.pla, quantity))
            order.action_confirm()
            self._finish(order.order_line, machine=1.25, material=1.1, hands_on=1.5)
            lines.append(order.order_line)
        return lines

    def test_recalibration_is_applied_when_ticked_and_the_next_quote_follows(self):
        first, *_ = self._three_slow_orders()
        flow, overhead = (
            self._parameter("volumetric_flow_mm3_s"),
            self._parameter("layer_overhead_s"),
        )
        scrap, setup = self._parameter("scrap_pct"), self._parameter("order_setup_min")
        before = first.odm_quote_id

        wizard = self._propose(self.env["odm.quote.actual"].search([]))
        self.assertEqual(wizard.order_count, 3)
        proposals = {line.parameter: line for line in wizard.line_ids}
        self.assertEqual(
            set(proposals),
            {
                "volumetric_flow_mm3_s",
                "layer_overhead_s",
                "print_time_factor",
                "scrap_pct",
                "order_setup_min",
                "post_process_min_per_part",
            },
        )
        flow_line = proposals["volumetric_flow_mm3_s"]
        self.assertEqual(flow_line.samples, 3)
        self.assertEqual(flow_line.process_id, self.fdm)
        self.assertFalse(flow_line.material_id, "print speed is the process's, for every material")
        # The minutes are stored to 0.1 min, so the logged 1.25 reads back within that much.
        rows = self.env["odm.quote.actual"].search([])
        ratios = sorted(row.actual_machine_min / row.quoted_machine_min for row in rows)
        self.assertAlmostEqual(flow_line.factor, ratios[1], places=3, msg="the median order")
        granularity = max(0.05 / row.quoted_machine_min for row in rows)
        self.assertAlmostEqual(flow_line.factor, 1.25, delta=1.25 * 2 * granularity + 1e-3)
        self.assertLessEqual(flow_line.factor_low, flow_line.factor)
        self.assertGreaterEqual(flow_line.factor_high, flow_line.factor)
        self.assertTrue(flow_line.significant)
        self.assertEqual(flow_line.ignored, 0)
        self.assertAlmostEqual(flow_line.error_before_pct, (ratios[1] - 1) * 100, delta=0.1)
        self.assertLess(flow_line.error_after_pct, 0.5)
        self.assertAlmostEqual(flow_line.current_value, flow)
        self.assertAlmostEqual(flow_line.proposed_value, flow / flow_line.factor, delta=flow * 1e-3)
        self.assertAlmostEqual(
            proposals["layer_overhead_s"].proposed_value, overhead * flow_line.factor, 2
        )
        # Uploads are priced layer by layer: their correction is the layer estimate's factor.
        self.assertAlmostEqual(
            proposals["print_time_factor"].proposed_value, flow_line.factor, places=3
        )
        # Grams are issued in whole BoM units, so the material factor is 1.1 give or take.
        material_factor = proposals["scrap_pct"].factor
        self.assertAlmostEqual(material_factor, 1.1, delta=0.005)
        expected_scrap = ((1 + scrap / 100) * material_factor - 1) * 100
        self.assertAlmostEqual(proposals["scrap_pct"].proposed_value, expected_scrap, delta=0.1)
        self.assertAlmostEqual(proposals["order_setup_min"].factor, 1.5, places=2)
        self.assertEqual(self._parameter("volumetric_flow_mm3_s"), flow, "nothing applied yet")

        applied = ("volumetric_flow_mm3_s", "layer_overhead_s", "print_time_factor", "scrap_pct")
        for key in applied:
            proposals[key].apply = True
        wizard.action_apply()
        for key in applied:
            self.assertAlmostEqual(self._parameter(key), proposals[key].proposed_value, places=4)
        self.assertEqual(self._parameter("order_setup_min"), setup, "an unticked line stays")
        message = self.fdm.message_ids[:1]
        self.assertIn("recalibrated", message.body)
        self.assertIn("1.25", message.body)

        again = self._order((box_stl(40, 30, 20), self.fdm, self.pla, 5)).order_line.odm_quote_id
        old, new = (quote_figures(q.result, q.parameters) for q in (before, again))
        self.assertAlmostEqual(
            new.machine_min, old.machine_min * 1.25, delta=old.machine_min * 0.01
        )
        self.assertAlmostEqual(
            new.material_with_waste_g,
            old.material_with_waste_g * material_factor,
            delta=0.001 * old.material_g,
        )

    def test_stale_proposal_is_refused_whole(self):
        self._three_slow_orders()
        wizard = self._propose(self.env["odm.quote.actual"].search([]))
        wizard.line_ids.apply = True
        overhead = self._parameter("layer_overhead_s")
        self.fdm.parameter_ids.filtered(lambda line: line.key == "scrap_pct").value = 7
        with self.assertRaisesRegex(UserError, "changed since the proposal"):
            wizard.action_apply()
        self.assertEqual(self._parameter("layer_overhead_s"), overhead, "nothing half-applied")

    def test_production_user_reads_manager_applies(self):
        self._three_slow_orders()
        rows = self.env["odm.quote.actual"].with_user(self.planner).search([])
        self.assertEqual(len(rows), 3)
        self.assertTrue(all(row.machine_deviation_pct > 24 for row in rows))
        with self.assertRaises(AccessError):
            rows.action_propose_recalibration()
        with self.assertRaises(AccessError):
            rows.unlink()
        production_only = new_test_user(
            self.env,
            login="odm_actuals_prod_manager",
            groups="odm_mrp.group_odm_production_manager",
        )
        wizard = self._propose(rows, user=production_only)
        flow = self._parameter("volumetric_flow_mm3_s")
        wizard.line_ids.apply = True
        with self.assertRaises(AccessError, msg="quoting parameters are the quote managers'"):
            wizard.action_apply()
        self.assertEqual(self._parameter("volumetric_flow_mm3_s"), flow)
