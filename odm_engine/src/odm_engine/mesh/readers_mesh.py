"""Readers for triangle-mesh formats: STL (binary and ASCII), OBJ, PLY and glTF/GLB.

Each reader turns bytes into a :class:`RawMesh` in the file's own coordinates and units. Sizes a
file announces (STL header counts, PLY element counts, glTF accessor counts) are checked against
:class:`~.limits.Limits` before anything is allocated, and every refusal is a
:class:`~.errors.MeshError` with a sentence the customer can act on.
"""

import base64
import json
import re
import struct
from dataclasses import dataclass, field

import numpy as np

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import Limits, check_instances, check_triangle_count


@dataclass
class RawMesh:
    """Triangles as read from a file, before units, welding or repair.

    ``vertices`` are float64 in the file's unit, ``faces`` int64 indices into them. ``indexed``
    says whether the format shares vertices between triangles (STL does not, so merging its
    vertices is routine rather than a repair). ``exact_volume``/``exact_area`` come from a B-rep
    (STEP/IGES) in file units when available.
    """

    vertices: np.ndarray
    faces: np.ndarray
    source_format: str
    indexed: bool
    objects: int = 1
    declared_unit: str | None = None
    declared_by: str = ""
    notes: list[str] = field(default_factory=list)
    exact_volume: float | None = None
    exact_area: float | None = None
    solids: int | None = None
    inflated_bytes: int = 0  # archive bytes inflated to read it (3MF), for the request's budget


STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")])
STL_HEADER_BYTES = 84


def no_triangles(kind: str) -> MeshError:
    return MeshError(errors.EMPTY, f"The {kind} file contains no triangles.")


def triangle_soup(triangles: np.ndarray, source_format: str) -> RawMesh:
    """Mesh whose every triangle has its own three vertices (STL style)."""
    count = len(triangles)
    vertices = np.empty((3 * count, 3), dtype=np.float64)
    vertices.reshape(count, 3, 3)[...] = triangles  # one converting copy, even from a strided view
    return RawMesh(
        vertices=vertices,
        faces=np.arange(3 * count, dtype=np.int64).reshape(count, 3),
        source_format=source_format,
        indexed=False,
    )


# --------------------------------------------------------------------------------------- STL


def looks_like_ascii_stl(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"solid") and (b"facet" in data[:4096].lower() or b"endsolid" in head)


def binary_stl_matches_size(data: bytes) -> bool:
    if len(data) < STL_HEADER_BYTES:
        return False
    (count,) = struct.unpack_from("<I", data, 80)
    return len(data) == STL_HEADER_BYTES + STL_RECORD.itemsize * count


def read_binary_stl(data: bytes, limits: Limits) -> RawMesh:
    if len(data) < STL_HEADER_BYTES:
        raise MeshError(
            errors.TRUNCATED,
            f"The file is only {len(data)} bytes long, shorter than the 84-byte header of a "
            f"binary STL.",
        )
    (announced,) = struct.unpack_from("<I", data, 80)
    body = len(data) - STL_HEADER_BYTES
    available = body // STL_RECORD.itemsize
    notes = []
    if announced == 0 and available > 0 and body % STL_RECORD.itemsize == 0:
        # Some exporters never fill in the count; the file size gives it exactly.
        announced = available
        notes.append("The STL header said 0 triangles; the count was taken from the file size.")
    check_triangle_count(announced, limits)
    if announced == 0:
        raise no_triangles("STL")
    if available < announced:
        raise MeshError(
            errors.TRUNCATED,
            f"The binary STL announces {announced:,} triangles but holds only {available:,}; "
            f"the file was cut short during upload or export.",
        )
    records = np.frombuffer(data, dtype=STL_RECORD, count=announced, offset=STL_HEADER_BYTES)
    if body > announced * STL_RECORD.itemsize:
        notes.append("Bytes after the last STL triangle were ignored.")
    mesh = triangle_soup(records["vertices"], "stl")
    mesh.notes.extend(notes)
    return mesh


_ASCII_STL_VERTEX = re.compile(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)", re.IGNORECASE)


def read_ascii_stl(data: bytes, limits: Limits) -> RawMesh:
    lowered = data.lower()
    facets = lowered.count(b"endfacet")
    check_triangle_count(facets, limits)
    vertex_keywords = lowered.count(b"vertex")
    if facets == 0 and vertex_keywords == 0:
        raise no_triangles("STL")
    if vertex_keywords != 3 * facets:
        raise MeshError(
            errors.MALFORMED,
            f"The ASCII STL has {facets:,} facets but {vertex_keywords:,} vertices; every facet "
            f"must have exactly three, so the file is damaged.",
        )
    tokens = _ASCII_STL_VERTEX.findall(data)
    if len(tokens) != vertex_keywords:
        raise MeshError(
            errors.MALFORMED, "Some vertex lines of the ASCII STL do not hold three coordinates."
        )
    triangles = parse_floats(tokens, "ASCII STL").reshape(-1, 3, 3)
    mesh = triangle_soup(triangles, "stl")
    mesh.objects = max(1, lowered.count(b"endsolid"))
    return mesh


def parse_floats(tokens, kind: str) -> np.ndarray:
    try:
        return np.array(tokens, dtype="S64").astype(np.float64)
    except ValueError as exc:
        raise MeshError(
            errors.MALFORMED, f"The {kind} file holds a coordinate that is not a number."
        ) from exc


# --------------------------------------------------------------------------------------- OBJ


def looks_like_obj(data: bytes) -> bool:
    sample = data[:65536]
    return re.search(rb"(?m)^\s*v\s+[-+.\d]", sample) is not None and not sample.startswith(b"ply")


def read_obj(data: bytes, limits: Limits) -> RawMesh:
    check_triangle_count(len(re.findall(rb"(?m)^[ \t]*f[ \t]", data)), limits)
    coordinates: list[bytes] = []
    faces: list[tuple[int, int, int]] = []
    objects = 0
    vertex_count = 0
    for number, raw_line in enumerate(data.splitlines(), start=1):
        line = raw_line.strip()
        if line.startswith(b"v "):
            parts = line.split()
            if len(parts) < 4:
                raise MeshError(errors.MALFORMED, f"OBJ line {number} has a vertex without xyz.")
            coordinates.extend(parts[1:4])
            vertex_count += 1
        elif line.startswith(b"f "):
            corners = [obj_index(token, vertex_count, number) for token in line.split()[1:]]
            if len(corners) < 3:
                raise MeshError(errors.MALFORMED, f"OBJ line {number} has a face with < 3 corners.")
            faces.extend(
                (corners[0], corners[i], corners[i + 1]) for i in range(1, len(corners) - 1)
            )
            check_triangle_count(len(faces), limits)
        elif line.startswith((b"o ", b"g ")) or line in (b"o", b"g"):
            objects += 1
    if not faces:
        raise no_triangles("OBJ")
    vertices = parse_floats(coordinates, "OBJ").reshape(-1, 3)
    return RawMesh(
        vertices=vertices,
        faces=np.asarray(faces, dtype=np.int64),
        source_format="obj",
        indexed=True,
        objects=max(1, objects),
    )


def obj_index(token: bytes, vertex_count: int, line: int) -> int:
    try:
        index = int(token.split(b"/", 1)[0])
    except ValueError as exc:
        raise MeshError(
            errors.MALFORMED,
            f"OBJ line {line} has a face corner {token!r} that is not a vertex number.",
        ) from exc
    resolved = index - 1 if index > 0 else vertex_count + index
    if index == 0 or not 0 <= resolved < vertex_count:
        raise MeshError(
            errors.MALFORMED, f"OBJ line {line} refers to vertex {index}, which does not exist."
        )
    return resolved


# --------------------------------------------------------------------------------------- PLY

_PLY_TYPES = {
    "char": "i1",
    "int8": "i1",
    "uchar": "u1",
    "uint8": "u1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}


@dataclass
class PlyProperty:
    name: str
    dtype: str
    count_dtype: str | None = None  # set for list properties


@dataclass
class PlyElement:
    name: str
    count: int
    properties: list[PlyProperty] = field(default_factory=list)


def read_ply(data: bytes, limits: Limits) -> RawMesh:
    end = data.find(b"end_header")
    if end < 0:
        raise MeshError(errors.MALFORMED, "The PLY file has no end_header line.")
    line_end = data.find(b"\n", end)
    if line_end < 0:
        raise MeshError(errors.TRUNCATED, "The PLY file ends right after its header.")
    body_start = line_end + 1
    fmt, elements = parse_ply_header(data[:end].decode("ascii", "replace"))
    faces_element = next((e for e in elements if e.name == "face"), None)
    vertex_element = next((e for e in elements if e.name == "vertex"), None)
    if faces_element is None or faces_element.count == 0 or vertex_element is None:
        raise no_triangles("PLY")
    check_triangle_count(faces_element.count, limits)
    if fmt == "ascii":
        values = read_ply_ascii(data[body_start:], elements)
    else:
        values = read_ply_binary(data, body_start, elements, "<" if "little" in fmt else ">")
    vertex_data = values["vertex"]
    try:
        vertices = np.column_stack([vertex_data[axis] for axis in "xyz"]).astype(np.float64)
    except (KeyError, ValueError) as exc:
        raise MeshError(errors.MALFORMED, "The PLY vertices lack x, y or z coordinates.") from exc
    polygons = values["face"]
    faces = fan_triangulate(polygons, len(vertices), limits)
    return RawMesh(vertices=vertices, faces=faces, source_format="ply", indexed=True)


def parse_ply_header(header: str) -> tuple[str, list[PlyElement]]:
    lines = [line.split() for line in header.splitlines()]
    if not lines or lines[0] != ["ply"]:
        raise MeshError(errors.UNKNOWN_FORMAT, "The file does not start like a PLY file.")
    fmt = None
    elements: list[PlyElement] = []
    for words in lines[1:]:
        if not words or words[0] in ("comment", "obj_info"):
            continue
        try:
            if words[0] == "format":
                fmt = words[1]
            elif words[0] == "element":
                elements.append(PlyElement(words[1], int(words[2])))
            elif words[0] == "property" and words[1] == "list":
                elements[-1].properties.append(
                    PlyProperty(words[4], _PLY_TYPES[words[3]], _PLY_TYPES[words[2]])
                )
            elif words[0] == "property":
                elements[-1].properties.append(PlyProperty(words[2], _PLY_TYPES[words[1]]))
        except (IndexError, KeyError, ValueError) as exc:
            raise MeshError(
                errors.MALFORMED, f"The PLY header line {' '.join(words)!r} is invalid."
            ) from exc
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise MeshError(errors.UNSUPPORTED, f"The PLY encoding {fmt!r} is not supported.")
    if any(e.count < 0 for e in elements):
        raise MeshError(errors.MALFORMED, "The PLY header announces a negative element count.")
    for element in elements:
        names = [p.name for p in element.properties]
        if len(set(names)) != len(names):
            raise MeshError(
                errors.MALFORMED, f"The PLY element {element.name!r} names a property twice."
            )
    return fmt, elements


def read_ply_binary(data: bytes, offset: int, elements: list[PlyElement], order: str) -> dict:
    values = {}
    for element in elements:
        lists = [p for p in element.properties if p.count_dtype]
        if lists and element.name != "face":
            if element is elements[-1]:
                break  # trailing extra elements (e.g. edges) are not needed
            raise MeshError(
                errors.UNSUPPORTED, f"The PLY element {element.name!r} with lists is not supported."
            )
        if not lists:
            dtype = np.dtype([(p.name, order + p.dtype) for p in element.properties])
            values[element.name] = frombuffer_checked(data, dtype, element.count, offset)
            offset += dtype.itemsize * element.count
            continue
        values[element.name], offset = read_binary_polygons(data, offset, element, order)
    return values


def frombuffer_checked(data: bytes, dtype: np.dtype, count: int, offset: int) -> np.ndarray:
    if offset + dtype.itemsize * count > len(data):
        raise MeshError(errors.TRUNCATED, "The binary PLY file ends before all announced elements.")
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset)


def read_binary_polygons(data: bytes, offset: int, element: PlyElement, order: str):
    """Face records: fast path when every polygon has the first one's corner count."""
    if len(element.properties) != 1 or element.properties[0].name not in (
        "vertex_indices",
        "vertex_index",
    ):
        # Extra face properties (colours, flags): walk records one by one.
        return read_binary_polygons_slowly(data, offset, element, order)
    prop = element.properties[0]
    count_type = np.dtype(order + prop.count_dtype)
    index_type = np.dtype(order + prop.dtype)
    if offset + count_type.itemsize > len(data):
        raise MeshError(errors.TRUNCATED, "The binary PLY file ends before its faces.")
    corners = int(np.frombuffer(data, count_type, 1, offset)[0])
    record = np.dtype([("n", count_type), ("i", index_type, (max(corners, 1),))])
    if corners >= 3 and offset + record.itemsize * element.count <= len(data):
        table = np.frombuffer(data, record, element.count, offset)
        if np.all(table["n"] == corners):
            return [table["i"].astype(np.int64)], offset + record.itemsize * element.count
    return read_binary_polygons_slowly(data, offset, element, order)


def read_binary_polygons_slowly(data: bytes, offset: int, element: PlyElement, order: str):
    polygons = []
    for _ in range(element.count):
        polygon = None
        for prop in element.properties:
            if prop.count_dtype:
                count_type = np.dtype(order + prop.count_dtype)
                item_type = np.dtype(order + prop.dtype)
                n = int(frombuffer_checked(data, count_type, 1, offset)[0])
                offset += count_type.itemsize
                items = frombuffer_checked(data, item_type, n, offset)
                offset += item_type.itemsize * n
                if prop.name in ("vertex_indices", "vertex_index"):
                    polygon = items.astype(np.int64)
            else:
                offset += np.dtype(prop.dtype).itemsize
        if polygon is None:
            raise MeshError(errors.MALFORMED, "The PLY faces have no vertex_indices list.")
        polygons.append(polygon)
    return polygons, offset


def read_ply_ascii(body: bytes, elements: list[PlyElement]) -> dict:
    tokens = body.split()
    position = 0
    values = {}
    for element in elements:
        if element.name not in ("vertex", "face"):
            if element is elements[-1]:
                break
            raise MeshError(
                errors.UNSUPPORTED, f"The ASCII PLY element {element.name!r} is not supported."
            )
        if element.name == "vertex":
            width = len(element.properties)
            block = tokens[position : position + width * element.count]
            if len(block) < width * element.count:
                raise MeshError(
                    errors.TRUNCATED, "The ASCII PLY file ends before all its vertices."
                )
            table = parse_floats(block, "PLY").reshape(element.count, width)
            values["vertex"] = {p.name: table[:, i] for i, p in enumerate(element.properties)}
            position += width * element.count
            continue
        polygons = []
        for _ in range(element.count):
            polygon = None
            for prop in element.properties:
                try:
                    n = int(tokens[position]) if prop.count_dtype else 0
                    if prop.count_dtype and prop.name in ("vertex_indices", "vertex_index"):
                        polygon = np.array(tokens[position + 1 : position + 1 + n], dtype=np.int64)
                except (IndexError, ValueError) as exc:
                    raise MeshError(
                        errors.MALFORMED, "An ASCII PLY face record is damaged."
                    ) from exc
                position += 1 + n
            if polygon is None:
                raise MeshError(errors.MALFORMED, "The PLY faces have no vertex_indices list.")
            polygons.append(polygon)
        values["face"] = polygons
    return values


def fan_triangulate(polygons: list[np.ndarray], vertex_count: int, limits: Limits) -> np.ndarray:
    """Triangles from polygons (a list of equal-width tables or of single polygons)."""
    if len(polygons) == 1 and polygons[0].ndim == 2:
        table = polygons[0]
        pieces = [table[:, [0, i, i + 1]] for i in range(1, table.shape[1] - 1)]
    else:
        pieces = [
            np.column_stack([np.full(len(p) - 2, p[0]), p[1:-1], p[2:]])
            for p in polygons
            if len(p) >= 3
        ]
    if not pieces:
        raise no_triangles("PLY")
    faces = np.concatenate(pieces).astype(np.int64)
    check_triangle_count(len(faces), limits)
    if faces.min() < 0 or faces.max() >= vertex_count:
        raise MeshError(
            errors.MALFORMED, "A face of the file refers to a vertex that does not exist."
        )
    return faces


# ---------------------------------------------------------------------------------- glTF / GLB

_GLB_MAGIC = b"glTF"
_COMPONENT_TYPES = {5120: "i1", 5121: "u1", 5122: "i2", 5123: "u2", 5125: "u4", 5126: "f4"}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_UNSUPPORTED_EXTENSIONS = (
    "KHR_draco_mesh_compression",
    "EXT_meshopt_compression",
    "KHR_mesh_quantization",
)
_TRIANGLES, _STRIP, _FAN = 4, 5, 6
_MAX_NODE_DEPTH = 64


@dataclass(frozen=True)
class SubtreeCounts:
    placements: int
    triangles: int
    height: int


def looks_like_glb(data: bytes) -> bool:
    return data[:4] == _GLB_MAGIC


def looks_like_gltf_json(data: bytes) -> bool:
    head = data[:4096].lstrip()
    return head.startswith(b"{") and b'"asset"' in data[:65536]


def read_glb(data: bytes, limits: Limits) -> RawMesh:
    if len(data) < 20:
        raise MeshError(errors.TRUNCATED, "The GLB file is shorter than its header.")
    _, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise MeshError(errors.UNSUPPORTED, f"GLB version {version} is not supported (only 2).")
    if length > len(data):
        raise MeshError(errors.TRUNCATED, "The GLB file is shorter than its header says.")
    chunks = {}
    offset = 12
    while offset + 8 <= length:
        chunk_length, chunk_type = struct.unpack_from("<I4s", data, offset)
        start = offset + 8
        if start + chunk_length > length:
            raise MeshError(errors.TRUNCATED, "A GLB chunk runs past the end of the file.")
        chunks.setdefault(chunk_type, data[start : start + chunk_length])
        offset = start + chunk_length + (-chunk_length % 4)
    if b"JSON" not in chunks:
        raise MeshError(errors.MALFORMED, "The GLB file has no JSON chunk.")
    document = load_json(chunks[b"JSON"], limits)
    return read_gltf_document(document, chunks.get(b"BIN\x00"), limits)


def read_gltf(data: bytes, limits: Limits) -> RawMesh:
    return read_gltf_document(load_json(data, limits), None, limits)


def load_json(data: bytes, limits: Limits) -> dict:
    if len(data) > limits.max_json_bytes:
        raise MeshError(errors.FILE_TOO_LARGE, "The glTF scene description is too large.")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise MeshError(errors.MALFORMED, "The glTF scene description is not valid JSON.") from exc
    if not isinstance(document, dict):
        raise MeshError(errors.MALFORMED, "The glTF scene description is not a JSON object.")
    return document


def read_gltf_document(document: dict, binary_chunk: bytes | None, limits: Limits) -> RawMesh:
    required = set(document.get("extensionsRequired", []))
    blocked = required.intersection(_UNSUPPORTED_EXTENSIONS)
    if blocked:
        raise MeshError(
            errors.UNSUPPORTED,
            f"The glTF file uses {', '.join(sorted(blocked))} compression; please export it "
            f"uncompressed.",
        )
    try:
        reader = GltfReader(document, binary_chunk, limits)
        return reader.read()
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        if isinstance(exc, MeshError):
            raise
        raise MeshError(
            errors.MALFORMED, "The glTF file refers to data it does not contain."
        ) from exc


class GltfReader:
    """Walks a glTF scene graph and gathers its triangle primitives in world coordinates."""

    def __init__(self, document: dict, binary_chunk: bytes | None, limits: Limits):
        self.document = document
        self.binary_chunk = binary_chunk
        self.limits = limits
        self.buffers: dict[int, bytes] = {}

    def read(self) -> RawMesh:
        doc = self.document
        scenes = doc.get("scenes") or []
        if scenes:
            roots = scenes[doc.get("scene", 0)].get("nodes", [])
        else:
            children = {c for node in doc.get("nodes", []) for c in node.get("children", [])}
            roots = [i for i in range(len(doc.get("nodes", []))) if i not in children]
        memo: dict = {}
        placements = triangles = 0
        for index in roots:
            subtree = self.subtree_counts(index, memo, set())
            placements += subtree.placements
            triangles += subtree.triangles
        check_instances(placements, triangles, self.limits, "glTF")
        instances = []
        stack = [(index, np.eye(4)) for index in roots]
        while stack:
            index, parent = stack.pop()
            node = doc["nodes"][index]
            world = parent @ node_matrix(node)
            if "mesh" in node:
                instances.append((node["mesh"], world))
            stack.extend((child, world) for child in node.get("children", []))
        vertices, faces = [], []
        base = 0
        for mesh_index, world in instances:
            for primitive in doc["meshes"][mesh_index]["primitives"]:
                mode = primitive.get("mode", _TRIANGLES)
                if mode not in (_TRIANGLES, _STRIP, _FAN):
                    continue
                positions = self.accessor(primitive["attributes"]["POSITION"]).astype(np.float64)
                if "indices" in primitive:
                    indices = self.accessor(primitive["indices"]).astype(np.int64).ravel()
                else:
                    indices = np.arange(len(positions), dtype=np.int64)
                triangles = primitive_triangles(indices, mode)
                if len(triangles) and (triangles.min() < 0 or triangles.max() >= len(positions)):
                    raise MeshError(
                        errors.MALFORMED, "A glTF primitive refers to a missing vertex."
                    )
                if np.linalg.det(world[:3, :3]) < 0:
                    triangles = triangles[:, ::-1]  # a mirroring node turns faces inside out
                vertices.append(positions @ world[:3, :3].T + world[:3, 3])
                faces.append(triangles + base)
                base += len(positions)
        if not faces or base == 0 or sum(len(f) for f in faces) == 0:
            raise no_triangles("glTF")
        return RawMesh(
            vertices=np.concatenate(vertices),
            faces=np.concatenate(faces),
            source_format="gltf",
            indexed=True,
            objects=len(instances),
            declared_unit="m",
            declared_by="glTF standard (always metres)",
        )

    def subtree_counts(self, index: int, memo: dict, walking: set) -> "SubtreeCounts":
        """Nodes and triangles the walk from node ``index`` would place, memoised per node, so
        that a graph reusing each node twice is counted in linear time, not walked 2^n times."""
        if index in memo:
            return memo[index]
        if index in walking or len(walking) > _MAX_NODE_DEPTH:
            raise MeshError(errors.MALFORMED, "The glTF node hierarchy is cyclic or too deep.")
        node = self.document["nodes"][index]
        walking.add(index)
        placements, height = 1, 1
        triangles = 0
        if "mesh" in node:
            primitives = self.document["meshes"][node["mesh"]]["primitives"]
            triangles = sum(self.primitive_triangle_estimate(p) for p in primitives)
        for child in node.get("children", []):
            below = self.subtree_counts(child, memo, walking)
            placements += below.placements
            triangles += below.triangles
            height = max(height, below.height + 1)
        walking.discard(index)
        if height > _MAX_NODE_DEPTH:
            raise MeshError(errors.MALFORMED, "The glTF node hierarchy is cyclic or too deep.")
        memo[index] = SubtreeCounts(placements, triangles, height)
        return memo[index]

    def primitive_triangle_estimate(self, primitive: dict) -> int:
        key = primitive.get("indices", primitive["attributes"]["POSITION"])
        return int(self.document["accessors"][key]["count"]) // 3 + 1

    def accessor(self, index: int) -> np.ndarray:
        accessor = self.document["accessors"][index]
        if "sparse" in accessor:
            raise MeshError(errors.UNSUPPORTED, "Sparse glTF accessors are not supported.")
        component = np.dtype("<" + _COMPONENT_TYPES[accessor["componentType"]])
        width = _TYPE_WIDTH[accessor["type"]]
        count = int(accessor["count"])
        view = self.document["bufferViews"][accessor["bufferView"]]
        buffer = self.buffer(view["buffer"])
        start = int(view.get("byteOffset", 0)) + int(accessor.get("byteOffset", 0))
        stride = int(view.get("byteStride", 0)) or component.itemsize * width
        needed = start + stride * (count - 1) + component.itemsize * width if count else start
        view_end = int(view.get("byteOffset", 0)) + int(view["byteLength"])
        if count < 0 or needed > min(len(buffer), view_end):
            raise MeshError(errors.TRUNCATED, "A glTF accessor runs past the end of its buffer.")
        if count == 0:
            return np.zeros((0, width), dtype=component)
        strided = np.lib.stride_tricks.as_strided(
            np.frombuffer(buffer, dtype=np.uint8, count=needed - start, offset=start),
            shape=(count, component.itemsize * width),
            strides=(stride, 1),
        )
        return np.ascontiguousarray(strided).view(component).reshape(count, width)

    def buffer(self, index: int) -> bytes:
        if index not in self.buffers:
            spec = self.document["buffers"][index]
            uri = spec.get("uri")
            if uri is None:
                if self.binary_chunk is None:
                    raise MeshError(errors.MALFORMED, "The glTF file lacks its binary buffer.")
                self.buffers[index] = self.binary_chunk
            elif uri.startswith("data:") and ";base64," in uri:
                self.buffers[index] = base64.b64decode(uri.split(",", 1)[1], validate=False)
            else:
                raise MeshError(
                    errors.UNSUPPORTED,
                    "The glTF file refers to an external .bin file; please upload a .glb instead.",
                )
        return self.buffers[index]


def node_matrix(node: dict) -> np.ndarray:
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=np.float64).reshape(4, 4).T
    matrix = np.eye(4)
    x, y, z, w = node.get("rotation", (0.0, 0.0, 0.0, 1.0))
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    matrix[:3, :3] = rotation * np.asarray(node.get("scale", (1.0, 1.0, 1.0)), dtype=float)
    matrix[:3, 3] = node.get("translation", (0.0, 0.0, 0.0))
    return matrix


def primitive_triangles(indices: np.ndarray, mode: int) -> np.ndarray:
    if mode == _TRIANGLES:
        return indices[: len(indices) - len(indices) % 3].reshape(-1, 3)
    if len(indices) < 3:
        return np.zeros((0, 3), dtype=np.int64)
    if mode == _FAN:
        return np.column_stack([np.full(len(indices) - 2, indices[0]), indices[1:-1], indices[2:]])
    strip = np.column_stack([indices[:-2], indices[1:-1], indices[2:]])
    strip[1::2] = strip[1::2][:, [1, 0, 2]]  # every other strip triangle is wound backwards
    return strip
