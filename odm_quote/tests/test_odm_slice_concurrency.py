"""Slicing jobs that collide with the customer or with each other, on real transactions.

A slicing job re-prices the quote it refines once PrusaSlicer is done (~40 s on a large part);
when the customer changed that quote meanwhile, the job's transaction fails on the concurrent
update and queue_job runs it again. The slice must survive that rollback, and two jobs adding
calibration samples to one process must not collide on the process row.

These tests commit: their part, quotes and slices are written on cursors of their own (the
test's transaction, a snapshot taken before, would not see them), with a file of their own,
and deleted when done.
"""

import shutil
import uuid
from contextlib import contextmanager
from unittest import skipIf
from unittest.mock import patch

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odm_engine.slicing import precise

from .common import box_stl

SliceResult = "odoo.addons.odm_quote.models.odm_slice_result.OdmSliceResult"


@tagged("post_install", "-at_install")
@skipIf(shutil.which("prusa-slicer") is None, "prusa-slicer is not installed")
class TestSliceConcurrency(TransactionCase):
    def setUp(self):
        super().setUp()
        # A file no other test slices: its sha256 names every row this test commits.
        self.file = box_stl(31, 21, 11 + uuid.uuid4().int % 1000 / 1000)
        self.part_id, self.quote_id = self._committed(self._make_quote)
        self.addCleanup(self._committed, self._forget)
        self.slicer_calls = 0

    @contextmanager
    def _env(self):
        """An environment on a cursor of its own, committed unless the block raises."""
        with self.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    def _committed(self, work):
        with self._env() as env:
            return work(env)

    def _make_quote(self, env):
        """A quote given outside an order (the quote API's) for the test's file."""
        part = env["odm.part"].from_upload(self.file, "collision.stl")
        process = env.ref("odm_quote.process_fdm")
        material = env.ref("odm_quote.material_pla")
        result, parameters = env["odm.pricing"].quote(part, process, material, 5)
        known = {"process_id": process, "material_id": material}
        quote = env["odm.pricing"].freeze(part, result, parameters, known=known)
        return part.id, quote.id

    def _forget(self, env):
        part = env["odm.part"].browse(self.part_id)
        env["queue.job"].search([("model_name", "=", "odm.part")]).filtered(
            lambda job: job.records == part
        ).unlink()
        env.cr.execute(SQL("DELETE FROM odm_slice_result WHERE sha256 = %s", part.sha256))
        part.unlink()  # its quotes and slice samples with it

    def _counting_slicer(self, on_slice=None):
        """The job's slicer entry point, counted; ``on_slice(slice)`` runs as it ends."""
        real = precise.slice_as_estimated

        def slice_as_estimated(*args, **kwargs):
            self.slicer_calls += 1
            sliced = real(*args, **kwargs)
            if on_slice:
                on_slice(sliced)
            return sliced

        return patch.object(precise, "slice_as_estimated", slice_as_estimated)

    def _production(self):
        """Slices are committed apart, as outside tests."""
        return patch(f"{SliceResult}._odm_commits_apart", return_value=True, create=True)

    def _customer_changes_the_quote(self, _sliced):
        """What the customer's request does meanwhile: updates the quote and commits."""
        with self._env() as env:
            env.cr.execute(
                SQL("UPDATE odm_part_quote SET write_date = now() WHERE id = %s", self.quote_id)
            )

    def test_slice_survives_the_job_that_collided_and_the_retry_only_reprices(self):
        with self._production():
            with (
                self._counting_slicer(on_slice=self._customer_changes_the_quote),
                self.assertRaises(psycopg2.errors.SerializationFailure) as collided,
                mute_logger("odoo.sql_db"),  # the collision, as queue_job's runner logs it
                self._env() as job,
            ):
                job["odm.part.quote"].browse(self.quote_id)._odm_slice_reprice()
            # The class and code queue_job retries the job on (PG_CONCURRENCY_ERRORS_TO_RETRY).
            self.assertEqual(collided.exception.pgcode, "40001")
            self.assertEqual(self.slicer_calls, 1)

            def stored(env):
                part = env["odm.part"].browse(self.part_id)
                slices = env["odm.slice.result"].search([("sha256", "=", part.sha256)])
                samples = env["odm.slice.sample"].search([("part_id", "=", part.id)])
                return len(slices), len(samples)

            self.assertEqual(self._committed(stored), (1, 1), "the slice and its sample stay")

            with self._counting_slicer(), self._env() as retry:
                quote = retry["odm.part.quote"].browse(self.quote_id)
                quote._odm_slice_reprice()
                self.assertEqual(quote.slice_state, "done")
                self.assertEqual(quote.superseded_by_id._odm_estimate()["source"], "sliced")
            self.assertEqual(self.slicer_calls, 1, "the retry found the slice stored")
            self.assertEqual(self._committed(stored), (1, 1), "one sample per slice")

    def test_of_two_jobs_slicing_one_file_at_once_the_first_slice_is_kept(self):
        def other_job_stores_first(sliced):
            with self._env() as other:
                part = other["odm.part"].browse(self.part_id)
                quote = other["odm.part.quote"].browse(self.quote_id)
                other["odm.slice.result"].create(
                    {
                        "company_id": part.company_id.id,
                        "key": other["odm.slice.result"]._odm_key(
                            part, quote.result["machine"], quote.result["material"]
                        ),
                        "sha256": part.sha256,
                        "printer": sliced.printer,
                        "material": sliced.material,
                        "print_time_s": sliced.print_time_s + 60,
                        "filament_g": sliced.measured()["material_g"],
                        "result": {**sliced.to_dict(), "print_time_s": sliced.print_time_s + 60},
                    }
                )
            self.other_time_s = sliced.print_time_s + 60

        with (
            self._production(),
            self._counting_slicer(on_slice=other_job_stores_first),
            self._env() as job,
        ):
            quote = job["odm.part.quote"].browse(self.quote_id)
            quote._odm_slice_reprice()  # the unique key refused its own row
            kept = quote.superseded_by_id.parameters["slice"]
            self.assertEqual(kept["print_time_s"], self.other_time_s, "the first one's")
            self.assertFalse(job["odm.slice.sample"].search([("part_id", "=", self.part_id)]))

    def test_two_jobs_adding_samples_to_one_process_do_not_collide(self):
        def sample(env, ratio):
            return {
                "process_id": env.ref("odm_quote.process_fdm").id,
                "part_id": self.part_id,
                "printer": "MK4",
                "material": "PLA",
                "estimate_print_time_s": 1000.0,
                "slicer_print_time_s": 1000.0 * ratio,
                "estimate_material_g": 10.0,
                "slicer_material_g": 10.0 * ratio,
            }

        def band(env):
            process = env.ref("odm_quote.process_fdm")
            return process.estimate_band, len(process.slice_sample_ids)

        _before, samples_before = self._committed(band)
        with self._env() as second:
            # The second job's transaction began before the first one committed.
            second.cr.execute("SELECT 1")
            with self._env() as first:
                first["odm.slice.sample"].create([sample(first, 1.1), sample(first, 0.9)])
            # Was "could not serialize access due to concurrent update" on the process.
            second["odm.slice.sample"].create(sample(second, 1.2))
        after, samples_after = self._committed(band)
        self.assertEqual(samples_after, samples_before + 3)
        self.assertEqual(after["print_time_s"]["samples"], min(samples_after, 200))
        if not samples_before:
            self.assertAlmostEqual(after["print_time_s"]["relative"], 0.2, places=6)
