from collections import Counter
from datetime import timedelta
from itertools import combinations

import numpy as np

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.odm_quote.tests.common import box_stl

from odm_engine.packing.nesting import polygon_area
from tests.engine.test_mrp_nesting import separation

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestBuildJobs(MakeToOrderCase):
    """Unstarted prints of confirmed orders packed into build jobs, one machine run each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.petg = cls.env.ref("odm_quote.material_petg")
        cls.petg.product_id = cls._raw_material("Test PETG filament", 28)
        cls.printer.material_ids |= cls.petg
        cls.sla = cls.env.ref("odm_quote.process_sla")
        cls.resin = cls.env.ref("odm_quote.material_resin_std")
        cls.resin.product_id = cls._raw_material("Test resin", 120)
        cls.resin_printer = cls._machine("Test resin printer", cls.sla, cls.resin, (145, 145, 185))
        cls.sls = cls.env.ref("odm_quote.process_sls")
        cls.pa12 = cls.env.ref("odm_quote.material_pa12")
        cls.pa12.product_id = cls._raw_material("Test PA12 powder", 90)
        cls.sinter = cls._machine("Test sinter", cls.sls, cls.pa12, (165, 165, 300))
        cls.env["odm.routing.template"].search(
            [("technology", "in", ("sla", "sls"))]
        ).active = False
        for technology in ("sla", "sls"):
            cls._routing(technology, [("Print", "machine", False, "machine", 0)])
        cls.jobs = cls.env["odm.build.job"]
        cls.deadline = fields.Datetime.now().replace(microsecond=0) + timedelta(days=7)

    def _printing(self, *lines):
        """Machine steps of a confirmed order of ((x, y, z) box, process, material, quantity)
        lines, due on the test's deadline, in line order."""
        order = self._order(
            *((box_stl(*size), process, material, qty) for size, process, material, qty in lines)
        )
        order.action_confirm()
        steps = self.env["mrp.workorder"]
        for line in order.order_line:
            production = self._productions(line)
            production.date_deadline = self.deadline
            steps |= production.workorder_ids.filtered(
                lambda wo: wo.operation_id.odm_duration_mode == "machine"
            )
        return steps

    def _assert_whole_and_apart(self, job):
        """Every copy of every member is on the plate, inside its margin, none overlapping."""
        placements = job.layout["placements"]
        self.assertEqual(
            Counter(placement["workorder_id"] for placement in placements),
            {wo.id: wo.production_id.product_qty for wo in job.workorder_ids},
        )
        outlines = [np.array(placement["outline"]) for placement in placements]
        machine = job.machine_id
        margin = machine.plate_margin_mm
        for outline in outlines:
            self.assertGreaterEqual(outline.min(), margin - 1e-3)
            self.assertTrue(
                np.all(
                    outline.max(axis=0)
                    <= (machine.build_x_mm - margin + 1e-3, machine.build_y_mm - margin + 1e-3)
                )
            )
        for first, second in combinations(outlines, 2):
            self.assertGreater(separation(first, second), 0, "placed parts overlap")
        return outlines

    def test_small_prints_of_one_material_share_a_plate(self):
        steps = self._printing(
            ((40, 30, 20), self.fdm, self.pla, 5),
            ((25, 25, 10), self.fdm, self.pla, 8),
            ((60, 20, 15), self.fdm, self.pla, 3),
        )
        jobs = self.jobs.regroup()

        job = steps.odm_build_job_id
        self.assertEqual(len(job), 1)
        self.assertIn(job, jobs)
        self.assertEqual(job.workorder_ids, steps)
        self.assertRegex(job.name, r"^BJ/\d{5}$")
        self.assertEqual(
            (job.machine_id, job.process_id, job.material_id, job.state),
            (self.printer, self.fdm, self.pla, "draft"),
        )
        self.assertEqual(job.part_count, 16)
        self.assertEqual(job.date_due, self.deadline.date())
        outlines = self._assert_whole_and_apart(job)
        for placement, outline in zip(job.layout["placements"], outlines, strict=True):
            part = (
                self.env["mrp.workorder"].browse(placement["workorder_id"]).product_id.odm_part_id
            )
            width, depth = part.analysis["orientation"]["footprint_mm"]
            self.assertAlmostEqual(
                polygon_area(outline),
                width * depth,
                delta=0.01 * width * depth,
                msg="a box's footprint in its build orientation is its resting face",
            )
        usable = (250 - 10) * (210 - 10)
        self.assertAlmostEqual(
            job.utilisation, 100 * sum(map(polygon_area, outlines)) / usable, places=1
        )
        heights = [wo.product_id.odm_part_id.analysis["orientation"]["height_mm"] for wo in steps]
        self.assertAlmostEqual(job.build_height_mm, max(heights), msg="the tallest part, as built")

    def test_different_materials_never_share_a_job(self):
        pla_steps = self._printing(
            ((30, 30, 10), self.fdm, self.pla, 2), ((20, 20, 10), self.fdm, self.pla, 2)
        )
        petg_steps = self._printing(
            ((30, 30, 10), self.fdm, self.petg, 2), ((20, 20, 10), self.fdm, self.petg, 2)
        )
        self.jobs.regroup()
        pla_job, petg_job = pla_steps.odm_build_job_id, petg_steps.odm_build_job_id
        self.assertEqual((len(pla_job), len(petg_job)), (1, 1))
        self.assertNotEqual(pla_job, petg_job)
        self.assertEqual((pla_job.material_id, petg_job.material_id), (self.pla, self.petg))
        self.assertEqual(pla_job.machine_id, petg_job.machine_id, "one printer runs both")

    def test_far_apart_due_dates_do_not_share_a_job(self):
        soon = self._printing(((30, 30, 10), self.fdm, self.pla, 2))
        self.deadline += timedelta(days=10)
        later = self._printing(((20, 20, 10), self.fdm, self.pla, 2))
        self.jobs.regroup()
        self.assertFalse((soon | later).odm_build_job_id, "a job of one order is no job")

    def test_a_work_order_too_large_to_share_runs_alone(self):
        big, *small = self._printing(
            ((100, 80, 10), self.fdm, self.pla, 8),
            ((30, 20, 10), self.fdm, self.pla, 4),
            ((20, 20, 10), self.fdm, self.pla, 4),
        )
        self.jobs.regroup()
        self.assertFalse(big.odm_build_job_id, "eight 100 x 80 mm parts need two plates")
        job = small[0].odm_build_job_id
        self.assertEqual(job.workorder_ids, small[0] | small[1])
        self._assert_whole_and_apart(job)
        self.assertEqual(job.part_count, 8, "the plate was packed again without the big part")

    def test_regroup_is_idempotent(self):
        self._printing(((30, 30, 10), self.fdm, self.pla, 3), ((20, 20, 10), self.fdm, self.pla, 5))
        self._printing(((40, 20, 10), self.fdm, self.pla, 2))
        first = self.jobs.regroup()

        def snapshot():
            return {job: (job.name, job.workorder_ids, job.layout) for job in self.jobs.search([])}

        before = snapshot()
        parts = first.workorder_ids.production_id.bom_id.odm_quote_id.part_id
        self.assertTrue(
            all(parts.mapped("odm_footprint")), "footprints are read from the files once"
        )
        self.assertEqual(self.jobs.regroup(), first)
        self.assertEqual(snapshot(), before)
        self.assertFalse(self.jobs.search([("workorder_ids", "=", False)]), "no empty jobs left")

    def test_started_work_orders_keep_their_job(self):
        steps = self._printing(
            ((30, 30, 10), self.fdm, self.pla, 2), ((20, 20, 10), self.fdm, self.pla, 2)
        )
        self.jobs.regroup()
        job = steps.odm_build_job_id
        steps[0].button_start()
        self.assertEqual(job.state, "running")
        newcomer = self._printing(((25, 25, 10), self.fdm, self.pla, 2))

        self.assertIn(job, self.jobs.regroup())
        self.assertEqual(job.workorder_ids, steps, "a running job takes no one in or out")
        self.assertFalse(newcomer.odm_build_job_id)

    def test_fdm_runs_take_the_sum_of_their_prints(self):
        steps = self._printing(
            ((30, 30, 10), self.fdm, self.pla, 2), ((20, 20, 10), self.fdm, self.pla, 3)
        )
        self.jobs.regroup()
        job = steps.odm_build_job_id
        own = sum(steps.mapped("duration_expected")) * 60
        self.assertAlmostEqual(job._run_seconds(self.printer.workcenter_id), own)
        slower = self._machine("Test slow printer", self.fdm, self.pla, (250, 210, 220))
        slower.time_efficiency = 50
        self.assertAlmostEqual(job._run_seconds(slower.workcenter_id), 2 * own, places=3)

    def test_sla_runs_take_their_longest_print(self):
        steps = self._printing(
            ((20, 20, 10), self.sla, self.resin, 2), ((40, 40, 40), self.sla, self.resin, 3)
        )
        self.jobs.regroup()
        job = steps.odm_build_job_id
        self.assertEqual(job.workorder_ids, steps)
        durations = steps.mapped("duration_expected")
        self.assertLess(min(durations), max(durations))
        self.assertAlmostEqual(
            job._run_seconds(self.resin_printer.workcenter_id), max(durations) * 60
        )

    def test_sls_chambers_sum_their_shares_and_draw_both_views(self):
        steps = self._printing(
            ((30, 20, 10), self.sls, self.pa12, 3), ((15, 15, 15), self.sls, self.pa12, 4)
        )
        self.jobs.regroup()
        job = steps.odm_build_job_id
        self.assertEqual(job.workorder_ids, steps)
        self.assertEqual(job.layout["kind"], "chamber")
        self.assertEqual(job.part_count, 7)
        self.assertAlmostEqual(
            job._run_seconds(self.sinter.workcenter_id),
            sum(steps.mapped("duration_expected")) * 60,
        )
        top = max(p["position"][2] + p["size"][2] for p in job.layout["placements"])
        self.assertAlmostEqual(job.build_height_mm, top, places=2)
        self.assertGreater(job.utilisation, 0)
        # Two chamber frames, then each copy seen from above and from the front.
        self.assertEqual(str(job.layout_svg).count("<rect"), 2 + 2 * 7)
        taller = self._machine("Test tall sinter", self.sls, self.pa12, (165, 165, 400))
        lower = self._machine("Test low sinter", self.sls, self.pa12, (165, 165, top))
        eligible = job._eligible_workcenters()
        self.assertIn(taller.workcenter_id, eligible)
        self.assertIn(self.sinter.workcenter_id, eligible)
        self.assertNotIn(lower.workcenter_id, eligible, "the margin leaves it too low")

    def test_plates_fit_machines_with_room_for_the_layout_either_way(self):
        steps = self._printing(
            ((40, 30, 20), self.fdm, self.pla, 4), ((25, 25, 10), self.fdm, self.pla, 4)
        )
        self.jobs.regroup()
        job = steps.odm_build_job_id
        points = np.vstack([p["outline"] for p in job.layout["placements"]])
        width, depth = np.ptp(points, axis=0)
        self.assertGreater(width, depth)
        room = (depth + 12, width + 12)  # turned, 5 mm margins and some play
        turned = self._machine("Test turned plate", self.fdm, self.pla, (*room, 100))
        narrow = self._machine("Test narrow", self.fdm, self.pla, (depth + 12, depth + 12, 100))
        low = self._machine("Test low", self.fdm, self.pla, (250, 210, 15))
        other_material = self._machine("Test PETG only", self.fdm, self.petg, (250, 210, 220))
        eligible = job._eligible_workcenters()
        self.assertIn(self.printer.workcenter_id, eligible)
        self.assertIn(turned.workcenter_id, eligible)
        for machine in (narrow, low, other_material):
            self.assertNotIn(machine.workcenter_id, eligible, machine.name)

    def test_layout_draws_one_labelled_polygon_per_copy(self):
        steps = self._printing(
            ((30, 30, 10), self.fdm, self.pla, 3), ((20, 20, 10), self.fdm, self.pla, 2)
        )
        self.jobs.regroup()
        svg = str(steps.odm_build_job_id.layout_svg)
        self.assertTrue(svg.startswith("<svg"))
        self.assertEqual(svg.count("<polygon"), 5)
        for production in steps.production_id:
            self.assertEqual(svg.count(f">{production.name}</text>"), production.product_qty)

    def test_production_users_read_jobs_and_managers_regroup(self):
        steps = self._printing(
            ((30, 30, 10), self.fdm, self.pla, 2), ((20, 20, 10), self.fdm, self.pla, 2)
        )
        user = new_test_user(self.env, "bj_user", groups="odm_mrp.group_odm_production_user")
        manager = new_test_user(
            self.env, "bj_manager", groups="odm_mrp.group_odm_production_manager"
        )
        reload = self.jobs.with_user(manager).action_regroup()
        self.assertEqual(reload["tag"], "soft_reload", "the list's button shows the new jobs")
        job = steps.odm_build_job_id
        self.assertEqual(job.workorder_ids, steps)
        self.assertIn("<polygon", str(job.with_user(user).layout_svg))
        with self.assertRaises(AccessError):
            self.jobs.with_user(user).regroup()
        with self.assertRaises(AccessError):
            job.with_user(user).unlink()
        job.with_user(manager).unlink()
        self.assertFalse(steps.odm_build_job_id, "removing a job frees its work orders")


@tagged("post_install", "-at_install")
class TestBuildJobForm(HttpCase):
    """The build job form shows the plate drawing as the web client renders it."""

    def test_form_draws_every_copy(self):
        machine = self.env["odm.machine"].create(
            {
                "name": "Drawing printer",
                "process_id": self.env.ref("odm_quote.process_fdm").id,
                "build_x_mm": 100,
                "build_y_mm": 80,
                "build_z_mm": 100,
            }
        )
        square = [[5, 5], [25, 5], [25, 25], [5, 25]]
        job = self.env["odm.build.job"].create(
            {
                "process_id": machine.process_id.id,
                "material_id": self.env.ref("odm_quote.material_pla").id,
                "machine_id": machine.id,
                "layout": {
                    "kind": "plate",
                    "width_mm": 100,
                    "depth_mm": 80,
                    "margin_mm": 5,
                    "placements": [
                        {
                            "workorder_id": 0,
                            "copy": copy,
                            "outline": [[x + 30 * copy, y] for x, y in square],
                        }
                        for copy in range(3)
                    ],
                },
            }
        )
        self.browser_js(
            f"/odoo/action-odm_mrp.odm_build_job_action/{job.id}",
            """
            const until = Date.now() + 20000;
            (function check() {
                const drawn = document.querySelectorAll(".o_form_view svg polygon").length;
                if (drawn === 3) {
                    console.log("test successful");
                } else if (Date.now() > until) {
                    console.error(`the layout shows ${drawn} of 3 parts`);
                } else {
                    setTimeout(check, 200);
                }
            })();
            """,
            login="admin",
        )
