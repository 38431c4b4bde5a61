"""The file a machine runs for one job, named after the job's tag so the machine echoes it.

FDM jobs are plates sliced with the engine's PrusaSlicer runner (``slicer.slice_part``) and the
machine's own printer and material profiles: each copy of a part turned as the quote chose,
turned again and moved where the layout put it (a build job's layout, or ``copies_on_plate``
for the copies of one work order), written as one object per copy and sliced once, so the
G-code makes exactly the copies the job counts. CNC jobs carry the NC program attached to the
work order unchanged.
"""

import math
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from odm_engine.machines.connectors.base import JobFile
from odm_engine.mesh.loaders import Part
from odm_engine.packing import nesting
from odm_engine.slicing import slicer

# Standard filament; PrusaSlicer's profiles and every machine we link use it.
FILAMENT_DIAMETER_MM = 1.75
# Copies of one part nested on one run at most: nesting time grows quickly with the count
# (about 1 s for 50, 4 s for 100 small parts), and dispatch nests while it holds its locks.
MAX_COPIES_PER_RUN = 50
_3MF_CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
_3MF_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
    '"http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="model" '
    'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>'
)
_3MF_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
    '"http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
    'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
)


@dataclass(frozen=True)
class PlatePiece:
    """One copy of a part on a plate: its mesh, the quote's build rotation (3x3), and where the
    build job layout put its footprint (``rotation_deg`` about Z, placed ``outline`` in mm)."""

    part: Part
    rotation: Sequence[Sequence[float]]
    rotation_deg: float
    outline: Sequence[Sequence[float]]


@dataclass(frozen=True)
class SlicedJob:
    """The job file and what the slicer expects it to take."""

    file: JobFile
    print_time_s: float
    material_g: float
    filament_mm: float


def gcode_name(tag: str) -> str:
    return f"{tag}.gcode"


def nc_job(tag: str, program_name: str, content: bytes) -> JobFile:
    """The NC program attached to a work order, renamed after the tag (extension kept)."""
    if not content:
        raise ValueError(f"the NC program {program_name!r} is empty")
    suffix = Path(program_name).suffix.lower() or ".nc"
    return JobFile(tag=tag, name=f"{tag}{suffix}", content=content, kind="nc")


def slice_plate(
    tag: str, pieces: Sequence[PlatePiece], printer: str, material: str, **options: Any
) -> SlicedJob:
    """Slices pieces as one plate, each where the layout placed it and each its own object in
    the G-code (labelled ``; printing object copy N``, so an operator can cancel one copy on
    the machine and the file can be checked for what it makes)."""
    if not pieces:
        raise ValueError("a plate needs at least one part")
    with tempfile.TemporaryDirectory(prefix="odm-plate-") as workdir:
        plate = write_plate_3mf(pieces, Path(workdir) / f"{tag}.3mf")
        overrides = {"gcode_label_objects": 1, **options.pop("overrides", {})}
        return _slice(tag, plate, printer, material, dict(options, overrides=overrides))


def copies_on_plate(
    outline: Sequence[Sequence[float]],
    copies: int,
    plate: nesting.Plate,
    max_copies: int = MAX_COPIES_PER_RUN,
) -> list[nesting.Placement]:
    """Where the first plate holds as many of ``copies`` copies of one footprint as fit (the
    same bottom-left nesting build jobs use), at most ``max_copies``: the rest make further
    runs. Only as many copies as the plate's area could hold are nested, so a large quantity
    costs no more than a full plate."""
    area = nesting.polygon_area(nesting.convex_outline(outline, "part"))
    room = math.floor(plate.usable_area_mm2 / area) if area > 0 else copies
    wanted = max(1, min(copies, max_copies, room))
    result = nesting.nest([nesting.NestItem("part", outline, wanted)], plate)
    if not result.plates:
        reason = result.unfitted[0].reason if result.unfitted else "nothing to place"
        raise nesting.PackingError(reason)
    return result.plates[0].placements


def place(piece: PlatePiece) -> np.ndarray:
    """The piece's vertices where the layout put it, standing on z = 0."""
    turned = piece.part.vertices @ np.asarray(piece.rotation, dtype=float).T
    angle = math.radians(piece.rotation_deg)
    spin = np.array(
        [
            [math.cos(angle), -math.sin(angle), 0],
            [math.sin(angle), math.cos(angle), 0],
            [0, 0, 1],
        ]
    )
    placed = turned @ spin.T
    target = np.asarray(piece.outline, dtype=float).min(axis=0)
    placed[:, :2] += target - placed[:, :2].min(axis=0)
    placed[:, 2] -= placed[:, 2].min()
    return placed


def write_plate_3mf(pieces: Sequence[PlatePiece], path: Path) -> Path:
    """A 3MF holding one object per piece (``copy 1``, ``copy 2``...), placed, in millimetres."""
    objects, items = [], []
    for number, piece in enumerate(pieces, start=1):
        vertices = "".join(
            f'<vertex x="{x:.5f}" y="{y:.5f}" z="{z:.5f}"/>' for x, y, z in place(piece)
        )
        triangles = "".join(
            f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in piece.part.faces.tolist()
        )
        objects.append(
            f'<object id="{number}" name="copy {number}" type="model"><mesh>'
            f"<vertices>{vertices}</vertices><triangles>{triangles}</triangles></mesh></object>"
        )
        items.append(f'<item objectid="{number}"/>')
    model = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<model unit="millimeter" xmlns="{_3MF_CORE}"><resources>{"".join(objects)}'
        f"</resources><build>{''.join(items)}</build></model>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _3MF_CONTENT_TYPES)
        archive.writestr("_rels/.rels", _3MF_RELS)
        archive.writestr("3D/3dmodel.model", model)
    return path


def filament_grams(length_mm: float, density_g_cm3: float) -> float:
    """Grams of filament of ``length_mm`` (1.75 mm diameter)."""
    area_mm2 = math.pi * (FILAMENT_DIAMETER_MM / 2) ** 2
    return length_mm * area_mm2 / 1000 * density_g_cm3


def _slice(
    tag: str, mesh: Path, printer: str, material: str, options: Mapping[str, Any]
) -> SlicedJob:
    gcode = mesh.with_suffix(".gcode")
    result = slicer.slice_part(
        mesh, printer=printer, material=material, gcode_out=gcode, keep_layout=True, **options
    )
    return SlicedJob(
        file=JobFile(tag=tag, name=gcode_name(tag), content=gcode.read_bytes(), kind="gcode"),
        print_time_s=result.print_time_s,
        material_g=result.filament_g,
        filament_mm=result.filament_mm,
    )
