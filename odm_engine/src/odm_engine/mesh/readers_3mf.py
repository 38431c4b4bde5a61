"""3MF reader: a zip package of XML model parts, read defensively.

Defences, in the order they apply: the archive directory is checked before anything is inflated
(member count, declared sizes, deflate ratio); members are inflated in chunks with a running cap,
because declared sizes can lie, and charged to the request's inflation budget; XML is parsed in
streaming mode by defusedxml's expat parser, so any DOCTYPE, entity or external reference is
refused (3MF never needs one, XML bombs always do); placements and triangles are counted through
components and build items (memoised per object) before any placement is expanded, so neither
one large object referenced a thousand times nor a graph of 2^30 paths can explode time or memory.

Honoured: the model ``unit`` attribute, several objects, nested components, build-item and
component transforms (mirroring ones flip the winding back), production-extension ``p:path``
references to other model parts. Support and "other" objects are not part of the printed part.
"""

import io
import posixpath
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from xml.parsers import expat

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import Limits, check_archive, check_instances, check_triangle_count
from odm_engine.mesh.readers_mesh import RawMesh, no_triangles

# Expanded names are "namespace}local", as defusedxml's expat parser separates them.
CORE_NS = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02}"
PRODUCTION_NS = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06}"
MODEL_RELATIONSHIP = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DEFAULT_MODEL_PATH = "3D/3dmodel.model"

UNITS_3MF = {
    "micron": "micron",
    "millimeter": "mm",
    "centimeter": "cm",
    "inch": "inch",
    "foot": "ft",
    "meter": "m",
}
_EXCLUDED_TYPES = ("support", "other")
_CHUNK = 2**20
# What a damaged archive raises while a member is opened or inflated.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
)
# What ElementTree's parser wires to its tree builder; element handlers are ours instead.
_TREE_BUILDER_HANDLERS = (
    "StartElementHandler",
    "EndElementHandler",
    "CharacterDataHandler",
    "CommentHandler",
    "ProcessingInstructionHandler",
    "StartNamespaceDeclHandler",
    "EndNamespaceDeclHandler",
    "DefaultHandlerExpand",
)
_MAX_NESTING = 32


@dataclass
class ModelObject:
    """One ``<object>``: either a mesh (flat coordinate and index arrays) or components."""

    object_type: str = "model"
    name: str = ""
    coordinates: array = field(default_factory=lambda: array("d"))
    indices: array = field(default_factory=lambda: array("q"))
    components: list = field(default_factory=list)  # (path, object id, 4x4 transform)


@dataclass
class ModelPart:
    unit: str = "millimeter"
    objects: dict = field(default_factory=dict)
    build: list = field(default_factory=list)  # (path, object id, 4x4 transform)


def read_3mf(data: bytes, limits: Limits) -> RawMesh:
    with open_archive(data, limits) as archive:
        package = Package(archive, limits)
        root_path = package.root_model_path()
        root = package.model(root_path)
        if root.unit not in UNITS_3MF:
            raise MeshError(errors.MALFORMED, f"The 3MF unit {root.unit!r} is not a 3MF unit.")
        if not root.build:
            raise no_triangles("3MF")
        instances = package.instantiate(root)
    vertices, faces, base = [], [], 0
    for coordinates, indices, transform in instances:
        local = np.frombuffer(coordinates, dtype=np.float64).reshape(-1, 3)
        triangles = np.frombuffer(indices, dtype=np.int64).reshape(-1, 3)
        if len(triangles) and (triangles.min() < 0 or triangles.max() >= len(local)):
            raise MeshError(
                errors.MALFORMED, "A 3MF triangle refers to a vertex that does not exist."
            )
        if np.linalg.det(transform[:3, :3]) < 0:
            triangles = triangles[:, ::-1]
        vertices.append(local @ transform[:3, :3].T + transform[:3, 3])
        faces.append(triangles + base)
        base += len(local)
    if not faces or sum(len(f) for f in faces) == 0:
        raise no_triangles("3MF")
    notes = []
    if package.skipped_support:
        notes.append("Support or auxiliary objects in the 3MF were left out of the part.")
    return RawMesh(
        vertices=np.concatenate(vertices),
        faces=np.concatenate(faces),
        source_format="3mf",
        indexed=True,
        objects=len(root.build),
        declared_unit=UNITS_3MF[root.unit],
        declared_by="3MF unit attribute",
        notes=notes,
        inflated_bytes=package.inflated,
    )


def open_archive(data: bytes, limits: Limits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,  # a zip version or feature zipfile does not know
    ) as exc:
        raise MeshError(
            errors.CORRUPT_ARCHIVE, "The 3MF file is not a readable zip archive."
        ) from exc
    check_archive(members, limits, "the 3MF archive", len(data))
    return archive


class Package:
    """Model parts of one 3MF archive, inflated and parsed on demand under a shared byte budget."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits):
        self.archive = archive
        self.limits = limits
        self.inflated = 0
        self.models: dict[str, ModelPart] = {}
        self.names = {info.filename.lower(): info.filename for info in archive.infolist()}
        self.skipped_support = False

    def member_name(self, path: str) -> str | None:
        key = path.lstrip("/")
        return self.names.get(key.lower())

    def root_model_path(self) -> str:
        rels = self.member_name("_rels/.rels")
        if rels:
            targets: list[str] = []

            def start(name, attrs):
                if name.endswith("Relationship") and attrs.get("Type", "").rstrip("/").endswith(
                    MODEL_RELATIONSHIP.rsplit("/", 1)[-1]
                ):
                    targets.append(attrs.get("Target", ""))

            self.parse(rels, start)
            for target in targets:
                if self.member_name(target):
                    return self.member_name(target)
        fallback = self.member_name(DEFAULT_MODEL_PATH)
        if fallback:
            return fallback
        models = [n for n in self.names.values() if n.lower().endswith(".model")]
        if not models:
            raise MeshError(errors.MALFORMED, "The 3MF archive contains no 3D model part.")
        return models[0]

    def parse(self, member: str, start_handler, end_handler=None) -> None:
        """Stream-parse one member with DTDs refused and inflation capped."""
        parser = defused_expat()
        parser.StartElementHandler = start_handler
        if end_handler:
            parser.EndElementHandler = end_handler
        try:
            with self._open(member) as stream:
                while True:
                    chunk = self._read(stream)
                    self.inflated += len(chunk)
                    if self.inflated > self.limits.max_uncompressed_bytes:
                        raise MeshError(
                            errors.ZIP_BOMB,
                            "The 3MF archive inflates to more data than it declares.",
                        )
                    parser.Parse(chunk, not chunk)
                    if not chunk:
                        break
        except DefusedXmlException as exc:
            raise MeshError(
                errors.UNSAFE_XML,
                "The 3MF model declares a DOCTYPE or entities, which 3MF forbids and XML bombs "
                "rely on.",
            ) from exc
        except expat.ExpatError as exc:
            raise MeshError(
                errors.MALFORMED, f"The 3MF model XML is malformed ({expat.ErrorString(exc.code)})."
            ) from exc
        except LookupError as exc:  # an XML declaration naming an encoding that does not exist
            raise MeshError(
                errors.MALFORMED, "The 3MF model XML declares an unknown text encoding."
            ) from exc

    def _open(self, member: str):
        try:
            return self.archive.open(member)
        except _ZIP_ERRORS as exc:
            raise _damaged() from exc

    @staticmethod
    def _read(stream) -> bytes:
        try:
            return stream.read(_CHUNK)
        except _ZIP_ERRORS as exc:
            raise _damaged() from exc

    def model(self, path: str) -> ModelPart:
        if path not in self.models:
            self.models[path] = self.read_model(path)
        return self.models[path]

    def read_model(self, path: str) -> ModelPart:
        part = ModelPart()
        state = {"object": None, "vertices": 0, "triangles": 0}
        limits = self.limits
        vertex_tag, triangle_tag = f"{CORE_NS}vertex", f"{CORE_NS}triangle"
        path_attr = f"{PRODUCTION_NS}path"

        def start(name, attrs):
            if name == vertex_tag:
                current = state["object"]
                current.coordinates.extend(
                    (float(attrs["x"]), float(attrs["y"]), float(attrs["z"]))
                )
            elif name == triangle_tag:
                current = state["object"]
                current.indices.extend((int(attrs["v1"]), int(attrs["v2"]), int(attrs["v3"])))
                state["triangles"] += 1
                if state["triangles"] > limits.max_triangles:
                    check_triangle_count(state["triangles"], limits)
            elif name == f"{CORE_NS}object":
                current = ModelObject(attrs.get("type", "model"), attrs.get("name", ""))
                part.objects[attrs["id"]] = current
                state["object"] = current
            elif name == f"{CORE_NS}component":
                state["object"].components.append(
                    (
                        attrs.get(path_attr) or path,
                        attrs["objectid"],
                        parse_transform(attrs.get("transform")),
                    )
                )
            elif name == f"{CORE_NS}item":
                part.build.append(
                    (
                        attrs.get(path_attr) or path,
                        attrs["objectid"],
                        parse_transform(attrs.get("transform")),
                    )
                )
            elif name == f"{CORE_NS}model":
                part.unit = attrs.get("unit", "millimeter")

        try:
            self.parse(path, start)
        except (KeyError, ValueError, AttributeError, OverflowError) as exc:
            if isinstance(exc, MeshError):
                raise
            raise MeshError(
                errors.MALFORMED,
                "A 3MF vertex, triangle or object has missing or invalid attributes.",
            ) from exc
        return part

    def resolve(self, path: str, object_id: str) -> tuple[str, ModelObject]:
        member = self.member_name(path)
        if member is None:
            raise MeshError(
                errors.MALFORMED, f"The 3MF file refers to a missing model part {path!r}."
            )
        objects = self.model(member).objects
        if object_id not in objects:
            raise MeshError(
                errors.MALFORMED,
                f"The 3MF build refers to object {object_id}, which does not exist.",
            )
        return member, objects[object_id]

    def placed_children(self, obj: ModelObject):
        """(member, object, transform) of the components an object places, support left out."""
        for child_path, child_id, transform in obj.components:
            child_member, child = self.resolve(posixpath.normpath(child_path), child_id)
            if child.object_type in _EXCLUDED_TYPES:
                self.skipped_support = True
                continue
            yield child_member, child, transform

    def subtree_counts(self, member: str, obj: ModelObject, depth: int, memo: dict):
        """(placements, triangles) an object expands to, memoised per object: linear in the
        objects however often the graph reuses them, and empty objects still count."""
        key = (member, id(obj))
        if key not in memo:
            if depth > _MAX_NESTING:
                raise MeshError(
                    errors.MALFORMED,
                    "The 3MF components are nested too deeply or refer to themselves.",
                )
            placements, triangles = 1, len(obj.indices) // 3
            for child_member, child, _ in self.placed_children(obj):
                below = self.subtree_counts(child_member, child, depth + 1, memo)
                placements += below[0]
                triangles += below[1]
            memo[key] = (placements, triangles)
        return memo[key]

    def instantiate(self, root: ModelPart) -> list:
        """(coordinates, indices, world transform) for every mesh placed by the build."""
        memo: dict = {}
        items = []
        for path, object_id, transform in root.build:
            member, obj = self.resolve(posixpath.normpath(path), object_id)
            if obj.object_type in _EXCLUDED_TYPES:
                self.skipped_support = True
                continue
            items.append((member, obj, transform))
        counts = [self.subtree_counts(member, obj, 0, memo) for member, obj, _ in items]
        check_instances(sum(c[0] for c in counts), sum(c[1] for c in counts), self.limits, "3MF")
        placed = []
        stack = list(items)
        while stack:
            member, obj, transform = stack.pop()
            if obj.indices:
                placed.append((obj.coordinates, obj.indices, transform))
            stack.extend(
                (child_member, child, transform @ child_transform)
                for child_member, child, child_transform in self.placed_children(obj)
            )
        return placed


def _damaged() -> MeshError:
    return MeshError(errors.CORRUPT_ARCHIVE, "The 3MF archive is damaged and cannot be inflated.")


def defused_expat():
    """defusedxml's expat parser (DOCTYPE, entities and external references refused), driven
    by the caller's own element handlers: ElementTree's per-element wrapper triples the time of
    a large model."""
    parser = DefusedXMLParser(forbid_dtd=True).parser
    parser.ordered_attributes = False
    for handler in _TREE_BUILDER_HANDLERS:
        setattr(parser, handler, None)
    return parser


def parse_transform(text: str | None) -> np.ndarray:
    """3MF's 12 numbers (row-vector 4x3 matrix) as a 4x4 column-vector transform."""
    matrix = np.eye(4)
    if text:
        values = [float(v) for v in text.split()]
        if len(values) != 12 or not np.all(np.isfinite(values)):
            raise ValueError("3MF transform needs 12 finite numbers")
        matrix[:3, :] = np.asarray(values).reshape(4, 3).T
    return matrix
