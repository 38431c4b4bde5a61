import re

from markupsafe import escape

from odoo.tests import tagged

from .common import PartCase, box_stl


@tagged("post_install", "-at_install")
class TestQuotationReport(PartCase):
    def test_part_lines_show_picture_size_material_delivery_and_dfm(self):
        self.upload({"beam.stl": box_stl(2000, 40, 40)}, unit="mm")
        self.upload({"spacer.stl": box_stl(20, 20, 5)}, quantity=4)
        html = self._render()
        pictures = re.findall(r'<img[^>]*alt="Part"[^>]*>', html)
        self.assertEqual(len(pictures), 2, "one thumbnail per part")
        self.assertTrue(all("data:image/png;base64," in tag for tag in pictures))
        self.assertIn("20.0 × 20.0 × 5.0 mm", html)
        self.assertIn("FDM printing", html)
        self.assertIn("PLA", html)
        self.assertIn("working days", html)
        fatal = next(
            f
            for f in self.order.order_line[0].odm_quote_id.result["dfm"]
            if f["severity"] == "fatal"
        )
        self.assertIn(str(escape(fatal["message"])), html)
        self.assertNotIn("(accepted)", html)
        self.order.order_line.odm_dfm_override = True
        self.assertIn("(accepted)", self._render())

    def _render(self):
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "sale.action_report_saleorder", self.order.ids
        )
        return html.decode()

    def test_customer_documents_show_only_customer_findings(self):
        """Internal findings (how the shop makes the part) stay off the PDF and the portal; the
        salesperson reads the blocking reason in words on the line."""
        self.upload({"beam.stl": box_stl(2000, 40, 40)}, unit="mm")
        line = self.order.order_line
        quote = line.odm_quote_id
        internal = "Printed lying on another side to fit the Form 4L."
        quote.result = {
            **quote.result,
            "dfm": [
                *quote.result["dfm"],
                {"code": "reoriented", "severity": "warning", "message": internal},
            ],
        }
        html = self._render()
        self.assertNotIn(internal, html)
        fatal = [f["message"] for f in quote.result["dfm"] if f["severity"] == "fatal"]
        self.assertIn(str(escape(fatal[0])), html)
        self.assertTrue(all(f["audience"] for f in quote.result["dfm"][:-1]), "the engine says")
        self.assertEqual(line.odm_dfm_status, f"Blocked: {' '.join(fatal)}")
        self.assertIn(internal, quote.breakdown_html, "the breakdown dialog lists every finding")
        line.odm_dfm_override = True
        self.assertTrue(line.odm_dfm_status.startswith("Block accepted: "))
