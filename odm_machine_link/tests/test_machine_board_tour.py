from odoo.tests import HttpCase, tagged

from .common import fdm_machine, ready_workorder


@tagged("post_install", "-at_install")
class TestMachineBoardTour(HttpCase):
    """A production manager dispatches and clears a bed on the board; an operator starts the
    manual job on the operator screen."""

    def test_board_and_operator_screen(self):
        self.env["odm.machine"].search([("link_kind", "!=", "none")]).write({"link_kind": "none"})
        ready_workorder(self.env)
        machine = fdm_machine(self.env, "Board Printer")
        full = fdm_machine(self.env, "Full Printer", link_state="finished", bed_clear=False)
        self.start_tour("/odoo", "odm_machine_board_tour", login="admin")
        job = self.env["odm.machine.job"].search([("machine_id", "=", machine.id)])
        self.assertEqual(job.state, "running")
        self.assertTrue(full.bed_clear)
