import re

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from ..models.odm_request_options import OdmRequestError
from .common import PartCase, box_stl, zipped


@tagged("post_install", "-at_install")
class TestPartUpload(PartCase):
    def test_files_and_zip_become_priced_lines(self):
        self.upload(
            {
                "bracket.stl": box_stl(40, 30, 20),
                "spares.zip": zipped({"spacer.stl": box_stl(10, 10, 5), ".DS_Store": b"\0"}),
            },
            quantity=10,
        )
        lines = self.order.order_line
        self.assertEqual(sorted(lines.mapped("odm_part_id.name")), ["bracket.stl", "spacer.stl"])
        for line in lines:
            with self.subTest(part=line.odm_part_id.name):
                self.assertGreater(line.price_unit, 0)
                self.assertEqual(line.price_unit, line.odm_quote_id.unit_price)
                self.assertEqual(line.odm_material_id, self.pla, "the process's default")
                self.assertTrue(line.odm_part_id.thumbnail)
                self.assertIn("FDM printing", line.name)
                frozen = line.odm_quote_id.parameters
                self.assertEqual(frozen["material"]["code"], "PLA")
                self.assertEqual(frozen["process"]["code"], "FDM")
        bracket = lines.filtered(lambda line: line.odm_part_id.name == "bracket.stl").odm_part_id
        self.assertAlmostEqual(bracket.volume_mm3, 40 * 30 * 20, delta=1)
        self.assertEqual(bracket.dimensions, "40.0 × 30.0 × 20.0 mm")
        self.assertEqual(bracket.partner_id, self.customer)

    def test_same_file_again_is_the_same_part(self):
        self.upload({"a.stl": box_stl(20, 20, 20)})
        self.upload({"copy-of-a.stl": box_stl(20, 20, 20)})
        self.assertEqual(len(self.order.order_line), 2)
        self.assertEqual(len(self.order.order_line.odm_part_id), 1)

    def test_one_bad_file_is_refused_alone(self):
        parts_before = self.env["odm.part"].search_count([])
        action = self.upload({"good.stl": box_stl(20, 20, 20), "broken.stl": b"solid nothing\n"})
        self.assertIn("broken.stl: ", action["params"]["message"])
        self.assertEqual(self.order.order_line.odm_part_id.mapped("name"), ["good.stl"])
        self.assertEqual(self.env["odm.part"].search_count([]), parts_before + 1)
        # Only bad files: nothing is added, and the wizard says why.
        with self.assertRaisesRegex(UserError, "broken.stl"):
            self.upload({"broken.stl": b"solid nothing\n"})
        self.assertEqual(len(self.order.order_line), 1)

    def test_zip_bomb_is_refused(self):
        bomb = zipped({"bomb.stl": b"\0" * (64 * 2**20)})
        with self.assertRaisesRegex(UserError, "zip bomb"):
            self.upload({"parts.zip": bomb})
        self.assertFalse(self.order.order_line)

    def test_oversize_upload_is_refused_before_analysis(self):
        self.env.company.odm_max_upload_mb = 1
        with self.assertRaisesRegex(UserError, "limit"):
            self.upload({"huge.stl": b"\0" * (2 * 2**20)})

    def test_tiny_stl_is_read_as_inches_and_can_be_overridden(self):
        self.upload({"inch.stl": box_stl(1, 1, 1)})
        inferred = self.order.order_line.odm_part_id
        self.assertEqual(inferred.unit, "inch")
        self.assertTrue(inferred.unit_inferred)
        self.assertAlmostEqual(inferred.size_x_mm, 25.4, places=3)
        self.upload({"inch.stl": box_stl(1, 1, 1)}, unit="mm")
        forced = self.order.order_line.odm_part_id - inferred
        self.assertEqual(forced.unit, "mm")
        self.assertAlmostEqual(forced.size_x_mm, 1.0, places=3)


@tagged("post_install", "-at_install")
class TestRepricing(PartCase):
    def setUp(self):
        super().setUp()
        # 20 parts: well above the minimum order value, which would hide price changes.
        self.upload({"housing.stl": box_stl(60, 40, 30)}, quantity=20)
        self.line = self.order.order_line

    def test_quantity_change_reprices_and_keeps_history(self):
        first = self.line.odm_quote_id
        self.line.product_uom_qty = 100
        self.assertNotEqual(self.line.odm_quote_id, first)
        self.assertLess(self.line.price_unit, first.unit_price, "quantity spreads setup costs")
        self.assertEqual(len(self.line.odm_part_id.quote_ids), 2)

    def test_price_is_frozen_until_repriced(self):
        quoted = self.line.price_unit
        self.pla.price_per_kg *= 4
        self.assertEqual(self.line.price_unit, quoted, "a given quote does not move")
        self.line.product_uom_qty = 21  # any re-price uses today's parameters
        self.assertGreater(self.line.price_unit, quoted)

    def test_wizard_options_are_checked_before_anything_is_stored(self):
        aluminium = self.env["odm.material"].search([("process_ids", "not in", self.fdm.ids)])[:1]
        stored = {m: self.env[m].search_count([]) for m in ("odm.part", "sale.order.line")}
        for options, message in (
            ({"material_id": aluminium.id}, re.escape(f"{aluminium.name} is not made with")),
            ({"quantity": 0}, "whole number between 1 and"),
        ):
            with self.subTest(options=options), self.assertRaisesRegex(OdmRequestError, message):
                self.upload({"a.stl": box_stl(10, 10, 10)}, **options)
        self.assertEqual({m: self.env[m].search_count([]) for m in stored}, stored)

    def test_changing_process_never_prices_another_material(self):
        sla = self.env.ref("odm_quote.process_sla")
        quote = self.line.odm_quote_id
        with self.assertRaisesRegex(OdmRequestError, re.escape(f"{self.pla.name} is not made")):
            self.line.odm_process_id = sla
        self.assertEqual(self.line.odm_quote_id, quote)
        # The form drops the material the new process does not run, for all to see.
        with Form(self.order) as order, order.order_line.edit(0) as line:
            line.odm_process_id = sla
            self.assertFalse(line.odm_material_id)
        self.assertEqual(self.line.odm_material_id, sla.default_material_id)
        self.assertEqual(self.line.odm_quote_id.result["process"], "SLA")


@tagged("post_install", "-at_install")
class TestDfmBlock(PartCase):
    def setUp(self):
        super().setUp()
        # Two metres long: no FDM machine is that big, a fatal finding.
        self.upload({"beam.stl": box_stl(2000, 40, 40)}, unit="mm")
        self.line = self.order.order_line

    def test_fatal_finding_blocks_confirmation(self):
        self.assertTrue(self.line.odm_fatal)
        self.assertTrue(self.order.odm_blocked)
        with self.assertRaisesRegex(UserError, "beam.stl"):
            self.order.action_confirm()
        self.assertEqual(self.order.state, "draft")

    def test_manager_override_is_logged_and_unblocks(self):
        manager = new_test_user(
            self.env, login="odm_override_mgr", groups="odm_quote.group_odm_quote_manager"
        )
        wizard = (
            self.env["odm.dfm.override.wizard"]
            .with_user(manager)
            .create({"order_id": self.order.id, "reason": "Printed in two halves and bonded."})
        )
        wizard.action_override()
        self.assertTrue(self.line.odm_dfm_override)
        message = self.order.message_ids[0]
        self.assertIn("two halves", message.body)
        self.assertIn(manager.name, message.body)
        self.order.action_confirm()
        self.assertEqual(self.order.state, "sale")

    def test_salesman_cannot_override(self):
        salesman = new_test_user(
            self.env, login="odm_override_sales", groups="odm_quote.group_odm_quote_user"
        )
        with self.assertRaises(AccessError):
            self.env["odm.dfm.override.wizard"].with_user(salesman).create(
                {"order_id": self.order.id, "reason": "please"}
            ).action_override()
        self.assertFalse(self.line.odm_dfm_override)


@tagged("post_install", "-at_install")
class TestPartAccess(PartCase):
    def test_portal_user_sees_only_own_parts(self):
        other = self.env["res.partner"].create({"name": "Other Customer"})
        other_order = self.env["sale.order"].create({"partner_id": other.id})
        self.upload({"mine.stl": box_stl(20, 20, 10)})
        self.upload({"theirs.stl": box_stl(30, 20, 10)}, order=other_order)
        portal = new_test_user(
            self.env,
            login="odm_portal_parts",
            groups="base.group_portal",
            partner_id=self.customer.id,
        )
        visible = self.env["odm.part"].with_user(portal).search([])
        self.assertEqual(visible.mapped("name"), ["mine.stl"])
        visible_quotes = self.env["odm.part.quote"].with_user(portal).search([])
        self.assertEqual(visible_quotes.part_id.mapped("name"), ["mine.stl"])


@tagged("post_install", "-at_install")
class TestProcessComparison(PartCase):
    def test_part_shows_every_feasible_process_and_where_each_wins(self):
        self.upload({"cap.stl": box_stl(30, 30, 12)})
        part = self.order.order_line.odm_part_id
        html = part.comparison_html
        for name in ("FDM printing", "SLA resin printing", "CNC milling"):
            self.assertIn(name, html)
        self.assertIn("From 1 part on", html)
        self.assertIn("10000", html)
        # Injection moulding needs a mould: it can only win at large quantities.
        self.assertRegex(html, r"From \d{3,} parts on, <strong>Injection moulding")

    def test_one_request_has_one_analysis_time_budget(self):
        """The files of one request share the seconds set in Settings: a federation order's
        lines, analysed one by one, draw on one budget."""
        self.env["ir.config_parameter"].sudo().set_param(
            "odm_quote.request_analysis_timeout_s", "7"
        )
        budget = self.env["odm.part"]._request_budget()
        self.assertEqual(budget.seconds, 7)
        limits = self.env["odm.part"]._analysis_limits()
        self.assertLessEqual(budget.limits_for_next(limits).analysis_timeout_s, 7)
