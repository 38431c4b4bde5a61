from datetime import datetime, time, timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

PART = "demo/parts/spacer_tube.stl"
ORDERS = 4
SLOT = timedelta(minutes=3)


@tagged("post_install", "-at_install")
class TestPlanTimelineTour(HttpCase):
    """Many short operations on one station stay readable on the production timeline: those
    that would be drawn over one another at the zoom shown are stacked, each with its name."""

    def test_short_operations_are_stacked(self):
        orders = self.env["sale.order"]
        for _index in range(ORDERS):
            orders |= orders.load_demo_production_order(
                self.env.ref("base.res_partner_12").id,
                [(PART, "odm_quote.process_fdm", "odm_quote.material_pla", 1)],
            )
        productions = self.env["mrp.production"].search(
            [("sale_line_id", "in", orders.order_line.ids)]
        )
        self.assertEqual(len(productions), ORDERS)
        start = datetime.combine(fields.Date.today() + timedelta(days=1), time(8))
        for workorders in productions.workorder_ids.grouped("workcenter_id").values():
            for index, workorder in enumerate(workorders):
                workorder.write(
                    {
                        "date_start": start + index * SLOT,
                        "date_finished": start + (index + 1) * SLOT,
                    }
                )
        self.start_tour(
            "/odoo/action-odm_mrp.mrp_workorder_odm_plan_action",
            "odm_plan_timeline_tour",
            login="admin",
        )
