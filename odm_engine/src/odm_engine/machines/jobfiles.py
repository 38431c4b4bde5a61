"""The file a machine runs for one job, named after the job's tag so the machine echoes it.

FDM parts are sliced with odm_quote's PrusaSlicer runner (``slicer.slice_part``) and the
machine's own printer and material profiles, in the orientation the quote chose. A build job's
parts become one plate: each part turned as quoted, turned again and moved where the build job
layout put it, merged into one mesh and sliced once. CNC jobs carry the NC program attached to
the work order unchanged.
"""

import dataclasses
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from odm_engine.machines.connectors.base import JobFile
from odm_engine.mesh.loaders import Part
from odm_engine.slicing import precise, slicer

# Standard filament; PrusaSlicer's profiles and every machine we link use it.
FILAMENT_DIAMETER_MM = 1.75
_IDENTITY = np.eye(3).tolist()


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


def slice_job(
    tag: str,
    part: Part,
    rotation: Sequence[Sequence[float]],
    printer: str,
    material: str,
    **options: Any,
) -> SlicedJob:
    """Slices one part in the quote's orientation with the machine's profiles."""
    with tempfile.TemporaryDirectory(prefix="odm-job-") as workdir:
        mesh = precise.write_oriented_stl(part, rotation, Path(workdir) / f"{tag}.stl")
        return _slice(tag, mesh, printer, material, options)


def slice_plate(
    tag: str, pieces: Sequence[PlatePiece], printer: str, material: str, **options: Any
) -> SlicedJob:
    """Slices a build job's pieces as one plate, laid out as the build job placed them."""
    if not pieces:
        raise ValueError("a plate needs at least one part")
    with tempfile.TemporaryDirectory(prefix="odm-plate-") as workdir:
        merged = plate_part(pieces)
        mesh = precise.write_oriented_stl(merged, _IDENTITY, Path(workdir) / f"{tag}.stl")
        return _slice(tag, mesh, printer, material, options)


def plate_part(pieces: Sequence[PlatePiece]) -> Part:
    """One mesh holding every piece where the layout put it, each standing on z = 0."""
    vertices, faces, offset = [], [], 0
    for piece in pieces:
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
        vertices.append(placed)
        faces.append(piece.part.faces + offset)
        offset += len(placed)
    return dataclasses.replace(
        pieces[0].part,
        vertices=np.vstack(vertices),
        faces=np.vstack(faces),
        filename="plate.stl",
        objects=len(pieces),
    )


def filament_grams(length_mm: float, density_g_cm3: float) -> float:
    """Grams of filament of ``length_mm`` (1.75 mm diameter)."""
    area_mm2 = math.pi * (FILAMENT_DIAMETER_MM / 2) ** 2
    return length_mm * area_mm2 / 1000 * density_g_cm3


def _slice(
    tag: str, mesh: Path, printer: str, material: str, options: Mapping[str, Any]
) -> SlicedJob:
    gcode = mesh.with_suffix(".gcode")
    result = slicer.slice_part(mesh, printer=printer, material=material, gcode_out=gcode, **options)
    return SlicedJob(
        file=JobFile(tag=tag, name=gcode_name(tag), content=gcode.read_bytes(), kind="gcode"),
        print_time_s=result.print_time_s,
        material_g=result.filament_g,
        filament_mm=result.filament_mm,
    )
