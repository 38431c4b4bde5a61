"""Entry point for uploaded part files: sniff the format, read it safely, settle the unit.

``load_part`` accepts bytes or a path, identifies the format from the content (the extension is
only a tie-breaker, customers rename files), reads it under :class:`~.limits.Limits`, validates
the coordinates and returns a :class:`Part` in millimetres. Anything it cannot honestly turn into
a part raises :class:`~.errors.MeshError` with a one-sentence reason.
"""

import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from odm_engine.mesh import errors, readers_3mf, readers_cad, readers_mesh
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import DEFAULT_LIMITS, Limits, check_file_size
from odm_engine.mesh.raycast import bounds
from odm_engine.mesh.readers_mesh import RawMesh
from odm_engine.mesh.units import UNIT_WORDS, choose_unit

# Largest believable part: 10 m. Anything bigger is corrupt coordinates, not a quote.
MAX_EXTENT_MM = 10_000.0
# A part thinner than this fraction of its length is a sheet, a line or a point: nothing to make.
FLAT_RATIO = 1e-6

SUPPORTED_FORMATS = "STL, 3MF, OBJ, PLY, GLB/glTF, STEP or IGES"

_NOT_MODELS = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)


@dataclass(frozen=True)
class Part:
    """A part ready for analysis: triangles in millimetres plus where they came from."""

    vertices: np.ndarray  # (n, 3) float64, mm
    faces: np.ndarray  # (m, 3) int64
    filename: str
    source_format: str
    unit: str
    unit_inferred: bool
    unit_reason: str
    indexed: bool
    objects: int
    notes: tuple[str, ...]
    exact_volume_mm3: float | None = None
    exact_area_mm2: float | None = None
    solids: int | None = None
    inflated_bytes: int = 0

    @property
    def triangles(self) -> int:
        return len(self.faces)

    @cached_property
    def vertex_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-axis (low, high) of the vertices the faces use, mm.

        ``load_part`` stores the bounds it measured anyway; a part built otherwise, or copied
        with other vertices by ``dataclasses.replace``, measures its own when first asked.
        """
        return bounds(_used_vertices(self.vertices, self.faces))


def load_part(
    source: bytes | str | os.PathLike,
    filename: str | None = None,
    unit: str = "auto",
    limits: Limits = DEFAULT_LIMITS,
) -> Part:
    """Read an uploaded file into a :class:`Part` in millimetres.

    ``unit`` is ``"auto"`` (honour the file's declared unit, else infer) or a unit name such as
    ``"mm"`` or ``"inch"`` that overrides everything.
    """
    data, filename = _read_source(source, filename, limits)
    raw = read_raw(data, filename, limits)
    return _to_part(raw, filename, unit)


def _read_source(source, filename: str | None, limits: Limits) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        check_file_size(len(data), limits)
        return data, filename or ""
    path = os.fspath(source)
    check_file_size(os.stat(path).st_size, limits)
    with open(path, "rb") as handle:
        data = handle.read(limits.max_file_bytes + 1)
    check_file_size(len(data), limits)
    return data, filename or os.path.basename(path)


def detect_format(data: bytes, filename: str = "") -> str:
    """Format key from the content; the extension only decides between look-alikes."""
    extension = os.path.splitext(filename)[1].lower()
    if data[:4] == b"PK\x03\x04":
        return "3mf"
    checks = (
        ("glb", readers_mesh.looks_like_glb),
        ("step", readers_cad.looks_like_step),
        ("iges", readers_cad.looks_like_iges),
        ("ply", lambda d: d[:4] in (b"ply\n", b"ply\r")),
        ("stl-binary", readers_mesh.binary_stl_matches_size),
        ("stl-ascii", readers_mesh.looks_like_ascii_stl),
        ("gltf", readers_mesh.looks_like_gltf_json),
        ("obj", readers_mesh.looks_like_obj),
    )
    for key, matches in checks:
        if matches(data):
            return key
    if extension == ".stl":
        return "stl-binary"  # a binary STL whose size disagrees with its header: say how
    for magic, what in _NOT_MODELS:
        if data.startswith(magic):
            raise MeshError(
                errors.UNKNOWN_FORMAT,
                f"This is {what}, not a 3D model; please upload {SUPPORTED_FORMATS}.",
            )
    raise MeshError(
        errors.UNKNOWN_FORMAT,
        f"The file is not a 3D model format we can read; please upload {SUPPORTED_FORMATS}.",
    )


def read_raw(data: bytes, filename: str, limits: Limits) -> RawMesh:
    if not data.strip():
        raise MeshError(errors.EMPTY, "The file is empty.")
    fmt = detect_format(data, filename)
    readers = {
        "3mf": readers_3mf.read_3mf,
        "glb": readers_mesh.read_glb,
        "gltf": readers_mesh.read_gltf,
        "ply": readers_mesh.read_ply,
        "stl-binary": readers_mesh.read_binary_stl,
        "stl-ascii": readers_mesh.read_ascii_stl,
        "obj": readers_mesh.read_obj,
        "step": lambda d, lim: readers_cad.read_cad(d, "step", lim),
        "iges": lambda d, lim: readers_cad.read_cad(d, "iges", lim),
    }
    if fmt == "stl-ascii" and b"endsolid" not in data[-4096:].lower():
        raise MeshError(
            errors.TRUNCATED,
            "The ASCII STL stops before its 'endsolid' line; the file was cut short.",
        )
    return readers[fmt](data, limits)


def _to_part(raw: RawMesh, filename: str, unit: str) -> Part:
    points = _used_vertices(raw.vertices, raw.faces) if raw.indexed else raw.vertices
    low, high = bounds(points)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        # min and max propagate NaN, and an infinity is its own extreme: nothing slips through.
        raise MeshError(
            errors.INVALID_COORDINATES,
            "The file contains coordinates that are not numbers (NaN or infinity); it is corrupt.",
        )
    raw_extents = high - low
    choice = choose_unit(unit, raw.declared_unit, raw.declared_by, raw_extents, filename)
    scale = choice.mm_per_unit
    extents = raw_extents * scale
    largest = float(extents.max())
    if largest > MAX_EXTENT_MM:
        raise MeshError(
            errors.INVALID_COORDINATES,
            f"The part would be {largest / 1000:,.0f} m long in {UNIT_WORDS[choice.unit]}; its "
            f"coordinates or unit are wrong.",
        )
    if largest == 0 or float(extents.min()) <= FLAT_RATIO * largest:
        raise MeshError(
            errors.FLAT,
            "The part is flat: it has no thickness, so there is nothing to manufacture.",
        )
    part = Part(
        vertices=_in_mm(raw.vertices, scale),
        faces=np.ascontiguousarray(raw.faces, dtype=np.int64),
        filename=filename,
        source_format=raw.source_format,
        unit=choice.unit,
        unit_inferred=choice.inferred,
        unit_reason=choice.reason,
        indexed=raw.indexed,
        objects=raw.objects,
        notes=tuple(raw.notes),
        exact_volume_mm3=raw.exact_volume * scale**3 if raw.exact_volume else None,
        exact_area_mm2=raw.exact_area * scale**2 if raw.exact_area else None,
        solids=raw.solids,
        inflated_bytes=raw.inflated_bytes,
    )
    # Filled in as cached_property would (scaling is monotonic, so the scaled extremes are
    # exactly the extremes of the scaled vertices): the repair need not measure them again.
    vars(part)["vertex_bounds"] = (_in_mm(low, scale), _in_mm(high, scale))
    return part


def _used_vertices(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The vertices some face refers to."""
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.ravel()] = True
    return vertices if used.all() else vertices[used]


def _in_mm(values: np.ndarray, scale: float) -> np.ndarray:
    """Coordinates in the file's unit as contiguous float64 millimetres."""
    return np.ascontiguousarray(values * scale if scale != 1.0 else values, dtype=np.float64)
