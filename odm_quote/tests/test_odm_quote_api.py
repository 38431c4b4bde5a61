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
        self.assertEqual(status, 422)
        self.assertEqual(body["error"]["code"], "empty")
        self.assertEqual(body["error"]["field"], "file")
        self.assertIn("broken.stl", body["error"]["message"])
        self.assertEqual(self.env["odm.part"].search_count([]), before)

    def test_oversize_file_is_refused_with_413(self):
        self.env.company.odm_max_upload_mb = 1
        status, body = self._post(files={"file": ("big.stl", b"\0" * (2 * 2**20))})
        self.assertEqual(status, 413)
        self.assertEqual(body["error"]["code"], "file_too_large")

    def test_bad_options_are_named(self):
        """One envelope for every refusal, as the federation API's: 422 {code, field, message}."""
        self.env.company.odm_max_quantity = 1000
        before = self.env["odm.part"].search_count([])
        for options, code, field in (
            ({"process": "LASER"}, "unknown_process", "process"),
            ({"quantity": "0"}, "bad_quantity", "quantity"),
            ({"quantity": "1001"}, "bad_quantity", "quantity"),
            ({"quantity": "2.5"}, "bad_quantity", "quantity"),
            ({"unit": "furlong"}, "bad_unit", "unit"),
            ({"lead_time": "YESTERDAY"}, "unknown_lead_time", "lead_time"),
            ({"colour": "red"}, "unknown_parameter", "colour"),
        ):
            with self.subTest(options=options):
                status, body = self._post(files={"file": ("a.stl", box_stl(10, 10, 10))}, **options)
                self.assertEqual(status, 422)
                self.assertEqual(body["error"], {**body["error"], "code": code, "field": field})
                self.assertEqual(set(body["error"]), {"code", "field", "message"})
        status, body = self._post(files={"file": ("a.stl", box_stl(10, 10, 10))}, quantity="5000")
        self.assertIn("between 1 and 1,000.", body["error"]["message"])
        status, body = self._post(process="FDM")
        self.assertEqual((status, body["error"]["code"]), (422, "missing_file"))
        self.assertEqual(self.env["odm.part"].search_count([]), before)

    def test_another_companys_records_are_unknown(self):
        other = self.env["res.company"].create({"name": "Other shop"})
        self.env["odm.process"].create(
            {"name": "Their FDM", "code": "FDM-OTHER", "technology": "fdm", "company_id": other.id}
        )
        status, body = self._post(
            files={"file": ("a.stl", box_stl(10, 10, 10))}, process="FDM-OTHER"
        )
        self.assertEqual((status, body["error"]["code"]), (422, "unknown_process"))

    def test_material_of_another_process_is_refused_without_leftovers(self):
        before = self.env["odm.part"].search_count([])
        aluminium = self.env["odm.material"].search([("code", "=", "AL6061")])
        status, body = self._post(
            files={"file": ("a.stl", box_stl(12, 10, 10))}, process="FDM", material="AL6061"
        )
        self.assertEqual(status, 422)
        self.assertEqual(body["error"]["code"], "material_not_offered")
        self.assertEqual(body["error"]["field"], "material")
        self.assertIn(f"{aluminium.name} is not made with", body["error"]["message"])
        self.assertEqual(self.env["odm.part"].search_count([]), before)

    def test_a_finish_of_another_process_is_refused_not_dropped(self):
        fdm = self.env.ref("odm_quote.process_fdm")
        finish = self.env["odm.finish"].search([("process_ids", "not in", fdm.ids)], limit=1)
        self.assertTrue(finish, "the seed has a finish FDM does not offer")
        before = self.env["odm.part.quote"].search_count([])
        status, body = self._post(
            files={"file": ("a.stl", box_stl(12, 10, 10))}, process="FDM", finish=finish.code
        )
        self.assertEqual((status, body["error"]["code"]), (422, "finish_not_offered"))
        self.assertEqual(self.env["odm.part.quote"].search_count([]), before)

    def test_only_offered_processes_are_quoted(self):
        """odm.process._odm_offered decides; other modules narrow it (odm_mrp: machines)."""
        sla = self.env.ref("odm_quote.process_sla")
        sla.active = False
        status, body = self._post(files={"file": ("a.stl", box_stl(12, 10, 10))}, process="SLA")
        self.assertEqual((status, body["error"]["code"]), (422, "unknown_process"))
        self.assertNotIn("SLA", body["error"]["message"].split("choose one of:")[1])
