"""A cart line's specification on the portal (odm.part.specification).

    POST /odm/quote/line/<id>/specification   tolerance, threads, inserts, roughness,
                                              inspection and the technical drawing (PDF)

The form is parsed here; the model checks the values and the drawing, stores them and re-prices
the line. A refused value changes nothing and is shown on the page.
"""

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.odm_part_specification import MAX_DRAWING_MB
from .portal import QUOTE_URL, OdmQuotePortal
from .uploads import upload_name

SELECTIONS = ("tolerance_class", "thread_size", "insert_size", "inspection")
NUMBERS = ("tolerance_mm", "roughness_ra_um")
COUNTS = ("thread_count", "insert_count")


class OdmSpecificationPortal(OdmQuotePortal):
    @http.route(
        f"{QUOTE_URL}/line/<int:line_id>/specification",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def odm_quote_line_specification(self, line_id, **form):
        return self._odm_cart_line_post(
            line_id,
            lambda line: (
                request.env["odm.part.specification"]
                .sudo()
                ._odm_set_for_line(line, self._odm_specification_values(form))
            ),
            lambda line: request.env._(
                "%(part)s: specification saved, %(price)s per part.",
                part=line.odm_part_id.name,
                price=self._odm_money(line.price_unit, line.currency_id),
            ),
        )

    @staticmethod
    def _odm_specification_values(form):
        """The form's values typed (empty ones cleared) and the drawing's bytes, if any."""
        values = {name: form.get(name) or False for name in SELECTIONS}
        values["inspection"] = values["inspection"] or "none"
        try:
            values.update({name: float(form.get(name) or 0) for name in NUMBERS})
            values.update({name: int(form.get(name) or 0) for name in COUNTS})
        except ValueError as error:
            raise UserError(request.env._("Sizes and counts must be numbers.")) from error
        drawing = uploaded_drawing()
        if drawing:
            values["drawing_name"], values["drawing"] = drawing
        return values


def uploaded_drawing(field="drawing"):
    """(file name, bytes) of the drawing sent in a multipart ``field``, or None; read no
    further than the limit (the model refuses anything above it)."""
    upload = request.httprequest.files.get(field)
    if not (upload and upload.filename):
        return None
    return upload_name(upload), upload.read(MAX_DRAWING_MB * 2**20 + 1)


def api_specification(options):
    """(engine specification or None, drawing or None) of a quote API request: the JSON field
    ``specification`` and the PDF file ``drawing``; OdmRequestError names a refused one."""
    drawing = uploaded_drawing()
    specification = request.env["odm.part.specification"]._odm_from_api(
        options.get("specification"), drawing and drawing[1]
    )
    return specification, drawing
