import math

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.odm_quote.tests.common import box_stl

from odm_engine.scheduling.routing import quote_figures

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestMakeToOrder(MakeToOrderCase):
    def test_confirm_makes_one_mo_per_part_line_from_the_quote(self):
        order = self._order(
            (box_stl(40, 30, 20), self.fdm, self.pla, 5),
            (box_stl(60, 40, 15), self.cnc, self.aluminium, 4),
        )
        plain = self.env["product.product"].create({"name": "Shipping box", "type": "consu"})
        order.order_line = [(0, 0, {"product_id": plain.id, "product_uom_qty": 2})]
        printed, milled, boxed = order.order_line
        sold = {line: (line.name, line.price_unit) for line in (printed, milled)}
        order.action_confirm()

        self.assertEqual(boxed.product_id, plain, "a line without a part is left alone")
        self.assertEqual(order.mrp_production_count, 2)
        for line, machine in ((printed, self.printer), (milled, self.mill)):
            product = line.product_id
            self.assertEqual(product.odm_part_id, line.odm_part_id)
            self.assertEqual(
                product.default_code,
                f"ODM-{line.odm_part_id.id}-{line.odm_process_id.code}-{line.odm_material_id.code}",
            )
            self.assertTrue(product.is_storable)
            self.assertEqual((line.name, line.price_unit), sold[line], "sold as quoted")
            production = self._productions(line)
            self.assertEqual(len(production), 1)
            self.assertEqual(production.origin, order.name)
            self.assertEqual(production.product_qty, line.product_uom_qty)
            self.assertEqual(production.bom_id.odm_quote_id, line.odm_quote_id)
            quote = line.odm_quote_id
            figures = quote_figures(quote.result, quote.parameters)
            per_part = production.bom_id.bom_line_ids
            self.assertEqual(per_part.product_uom_id, self.env.ref("uom.product_uom_gram"))
            self.assertAlmostEqual(per_part.product_qty, figures.material_with_waste_g, delta=0.005)
            self.assertAlmostEqual(
                production.move_raw_ids.product_uom_qty,
                per_part.product_qty * line.product_uom_qty,
            )
            self.assertEqual(production.move_raw_ids.product_id, quote.material_id.product_id)
            self.assertIn(
                machine.workcenter_id,
                production.workorder_ids.workcenter_id,
                "the machine operations run on the eligible machine",
            )
        printing = self._productions(printed).workorder_ids
        self.assertEqual(printing.mapped("name"), ["Slice", "Print", "Remove supports"])
        figures = quote_figures(printed.odm_quote_id.result, printed.odm_quote_id.parameters)
        expected = [15, figures.machine_min * 5, 3 * 5]
        for workorder, minutes in zip(printing, expected, strict=True):
            self.assertAlmostEqual(workorder.duration_expected, minutes, places=1)
        milling = self._productions(milled).workorder_ids
        setups = quote_figures(milled.odm_quote_id.result, {}).setups
        self.assertAlmostEqual(milling[1].duration_expected, 30 * setups, places=1)

    def test_missing_material_is_bought_from_its_vendor(self):
        order = self._fdm_order()
        order.action_confirm()
        purchase_line = self.env["purchase.order.line"].search(
            [("product_id", "=", self.pla.product_id.id)]
        )
        self.assertEqual(purchase_line.order_id.partner_id, self.vendor)
        self.assertEqual(purchase_line.order_id.state, "draft")
        needed = self._productions(order.order_line).move_raw_ids.product_qty
        self.assertGreaterEqual(purchase_line.product_qty, needed)

    def test_reorder_reuses_the_part_revision_product(self):
        first = self._fdm_order()
        first.action_confirm()
        again = self._fdm_order(quantity=3)
        again.action_confirm()
        product = first.order_line.product_id
        self.assertEqual(again.order_line.product_id, product)
        self.assertEqual(len(product.bom_ids), 2, "one BoM per quote version")
        self.assertEqual(
            self._productions(again.order_line).bom_id.odm_quote_id, again.order_line.odm_quote_id
        )
        self.assertEqual(self._productions(first.order_line).product_qty, 5)

    def test_quantity_increase_grows_the_unstarted_mo(self):
        order = self._fdm_order()
        order.action_confirm()
        line = order.order_line
        production = self._productions(line)
        first_quote = line.odm_quote_id
        line.product_uom_qty = 8
        self.assertEqual(self._productions(line), production, "no second MO")
        self.assertEqual(production.product_qty, 8)
        self.assertNotEqual(line.odm_quote_id, first_quote, "re-quoted for the new quantity")
        self.assertEqual(
            self.env["mrp.bom"]._bom_find(line.product_id)[line.product_id].odm_quote_id,
            line.odm_quote_id,
            "the new quote's BoM is the product's current one",
        )

    def test_quantity_increase_after_start_orders_the_difference(self):
        order = self._fdm_order()
        order.action_confirm()
        line = order.order_line
        started = self._productions(line)
        started.workorder_ids[0].button_start()
        line.product_uom_qty = 8
        added = self._productions(line) - started
        self.assertEqual(added.product_qty, 3)
        self.assertEqual(started.product_qty, 5, "running MOs are untouched")

    def test_quantity_decrease_shrinks_the_unstarted_mo(self):
        order = self._fdm_order()
        order.action_confirm()
        line = order.order_line
        line.product_uom_qty = 2
        self.assertEqual(self._productions(line).product_qty, 2)

    def test_quantity_decrease_refused_once_production_started(self):
        order = self._fdm_order()
        order.action_confirm()
        line = order.order_line
        production = self._productions(line)
        production.workorder_ids[0].button_start()
        with self.assertRaisesRegex(UserError, production.name):
            line.product_uom_qty = 2
        self.assertEqual(line.product_uom_qty, 5)
        self.assertEqual(production.product_qty, 5)

    def test_cancel_cancels_mos_and_work_orders(self):
        order = self._fdm_order()
        order.action_confirm()
        production = self._productions(order.order_line)
        order._action_cancel()
        self.assertEqual(production.state, "cancel")
        self.assertEqual(set(production.workorder_ids.mapped("state")), {"cancel"})

    def test_cancel_refused_with_the_blocking_mo_and_work_order_named(self):
        order = self._order(
            (box_stl(40, 30, 20), self.fdm, self.pla, 5),
            (box_stl(30, 30, 30), self.fdm, self.pla, 2),
        )
        order.action_confirm()
        running, waiting = (self._productions(line) for line in order.order_line)
        running.workorder_ids[0].button_start()
        with self.assertRaisesRegex(UserError, f"{running.name}.*Slice"):
            order._action_cancel()
        self.assertEqual(order.state, "sale")
        self.assertEqual(waiting.state, "confirmed", "nothing was cancelled")

    def test_confirm_again_after_cancel_makes_no_duplicates(self):
        order = self._fdm_order()
        order.action_confirm()
        line = order.order_line
        product, boms = line.product_id, line.product_id.bom_ids
        order._action_cancel()
        order.action_draft()
        order.action_confirm()
        self.assertEqual(line.product_id, product)
        self.assertEqual(line.product_id.bom_ids, boms)
        self.assertEqual(len(self._productions(line)), 1)
        self.assertEqual(order.mrp_production_count, 2, "the cancelled MO and its successor")

    def test_requote_makes_a_new_bom_and_leaves_the_mo_alone(self):
        order = self._fdm_order()
        order.action_confirm()
        line = order.order_line
        production = self._productions(line)
        consumed = production.move_raw_ids.product_qty
        old_bom = production.bom_id
        line._odm_reprice()
        new_bom = self.env["mrp.bom"]._bom_find(line.product_id)[line.product_id]
        self.assertNotEqual(new_bom, old_bom)
        self.assertEqual(new_bom.odm_quote_id, line.odm_quote_id)
        self.assertEqual(production.bom_id, old_bom)
        self.assertEqual(production.move_raw_ids.product_qty, consumed)
        self.assertEqual(self._productions(line), production)

    def test_revision_cannot_change_after_confirmation(self):
        order = self._fdm_order()
        order.action_confirm()
        with self.assertRaisesRegex(UserError, "can no longer change"):
            order.order_line.odm_material_id = self.env.ref("odm_quote.material_petg")

    def test_process_without_routing_is_refused_and_nothing_is_made(self):
        sla = self.env.ref("odm_quote.process_sla")
        resin = sla.default_material_id
        resin.product_id = self._raw_material("Test resin", 120)
        self.env["odm.routing.template"].search([("technology", "=", "sla")]).active = False
        order = self._order((box_stl(30, 30, 30), sla, resin, 2))
        with self.assertRaisesRegex(UserError, "No routing template with operations for"):
            order.action_confirm()
        made = self.env["product.product"].search(
            [("odm_part_id", "=", order.order_line.odm_part_id.id)]
        )
        self.assertFalse(made)

    def test_oversize_part_needs_an_override_then_runs_on_a_process_machine(self):
        order = self._order((box_stl(400, 300, 300), self.fdm, self.pla, 1))
        line = order.order_line
        line.odm_dfm_override = True
        order.action_confirm()
        printing = self._productions(line).workorder_ids.filtered(lambda wo: wo.name == "Print")
        machine = self.env["odm.machine"].search(
            [("workcenter_id", "=", printing.workcenter_id.id)]
        )
        self.assertEqual(machine.process_id, self.fdm)
        self.assertIn(self.pla, machine.material_ids)

    def test_salesperson_without_manufacturing_rights_confirms(self):
        salesperson = new_test_user(
            self.env,
            login="odm_mto_sales",
            groups="sales_team.group_sale_salesman,odm_quote.group_odm_quote_user",
        )
        order = self._fdm_order()
        order.user_id = salesperson
        order.with_user(salesperson).action_confirm()
        self.assertEqual(len(self._productions(order.order_line)), 1)

    def test_production_user_reads_templates_manager_edits_them(self):
        planner = new_test_user(
            self.env, login="odm_mto_planner", groups="odm_mrp.group_odm_production_user"
        )
        template = self.fdm_routing.with_user(planner)
        self.assertEqual(template.line_ids.mapped("name"), ["Slice", "Print", "Remove supports"])
        with self.assertRaises(AccessError):
            template.line_ids[0].minutes = 1
        manager = new_test_user(
            self.env, login="odm_mto_manager", groups="odm_mrp.group_odm_production_manager"
        )
        self.fdm_routing.with_user(manager).line_ids[0].minutes = 20
        self.assertEqual(self.fdm_routing.line_ids[0].minutes, 20)

    def test_work_center_capacity_keeps_the_quoted_duration(self):
        order = self._fdm_order(quantity=5)
        order.action_confirm()
        removal = self._productions(order.order_line).workorder_ids.filtered(
            lambda workorder: workorder.name == "Remove supports"
        )
        self.assertEqual(removal.workcenter_id.default_capacity, 2)
        cycles = math.ceil(5 / 2)
        self.assertAlmostEqual(removal.operation_id.time_cycle * cycles, 15, places=2)
