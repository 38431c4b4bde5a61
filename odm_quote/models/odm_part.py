import base64
import contextlib
import dataclasses
import functools
import hashlib
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, formatLang

from odoo.addons.queue_job.job import identity_exact

from odm_engine.mesh import sandbox, viewer_export
from odm_engine.mesh.batch import UploadBatch
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import RequestBudget
from odm_engine.pricing.processes.plate import LAYER_TABLES, stale_layer_tables
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
# What analysing a stored file again rewrites: the engine's measures, never the file, its
# unit (the customer's choice or the first inference) or its owner.
REFRESHED_FIELDS = (
    "analysis",
    "engine_version",
    "thumbnail",
    "volume_mm3",
    "area_mm2",
    "size_x_mm",
    "size_y_mm",
    "size_z_mm",
    "bodies",
    "triangles",
    "watertight",
)
# What a stored viewer payload was made by: one made by another format or engine is made again.
VIEWER_MADE_BY = f"odm-viewer {viewer_export.FORMAT_VERSION}, engine {ENGINE_VERSION}"


class PartRefusedError(UserError):
    """A file the engine cannot quote; ``code`` is the engine's stable refusal code and
    ``reason`` the sentence without the file's name."""

    def __init__(self, message, code, reason=None):
        super().__init__(message)
        self.code = code
        self.reason = reason or message


class FileRefusal(NamedTuple):
    """One file of an upload that was refused, why (one sentence) and the stable code of
    the refusal (the engine's, or ``refused``)."""

    filename: str
    reason: str
    code: str = "refused"

    @property
    def sentence(self):
        return f"{self.filename}: {self.reason}"


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
    # The 3D viewer's payload (odm_engine.mesh.viewer_export) against no process, made by a
    # job queued at upload (``VIEWER_MADE_BY`` in the key: the upload's answer does not wait
    # for it) and drawn against a process when it is shown.
    viewer_payload = fields.Binary(attachment=True, readonly=True, copy=False)
    viewer_payload_key = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "file_unit_owner_uniq",
            "unique(sha256, unit, partner_id, company_id)",
            "This file is already a part of this customer.",
        ),
    ]

    @api.depends("size_x_mm", "size_y_mm", "size_z_mm")
    @api.depends_context("lang")
    def _compute_dimensions(self):
        """The size as the reader's language writes numbers (20.0 or 20,0)."""
        for part in self:
            sizes = (part.size_x_mm, part.size_y_mm, part.size_z_mm)
            part.dimensions = " × ".join(formatLang(self.env, size, digits=1) for size in sizes)
            part.dimensions += " mm"

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
        part = self.create(self._analysed_values(data, filename, unit, partner, digest, budget))
        part.with_delay(
            description=self.env._("3D view of %(part)s", part=part.name),
            identity_key=identity_exact,
        )._odm_prepare_viewer()
        return part

    @api.model
    def _odm_quote_upload(  # noqa: PLR0917 (one file and the request's options)
        self, filename, data, options, partner, specification=None, drawing=None, budget=None
    ):
        """The quote API's answer to one file: stored as ``partner``'s part, priced with the
        resolved ``options`` (odm.request.options) and ``specification``, frozen with the
        ``drawing`` ((name, bytes) or None) and refined (``_odm_refine``): the quote version
        to show now. PartRefusedError or UserError when refused; the caller rolls back."""
        part = self.from_upload(data, filename, unit=options.unit, partner=partner, budget=budget)
        result, parameters = options.price(part, specification=specification)
        quote = (
            self.env["odm.pricing"]
            .freeze(part, result, parameters, known=options.known())
            ._odm_refine()
        )
        if drawing:
            name, content = drawing
            self.env["odm.part.specification"]._odm_attach_drawing(quote, content, name)
        return quote

    @api.model
    def _odm_quote_uploads(self, uploads, options, partner, specification=None, drawing=None):
        """Each part file of ``uploads`` ((filename, bytes) list) quoted on its own as
        ``_odm_quote_upload`` does: (the quote versions, a FileRefusal per file refused, of
        which nothing is stored). UploadRefusedError refuses the upload as a whole."""
        quotes = []

        def quote_one(filename, data, budget):
            quote = self._odm_quote_upload(
                filename, data, options, partner, specification, drawing, budget
            )
            quotes.append(quote)
            return quote.part_id

        refused = self._each_upload(uploads, quote_one)[1] if uploads else []
        return quotes, refused

    @api.model
    def _preview_uploads(self, uploads, unit="auto", max_parts=None):
        """What ``_each_upload`` would store, as new records that are never saved:
        (parts, refused files as FileRefusal).

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
        return self._each_upload(
            batch,
            lambda filename, data, budget: self.new(
                self._analysed_values(data, filename, unit, budget=budget)
            ),
            stored=False,
        )

    @api.model
    def _each_upload(self, uploads, make_records, stored=True):
        """``make_records(filename, data, budget)`` for each part file of ``uploads`` (a list
        of (filename, bytes), or an UploadBatch already opened), each in its own savepoint:
        (the records made, a FileRefusal per file refused). Records that are never stored
        (``stored=False``: new records) take no savepoint, whose rollback would clear them.

        A file that cannot be read or analysed, or whose records cannot be written, is refused
        alone and leaves nothing behind; the others go on. The request's budget (bytes to
        inflate, seconds of analysis) is shared: once spent, each file left is refused with
        that reason. Only an upload refused as a whole (too many files, an archive that is not
        one) raises UploadRefusedError. A file whose content is already in the upload (the same
        file twice, or also inside an archive) is refused with the name it came first as, so
        one part gives one line and its analysis is not paid twice.
        """
        batch = uploads if isinstance(uploads, UploadBatch) else self._open_uploads(uploads)
        records, refused, first_names = None, [], {}
        for filename, read in batch.files():
            try:
                data = read()
                digest = hashlib.sha256(data).digest()
                if digest in first_names:
                    reason = self.env._(
                        "the same file as %(first)s in this upload: change that part's "
                        "quantity instead.",
                        first=first_names[digest],
                    )
                    raise PartRefusedError(reason, "duplicate_file")
                first_names[digest] = filename
                with self.env.cr.savepoint() if stored else contextlib.nullcontext():
                    made = make_records(filename, data, batch.budget)
            except MeshError as error:
                refused.append(FileRefusal(filename, error.message, error.code))
            except PartRefusedError as error:
                refused.append(FileRefusal(filename, error.reason, error.code))
            except UserError as error:
                refused.append(FileRefusal(filename, error.args[0]))
            else:
                records = made if records is None else records | made
        return records if records is not None else self.browse(), refused

    @api.model
    def _open_uploads(self, uploads):
        """The part files of one request, counted (archives by their directory) before any is
        inflated; the request's file cap and inflation budget refuse it here. An archive that
        is not one is refused alone, when its turn comes (``_each_upload``)."""
        try:
            return UploadBatch(uploads, self._analysis_limits(), each=True)
        except MeshError as error:
            raise self._refusal([error.message]) from error

    def _odm_viewer_settings(self):
        """What the viewer draws the part's findings against: the process of its last quote
        (else the company's default), its thin-wall and deep-pocket limits and the largest
        build envelope of its machines."""
        self.ensure_one()
        config = self.env["odm.pricing"].engine_config(self.company_id)
        code = self.quote_ids[:1].process_id.code or config.default_process
        process = config.processes.get(code) or config.processes[config.default_process]
        machines = [m for m in config.machines.values() if m.process == process.code]
        largest = max(
            machines, key=lambda m: m.build_x_mm * m.build_y_mm * m.build_z_mm, default=None
        )
        return {
            "process": process.code,
            "process_name": process.name,
            "thin_wall_mm": process.min_wall_mm,
            "deep_pocket_ratio": getattr(process, "deep_pocket_ratio", None)
            or viewer_export.DEFAULT_DEEP_POCKET_RATIO,
            "build_volume_mm": largest
            and [largest.build_x_mm, largest.build_y_mm, largest.build_z_mm],
        }

    def _odm_viewer_payload(self):
        """(payload bytes, its key) of this part's 3D view: the payload the upload's job made
        in the bounded analysis child (made there now, and kept, when the job has not run yet
        or the part was analysed before), drawn against the settings of
        ``_odm_viewer_settings`` without any mesh work (viewer_export.restyle);
        PartRefusedError if the file cannot be read again."""
        self.ensure_one()
        settings = self._odm_viewer_settings()
        key = hashlib.sha256(repr((VIEWER_MADE_BY, sorted(settings.items()))).encode())
        part = self.sudo()
        if part.viewer_payload_key == VIEWER_MADE_BY and part.viewer_payload:
            stored = base64.b64decode(part.viewer_payload)
        else:
            stored = part._odm_make_viewer_payload()
        payload = viewer_export.restyle(
            stored,
            build_volume_mm=settings["build_volume_mm"],
            thin_wall_mm=settings["thin_wall_mm"],
            deep_pocket_ratio=settings["deep_pocket_ratio"],
            process=settings["process_name"],
        )
        return payload, key.hexdigest()[:32]

    def _odm_prepare_viewer(self):
        """Job queued at upload: the part's viewer payload, made before anyone opens the 3D
        view (8 to 14 s for a million triangles); a file the viewer cannot read is left to the
        view, which says why."""
        self.ensure_one()
        if self.viewer_payload_key == VIEWER_MADE_BY and self.viewer_payload:
            return "already made"
        try:
            self._odm_make_viewer_payload()
        except PartRefusedError as error:
            return error.args[0]
        return "made"

    def _odm_make_viewer_payload(self):
        """The payload of the part, made now in the bounded analysis child and kept."""
        limits = self._analysis_limits()
        arguments = {
            "filename": self.file_name,
            "unit": self.unit,
            "limits": dataclasses.asdict(limits),
            "analysis": self.analysis,
        }
        bounds = sandbox.Bounds(limits.analysis_timeout_s, limits.analysis_memory_bytes)
        try:
            _result, blobs = sandbox.run(
                "viewer",
                arguments,
                base64.b64decode(self.with_context(bin_size=False).file),
                bounds,
            )
        except MeshError as error:
            raise PartRefusedError(
                self.env._("%(file)s: %(reason)s", file=self.name, reason=error.message), error.code
            ) from error
        self.write(
            {"viewer_payload": base64.b64encode(blobs[0]), "viewer_payload_key": VIEWER_MADE_BY}
        )
        return blobs[0]

    @api.model
    def _odm_queue_stale_refresh(self):
        """One ``_odm_refresh_analysis`` job per part whose stored layer tables this engine
        does not read (run by the upgrade that changed them), so the upgrade itself analyses
        nothing: each file is analysed again later, in the bounded child process."""
        stale = SQL(" OR ").join(
            SQL(
                "(analysis -> %s ->> 'version') IS DISTINCT FROM %s",
                tables.ANALYSIS_KEY,
                str(tables.TABLE_VERSION),
            )
            for tables in LAYER_TABLES.values()
        )
        self.flush_model(["analysis"])
        self.env.cr.execute(
            SQL("SELECT id FROM odm_part WHERE analysis IS NOT NULL AND (%s)", stale)
        )
        parts = self.browse(row[0] for row in self.env.cr.fetchall())
        for part in parts:
            part.with_delay(
                description=self.env._("Analyse %(part)s again", part=part.name),
                identity_key=identity_exact,
            )._odm_refresh_analysis()
        return parts

    def _odm_refresh_analysis(self):
        """Job queued when an upgrade changed what the engine stores for its layer-based
        estimates (``stale_layer_tables``): the stored file is analysed again so the part
        prices layer by layer once more. Frozen quotes keep their figures; the file, its
        unit and owner stay as they are. A file the new limits refuse is left as it was."""
        self.ensure_one()
        stale = stale_layer_tables(self.analysis or {})
        if not stale:
            return "up to date"
        try:
            values = self._analysed_values(
                base64.b64decode(self.with_context(bin_size=False).file),
                self.file_name,
                unit=self.unit,
                partner=self.partner_id,
                digest=self.sha256,
            )
        except PartRefusedError as error:
            return error.args[0]
        # Analysed in the unit the part has: how that unit was found stays what it was.
        values["analysis"].update(unit_inferred=self.unit_inferred, unit_reason=self.unit_reason)
        self.write({name: values[name] for name in REFRESHED_FIELDS})
        return f"analysed again for {', '.join(stale)}"

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
                data,
                filename,
                unit=unit,
                limits=self._analysis_limits(),
                budget=budget,
            )
        except MeshError as error:
            raise PartRefusedError(
                self.env._("%(file)s: %(reason)s", file=filename, reason=error.message),
                error.code,
                reason=error.message,
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
