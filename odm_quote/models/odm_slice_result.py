import base64
import logging
import threading

import psycopg2

from odoo import api, fields, models
from odoo.tools import mute_logger

from odm_engine.mesh.loaders import load_part
from odm_engine.slicing import precise, profile_reader

_logger = logging.getLogger(__name__)


class OdmSliceResult(models.Model):
    """What PrusaSlicer measured for one part file in one orientation with one profile set
    (FDM, or resin in its SLA mode).

    Re-quotes, re-orders and every line of the same file reuse it instead of slicing again.
    """

    _name = "odm.slice.result"
    _description = "Slicer Result"
    _order = "id desc"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    key = fields.Char(required=True, index=True, help="precise.slice_key of the slice.")
    sha256 = fields.Char("File SHA-256", required=True)
    printer = fields.Char("Printer profile", required=True)
    material = fields.Char("Material profile", required=True)
    print_time_s = fields.Float("Print time (s)", required=True)
    filament_g = fields.Float(
        "Material (g)", required=True, help="Filament, or resin with its supports and pad (SLA)."
    )
    result = fields.Json(required=True)

    _sql_constraints = [
        ("key_company_uniq", "unique(key, company_id)", "A slice is stored once per company."),
    ]

    @api.model
    def _odm_profiles(self, machine_code, material):
        """(technology, printer profiles, material profile) a part quoted on machine type
        ``machine_code`` in ``material`` is sliced with: the machine type's printer profile,
        else its technology's defaults (the first the part fits). Resin without a profile of
        its own is sliced with the default resin profile, as the instant estimate prices it
        (and weighed with its own density)."""
        machine_type = self.env["odm.machine.type"].search([("code", "=", machine_code)], limit=1)
        sla = machine_type.process_id.technology == "sla"
        if machine_type.slicer_printer:
            printers = [machine_type.slicer_printer]
        else:
            printers = list(precise.DEFAULT_SLA_PRINTERS if sla else precise.DEFAULT_PRINTERS)
        if sla and material.upper() not in profile_reader.available_materials(technology="sla"):
            material = profile_reader.DEFAULT_SLA_MATERIAL
        return ("sla" if sla else "fdm"), printers, material

    @api.model
    def _odm_key(self, part, machine_code, material):
        technology, printers, profile = self._odm_profiles(machine_code, material)
        return precise.slice_key(
            part.sha256,
            part.analysis["orientation"]["rotation"],
            material,
            printers,
            technology=technology,
            profile_material=profile if profile != material else None,
        )

    @api.model
    def _odm_stored_for(self, part, machine_code, material):
        """The stored slice (SliceResult.to_dict()) of ``part`` quoted on ``machine_code`` in
        ``material``, None when it was not sliced yet: re-quotes of a file cost nothing.

        None too when the slicer has no profile for that printer or material (an FDM material
        without one): pricing goes on with the estimate, and the slicing job, if one is
        queued, ends with that reason on the line or quote instead of an error page."""
        try:
            key = self._odm_key(part, machine_code, material)
        except ValueError:
            return None
        stored = self._odm_stored(part.company_id, key)
        return stored.result if stored else None

    @api.model
    def _odm_slice(self, part, machine_code, material, instant):
        """Slicer figures (SliceResult.to_dict() or SlaSliceResult.to_dict()) for ``part`` as
        the instant estimate placed it, quoted on machine type ``machine_code`` in
        ``material``: from the store, else sliced now and kept (``_odm_keep``) with the
        calibration sample of ``instant``, the quote (odm.part.quote) the slice refines.
        MeshError or ValueError when the slicer refuses."""
        technology, printers, profile = self._odm_profiles(machine_code, material)
        key = self._odm_key(part, machine_code, material)
        stored = self._odm_stored(part.company_id, key)
        if stored:
            return stored.result
        options = {}
        if technology == "sla":
            resin = self.env["odm.material"].search(
                [("code", "=", material), ("company_id", "in", (part.company_id.id, False))],
                limit=1,
            )
            options["density_g_cm3"] = resin.density_g_cm3 or None
        mesh = load_part(base64.b64decode(part.file), part.file_name, unit=part.unit)
        sliced = precise.slice_as_estimated(
            mesh, part.analysis, profile, printers=printers, technology=technology, **options
        )
        values = {
            "company_id": part.company_id.id,
            "key": key,
            "sha256": part.sha256,
            "printer": sliced.printer,
            "material": sliced.material,
            "print_time_s": sliced.print_time_s,
            "filament_g": sliced.measured()["material_g"],
            "result": sliced.to_dict(),
        }
        if not self._odm_commits_apart():
            return self._odm_keep(values, instant)
        with self.env.registry.cursor() as cr:
            return self.with_env(self.env(cr=cr))._odm_keep(values, instant, apart=True)

    @api.model
    def _odm_commits_apart(self):
        """Whether a fresh slice is committed at once on a cursor of its own: the slicing job
        may still fail on a concurrent update of its line or quote (the customer re-prices or
        removes it meanwhile) and be retried, and the slice, a fact about the file, must
        survive that rollback so the retry only re-prices (as mail keeps an alias's bounce
        when the message it answers fails). Not in tests, which write in their own
        transaction only (as mail sends on the test's cursor)."""
        return not getattr(threading.current_thread(), "testing", False)

    def _odm_keep(self, values, instant, apart=False):
        """Stores the slice ``values`` with ``instant``'s calibration sample and returns the
        slice as stored. When a concurrent job stored the same slice first (the unique key),
        its row is the one returned and its sample the one kept; ``apart``: this cursor holds
        nothing else, so it may start a transaction that sees that row."""
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                kept = self.create(values)
        except psycopg2.errors.UniqueViolation:
            _logger.info("slice %s of %s was stored meanwhile", values["key"], values["sha256"])
            if not apart:
                return values["result"]
            self.env.cr.rollback()
            company = self.env["res.company"].browse(values["company_id"])
            return self._odm_stored(company, values["key"]).result
        self.env["odm.slice.sample"]._odm_record(instant, kept.result)
        return kept.result

    def _odm_stored(self, company, key):
        return self.search([("company_id", "=", company.id), ("key", "=", key)], limit=1)
