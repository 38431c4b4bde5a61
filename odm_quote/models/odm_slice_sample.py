from odoo import api, fields, models

from odm_engine.slicing import precise


class OdmSliceSample(models.Model):
    """The instant FDM or SLA estimate of a part next to what the slicer measured for it.

    Every precise quote leaves one; the process's calibration is fitted on them.
    """

    _name = "odm.slice.sample"
    _description = "Slicer Calibration Sample"
    _order = "id desc"

    process_id = fields.Many2one("odm.process", required=True, ondelete="cascade", index=True)
    part_id = fields.Many2one("odm.part", required=True, ondelete="cascade")
    printer = fields.Char("Printer profile", required=True)
    material = fields.Char("Material profile", required=True)
    estimate_print_time_s = fields.Float("Instant print time (s)", required=True)
    slicer_print_time_s = fields.Float("Slicer print time (s)", required=True)
    estimate_material_g = fields.Float("Instant material (g)", required=True)
    slicer_material_g = fields.Float("Slicer material (g)", required=True)
    slicer_version = fields.Char()

    @api.model
    def _odm_record(self, instant, sliced):
        """A sample of an instant quote (odm.part.quote) next to its fresh slice
        (SliceResult.to_dict() or SlaSliceResult.to_dict()); none for a quote already priced
        with slicer figures."""
        parameters = instant.sudo().parameters or {}
        if parameters.get("measured"):
            return self.browse()
        # The raw instant figures, before any calibration (slices, prints) corrected them.
        calibrated = parameters.get("calibrated") or {}
        prints = (parameters.get("print_calibration") or {}).get("figures") or {}
        estimate = {
            name: (calibrated.get(name) or prints.get(name) or {}).get(
                "estimate", instant.result[name]
            )
            for name in ("print_time_s", "material_g")
        }
        return self.create(
            {
                "process_id": instant.process_id.id,
                "part_id": instant.part_id.id,
                "printer": sliced["printer"],
                "material": sliced["material"],
                "estimate_print_time_s": estimate["print_time_s"],
                "slicer_print_time_s": sliced["print_time_s"],
                "estimate_material_g": estimate["material_g"],
                "slicer_material_g": precise.measured_figures(sliced)["material_g"],
                "slicer_version": sliced["slicer"],
            }
        )
