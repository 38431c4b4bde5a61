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

from ..models.odm_part import FileRefusal, PartRefusedError, UploadRefusedError
from ..models.odm_request_options import OdmRequestError
from ..models.odm_request_quota import QuotaExceededError
from .specification import api_specification, keep_api_drawing

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
        see ``_quote_each``."""
        env = request.env
        sent = [
            storage
            for field in ("file", "files")
            for storage in request.httprequest.files.getlist(field)
            if storage.filename
        ]
        if files is not None or len(sent) > 1:
            return self._quote_each(sent, options)
        try:
            check_parameters(options)
            if file is None or not getattr(file, "filename", None):
                raise OdmRequestError(
                    "file", "missing_file", "Send the part as a multipart field named 'file'."
                )
            resolved = env["odm.request.options"].resolve(options)
            specification, drawing = api_specification(options)
            data = file.read(env["odm.pricing"].engine_limits().max_file_bytes + 1)
            customer = env.user.partner_id.commercial_partner_id
            env["odm.request.quota"].sudo()._odm_admit(
                "customer", customer.id, [(file.filename, data)]
            )
            # The caller's own part and quote are written with sudo: portal users may quote
            # through the API, and every record written here is tied to the caller's own
            # company partner.
            pricing = env["odm.pricing"].sudo()
            part = (
                env["odm.part"]
                .sudo()
                .from_upload(data, file.filename, unit=resolved.unit, partner=customer)
            )
            result, parameters = pricing.quote(
                part,
                resolved.process,
                resolved.material,
                resolved.quantity,
                finish=resolved.finish,
                lead_time=resolved.lead_time,
                specification=specification,
            )
        except QuotaExceededError as error:
            env.cr.rollback()
            return quota_response(error)
        except PartRefusedError as error:
            env.cr.rollback()
            status = 413 if error.code == FILE_TOO_LARGE else REFUSED_STATUS
            return error_response(status, error.code, error.args[0], field="file")
        except OdmRequestError as error:
            env.cr.rollback()
            return error_response(REFUSED_STATUS, **error.to_dict())
        except UserError as error:
            env.cr.rollback()
            return error_response(REFUSED_STATUS, "refused", error.args[0])
        report = self._frozen_report(part, result, parameters, resolved)
        keep_api_drawing(report, drawing)
        return request.make_json_response(report)

    def _quote_each(self, sent, options):
        """Several parts, each quoted or refused on its own: 200 with ``quotes`` (the report
        of each part quoted) and ``refused`` ({file, code, message} per refused file), or 422
        when none could be quoted. Nothing of a refused file is stored; options, the quota
        and an upload refused as a whole (too many files) still refuse the whole request."""
        env = request.env
        try:
            check_parameters(options)
            resolved = env["odm.request.options"].resolve(options)
            specification, drawing = api_specification(options)
            limits = env["odm.pricing"].engine_limits()
            uploads, refused = [], []
            for storage in sent:
                data = storage.read(limits.max_file_bytes + 1)
                if len(data) > limits.max_file_bytes:
                    refused.append(
                        FileRefusal(
                            storage.filename,
                            env._(
                                "The file is larger than the %(limit)s MB limit for instant "
                                "quotes.",
                                limit=limits.max_file_bytes // 2**20,
                            ),
                            FILE_TOO_LARGE,
                        )
                    )
                else:
                    uploads.append((storage.filename, data))
            customer = env.user.partner_id.commercial_partner_id
            env["odm.request.quota"].sudo()._odm_admit("customer", customer.id, uploads)
            reports = []

            def quote_one(filename, data, budget):
                part = (
                    env["odm.part"]
                    .sudo()
                    .from_upload(
                        data, filename, unit=resolved.unit, partner=customer, budget=budget
                    )
                )
                result, parameters = (
                    env["odm.pricing"]
                    .sudo()
                    .quote(
                        part,
                        resolved.process,
                        resolved.material,
                        resolved.quantity,
                        finish=resolved.finish,
                        lead_time=resolved.lead_time,
                        specification=specification,
                    )
                )
                reports.append(self._frozen_report(part, result, parameters, resolved))
                keep_api_drawing(reports[-1], drawing)
                return part

            if uploads:
                _parts, failed = env["odm.part"].sudo()._each_upload(uploads, quote_one)
                refused += failed
        except QuotaExceededError as error:
            env.cr.rollback()
            return quota_response(error)
        except UploadRefusedError as error:
            env.cr.rollback()
            return error_response(REFUSED_STATUS, "refused", error.args[0], field="files")
        except OdmRequestError as error:
            env.cr.rollback()
            return error_response(REFUSED_STATUS, **error.to_dict())
        refusals = [
            {"file": refusal.filename, "code": refusal.code, "message": refusal.reason}
            for refusal in refused
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
    def _frozen_report(part, result, parameters, resolved):
        """The API's report of a part's quote, frozen (odm.part.quote) with its options."""
        known = {
            "process_id": resolved.process,
            "material_id": resolved.material,
            "finish_id": resolved.finish,
            "lead_time_id": resolved.lead_time,
        }
        frozen = request.env["odm.pricing"].sudo().freeze(part, result, parameters, known=known)
        return QuoteApi._report(frozen._odm_refine())

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
