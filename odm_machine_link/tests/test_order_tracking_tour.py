from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from odm_engine.machines.connectors.base import MachineState, MachineStatus

from .common import box_stl, fdm_machine, isolate_from_demo_machines, ready_step


@tagged("post_install", "-at_install")
class TestOrderTrackingTour(HttpCase):
    """A customer follows their order in production: from the portal's order list to the
    tracking page, where a part prints at the percentage its machine reports."""

    def test_customer_tracks_a_part_printing(self):
        isolate_from_demo_machines(self.env)
        buyer = new_test_user(self.env, login="odm_track_tour", groups="base.group_portal")
        order = self.env["sale.order"].create({"partner_id": buyer.partner_id.id})
        order._odm_add_uploads(
            [("bracket.stl", box_stl(12, 12, 1.2))],
            self.env.ref("odm_quote.process_fdm"),
            2,
            material=self.env.ref("odm_quote.material_pla"),
        )
        order.action_confirm()
        step = ready_step(
            self.env["mrp.production"].search([("sale_line_id", "=", order.order_line.id)])
        )
        machine = fdm_machine(
            self.env, "Tour Printer", link_kind="octoprint", link_host="127.0.0.1"
        )
        job = self.env["odm.machine.job"]._create_for(
            f"wo{step.id}", step, self.env["odm.build.job"], machine
        )
        job.write({"state": "sent", "sent_at": fields.Datetime.now()})
        machine._apply_status(MachineStatus(MachineState.BUSY, f"{job.name}.gcode", progress=0.4))
        self.assertTrue(order._odm_customer_promise())
        self.start_tour("/my/orders", "odm_order_tracking_tour", login="odm_track_tour", timeout=40)
