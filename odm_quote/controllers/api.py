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
from odm_engine.service import quote_report

from ..models.odm_part import PartRefusedError
from ..models.odm_request_options import OdmRequestError
from ..models.odm_request_quota import QuotaExceededError

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
    def quote(self, *, file=None, **options):
        """Parses the form, resolves the options, prices; any refusal stores nothing."""
        env = request.env
        try:
            unknown = set(options) - {
                "process",
                "material",
                "finish",
                "lead_time",
                "quantity",
                "unit",
            }
            if unknown:
                raise OdmRequestError(
                    sorted(unknown)[0],
                    "unknown_parameter",
                    f"Unknown parameter(s): {', '.join(sorted(unknown))}.",
                )
            if file is None or not getattr(file, "filename", None):
                raise OdmRequestError(
                    "file", "missing_file", "Send the part as a multipart field named 'file'."
                )
            resolved = env["odm.request.options"].resolve(options)
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
        known = {
            "process_id": resolved.process,
            "material_id": resolved.material,
            "finish_id": resolved.finish,
            "lead_time_id": resolved.lead_time,
        }
        frozen = pricing.freeze(part, result, parameters, known=known)
        report = quote_report(part.file_name, part.analysis, result)
        report.update(api_version=API_VERSION, part_id=part.id, quote_id=frozen.id)
        return request.make_json_response(report)


def error_response(status, code, message, field=None, api_version=API_VERSION):
    """The JSON error every ODM API answers: {"api_version", "error": {code, field, message}}."""
    return request.make_json_response(
        {"api_version": api_version, "error": {"code": code, "field": field, "message": message}},
        status=status,
    )


def quota_response(error, api_version=API_VERSION):
    """The JSON error of a request over its quota (QuotaExceededError): 429, Retry-After."""
    response = error_response(429, "too_many_requests", error.args[0], api_version=api_version)
    response.headers["Retry-After"] = str(error.retry_after)
    return response
