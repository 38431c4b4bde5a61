import base64

import numpy as np

from odoo import api, models
from odoo.exceptions import UserError

from odoo.addons.odm_mrp.models.odm_machine import PLATE_TECHNOLOGIES

from odm_engine.machines import jobfiles
from odm_engine.machines.connectors.base import JobFile
from odm_engine.mesh.loaders import load_part
from odm_engine.packing import nesting

# Extensions of NC programs attached to CNC work orders.
NC_EXTENSIONS = (".nc", ".ngc", ".gcode", ".tap", ".cnc", ".mpf", ".h")


class OdmMachineJobFilesMixin(models.AbstractModel):
    """The file a job runs, and the copies it makes: one work order's copies nested on the
    machine's plate (as many as fit, the rest on later runs), a build job's plate as laid out,
    or a CNC work order's NC program."""

    _name = "odm.machine.job.files.mixin"
    _description = "Machine Job: Files"

    @api.model
    def _plan_copies(self, workorder, machine, remaining):
        """(copies, layout) of the next run of ``workorder`` on ``machine``
        (``_plan_copies_of_part``)."""
        part = workorder.production_id.bom_id.odm_quote_id.part_id
        return self._plan_copies_of_part(part, machine, remaining)

    @api.model
    def _plan_copies_of_part(self, part, machine, remaining):
        """(copies, layout) of the next run of ``remaining`` copies of ``part`` on ``machine``:
        on a plate, as many as odm_mrp's nesting fits on the machine's plate (its margin and
        spacing, the part standing as quoted); elsewhere every remaining copy in one run.
        A part whose footprint cannot be read or nested runs one copy at a time."""
        if machine.technology not in PLATE_TECHNOLOGIES:
            return remaining, None
        footprint = part._odm_plate_footprint()
        if not footprint:
            return 1, None
        try:
            plate = nesting.Plate(
                machine.build_x_mm,
                machine.build_y_mm,
                margin_mm=machine.plate_margin_mm,
                spacing_mm=machine.part_spacing_mm,
            )
            placements = jobfiles.copies_on_plate(footprint, remaining, plate)
        except nesting.PackingError:
            return 1, None
        layout = {
            "placements": [
                {
                    "rotation_deg": placement.rotation_deg,
                    "outline": np.round(placement.outline, 3).tolist(),
                }
                for placement in placements
            ]
        }
        return len(placements), layout

    def _job_file(self):
        """The stored file, or a new one made and stored now."""
        if self.file:
            return JobFile(
                tag=self.name,
                name=self.file_name,
                content=base64.b64decode(self.with_context(bin_size=False).file),
                kind="nc" if self.machine_id.technology == "cnc" else "gcode",
            )
        technology = self.machine_id.technology
        if technology == "cnc":
            job_file = self._nc_file()
        elif technology == "fdm":
            sliced = self._slice()
            job_file = sliced.file
            self.write(
                {
                    "expected_time_min": sliced.print_time_s / 60,
                    "expected_time_factor": 1.0,
                    "expected_material_g": sliced.material_g,
                }
            )
        else:
            raise UserError(
                self.env._(
                    "%(technology)s machines take no files from Odoo: link them as manual.",
                    technology=technology,
                )
            )
        self.write({"file": base64.b64encode(job_file.content), "file_name": job_file.name})
        return job_file

    def _nc_file(self):
        workorder = self.workorder_ids[:1]
        programs = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", "mrp.workorder"), ("res_id", "=", workorder.id)],
                order="id desc",
            )
            .filtered(lambda att: att.name.lower().endswith(NC_EXTENSIONS))
        )
        if not programs:
            raise UserError(
                self.env._(
                    "Work order %(wo)s has no NC program attached.", wo=workorder.display_name
                )
            )
        return jobfiles.nc_job(self.name, programs[0].name, programs[0].raw)

    def _slice(self):
        machine = self.machine_id
        printer = machine.slicer_printer
        material = machine.slicer_material or (machine.loaded_material_id.code or "").upper()
        if not printer:
            raise UserError(
                self.env._("Machine %(name)s has no slicer printer profile.", name=machine.name)
            )
        return jobfiles.slice_plate(self.name, self._plate_pieces(), printer, material)

    def _plate_pieces(self):
        """Every copy the job makes, where its layout put it: the build job's placements, or
        the copies of one work order nested when the job was made (one copy, centred by the
        slicer, when they could not be nested)."""
        if self.build_job_id:
            placements = [
                (self.env["mrp.workorder"].browse(placement["workorder_id"]), placement)
                for placement in self.build_job_id.layout["placements"]
            ]
        else:
            single = {"rotation_deg": 0.0, "outline": [[0.0, 0.0]]}
            spots = (self.layout or {}).get("placements") or [single]
            placements = [(self.workorder_ids[:1], spot) for spot in spots]
        meshes = {}
        pieces = []
        for workorder, placement in placements:
            part = workorder.production_id.bom_id.odm_quote_id.part_id
            if part not in meshes:
                meshes[part] = _mesh(part)
            pieces.append(
                jobfiles.PlatePiece(
                    part=meshes[part],
                    rotation=part.analysis["orientation"]["rotation"],
                    rotation_deg=placement["rotation_deg"],
                    outline=placement["outline"],
                )
            )
        return pieces


def _mesh(part):
    return load_part(
        base64.b64decode(part.with_context(bin_size=False).file), part.file_name, unit=part.unit
    )
