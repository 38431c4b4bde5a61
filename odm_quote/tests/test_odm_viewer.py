"""The 3D viewer's payload over real HTTP: who may fetch it, its format, its cache; and the
viewer itself in Chromium, drawing a thin-walled part with its thin walls flagged."""

from unittest.mock import patch

from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.job import Job

from odm_engine.mesh import sandbox
from odm_engine.mesh.viewer_export import read_payload

from .common import box_stl
from .test_odm_portal import PortalCase

# A 0.6 mm plate: its two large faces are walls thinner than FDM's 0.8 mm.
THIN_PLATE = box_stl(30, 20, 0.6)


@tagged("post_install", "-at_install")
class TestViewerRoutes(PortalCase):
    def setUp(self):
        super().setUp()
        self.order = self.make_cart(self.ada, {"plate.stl": THIN_PLATE})
        self.part = self.order.order_line.odm_part_id
        self.url = f"/my/parts/{self.part.id}/viewer"

    def fetch(self, url=None, **headers):
        return self.opener.get(self.base_url() + (url or self.url), headers=headers, timeout=60)

    def test_owner_gets_the_part_with_its_thin_walls(self):
        self.login(self.bob)  # Ada uploaded it: the company's parts are Bob's too
        response = self.fetch(**{"Accept-Encoding": "gzip"})
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertEqual(response.headers["Content-Encoding"], "gzip")
        self.assertIn("private", response.headers["Cache-Control"])
        header, arrays = read_payload(response.content)
        self.assertEqual((header["units"], header["triangles"]), ("mm", 12))
        self.assertEqual(header["thresholds"]["thin_wall_mm"], 0.8, "FDM's minimum wall")
        thin = {c["name"]: c["flagged"] for c in header["channels"]}["wall_thickness"]
        self.assertEqual(thin, 4, "the plate's top and bottom, two triangles each")
        self.assertEqual(len(header["build_volume_mm"]), 3)
        self.assertAlmostEqual(float(arrays["wall_thickness"].min()), 0.6, places=4)
        # Laid flat as the quote assumed: 0.6 mm high.
        self.assertAlmostEqual(header["bbox_mm"][1][2] - header["bbox_mm"][0][2], 0.6, places=4)

    def test_payload_is_made_by_the_uploads_job_and_only_drawn_on_view(self):
        jobs = self.env["queue.job"].search(
            [("model_name", "=", "odm.part"), ("method_name", "=", "_odm_prepare_viewer")]
        )
        job = jobs.filtered(lambda job: job.records == self.part)
        self.assertEqual(len(job), 1, "queued at upload")
        self.assertFalse(self.part.viewer_payload, "the upload's answer does not wait for it")
        Job.load(self.env, job.uuid).perform()
        self.assertTrue(self.part.viewer_payload)
        self.login(self.ada)
        with patch.object(sandbox, "run", side_effect=AssertionError("made on view")):
            response = self.fetch()
        self.assertEqual(response.status_code, 200, response.text[:300])
        header, _arrays = read_payload(response.content)
        self.assertEqual(header["thresholds"]["thin_wall_mm"], 0.8, "drawn against FDM")
        self.assertEqual(header["process"], self.fdm.name)
        self.assertEqual(len(header["build_volume_mm"]), 3)

    def test_a_part_analysed_before_gets_its_payload_on_first_view(self):
        self.part.write({"viewer_payload": False, "viewer_payload_key": False})
        self.login(self.ada)
        first = self.fetch()
        self.assertEqual(first.status_code, 200, first.text[:300])
        self.part.invalidate_recordset()
        self.assertTrue(self.part.viewer_payload, "kept for the next views")
        with patch.object(sandbox, "run", side_effect=AssertionError("made again")):
            self.assertEqual(self.fetch().content, first.content)

    def test_payload_is_made_once_and_revalidated_by_etag(self):
        self.login(self.ada)
        first = self.fetch()
        etag = first.headers["ETag"]
        self.assertTrue(self.part.viewer_payload_key)
        with patch.object(sandbox, "run", side_effect=AssertionError("made again")):
            again = self.fetch()
            self.assertEqual(again.content, first.content)
            unchanged = self.fetch(**{"If-None-Match": etag})
            self.assertEqual(unchanged.status_code, 304)
            self.assertFalse(unchanged.content)
        # The process's limit changes: the payload is drawn again against the new limit.
        parameter = self.fdm.parameter_ids.filtered(lambda p: p.key == "min_wall_mm")
        parameter.value = 0.5
        redrawn = self.fetch(**{"If-None-Match": etag})
        self.assertEqual(redrawn.status_code, 200)
        self.assertNotEqual(redrawn.headers["ETag"], etag)
        header, _arrays = read_payload(redrawn.content)
        self.assertEqual(header["thresholds"]["thin_wall_mm"], 0.5)

    def test_other_customers_and_visitors_get_nothing(self):
        self.part.write({"viewer_payload": False, "viewer_payload_key": False})
        self.login(self.eve)
        self.assertNotFound(self.fetch())
        self.assertNotFound(self.fetch(f"/my/parts/{self.part.id + 1000}/viewer"))
        self.authenticate(None, None)
        visitor = self.opener.get(self.base_url() + self.url, allow_redirects=False, timeout=30)
        self.assertIn(visitor.status_code, (302, 303))
        self.assertIn("/web/login", visitor.headers["Location"])
        self.part.invalidate_recordset()
        self.assertFalse(self.part.viewer_payload_key, "nothing was made for them")

    def test_back_office_by_access_rights(self):
        backend = f"/odm_quote/part/{self.part.id}/viewer"
        new_test_user(self.env, login="odm_viewer_sales", groups="odm_quote.group_odm_quote_user")
        self.authenticate("odm_viewer_sales", "odm_viewer_sales")
        response = self.fetch(backend)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(read_payload(response.content)[0]["triangles"], 12)
        self.assertNotFound(self.fetch(f"/odm_quote/part/{self.part.id + 1000}/viewer"))
        self.login(self.ada)  # portal users use the portal route
        self.assertNotFound(self.fetch(backend))

    def test_pages_offer_the_viewer(self):
        self.login(self.ada)
        cart = self.url_open("/odm/quote").text
        self.assertIn(f'data-payload-url="{self.url}"', cart)
        self.assertIn("o_odm_viewer_open", cart)
        page = self.url_open(f"/my/parts/{self.part.id}").text
        self.assertIn('data-autoload="1"', page)
        self.assertIn(f'data-payload-url="{self.url}"', page)

    def test_viewer_draws_the_thin_walls_in_chromium(self):
        self.start_tour("/odm/quote", "odm_part_viewer_tour", login=self.ada.login, timeout=40)

    def test_part_form_draws_the_thin_walls_in_chromium(self):
        url = f"/odoo/action-odm_quote.odm_part_action/{self.part.id}"
        self.start_tour(url, "odm_part_viewer_form_tour", login="admin", timeout=40)
