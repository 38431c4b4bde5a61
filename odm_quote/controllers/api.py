"""JSON API for storefronts and scripts: a file and options in, the explained quote out.

    curl -H "Authorization: Bearer $ODOO_API_KEY" -F file=@part.stl -F process=FDM \\
         -F quantity=10 https://erp.example.com/odm/api/v1/quote

Authentication is an Odoo API key (Preferences > Account Security > New API Key). The part is
stored in the caller's parts library, so it can be ordered later; see docs/api.md. Requests
count against the caller's company quota (Settings > On-Demand Manufacturing > Throttling,
shared with the portal): over it, 429 with Retry-After, and nothing is analysed or stored.
"""

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from odm_engine.mesh.errors import FILE_TOO_LARGE

from ..models.odm_part import PartRefusedError, UploadRefusedError
from ..models.odm_request_options import OdmRequestError
from ..models.odm_request_quota import QuotaExceededError
from .specification import api_specification
from .uploads import read_uploads

API_VERSION = "1"
# A request the API cannot serve (options, payload, a refused file) is answered with this
# status, as the federation API does; a file above the size limit gets 413.
REFUSED_STATUS = 422


class QuoteApi(http.Controller):
    @http.route(
        "/odm/api/v1/quote",
        type="http",
        auth="bearer",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def quote(self, *, file=None, files=None, **options):
        """Parses the form, resolves the options, prices; any refusal stores nothing.

        Several parts (fields named ``files``, or ``file`` repeated) are quoted one by one:
        200 with ``quotes`` (the report of each part quoted) and ``refused`` ({file, code,
        message} per refused file), or 422 when none could be quoted. Nothing of a refused file
        is stored; options, the quota and an upload refused as a whole (too many files) still
        refuse the whole request."""
        env = request.env
        sent = [
            storage
            for field in ("file", "files")
            for storage in request.httprequest.files.getlist(field)
            if storage.filename
        ]
        several = files is not None or len(sent) > 1
        customer = env.user.partner_id.commercial_partner_id
        # The caller's own parts and quotes are written with sudo: portal users may quote
        # through the API, and every record written here is tied to the caller's own company
        # partner.
        parts = env["odm.part"].sudo()
        try:
            check_parameters(options)
            if not (several or getattr(file, "filename", None)):
                raise OdmRequestError(
                    "file", "missing_file", "Send the part as a multipart field named 'file'."
                )
            resolved = env["odm.request.options"].resolve(options)
            specification, drawing = api_specification(options)
            uploads, refused = read_uploads(sent if several else [file], refuse_oversize=several)
            env["odm.request.quota"].sudo()._odm_admit("customer", customer.id, uploads)
            if several:
                quotes, failed = parts._odm_quote_uploads(
                    uploads, resolved, customer, specification, drawing
                )
            else:
                quote = parts._odm_quote_upload(
                    *uploads[0], resolved, customer, specification, drawing
                )
                quotes, failed = [quote], []
        except UserError as error:
            return refusal_response(error)
        reports = [self._report(quote) for quote in quotes]
        if not several:
            return request.make_json_response(reports[0])
        refusals = [
            {"file": refusal.filename, "code": refusal.code, "message": refusal.reason}
            for refusal in refused + failed
        ]
        if not reports:
            return error_response(
                REFUSED_STATUS,
                "refused",
                env._("No part could be quoted."),
                field="files",
                refused=refusals,
            )
        return request.make_json_response(
            {"api_version": API_VERSION, "quotes": reports, "refused": refusals}
        )

    @staticmethod
    def _report(quote):
        """The API's answer for a frozen quote (see odm.part.quote._odm_api_report)."""
        report = quote._odm_api_report(API_VERSION)
        report.update(
            request.env["odm.customer.view"]
            .sudo()
            .api_fields(
                quote.part_id,
                quote.result,
                staff=request.env.user._is_internal(),
                measured=(quote.parameters or {}).get("measured"),
            )
        )
        return report

    @http.route(
        "/odm/api/v1/quote/<int:quote_id>",
        type="http",
        auth="bearer",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def quote_status(self, quote_id):
        """The newest version of a quote the caller got: poll it until ``estimate_source`` is
        "sliced" or ``slice_state`` is "failed"."""
        quote = request.env["odm.part.quote"].sudo()._odm_caller_quote(quote_id)
        if not quote:
            return error_response(404, "not_found", "No such quote.")
        return request.make_json_response(self._report(quote._odm_latest()))


def check_parameters(options):
    """OdmRequestError for a form field the quote API does not know."""
    known = {"process", "material", "finish", "lead_time", "quantity", "unit"}
    unknown = set(options) - known - {"specification", "drawing"}  # optional, see docs/api.md
    if unknown:
        raise OdmRequestError(
            sorted(unknown)[0],
            "unknown_parameter",
            f"Unknown parameter(s): {', '.join(sorted(unknown))}.",
        )


def refusal_response(error):
    """The answer to a request refused as a whole (a UserError), after rolling back whatever
    it wrote: 429 over the quota, 413 for a file above the size limit, else 422 with the
    refused field and code."""
    request.env.cr.rollback()
    if isinstance(error, QuotaExceededError):
        return quota_response(error)
    if isinstance(error, OdmRequestError):
        return error_response(REFUSED_STATUS, **error.to_dict())
    if isinstance(error, PartRefusedError):
        status = 413 if error.code == FILE_TOO_LARGE else REFUSED_STATUS
        return error_response(status, error.code, error.args[0], field="file")
    field = "files" if isinstance(error, UploadRefusedError) else None
    return error_response(REFUSED_STATUS, "refused", error.args[0], field=field)


def error_response(status, code, message, field=None, api_version=API_VERSION, **extra):
    """The JSON error every ODM API answers: {"api_version", "error": {code, field, message}},
    with ``extra`` keys beside "error" (the refused files of a batch)."""
    return request.make_json_response(
        {
            "api_version": api_version,
            "error": {"code": code, "field": field, "message": message},
            **extra,
        },
        status=status,
    )


def quota_response(error, api_version=API_VERSION):
    """The JSON error of a request over its quota (QuotaExceededError): 429, Retry-After."""
    response = error_response(429, "too_many_requests", error.args[0], api_version=api_version)
    response.headers["Retry-After"] = str(error.retry_after)
    return response
