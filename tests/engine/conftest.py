"""Shared fixtures of the engine tests: the shared mesh corpus and generated solids.

Generated solids are built from voxels (every exposed voxel face becomes two triangles), which
gives watertight meshes whose volume, area, overhangs and wall thicknesses are known exactly.
The generators are handed to tests by the ``meshgen`` fixture (the repository root has its own
conftest module, so tests cannot import this one by name).
"""

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from odm_engine.mesh.loaders import load_part

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "meshes"

# Corner offsets of the four corners of each voxel face, wound outward.
_FACE_CORNERS = {
    (0, -1): [(0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0)],
    (0, 1): [(1, 0, 0), (1, 1, 0), (1, 1, 1), (1, 0, 1)],
    (1, -1): [(0, 0, 0), (1, 0, 0), (1, 0, 1), (0, 0, 1)],
    (1, 1): [(0, 1, 0), (0, 1, 1), (1, 1, 1), (1, 1, 0)],
    (2, -1): [(0, 0, 0), (0, 1, 0), (1, 1, 0), (1, 0, 0)],
    (2, 1): [(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)],
}


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared mesh corpus not found at {CORPUS}")
    return CORPUS


def voxel_triangles(occupied: np.ndarray, pitch: float = 1.0) -> np.ndarray:
    """(n, 3, 3) outward-wound triangles of the union of occupied voxels."""
    padded = np.pad(np.asarray(occupied, dtype=bool), 1)
    triangles = []
    for (axis, side), corners in _FACE_CORNERS.items():
        neighbour = np.roll(padded, -side, axis=axis)
        cells = np.argwhere(padded & ~neighbour) - 1
        quad = cells[:, None, :] + np.asarray(corners)[None, :, :]
        triangles.append(quad[:, [0, 1, 2]])
        triangles.append(quad[:, [0, 2, 3]])
    return np.concatenate(triangles).astype(float) * pitch


def stl_bytes(triangles: np.ndarray, header: bytes = b"odm test") -> bytes:
    """Binary STL of (n, 3, 3) triangles."""
    record = np.zeros(len(triangles), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    record["v"] = triangles
    return header.ljust(80, b" ") + np.uint32(len(triangles)).tobytes() + record.tobytes()


def ascii_stl_bytes(triangles: np.ndarray) -> bytes:
    lines = ["solid test"]
    for triangle in triangles:
        lines.append("  facet normal 0 0 0\n    outer loop")
        lines.extend(f"      vertex {x:.9g} {y:.9g} {z:.9g}" for x, y, z in triangle)
        lines.append("    endloop\n  endfacet")
    lines.append("endsolid test\n")
    return "\n".join(lines).encode()


def part_of(triangles: np.ndarray, unit: str = "mm", filename: str = "part.stl"):
    return load_part(stl_bytes(triangles), filename, unit=unit)


def box_triangles(size=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0)) -> np.ndarray:
    return voxel_triangles(np.ones((1, 1, 1)), 1.0) * np.asarray(size) + np.asarray(origin)


def mesh_arrays(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexed vertices/faces of a triangle soup (exact duplicates shared)."""
    vertices, inverse = np.unique(triangles.reshape(-1, 3), axis=0, return_inverse=True)
    return vertices, inverse.reshape(-1, 3)


def model_3mf(objects: dict, items: list, unit: str = "millimeter", extra: str = "") -> bytes:
    """A 3MF package. ``objects``: id -> (vertices, faces) or id -> [(component id, transform)].

    ``items``: (object id, transform or None). Transforms are 3MF's 12 numbers as a string.
    """
    parts = []
    for object_id, content in objects.items():
        if isinstance(content, tuple):
            vertices, faces = content
            vertex_xml = "".join(
                f'<vertex x="{float(x)!r}" y="{float(y)!r}" z="{float(z)!r}"/>'
                for x, y, z in vertices
            )
            triangle_xml = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in faces)
            body = (
                f"<mesh><vertices>{vertex_xml}</vertices>"
                f"<triangles>{triangle_xml}</triangles></mesh>"
            )
        else:
            body = (
                "<components>"
                + "".join(
                    f'<component objectid="{child}"' + (f' transform="{t}"' if t else "") + "/>"
                    for child, t in content
                )
                + "</components>"
            )
        parts.append(f'<object id="{object_id}" type="model">{body}</object>')
    build = "".join(
        f'<item objectid="{object_id}"' + (f' transform="{t}"' if t else "") + "/>"
        for object_id, t in items
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>{extra}'
        f'<model unit="{unit}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        f"<resources>{''.join(parts)}</resources><build>{build}</build></model>"
    )
    return zip_bytes({"3D/3dmodel.model": xml.encode()})


def zip_bytes(members: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
        'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("_rels/.rels", rels)
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def meshgen() -> SimpleNamespace:
    return SimpleNamespace(
        voxels=voxel_triangles,
        box=box_triangles,
        stl=stl_bytes,
        ascii_stl=ascii_stl_bytes,
        part=part_of,
        indexed=mesh_arrays,
        model_3mf=model_3mf,
        zip=zip_bytes,
    )


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """Engine tests need no Odoo registry: they also run without a database (pytest-odoo's
    autouse fixture of the same name would otherwise demand one)."""
    yield
