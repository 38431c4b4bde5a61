"""The options of a quote request, resolved and checked in one place for every channel.

The portal (ids from its form), the quote API and the federation API (codes), the back office's
upload wizard and sale lines (records) all call ``resolve``; a value the shop cannot accept
raises ``OdmRequestError`` naming the option, which each controller family turns into its
answer (a message on the page, a 422 JSON error) in one place.
"""

from typing import Any, NamedTuple

from odoo import api, models
from odoo.exceptions import UserError

UNITS = ("auto", "mm", "inch")


class OdmRequestError(UserError):
    """A request option the shop cannot accept: ``field`` names it, ``code`` is stable."""

    def __init__(self, field, code, message):
        super().__init__(message)
        self.field = field
        self.code = code

    def at(self, prefix):
        """The same refusal, its field placed inside ``prefix`` (``lines[2]``)."""
        return OdmRequestError(f"{prefix}.{self.field}", self.code, self.args[0])

    def to_dict(self):
        return {"code": self.code, "field": self.field, "message": self.args[0]}


class RequestOptions(NamedTuple):
    """Resolved options (sudo records of the company; material is never empty)."""

    process: Any
    material: Any
    finish: Any
    lead_time: Any
    quantity: int
    unit: str

    def price(self, part, **extra):
        """``odm.pricing.quote`` of ``part`` with these options, in the part's environment
        (``extra``: its other keywords, e.g. config, specification): (engine Quote, frozen
        parameters)."""
        return part.env["odm.pricing"].quote(
            part,
            self.process,
            self.material,
            self.quantity,
            finish=self.finish,
            lead_time=self.lead_time,
            **extra,
        )

    def known(self):
        """The records a quote priced with these options is frozen with (``freeze(known=)``)."""
        return {
            "process_id": self.process,
            "material_id": self.material,
            "finish_id": self.finish,
            "lead_time_id": self.lead_time,
        }

    def as_kwargs(self):
        """The keyword arguments of sale.order._odm_add_uploads / _odm_add_part_lines."""
        return {
            "process": self.process,
            "quantity": self.quantity,
            "material": self.material,
            "finish": self.finish,
            "lead_time": self.lead_time,
        }


class OdmRequestOptions(models.AbstractModel):
    _name = "odm.request.options"
    _description = "Quote Request Options"

    @api.model
    def catalogue(self, company=None):
        """What customers may choose, read with sudo (visitors may not read the catalogue)."""
        company = (company or self.env.company).sudo()
        env = self.sudo().with_company(company).env
        domain = [("company_id", "in", (company.id, False))]
        processes = env["odm.process"]._odm_offered().filtered("material_ids")
        return {
            "processes": processes,
            "materials": env["odm.material"].search(domain),
            "finishes": env["odm.finish"].search(domain),
            "lead_times": env["odm.lead.time.tier"].search(domain),
            "default_process": company.odm_default_process_id & processes or processes[:1],
            "default_lead_time": company.odm_default_lead_time_id,
        }

    @api.model
    def resolve(self, values, *, key="code", company=None, offered_only=True):
        """Options from raw ``values`` (process, material, finish, lead_time, quantity, unit).

        Each option is a record, or its ``key`` ("code" or "id") as sent; missing ones take the
        company's defaults. ``offered_only`` limits processes to those offered to customers
        (odm.process._odm_offered); the back office may quote any process of the company.
        Raises OdmRequestError for the first option that cannot be used.
        """
        company = (company or self.env.company).sudo()
        catalogue = self.catalogue(company)
        env = catalogue["materials"].env
        unit = values.get("unit") or "auto"
        if unit not in UNITS:
            raise OdmRequestError(
                "unit", "bad_unit", self.env._("The unit must be one of: auto, mm, inch.")
            )
        quantity = self._quantity(values.get("quantity"), company)
        if offered_only:
            processes = catalogue["processes"]
        else:
            processes = env["odm.process"].search([("company_id", "in", (company.id, False))])
        process = self._record("process", values.get("process"), processes, key)
        process = process or catalogue["default_process"]
        if not process:
            raise OdmRequestError(
                "process",
                "no_process",
                self.env._("No manufacturing process is available for instant quotes."),
            )
        material = self._record("material", values.get("material"), catalogue["materials"], key)
        finish = self._record("finish", values.get("finish"), catalogue["finishes"], key)
        lead_time = self._record("lead_time", values.get("lead_time"), catalogue["lead_times"], key)
        material, finish = self.check_compatible(process, material, finish)
        return RequestOptions(
            process=process,
            material=material,
            finish=finish,
            lead_time=lead_time or catalogue["default_lead_time"],
            quantity=quantity,
            unit=unit,
        )

    @api.model
    def check_compatible(self, process, material, finish):
        """(material, finish) when the process runs them; the process's default material for
        none. A material or finish the process does not offer is refused, never replaced."""
        if material and process not in material.process_ids:
            raise OdmRequestError(
                "material",
                "material_not_offered",
                self.env._(
                    "%(material)s is not made with %(process)s; choose one of: %(choices)s.",
                    material=material.name,
                    process=process.name,
                    choices=_names(process.material_ids),
                ),
            )
        material = material or process.default_material_id
        if finish and (
            process not in finish.process_ids
            or (finish.material_ids and material not in finish.material_ids)
        ):
            offered = self.offered_finishes(
                process, material, finish.search([("process_ids", "in", process.ids)])
            )
            raise OdmRequestError(
                "finish",
                "finish_not_offered",
                self.env._(
                    "%(finish)s is not offered on %(material)s with %(process)s; choose one of: "
                    "%(choices)s, or no finish.",
                    finish=finish.name,
                    material=material.name,
                    process=process.name,
                    choices=_names(offered) or self.env._("none"),
                ),
            )
        return material, finish

    @api.model
    def offered_finishes(self, process, material, finishes):
        """The ``finishes`` offered with this process and material."""
        return finishes.filtered(
            lambda finish: (
                process in finish.process_ids
                and (not finish.material_ids or material in finish.material_ids)
            )
        )

    @api.model
    def drop_incompatible(self, process, material, finish):
        """Back-office forms: the material and finish kept when the process changes."""
        if material and process not in material.process_ids:
            material = material.browse()
        if finish and not self.offered_finishes(
            process, material or process.default_material_id, finish
        ):
            finish = finish.browse()
        return material, finish

    @api.model
    def _record(self, option, raw, records, key):
        """The record of ``records`` that ``raw`` (a record, an id or a code) names."""
        if isinstance(raw, models.BaseModel):
            if not raw:
                return records.browse()
            found = records.filtered(lambda record: record.id == raw.id)
        elif raw in (None, "", False, 0, "0"):
            return records.browse()
        elif key == "id":
            found = records.filtered(lambda record: str(record.id) == str(raw))
        elif isinstance(raw, str):
            found = records.filtered(lambda record: record.code == raw)
        else:
            raise OdmRequestError(
                option,
                "bad_value",
                self.env._("%(option)s must be a code (text).", option=option),
            )
        if found:
            return found[:1]
        label = _option_label(self.env, option)
        if key == "id" and not isinstance(raw, models.BaseModel):
            message = self.env._(
                "This %(option)s is not offered; reload the page and choose again.",
                option=label,
            )
        else:
            message = self.env._(
                "No %(option)s %(value)s is offered here; choose one of: %(choices)s.",
                option=label,
                value=repr(raw.display_name if isinstance(raw, models.BaseModel) else raw),
                choices=", ".join(records.mapped("code")),
            )
        raise OdmRequestError(option, f"unknown_{option}", message)

    @api.model
    def _quantity(self, raw, company):
        """A whole number from 1 to the company's maximum (an int, a whole float or digits)."""
        maximum = company.odm_max_quantity
        if raw in (None, ""):
            quantity = 1
        elif isinstance(raw, bool):
            quantity = 0
        elif isinstance(raw, int):
            quantity = raw
        elif isinstance(raw, float) and raw.is_integer():
            quantity = int(raw)
        elif isinstance(raw, str) and raw.strip().isdigit():
            quantity = int(raw.strip())
        else:
            quantity = 0
        if not 1 <= quantity <= maximum:
            largest = f"{maximum:,}"
            raise OdmRequestError(
                "quantity",
                "bad_quantity",
                self.env._(
                    "The quantity must be a whole number between 1 and %(max)s.", max=largest
                ),
            )
        return quantity


def _names(records):
    return ", ".join(records.mapped("name"))


def _option_label(env, option):
    return {
        "process": env._("process"),
        "material": env._("material"),
        "finish": env._("finish"),
        "lead_time": env._("delivery option"),
    }[option]
