import base64
import json

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odm_engine.pricing.params import QuoteError
from odm_engine.pricing.specifications import (
    INSERT_SIZES,
    INSPECTION_LEVELS,
    THREAD_SIZES,
    Specification,
)

from .odm_request_options import OdmRequestError

# A technical drawing is one PDF of a few pages; anything larger is not a drawing.
MAX_DRAWING_MB = 20
PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"
# Cost items of the engine's breakdown that price a specification (specifications.py).
SPECIFICATION_ITEMS = ("tolerance", "roughness", "inspection", "threads_", "inserts_")


def is_specification_item(item):
    """Whether a breakdown item (dict) prices a specification."""
    return item["code"].startswith(SPECIFICATION_ITEMS)


class OdmPartSpecification(models.Model):
    """What a machinist needs beyond the model, for one part line: tolerance, threads, inserts,
    roughness, inspection and the technical drawing.

    Each value is priced by the engine as its own explained cost (the process's parameters), is
    frozen with the quote version, and travels to the work orders and a partner's purchase. A
    value that needs a person (a tolerance the process cannot hold, a fine tolerance or threads
    without a drawing) makes the quote fatal: the order waits for the usual DFM review.
    """

    _name = "odm.part.specification"
    _description = "Part Specification"
    _rec_name = "sale_line_id"

    sale_line_id = fields.Many2one(
        "sale.order.line", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="sale_line_id.company_id", store=True)
    tolerance_class = fields.Selection(
        [
            ("f", "ISO 2768-f (fine)"),
            ("m", "ISO 2768-m (medium)"),
            ("c", "ISO 2768-c (coarse)"),
            ("v", "ISO 2768-v (very coarse)"),
        ],
        "General tolerance",
        help="ISO 2768-1 class of the dimensions without a stated tolerance.",
    )
    tolerance_mm = fields.Float(
        "Tightest stated tolerance (± mm)",
        digits=(6, 3),
        help="The finest tolerance written on the drawing, when finer than the general class.",
    )
    thread_size = fields.Selection([(size, size) for size in THREAD_SIZES], "Thread size")
    thread_count = fields.Integer("Threads", help="Tapped threads of this size on one part.")
    insert_size = fields.Selection([(size, size) for size in INSERT_SIZES], "Insert size")
    insert_count = fields.Integer("Inserts", help="Threaded inserts of this size on one part.")
    roughness_ra_um = fields.Float(
        "Surface roughness Ra (µm)", digits=(6, 3), help="Empty: as the process leaves it."
    )
    inspection = fields.Selection(list(INSPECTION_LEVELS.items()), required=True, default="none")
    drawing = fields.Binary("Technical drawing (PDF)", attachment=True)
    drawing_name = fields.Char("Drawing file name")

    _sql_constraints = [
        ("sale_line_uniq", "unique(sale_line_id)", "A part line has one specification."),
        ("counts_positive", "CHECK(thread_count >= 0 AND insert_count >= 0)", "Counts are >= 0."),
    ]

    @api.constrains(
        "tolerance_class",
        "tolerance_mm",
        "thread_size",
        "thread_count",
        "insert_size",
        "insert_count",
        "roughness_ra_um",
        "inspection",
    )
    def _check_engine_accepts(self):
        for spec in self:
            if bool(spec.thread_size) != bool(spec.thread_count):
                raise ValidationError(self.env._("Threads need both a size and a count."))
            if bool(spec.insert_size) != bool(spec.insert_count):
                raise ValidationError(self.env._("Inserts need both a size and a count."))
            try:
                Specification.from_mapping(spec._odm_engine_spec())
            except QuoteError as error:
                raise ValidationError(str(error)) from error

    @api.constrains("drawing")
    def _check_drawing(self):
        for spec in self.filtered("drawing"):
            check_drawing(self.env, base64.b64decode(spec.with_context(bin_size=False).drawing))

    @api.model_create_multi
    def create(self, vals_list):
        specs = super().create(vals_list)
        specs._odm_reprice()
        return specs

    def write(self, vals):
        result = super().write(vals)
        self._odm_reprice()
        return result

    def _odm_reprice(self):
        """The line's price and review state follow its specification (draft quotes only)."""
        lines = self.sale_line_id
        confirmed = lines.filtered(lambda line: line.order_id.state not in ("draft", "sent"))
        if confirmed:
            raise UserError(
                self.env._(
                    "%(parts)s: the specification of a confirmed order cannot change.",
                    parts=", ".join(confirmed.mapped("odm_part_id.name")),
                )
            )
        lines._odm_reprice()

    def _odm_engine_spec(self):
        """The specification as the engine reads it (None when there is none)."""
        if not self:
            return None
        self.ensure_one()
        return {
            "tolerance_class": self.tolerance_class or "",
            "tolerance_mm": self.tolerance_mm,
            "threads": [{"size": self.thread_size, "count": self.thread_count}]
            if self.thread_size
            else [],
            "inserts": [{"size": self.insert_size, "count": self.insert_count}]
            if self.insert_size
            else [],
            "roughness_ra_um": self.roughness_ra_um,
            "inspection": self.inspection,
            "drawing": bool(self.drawing),
        }

    @api.model
    def _odm_set_for_line(self, line, values):
        """Creates or updates ``line``'s specification from checked ``values`` (field names of
        this model, ``drawing`` as bytes or None to keep the current one); re-prices the line."""
        values = dict(values)
        drawing = values.pop("drawing", None)
        if drawing:
            check_drawing(self.env, drawing)
            values["drawing"] = base64.b64encode(drawing)
        spec = line.odm_specification_ids[:1]
        if spec:
            spec.write(values)
        else:
            spec = self.create({**values, "sale_line_id": line.id})
        return spec

    @api.model
    def _odm_from_api(self, raw, drawing=None):
        """The engine's specification of an API request (None without one): ``raw`` is the
        ``specification`` field (JSON text or object: tolerance_class, tolerance_mm, threads,
        inserts, roughness_ra_um, inspection), ``drawing`` the bytes of the PDF sent with it.
        OdmRequestError names the refused field."""
        if raw in (None, "") and not drawing:
            return None
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = None
        raw = {} if raw in (None, "") and drawing else raw
        if not isinstance(raw, dict) or "drawing" in raw:
            raise OdmRequestError(
                "specification",
                "bad_specification",
                self.env._("specification must be a JSON object; send the drawing as a file."),
            )
        if drawing:
            try:
                check_drawing(self.env, drawing)
            except UserError as error:
                raise OdmRequestError("drawing", "bad_drawing", error.args[0]) from error
        try:
            return Specification.from_mapping({**raw, "drawing": bool(drawing)}).to_dict()
        except QuoteError as error:
            raise OdmRequestError("specification", "bad_specification", str(error)) from error

    @api.model
    def _odm_values_from_engine(self, spec):
        """Field values of an engine specification (dict); one size of threads and of inserts
        per part line (UserError otherwise)."""
        values = {
            "tolerance_class": spec["tolerance_class"] or False,
            "tolerance_mm": spec["tolerance_mm"],
            "roughness_ra_um": spec["roughness_ra_um"],
            "inspection": spec["inspection"],
        }
        for kind in ("thread", "insert"):
            features = spec[f"{kind}s"]
            if len(features) > 1:
                raise UserError(
                    self.env._("A part line takes one size of threads and one of inserts.")
                )
            values[f"{kind}_size"] = features[0]["size"] if features else False
            values[f"{kind}_count"] = features[0]["count"] if features else 0
        return values

    @api.model
    def _odm_attach_drawing(self, record, data, name):
        """Keeps an API request's drawing with the record it was priced for."""
        return self.env["ir.attachment"].create(
            {"name": name, "raw": data, "res_model": record._name, "res_id": record.id}
        )

    @api.model
    def _odm_describe(self, spec):
        """One line per specification of an engine ``spec`` (dict, as frozen with a quote), for
        people: the order line, the work orders, a partner's purchase."""
        if not spec:
            return []
        lines = []
        if spec.get("tolerance_class"):
            lines.append(
                self.env._("General tolerance: ISO 2768-%(code)s", code=spec["tolerance_class"])
            )
        if spec.get("tolerance_mm"):
            tolerance = format(spec["tolerance_mm"], "g")
            lines.append(self.env._("Tightest tolerance: ±%(mm)s mm", mm=tolerance))
        for feature in spec.get("threads") or ():
            lines.append(self.env._("Threads: %(count)s x %(size)s tapped", **feature))
        for feature in spec.get("inserts") or ():
            lines.append(self.env._("Inserts: %(count)s x %(size)s", **feature))
        if spec.get("roughness_ra_um"):
            roughness = format(spec["roughness_ra_um"], "g")
            lines.append(self.env._("Surface roughness: Ra %(ra)s µm", ra=roughness))
        if spec.get("inspection", "none") != "none":
            lines.append(
                self.env._(
                    "Inspection: %(level)s", level=self._odm_inspection_label(spec["inspection"])
                )
            )
        if lines and spec.get("drawing"):
            lines.append(self.env._("See the technical drawing."))
        return lines

    @api.model
    def _odm_inspection_label(self, level):
        """The inspection level's name in the user's language."""
        return dict(self._fields["inspection"]._description_selection(self.env))[level]


def check_drawing(env, data):
    """Refuses anything but a PDF of at most MAX_DRAWING_MB (UserError saying why)."""
    if len(data) > MAX_DRAWING_MB * 2**20:
        raise UserError(
            env._("The drawing is larger than %(mb)s MB: send the PDF alone.", mb=MAX_DRAWING_MB)
        )
    # A PDF starts with its version header and ends with an end-of-file marker.
    if not data.startswith(PDF_MAGIC) or PDF_END not in data[-1024:]:
        raise UserError(env._("The technical drawing must be a PDF file."))
