"""STEP and IGES through OpenCASCADE (``OCP`` from the ``cadquery-ocp`` wheels), isolated.

A CAD kernel parsing an arbitrary upload is the riskiest thing the engine does: it can take
minutes, allocate gigabytes or crash. So the kernel always runs in a bounded child process
(:mod:`.sandbox`: wall-clock and CPU time, address space), either the analysis child it already
runs in, or one of its own; only a JSON header and raw arrays come back.

The B-rep is tessellated with a chordal deflection tied to the part's size (fine enough that mesh
and B-rep volumes agree to well under 0.1 %), and the exact volume and area are taken from the
B-rep with GProp. OpenCASCADE converts coordinates to millimetres; they are handed back in the
unit the file declares so that the loader treats every format alike.
"""

import importlib
import re
import tempfile
from dataclasses import asdict
from types import SimpleNamespace

import numpy as np

from odm_engine.mesh import errors, sandbox
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import Limits, check_triangle_count
from odm_engine.mesh.readers_mesh import RawMesh, no_triangles
from odm_engine.mesh.units import MM_PER_UNIT

# Chordal deflection as a fraction of the bounding-box diagonal, clamped to a range in mm.
DEFLECTION_PER_DIAGONAL = 5e-4
DEFLECTION_RANGE_MM = (0.002, 0.2)
ANGULAR_DEFLECTION_RAD = 0.2

_STEP_UNITS = {
    "INCH": "inch",
    "IN": "inch",
    "MM": "mm",
    "MILLIMETRE": "mm",
    "MILLIMETER": "mm",
    "CM": "cm",
    "CENTIMETRE": "cm",
    "CENTIMETER": "cm",
    "M": "m",
    "METRE": "m",
    "METER": "m",
    "FOOT": "ft",
    "FT": "ft",
    "UM": "micron",
    "MICROMETRE": "micron",
    "MICROMETER": "micron",
}
# IGES global section, parameter 14 (unit flag).
_IGES_UNIT_FLAGS = {1: "inch", 2: "mm", 4: "ft", 6: "m", 9: "micron", 10: "cm"}


def looks_like_step(data: bytes) -> bool:
    return data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISO-10303-21")


def looks_like_iges(data: bytes) -> bool:
    first_line = data[:82].split(b"\n", 1)[0].rstrip(b"\r")
    return len(first_line) >= 73 and first_line[72:73] == b"S"


def read_cad(data: bytes, kind: str, limits: Limits) -> RawMesh:
    """Tessellate a STEP or IGES file in a bounded child process."""
    if sandbox.inside_child():
        return tessellate_cad(data, kind, limits)
    bounds = sandbox.Bounds(limits.analysis_timeout_s, limits.analysis_memory_bytes)
    arguments = {"kind": kind, "limits": asdict(limits)}
    try:
        header, blobs = sandbox.run("tessellate_cad", arguments, data, bounds)
    except MeshError as error:
        if error.code != errors.TIME_LIMIT:
            raise
        raise MeshError(
            errors.CAD_TIMEOUT,
            f"Reading the {kind.upper()} file took longer than {bounds.seconds:g} s; please "
            f"simplify it or upload an STL.",
        ) from error
    return raw_mesh_from_plain(header, blobs)


_ARRAYS = {"vertices": np.float64, "faces": np.int64}


def tessellate_task(arguments: dict, data: bytes) -> tuple[dict, list[bytes]]:
    """The sandbox task of ``read_cad``: plain data in, plain data out."""
    return raw_mesh_to_plain(tessellate_cad(data, arguments["kind"], Limits(**arguments["limits"])))


def raw_mesh_to_plain(raw: RawMesh) -> tuple[dict, list[bytes]]:
    """A mesh as a JSON-ready header and raw array bytes, to cross a process boundary."""
    header = {name: value for name, value in vars(raw).items() if name not in _ARRAYS}
    arrays = [np.ascontiguousarray(getattr(raw, name), dtype) for name, dtype in _ARRAYS.items()]
    header["shapes"] = [list(array.shape) for array in arrays]
    return header, [array.tobytes() for array in arrays]


def raw_mesh_from_plain(header: dict, blobs: list[bytes]) -> RawMesh:
    fields = {name: value for name, value in header.items() if name != "shapes"}
    for (name, dtype), shape, blob in zip(_ARRAYS.items(), header["shapes"], blobs, strict=True):
        fields[name] = np.frombuffer(blob, dtype).reshape(shape)
    return RawMesh(**fields)


_OCP_NAMES = {
    "BRepGProp": "BRepGProp",
    "GProp": "GProp_GProps",
    "IFSelect": "IFSelect_RetDone",
    "TopAbs": ("TopAbs_SOLID", "TopAbs_FACE", "TopAbs_REVERSED"),
    "TopExp": "TopExp_Explorer",
    "STEPControl": "STEPControl_Reader",
    "IGESControl": "IGESControl_Reader",
    "collections": "Sequence_TCollection_AsciiString",
    "Bnd": "Bnd_Box",
    "BRep": "BRep_Tool",
    "BRepBndLib": "BRepBndLib",
    "BRepMesh": "BRepMesh_IncrementalMesh",
    "TopLoc": "TopLoc_Location",
    "TopoDS": "TopoDS",
}


def load_ocp() -> SimpleNamespace:
    """The OpenCASCADE classes used here, imported only in the child that needs them."""
    names = {}
    try:
        for module_name, wanted in _OCP_NAMES.items():
            module = importlib.import_module(f"OCP.{module_name}")
            for name in (wanted,) if isinstance(wanted, str) else wanted:
                names[name] = getattr(module, name)
    except ImportError as exc:
        raise MeshError(
            errors.CAD_UNAVAILABLE,
            "STEP and IGES files cannot be read on this server; please upload an STL or 3MF.",
        ) from exc
    return SimpleNamespace(**names)


def tessellate_cad(data: bytes, kind: str, limits: Limits) -> RawMesh:
    ocp = load_ocp()
    reader = ocp.STEPControl_Reader() if kind == "step" else ocp.IGESControl_Reader()
    with tempfile.NamedTemporaryFile(suffix=f".{kind}") as handle:
        handle.write(data)
        handle.flush()
        if reader.ReadFile(handle.name) != ocp.IFSelect_RetDone:
            raise MeshError(errors.MALFORMED, f"The {kind.upper()} file could not be parsed.")
    declared = _declared_unit(ocp, reader, kind, data)
    reader.TransferRoots()
    shape = reader.OneShape()
    if shape is None or shape.IsNull():
        raise no_triangles(kind.upper())
    solids = 0
    explorer = ocp.TopExp_Explorer(shape, ocp.TopAbs_SOLID)
    while explorer.More():
        solids += 1
        explorer.Next()
    volume_props, area_props = ocp.GProp_GProps(), ocp.GProp_GProps()
    ocp.BRepGProp.VolumeProperties_s(shape, volume_props)
    ocp.BRepGProp.SurfaceProperties_s(shape, area_props)
    vertices_mm, faces = _triangulate(ocp, shape, limits)
    scale = MM_PER_UNIT[declared]
    exact_volume = volume_props.Mass() if solids and volume_props.Mass() > 0 else None
    return RawMesh(
        vertices=vertices_mm / scale,
        faces=faces,
        source_format=kind,
        indexed=True,
        objects=max(solids, 1),
        declared_unit=declared,
        declared_by=f"{kind.upper()} file",
        exact_volume=exact_volume / scale**3 if exact_volume else None,
        exact_area=area_props.Mass() / scale**2 if area_props.Mass() > 0 else None,
        solids=solids,
    )


def _declared_unit(ocp: SimpleNamespace, reader, kind: str, data: bytes) -> str:
    """The file's length unit; OpenCASCADE itself always hands back millimetres."""
    if kind == "step":
        sequence = ocp.Sequence_TCollection_AsciiString
        lengths = sequence()
        reader.FileUnits(lengths, sequence(), sequence())
        names = [lengths.Value(i).ToCString().upper() for i in range(1, lengths.Length() + 1)]
        return next((_STEP_UNITS[n] for n in names if n in _STEP_UNITS), "mm")
    return _IGES_UNIT_FLAGS.get(iges_unit_flag(data), "mm")


def iges_unit_flag(data: bytes) -> int | None:
    """Parameter 14 of the IGES global section (Hollerith strings may contain delimiters)."""
    lines = [line[:72] for line in data[:200_000].splitlines() if line[72:73] == b"G"]
    text = b"".join(lines).decode("latin-1")
    delimiter, end = ",", ";"
    if text[:2] == "1H":
        delimiter = text[2]
    fields, position = [], 0
    hollerith = re.compile(r"\s*(\d+)H")
    while position < len(text) and len(fields) < 14:
        match = hollerith.match(text, position)
        if match:
            length = int(match.group(1))
            start = match.end()
            fields.append(text[start : start + length])
            position = start + length
        else:
            stop = min(
                (i for i in (text.find(delimiter, position), text.find(end, position)) if i >= 0),
                default=len(text),
            )
            fields.append(text[position:stop].strip())
            position = stop
        if position < len(text) and text[position] in (delimiter, end):
            position += 1
    try:
        return int(fields[13])
    except (IndexError, ValueError):
        return None


def _triangulate(ocp: SimpleNamespace, shape, limits: Limits) -> tuple[np.ndarray, np.ndarray]:
    box = ocp.Bnd_Box()
    ocp.BRepBndLib.Add_s(shape, box)
    if box.IsVoid():
        raise no_triangles("CAD")
    low, high = box.CornerMin(), box.CornerMax()
    diagonal = float(np.linalg.norm([high.X() - low.X(), high.Y() - low.Y(), high.Z() - low.Z()]))
    deflection = float(np.clip(diagonal * DEFLECTION_PER_DIAGONAL, *DEFLECTION_RANGE_MM))
    ocp.BRepMesh_IncrementalMesh(shape, deflection, False, ANGULAR_DEFLECTION_RAD, True)
    vertices, faces, base, triangle_total = [], [], 0, 0
    explorer = ocp.TopExp_Explorer(shape, ocp.TopAbs_FACE)
    while explorer.More():
        face = ocp.TopoDS.Face(explorer.Current())
        location = ocp.TopLoc_Location()
        triangulation = ocp.BRep_Tool.Triangulation_s(face, location)
        explorer.Next()
        if triangulation is None:
            continue
        triangle_total += triangulation.NbTriangles()
        check_triangle_count(triangle_total, limits)
        nodes = np.array(
            [
                (point.X(), point.Y(), point.Z())
                for point in map(triangulation.Node, range(1, triangulation.NbNodes() + 1))
            ],
            dtype=np.float64,
        ).reshape(-1, 3)
        triangles = (
            np.array(
                [
                    triangulation.Triangle(i).Get()
                    for i in range(1, triangulation.NbTriangles() + 1)
                ],
                dtype=np.int64,
            ).reshape(-1, 3)
            - 1
        )
        mirrored = False
        if not location.IsIdentity():
            transform = location.Transformation()
            matrix = np.array([[transform.Value(r, c) for c in range(1, 5)] for r in range(1, 4)])
            nodes = nodes @ matrix[:, :3].T + matrix[:, 3]
            mirrored = np.linalg.det(matrix[:, :3]) < 0
        if (face.Orientation() == ocp.TopAbs_REVERSED) != mirrored:
            triangles = triangles[:, ::-1]
        vertices.append(nodes)
        faces.append(triangles + base)
        base += len(nodes)
    if not faces:
        raise no_triangles("CAD")
    return np.concatenate(vertices), np.concatenate(faces)
