"""Generated parts with known geometry, analysed by the quoting engine, for engine tests."""

import trimesh

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part


def box_analysis(x, y, z):
    """The quoting engine's analysis of a box of these extents (mm)."""
    mesh = trimesh.creation.box(extents=(x, y, z))
    return analyse(load_part(mesh.export(file_type="stl"), "box.stl", unit="mm")).to_dict()
