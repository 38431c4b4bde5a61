"""The plan and dispatch agree on which machines can take work: plan, dispatch and compare."""

from odoo import fields
from odoo.tests import tagged

from odoo.addons.odm_machine_link.models.odm_machine import BED_CLEARING

from .common import MachineLinkCase, fdm_machine, ready_workorder

# Dispatch's reasons that only say "not this round": the work may go at a later one.
ROUND_CODES = {"taken", "busy", "stagger"}


@tagged("post_install", "-at_install")
class TestPlanDispatch(MachineLinkCase):
    """Two printers, one online with PLA, one offline with PETG: an order in each material."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Only this test's orders, on this test's printers.
        cls.env["mrp.production"].search([("state", "not in", ("done", "cancel"))]).action_cancel()
        cls.env["odm.machine"].search([]).active = False
        cls.pla_printer = fdm_machine(cls.env, "PLA printer")
        cls.petg_printer = fdm_machine(
            cls.env,
            "PETG printer",
            loaded_material_id=cls.env.ref("odm_quote.material_petg").id,
            link_state="offline",
        )
        cls.pla_work = ready_workorder(cls.env)
        cls.petg_work = ready_workorder(cls.env, material="odm_quote.material_petg")

    def test_plan_and_dispatch_refuse_the_same_work(self):
        result = self.env["odm.production.planner"].replan(time_limit=2)
        jobs = self.env["odm.machine.job"]
        refused = set()
        for workorder in jobs._ready_workorders():
            codes = {code for code, _sentence in workorder._odm_dispatch_blockers()}
            if codes and not codes & ROUND_CODES:
                refused.add(workorder.production_id.id)
        ours = set((self.pla_work | self.petg_work).production_id.ids)
        self.assertEqual(set(result.unschedulable) & ours, refused & ours)
        self.assertEqual(refused & ours, {self.petg_work.production_id.id})
        issue = self.petg_work.production_id.odm_plan_issue
        self.assertIn("PETG printer is offline", issue)
        self.assertIn("PLA printer is loaded with PLA, not PETG", issue)
        self.assertEqual(self.pla_work.workcenter_id, self.pla_printer.workcenter_id)

        sent = jobs._dispatch_ready()
        self.assertEqual(sent.workorder_ids, self.pla_work)
        self.assertEqual(sent.machine_id, self.pla_printer)

    def test_machine_under_maintenance_or_loaded_otherwise_is_left_out(self):
        pla = self.env.ref("odm_quote.material_pla")
        self.assertFalse(self.pla_printer._odm_plan_blocker(pla))
        self.petg_printer.link_state = "idle"
        self.assertIn("loaded with PETG, not PLA", self.petg_printer._odm_plan_blocker(pla))
        self.assertFalse(self.petg_printer._odm_plan_blocker(), "no material: nothing to load")
        equipment = self.env["maintenance.equipment"].create({"name": "PLA printer"})
        self.pla_printer.equipment_id = equipment
        self.env["maintenance.request"].create(
            {
                "name": "Belt",
                "equipment_id": equipment.id,
                "stage_id": self.env.ref("maintenance.stage_1").id,
            }
        )
        self.assertEqual(
            self.pla_printer._odm_plan_blocker(pla), "PLA printer is under maintenance"
        )

    def test_bed_to_clear_holds_the_machine(self):
        self.assertFalse(self.pla_printer._odm_busy_until())
        self.pla_printer.write({"link_state": "finished", "bed_clear": False})
        before = fields.Datetime.now()
        until = self.pla_printer._odm_busy_until()
        self.assertGreaterEqual(until, before + BED_CLEARING, "the part on the bed holds it")
        self.assertFalse(self.pla_printer._odm_plan_blocker(), "it is time, not a blocker")
        self.env["odm.production.planner"].replan(time_limit=2)
        self.assertEqual(self.pla_work.workcenter_id, self.pla_printer.workcenter_id)
        self.assertGreaterEqual(self.pla_work.date_start, until, "nothing starts before")
        self.pla_printer.action_confirm_bed_clear()
        self.assertFalse(self.pla_printer._odm_busy_until())

    def test_printer_with_another_nozzle_is_left_out(self):
        """A part quoted on a 0.4 mm profile is planned where dispatch can send it: not on a
        printer fitted with a 0.6 mm nozzle, and the plan says why when no other can."""
        quote = self.pla_work.production_id.bom_id.odm_quote_id
        pla = quote.material_id
        self.assertFalse(self.pla_printer._odm_plan_blocker(pla, quote))
        self.pla_printer.nozzle_diameter_mm = 0.6
        self.assertEqual(
            self.pla_printer._odm_plan_blocker(pla, quote),
            "PLA printer has a 0.6 mm nozzle; the part was quoted for 0.4 mm",
        )
        result = self.env["odm.production.planner"].replan(time_limit=2)
        production = self.pla_work.production_id
        self.assertIn(production.id, result.unschedulable)
        self.assertIn("0.6 mm nozzle", production.odm_plan_issue)
        self.assertIn("nozzle", {c for c, _t in self.pla_work._odm_dispatch_blockers()})
        self.pla_printer.nozzle_diameter_mm = 0.4
        self.env["odm.production.planner"].replan(time_limit=2)
        self.assertEqual(self.pla_work.workcenter_id, self.pla_printer.workcenter_id)
