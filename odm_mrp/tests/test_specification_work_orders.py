from odoo.tests import tagged

from odoo.addons.odm_quote.tests.test_odm_part_specification import DRAWING

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestSpecificationWorkOrders(MakeToOrderCase):
    def test_specification_reaches_every_work_order_with_an_inspection_step(self):
        order = self._fdm_order(quantity=5)
        line = order.order_line
        self.env["odm.part.specification"]._odm_set_for_line(
            line,
            {
                "tolerance_class": "m",
                "thread_size": "M3",
                "thread_count": 4,
                "inspection": "first_article",
                "drawing": DRAWING,
                "drawing_name": "bracket.pdf",
            },
        )
        order.action_confirm()
        workorders = self._productions(line).workorder_ids.sorted("sequence")
        self.assertEqual(
            workorders.mapped("name"),
            ["Slice", "Print", "Remove supports", "First-article inspection"],
        )
        for workorder in workorders:
            self.assertIn("Threads: 4 x M3 tapped", workorder.operation_note)
            self.assertIn("General tolerance: ISO 2768-m", workorder.operation_note)
            self.assertEqual(workorder.worksheet_type, "pdf", "the drawing is the worksheet")
            self.assertTrue(workorder.worksheet)
        inspection = next(
            item for item in line.odm_quote_id.result["breakdown"] if item["code"] == "inspection"
        )
        self.assertAlmostEqual(
            workorders[-1].duration_expected,
            inspection["inputs"]["minutes_per_part"] * 5,
            places=1,
        )

    def test_line_without_specification_keeps_the_routing(self):
        order = self._fdm_order(quantity=5)
        order.action_confirm()
        workorders = self._productions(order.order_line).workorder_ids
        self.assertEqual(workorders.mapped("name"), ["Slice", "Print", "Remove supports"])
        self.assertFalse(any(workorders.mapped("operation_note")))
