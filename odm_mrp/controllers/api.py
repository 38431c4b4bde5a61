import json

from odoo import http
from odoo.http import request

from odoo.addons.odm_quote.controllers.api import QuoteApi


class QuoteApiPromise(QuoteApi):
    """The quote API answers with the date production can keep, as the portal and the PDF
    show it, or says that the part needs a review when no machine (nor partner) can make it."""

    @http.route()
    def quote(self, *, file=None, **options):
        response = super().quote(file=file, **options)
        if response.status_code != 200:
            return response
        answer = json.loads(response.get_data())
        for report in answer.get("quotes", [answer]):  # one part, or each part of a batch
            quote = request.env["odm.part.quote"].sudo().browse(report["quote_id"])
            promised = quote._odm_promised_date()
            report.update(
                promised_date=promised.isoformat() if promised else None,
                needs_review=bool(quote._odm_supply_issue()),
            )
        return request.make_json_response(answer)
