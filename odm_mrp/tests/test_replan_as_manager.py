from odoo.tests import new_test_user, tagged

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestReplanAsManager(MakeToOrderCase):
    """Re-plan is pressed by a production manager, not the superuser: Odoo's record rules
    then check every row the plan writes (the load per work center and day)."""

    def test_production_manager_replans_and_reads_the_load(self):
        self._fdm_order(quantity=4).action_confirm()
        manager = new_test_user(
            self.env, "odm_replan_manager", groups="odm_mrp.group_odm_production_manager"
        )
        action = self.env["odm.production.planner"].with_user(manager).action_replan()
        self.assertEqual(action["tag"], "display_notification")
        load = (
            self.env["odm.workcenter.load"]
            .with_user(manager)
            .search([("workcenter_id", "=", self.printer.workcenter_id.id), ("load_hours", ">", 0)])
        )
        self.assertTrue(load, "the printer's planned print shows in its load")

    def test_replan_menu_is_visible_to_production_managers(self):
        manager = new_test_user(
            self.env, "odm_replan_menu_manager", groups="odm_mrp.group_odm_production_manager"
        )
        menu = self.env.ref("odm_mrp.menu_odm_replan")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(manager)._visible_menu_ids())
