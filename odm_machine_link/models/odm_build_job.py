import numpy as np

from odoo import models


class OdmBuildJob(models.Model):
    _inherit = "odm.build.job"

    def _odm_plate_extent(self):
        """(width, depth, height) in mm a machine needs for this layout, margins included."""
        self.ensure_one()
        layout = self.layout or {}
        placements = layout.get("placements") or []
        margin = 2 * (layout.get("margin_mm") or 0.0)
        if not placements:
            return (0.0, 0.0, self.build_height_mm)
        if layout.get("kind") == "chamber":
            extent = np.max([np.add(p["position"], p["size"]) for p in placements], axis=0)
            return (extent[0] + margin, extent[1] + margin, extent[2] + margin)
        width, depth = np.ptp(np.vstack([p["outline"] for p in placements]), axis=0)
        return (float(width) + margin, float(depth) + margin, self.build_height_mm)
