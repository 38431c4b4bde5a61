"""JSON API for storefronts and scripts: a file and options in, the explained quote out.

    curl -H "Authorization: Bearer $ODOO_API_KEY" -F file=@part.stl -F process=FDM \\
         -F quantity=10 https://erp.example.com/odm/api/v1/quote

Authentication is an Odoo API key (Preferences > Account Security > New API Key). The part is
stored in the caller's parts library, so it can be ordered later; see docs/api.md.
"""

import logging

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from odm_engine.mesh.errors import FILE_TOO_LARGE
from odm_engine.service import quote_report

from ..models.odm_part import PartRefusedError

_logger = logging.getLogger(__name__)

API_VERSION = "1"
UNITS = ("auto", "mm", "inch")


class QuoteApi(http.Controller):
    @http.route(
        "/odm/api/v1/quote",
        type="http",
        auth="bearer",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def quote(
        self,
        *,
        file=None,
        process=None,
        material=None,
        finish=None,
        lead_time=None,
        quantity="1",
        unit="auto",
        **unknown,
    ):
        if unknown:
            return _error(
                400, "unknown_parameter", f"Unknown parameter(s): {', '.join(sorted(unknown))}."
            )
        if file is None or not getattr(file, "filename", None):
            return _error(400, "missing_file", "Send the part as a multipart field named 'file'.")
        if unit not in UNITS:
            return _error(400, "bad_unit", f"unit must be one of {', '.join(UNITS)}.")
        try:
            quantity = int(quantity)
        except ValueError:
            quantity = 0
        if quantity < 1:
            return _error(400, "bad_quantity", "quantity must be a whole number of at least 1.")
        env = request.env
        company = env.company
        records = {}
        for field, model, code in (
            ("process", "odm.process", process or company.odm_default_process_id.code),
            ("material", "odm.material", material),
            ("finish", "odm.finish", finish),
            ("lead_time", "odm.lead.time.tier", lead_time),
        ):
            if not code:
                continue
            record = (
                env[model]
                .sudo()
                .search([("code", "=", code), ("company_id", "in", (company.id, False))], limit=1)
            )
            if not record:
                return _error(
                    400, f"unknown_{field}", f"No {field.replace('_', ' ')} with code {code!r}."
                )
            records[field] = record
        data = file.read(env["odm.pricing"].engine_limits(company).max_file_bytes + 1)
        customer = env.user.partner_id.commercial_partner_id
        # The caller's own part and quote are written with sudo: portal users may quote through
        # the API, and every record written here is tied to the caller's own company partner.
        try:
            part = (
                env["odm.part"].sudo().from_upload(data, file.filename, unit=unit, partner=customer)
            )
            process_record = records["process"]
            records["material"] = records.get("material") or process_record.default_material_id
            result, parameters = (
                env["odm.pricing"]
                .sudo()
                .quote(
                    part,
                    process_record,
                    records["material"],
                    quantity,
                    finish=records.get("finish"),
                    lead_time=records.get("lead_time"),
                )
            )
        except PartRefusedError as error:
            request.env.cr.rollback()
            status = 413 if error.code == FILE_TOO_LARGE else 400
            return _error(status, error.code, error.args[0])
        except UserError as error:
            request.env.cr.rollback()
            return _error(400, "refused", error.args[0])
        known = {f"{field}_id": record for field, record in records.items()}
        frozen = env["odm.pricing"].sudo().freeze(part, result, parameters, known=known)
        report = quote_report(part.file_name, part.analysis, result)
        report.update(api_version=API_VERSION, part_id=part.id, quote_id=frozen.id)
        return request.make_json_response(report)


def _error(status, code, message):
    return request.make_json_response(
        {"api_version": API_VERSION, "error": {"code": code, "message": message}}, status=status
    )
