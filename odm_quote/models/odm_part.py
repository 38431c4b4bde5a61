import base64
import dataclasses
import functools
import hashlib

from odoo import api, fields, models
from odoo.exceptions import UserError

from odm_engine.mesh.batch import UploadBatch
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import RequestBudget
from odm_engine.pricing.quote import compare_processes
from odm_engine.service import ENGINE_VERSION, analyse_upload

UNITS = [("mm", "Millimetres"), ("inch", "Inches")]
# Bounds of the child process each analysis runs in (Settings > ODM quoting).
ANALYSIS_TIMEOUT_PARAM = "odm_quote.analysis_timeout_s"
REQUEST_ANALYSIS_TIMEOUT_PARAM = "odm_quote.request_analysis_timeout_s"
ANALYSIS_MEMORY_PARAM = "odm_quote.analysis_memory_mb"
DEFAULT_ANALYSIS_TIMEOUT_S = 60
DEFAULT_REQUEST_ANALYSIS_TIMEOUT_S = 180
DEFAULT_ANALYSIS_MEMORY_MB = 4096


class PartRefusedError(UserError):
    """A file the engine cannot quote; ``code`` is the engine's stable refusal code."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class UploadRefusedError(UserError):
    """Files of one upload were refused; ``reasons`` holds one sentence per refused file."""

    def __init__(self, message, reasons):
        super().__init__(message)
        self.reasons = reasons


class OdmPart(models.Model):
    """A customer's 3D part: the file, what the engine measured on it, and its picture.

    One record per distinct file (sha256) and customer, so a part uploaded again, or ordered
    again a year later, is the same record with its history of quotes.
    """

    _name = "odm.part"
    _description = "3D Part"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"

    name = fields.Char(required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", index=True, tracking=True, ondelete="restrict"
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    file = fields.Binary(attachment=True, required=True)
    file_name = fields.Char(required=True)
    file_size = fields.Integer()
    sha256 = fields.Char(required=True, index=True, readonly=True)
    unit = fields.Selection(UNITS, required=True)
    unit_inferred = fields.Boolean(help="The file declares no unit; the engine inferred it.")
    unit_reason = fields.Char()
    analysis = fields.Json(readonly=True)
    engine_version = fields.Char(readonly=True)
    thumbnail = fields.Image(max_width=256, max_height=256)
    volume_mm3 = fields.Float("Volume (mm³)", digits=(16, 1), readonly=True)
    area_mm2 = fields.Float("Surface (mm²)", digits=(16, 1), readonly=True)
    size_x_mm = fields.Float("X (mm)", digits=(10, 2), readonly=True)
    size_y_mm = fields.Float("Y (mm)", digits=(10, 2), readonly=True)
    size_z_mm = fields.Float("Z (mm)", digits=(10, 2), readonly=True)
    dimensions = fields.Char(compute="_compute_dimensions")
    bodies = fields.Integer(readonly=True)
    triangles = fields.Integer(readonly=True)
    watertight = fields.Boolean(readonly=True)
    dfm_html = fields.Html("Manufacturability", compute="_compute_dfm_html", sanitize=True)
    comparison_html = fields.Html(
        "Process comparison",
        compute="_compute_comparison_html",
        sanitize=True,
        help="Every feasible process priced at the comparison quantities, with the quantity "
        "from which each becomes the cheapest (e.g. when moulding beats printing).",
    )
    sale_line_ids = fields.One2many("sale.order.line", "odm_part_id", string="Order lines")
    quote_ids = fields.One2many("odm.part.quote", "part_id", string="Quotes")

    _sql_constraints = [
        (
            "file_unit_owner_uniq",
            "unique(sha256, unit, partner_id, company_id)",
            "This file is already a part of this customer.",
        ),
    ]

    @api.depends("size_x_mm", "size_y_mm", "size_z_mm")
    def _compute_dimensions(self):
        for part in self:
            part.dimensions = (
                f"{part.size_x_mm:.1f} × {part.size_y_mm:.1f} × {part.size_z_mm:.1f} mm"
            )

    @api.depends("analysis")
    def _compute_comparison_html(self):
        engine_config = functools.cache(self.env["odm.pricing"].engine_config)
        for part in self:
            if not part.analysis:
                part.comparison_html = False
                continue
            config = engine_config(part.company_id)
            comparison = compare_processes(part.analysis, config=config)
            names = {code: process.name for code, process in config.processes.items()}
            part.comparison_html = self.env["ir.qweb"]._render(
                "odm_quote.process_comparison",
                {"comparison": comparison.to_dict(), "names": names},
            )

    def _compute_dfm_html(self):
        for part in self:
            part.dfm_html = self.env["ir.qweb"]._render(
                "odm_quote.dfm_findings", {"findings": (part.analysis or {}).get("dfm", [])}
            )

    @api.model
    def from_upload(self, data, filename, unit="auto", partner=None, budget=None):
        """The part for this file and customer, analysed now unless it already exists.

        Refused files raise UserError with the engine's one-sentence reason; nothing is stored.
        ``budget`` is the request's budget (bytes, seconds) when the file is one of several.
        """
        digest = hashlib.sha256(data).hexdigest()
        partner = partner or self.env["res.partner"]
        domain = [
            ("sha256", "=", digest),
            ("partner_id", "=", partner.id),
            ("company_id", "=", self.env.company.id),
        ]
        if unit != "auto":
            domain.append(("unit", "=", unit))
        existing = self.search(domain, limit=1)
        if existing:
            return existing
        return self.create(self._analysed_values(data, filename, unit, partner, digest, budget))

    @api.model
    def _from_uploads(self, uploads, unit="auto", partner=None):
        """The parts of several files (zip archives expanded), all of them or none.

        ``uploads`` is a list of (filename, bytes). Every refusal is collected before
        UploadRefusedError is raised, and the parts created meanwhile are rolled back.
        """
        with self.env.cr.savepoint():
            batch = self._open_uploads(uploads)
            return self._all_or_refusal(
                self._inflated(batch),
                lambda filename, data: self.from_upload(
                    data, filename, unit=unit, partner=partner, budget=batch.budget
                ),
            )

    @api.model
    def _preview_uploads(self, uploads, unit="auto", max_parts=None):
        """What ``_from_uploads`` would store, as new records that are never saved.

        Visitors who are not logged in get prices from these: nothing of theirs is stored.
        ``max_parts`` refuses larger uploads before anything is inflated or analysed.
        """
        batch = self._open_uploads(uploads)
        if max_parts and len(batch) > max_parts:
            raise self._refusal(
                [
                    self.env._(
                        "The upload holds %(count)s parts; up to %(max)s can be quoted at once "
                        "without an account.",
                        count=len(batch),
                        max=max_parts,
                    )
                ]
            )
        return self._all_or_refusal(
            self._inflated(batch),
            lambda filename, data: self.new(
                self._analysed_values(data, filename, unit, budget=batch.budget)
            ),
        )

    @api.model
    def _all_or_refusal(self, files, make_part):
        """The parts ``make_part(filename, data)`` makes of ``files``, or UploadRefusedError
        listing every file it refused (UserError)."""
        parts = self.browse()
        refused = []
        for filename, data in files:
            try:
                parts |= make_part(filename, data)
            except UserError as error:
                refused.append(str(error))
        if refused:
            raise self._refusal(refused)
        return parts

    @api.model
    def _open_uploads(self, uploads):
        """The part files of one request, counted (archives by their directory) before any is
        inflated; the request's file cap and inflation budget refuse it here."""
        try:
            return UploadBatch(uploads, self._analysis_limits())
        except MeshError as error:
            raise self._refusal([error.message]) from error

    @api.model
    def _inflated(self, batch):
        """The files of ``batch``, one inflated at a time; a member that breaks the budget or
        is damaged refuses the whole request."""
        try:
            yield from batch
        except MeshError as error:
            raise self._refusal([error.message]) from error

    @api.model
    def _analysis_limits(self):
        """The company's upload limits, with the analysis child's time and memory bounds."""
        parameters = self.env["ir.config_parameter"].sudo()
        seconds = int(parameters.get_param(ANALYSIS_TIMEOUT_PARAM, DEFAULT_ANALYSIS_TIMEOUT_S))
        memory_mb = int(parameters.get_param(ANALYSIS_MEMORY_PARAM, DEFAULT_ANALYSIS_MEMORY_MB))
        request_seconds = int(
            parameters.get_param(REQUEST_ANALYSIS_TIMEOUT_PARAM, DEFAULT_REQUEST_ANALYSIS_TIMEOUT_S)
        )
        return dataclasses.replace(
            self.env["odm.pricing"].engine_limits(),
            analysis_timeout_s=max(seconds, 1),
            request_analysis_timeout_s=max(request_seconds, 1),
            analysis_memory_bytes=max(memory_mb, 256) * 2**20,
        )

    @api.model
    def _request_budget(self):
        """One budget (bytes to inflate, seconds of analysis) for the files of one request
        that come one by one (a federation order's lines) rather than as one upload."""
        return RequestBudget(self._analysis_limits())

    @api.model
    def _refusal(self, reasons):
        return UploadRefusedError(
            self.env._("No part was added, because:\n%(reasons)s", reasons="\n".join(reasons)),
            reasons,
        )

    @api.model
    def _analysed_values(  # noqa: PLR0917 (the upload's facts, as every caller has them)
        self, data, filename, unit="auto", partner=None, digest=None, budget=None
    ):
        """Values of the part this file is, as the engine measured it in its bounded child
        process; PartRefusedError."""
        try:
            result = analyse_upload(
                data, filename, unit=unit, limits=self._analysis_limits(), budget=budget
            )
        except MeshError as error:
            raise PartRefusedError(
                self.env._("%(file)s: %(reason)s", file=filename, reason=error.message), error.code
            ) from error
        analysis = result.analysis
        size_x, size_y, size_z = analysis["bbox_mm"]
        return {
            "name": filename.rsplit("/", 1)[-1],
            "partner_id": partner.id if partner else False,
            "company_id": self.env.company.id,
            "file": base64.b64encode(data),
            "file_name": filename,
            "file_size": len(data),
            "sha256": digest or hashlib.sha256(data).hexdigest(),
            "unit": analysis["unit"],
            "unit_inferred": analysis["unit_inferred"],
            "unit_reason": analysis["unit_reason"],
            "analysis": analysis,
            "engine_version": ENGINE_VERSION,
            "thumbnail": base64.b64encode(result.thumbnail_png),
            "volume_mm3": analysis["volume_mm3"],
            "area_mm2": analysis["area_mm2"],
            "size_x_mm": size_x,
            "size_y_mm": size_y,
            "size_z_mm": size_z,
            "bodies": analysis["bodies"],
            "triangles": analysis["triangles"],
            "watertight": analysis["watertight"],
        }
