import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from odm_engine.pricing.quote import quote_part
from odm_engine.service import REPORT_KEYS

from .common import box_stl

URL = "/odm/api/v1/quote"


@tagged("post_install", "-at_install")
class TestQuoteApi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Storefront Inc", "is_company": True})
        cls.user = new_test_user(
            cls.env, login="odm_api_portal", groups="base.group_portal", partner_id=cls.customer.id
        )
        expiry = fields.Datetime.now() + timedelta(hours=12)  # portal keys live a day at most
        cls.key = (
            cls.env["res.users.apikeys"].with_user(cls.user)._generate(None, "storefront", expiry)
        )

    def _post(self, files=None, key=None, **options):
        response = self.url_open(
            URL,
            data=options,
            files=files,
            headers={"Authorization": f"Bearer {key or self.key}"},
        )
        return response.status_code, json.loads(response.text or "null")

    def test_quote_returns_the_explained_price(self):
        status, body = self._post(
            files={"file": ("bracket.stl", box_stl(40, 30, 20))}, process="FDM", quantity="10"
        )
        self.assertEqual(status, 200, body)
        self.assertLessEqual(REPORT_KEYS, set(body))
        self.assertEqual(body["unit"], "mm")
        self.assertEqual(body["bbox_mm"], [40.0, 30.0, 20.0])
        self.assertAlmostEqual(body["volume_mm3"], 24000, delta=1)
        part = self.env["odm.part"].browse(body["part_id"])
        self.assertEqual(part.partner_id, self.customer, "kept in the caller's parts library")
        expected = quote_part(
            part.analysis, "FDM", "PLA", 10, config=self.env["odm.pricing"].engine_config()
        )
        self.assertAlmostEqual(body["unit_price"], expected.unit_price, places=4)
        self.assertAlmostEqual(
            sum(item["amount"] for item in body["breakdown"]), body["unit_price"], places=4
        )
        self.assertEqual(self.env["odm.part.quote"].browse(body["quote_id"]).part_id, part)

    def test_invalid_key_is_refused(self):
        response = self.url_open(
            URL,
            data={"process": "FDM"},
            files={"file": ("a.stl", box_stl(10, 10, 10))},
            headers={"Authorization": "Bearer not-a-key"},
        )
        self.assertEqual(response.status_code, 401)

    def test_corrupt_file_gives_a_clear_error_and_stores_nothing(self):
        before = self.env["odm.part"].search_count([])
        status, body = self._post(files={"file": ("broken.stl", b"solid x\nendsolid x\n")})
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["code"], "empty")
        self.assertIn("broken.stl", body["error"]["message"])
        self.assertEqual(self.env["odm.part"].search_count([]), before)

    def test_oversize_file_is_refused_with_413(self):
        self.env.company.odm_max_upload_mb = 1
        status, body = self._post(files={"file": ("big.stl", b"\0" * (2 * 2**20))})
        self.assertEqual(status, 413)
        self.assertEqual(body["error"]["code"], "file_too_large")

    def test_bad_options_are_named(self):
        for options, code in (
            ({"process": "LASER"}, "unknown_process"),
            ({"quantity": "0"}, "bad_quantity"),
            ({"unit": "furlong"}, "bad_unit"),
            ({"colour": "red"}, "unknown_parameter"),
        ):
            with self.subTest(options=options):
                status, body = self._post(files={"file": ("a.stl", box_stl(10, 10, 10))}, **options)
                self.assertEqual(status, 400)
                self.assertEqual(body["error"]["code"], code)
        status, body = self._post(process="FDM")
        self.assertEqual((status, body["error"]["code"]), (400, "missing_file"))

    def test_another_companys_records_are_unknown(self):
        other = self.env["res.company"].create({"name": "Other shop"})
        self.env["odm.process"].create(
            {"name": "Their FDM", "code": "FDM-OTHER", "technology": "fdm", "company_id": other.id}
        )
        status, body = self._post(
            files={"file": ("a.stl", box_stl(10, 10, 10))}, process="FDM-OTHER"
        )
        self.assertEqual((status, body["error"]["code"]), (400, "unknown_process"))

    def test_material_of_another_process_is_refused_without_leftovers(self):
        before = self.env["odm.part"].search_count([])
        status, body = self._post(
            files={"file": ("a.stl", box_stl(12, 10, 10))}, process="FDM", material="AL6061"
        )
        self.assertEqual(status, 400)
        self.assertIn("AL6061", body["error"]["message"])
        self.assertEqual(self.env["odm.part"].search_count([]), before)
