from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from odm_engine.machines.connectors.base import MachineState, MachineStatus

from .common import MachineLinkCase, fdm_machine, gram_quantity, ready_box_workorder

PLATE_MIN = 50
# What the printer reports it used on the plate: about 30 g of PLA.
PLATE_FILAMENT_MM = 10_000


@tagged("post_install", "-at_install")
class TestBuildJobPartialOutcome(MachineLinkCase):
    """A build job's plate holds two orders' parts; the operator finds some of one order's
    parts bad: exactly those are scrapped and made again on that order's own run, the other
    order finishes, and each order's actuals count its good parts only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.machine = fdm_machine(cls.env, "Plate Printer")
        cls.two = ready_box_workorder(cls.env, quantity=2)
        cls.three = ready_box_workorder(cls.env, size_mm=(15, 10, 1.2), quantity=3)
        (cls.two | cls.three).workcenter_id = cls.machine.workcenter_id  # as planned
        cls.build_job = (
            cls.env["odm.build.job"].regroup().filtered(lambda job: cls.two in job.workorder_ids)
        )

    def dispatch(self):
        return self.env["odm.machine.job"]._dispatch_ready()

    def count_on_the_board(self, good_by_workorder):
        """The board's "Bed clear: some bad" dialog, filled in per order."""
        action = self.machine.action_confirm_bed_clear_partial()
        form = Form(self.env[action["res_model"]].with_context(action["context"]))
        for index in range(len(form.line_ids)):
            with form.line_ids.edit(index) as line:
                line.good_copies = good_by_workorder[line.workorder_id]
        return form.save()

    def test_some_parts_of_one_order_bad(self):
        self.assertEqual(self.build_job.workorder_ids, self.two | self.three)
        plate = self.dispatch()
        self.assertEqual((plate.build_job_id, plate.copies), (self.build_job, 5))
        plate.action_start()
        plate.started_at = fields.Datetime.now() - timedelta(minutes=PLATE_MIN)
        self.machine._apply_status(  # the printer reports the plate printed
            MachineStatus(
                MachineState.FINISHED,
                plate.name,
                elapsed_s=PLATE_MIN * 60,
                material_used_mm=PLATE_FILAMENT_MM,
            )
        )
        self.assertEqual((plate.state, self.machine.bed_clear), ("finished", False))
        expected = self.two.duration_expected + self.three.duration_expected
        share_two, share_three = (
            self.two.duration_expected / expected,
            self.three.duration_expected / expected,
        )
        plate_grams = plate.material_used_g

        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.count_on_the_board({self.two: 2, self.three: 4})
        outcome = self.count_on_the_board({self.two: 2, self.three: 1})
        self.assertEqual(
            sorted(outcome.line_ids.mapped(lambda line: (line.on_plate, line.good_copies))),
            [(2, 2), (3, 1)],
        )
        outcome.action_confirm()

        self.assertEqual((plate.state, plate.good_copies), ("done", 3))
        self.assertEqual(plate.good_by_workorder, {str(self.two.id): 2, str(self.three.id): 1})
        self.assertEqual(plate.scrap_ids.production_id, self.three.production_id)
        self.assertEqual((plate.scrap_ids.scrap_qty, plate.scrap_ids.state), (2, "done"))
        self.assertEqual((self.two.state, self.two.qty_produced), ("done", 2))
        self.assertEqual(self.three.state, "ready")
        self.assertFalse(self.three.odm_build_job_id, "its missing parts leave the build job")
        self.assertFalse(self.three.odm_machine_job_id)
        self.assertEqual(self.three._odm_copies_left(), 2)
        self.assertTrue(self.machine.bed_clear)
        self.env["odm.build.job"].regroup()  # as the planner does before dispatch
        self.assertFalse(self.three.odm_build_job_id, "not packed again for all 3 parts")

        self.assertEqual(self.three._odm_dispatch_blockers(), [])
        again = self.dispatch()
        self.assertFalse(again.build_job_id)
        self.assertEqual(again.workorder_ids, self.three)
        self.assertEqual((again.subject, again.copies), (f"wo{self.three.id}", 2))
        again.action_start()
        again.started_at = fields.Datetime.now() - timedelta(minutes=20)
        again.action_finish()
        self.assertEqual((self.three.state, self.three.qty_produced), ("done", 3))

        expected_two = (PLATE_MIN * share_two, plate_grams * share_two)
        expected_three = (
            PLATE_MIN * share_three / 3 + again.duration_min,
            plate_grams * share_three / 3 + again.material_used_g,
        )
        for workorder, quantity, (minutes, grams) in (
            (self.two, 2, expected_two),
            (self.three, 3, expected_three),
        ):
            production = workorder.production_id
            material = production.move_raw_ids.filtered(
                lambda m: m.product_id == self.env.ref("odm_quote.material_pla").product_id
            )
            self.assertAlmostEqual(gram_quantity(material), grams, delta=0.05)
            production.qty_producing = production.product_qty
            production.with_context(skip_consumption=True).button_mark_done()
            actual = self.env["odm.quote.actual"].search([("production_id", "=", production.id)])
            self.assertEqual(actual.quantity, quantity)
            self.assertAlmostEqual(actual.actual_machine_min, minutes, delta=0.05)
            self.assertAlmostEqual(actual.actual_material_g, grams, delta=0.05)
