import os
import re
import subprocess
from pathlib import Path

import lxml.html
import pypdfium2
from markupsafe import escape

from odoo.tests import HttpCase, tagged
from odoo.tools.misc import formatLang

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

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
        self.assertNotIn("Accepted by our team", html)
        self.order.order_line.odm_dfm_override = True
        self.assertIn("Accepted by our team", self._render())

    def _render(self):
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "sale.action_report_saleorder", self.order.ids
        )
        return html.decode()

    def test_payment_terms_are_one_unbreakable_block_with_the_totals(self):
        """wkhtmltopdf moves a block that does not fit whole to the next page: with the payment
        terms inside the totals' block, no page holds the terms alone."""
        self.order.payment_term_id = self.env["account.payment.term"].create(
            {"name": "Net 30 (test)", "note": "Payment within 30 days."}
        )
        self.upload({"spacer.stl": box_stl(20, 20, 5)})
        summary = lxml.html.fromstring(self._render()).xpath("//div[@name='so_total_summary']")
        self.assertIn("page-break-inside: avoid", summary[0].get("style"))
        self.assertIn("Payment within 30 days.", summary[0].text_content())

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


def wkhtmltopdf_build():
    """The wkhtmltopdf Odoo prints with, as ``path: version`` (or why there is none)."""
    try:
        binary = _get_wkhtmltopdf_bin()
    except OSError:
        return "no wkhtmltopdf on PATH"
    version = subprocess.run(
        [binary, "--version"], check=False, capture_output=True, text=True, timeout=30
    )
    return f"{binary}: {version.stdout.strip()}"


def words(text):
    """Text with every run of white space (line breaks, non-breaking spaces) as one space."""
    return " ".join(text.split())


@tagged("post_install", "-at_install")
class TestQuotationPdf(PartCase, HttpCase):
    """The quotation as wkhtmltopdf prints it (the HTTP test server serves the report's styles):
    its text read back from the PDF and its page drawn as pixels."""

    def setUp(self):
        super().setUp()
        build = wkhtmltopdf_build()
        if "with patched qt" not in build:
            # Without the patched Qt build the PDF has no letterhead, no footer and no text.
            reason = (
                f"Odoo prints with {build}, not a wkhtmltopdf with patched Qt "
                "(./odm setup installs one)"
            )
            if os.environ.get("CI"):
                self.fail(reason)
            self.skipTest(reason)

    def _print(self):
        """The quotation printed through Odoo's report action, as a PDFium document; Odoo logs
        no warning from wkhtmltopdf (the unpatched build's ignored switches would be one)."""
        with self.assertNoLogs("odoo.addons.base.models.ir_actions_report", "WARNING"):
            pdf, kind = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf("sale.action_report_saleorder", self.order.ids)
            )
        self.assertEqual(kind, "pdf")
        return pypdfium2.PdfDocument(pdf)

    def _payment_terms(self):
        self.order.payment_term_id = self.env["account.payment.term"].create(
            {"name": "Net 30 (test)", "note": "Payment within 30 days of the invoice date."}
        )
        return "Payment within 30 days of the invoice date."

    def test_three_part_quote_fits_one_page_with_letterhead_footer_pictures_and_findings(self):
        company = self.env.company
        company.write(
            {
                "name": "Example Parts Inc.",
                "street": "1200 Industrial Way",
                "city": "Fremont",
                "zip": "94538",
            }
        )
        terms = self._payment_terms()
        # Every line has a finding, the longest part a blocking one over two lines of text.
        self.upload({"beam.stl": box_stl(2000, 40, 40)}, unit="mm")
        self.upload({"spacer.stl": box_stl(0.8, 0.8, 0.2)}, quantity=4)  # no unit: inches
        self.upload({"bracket.stl": box_stl(2.4, 1.2, 0.4)}, quantity=2)
        findings = [line._odm_customer_findings() for line in self.order.order_line]
        self.assertTrue(all(findings))
        document = self._print()
        self.assertEqual(len(document), 1, "three lines and the payment terms fit one page")
        page = document[0]
        text = words(page.get_textpage().get_text_range())
        total = formatLang(self.env, self.order.amount_total, currency_obj=self.order.currency_id)
        for expected in (
            "Example Parts Inc.",  # the letterhead
            "1200 Industrial Way",
            "Fremont",
            "Page 1 / 1",  # the footer
            f"Quotation # {self.order.name}",
            "beam.stl",
            "spacer.stl",
            "bracket.stl",
            *(line_findings[0]["message"] for line_findings in findings),
            total,
            terms,
        ):
            self.assertIn(words(expected), text)

        # The part pictures (the square images; the logo is wide) are drawn, not blank squares:
        # the share of each one's pixels darker than light grey, on the page rendered by PDFium.
        scale = 2
        page_pixels = page.render(scale=scale).to_pil().convert("L")
        _width, height = page.get_size()
        inked_shares = []
        for image in page.get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]):
            left, bottom, right, top = image.get_bounds()
            if abs((right - left) - (top - bottom)) >= 1:
                continue
            box = [round(v * scale) for v in (left, height - top, right, height - bottom)]
            pixels = page_pixels.crop(box)
            inked_shares.append(sum(pixels.histogram()[:200]) / (pixels.width * pixels.height))
        self.assertEqual(len(inked_shares), 3, "one picture per part")
        self.assertTrue(all(share > 0.01 for share in inked_shares), inked_shares)
        if os.environ.get("ODM_DOCS_IMAGES"):
            page.render(scale=1.4).to_pil().save(
                Path(os.environ["ODM_DOCS_IMAGES"]) / "quotation_pdf.png"
            )

    def test_long_quote_numbers_its_pages_and_keeps_the_terms_with_the_totals(self):
        terms = self._payment_terms()
        self.upload({f"part_{n}.stl": box_stl(20 + n, 20, 5) for n in range(12)})
        pages = [words(page.get_textpage().get_text_range()) for page in self._print()]
        self.assertGreater(len(pages), 1, "twelve parts take more than a page")
        for number, text in enumerate(pages, start=1):
            self.assertIn(f"Page {number} / {len(pages)}", text)
        with_terms = [text for text in pages if words(terms) in text]
        self.assertEqual(len(with_terms), 1)
        self.assertIn("Untaxed Amount", with_terms[0], "the terms are on the totals' page")
        self.assertIn("part_11.stl", " ".join(pages))
