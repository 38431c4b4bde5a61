"""Hostile files, generated: instancing graphs, zip bombs and nested archives.

Generated in code so that no attack file is ever committed; shared by the hostile-file tests,
the fuzz tests and ``bench/bench_fuzz.py``.
"""

import base64
import io
import json
import struct
import zipfile
import zlib

import numpy as np

CORE_NS = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
    'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
)
TETRAHEDRON = np.array([(0, 0, 0), (10, 0, 0), (0, 10, 0), (0, 0, 10)], dtype=np.float32)
TETRAHEDRON_FACES = np.array([(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)], dtype=np.uint32)


def gltf_instancing_graph(levels: int, fan_out: int = 2) -> bytes:
    """A glTF whose node i uses node i+1 ``fan_out`` times: ``fan_out ** levels`` paths to one
    tetrahedron, described in about a kilobyte."""
    positions = TETRAHEDRON.tobytes()
    indices = TETRAHEDRON_FACES.tobytes()
    buffer = positions + indices
    nodes = [{"children": [i + 1] * fan_out} for i in range(levels)] + [{"mesh": 0}]
    document = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": nodes,
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [
            {
                "byteLength": len(buffer),
                "uri": "data:application/octet-stream;base64," + base64.b64encode(buffer).decode(),
            }
        ],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(positions)},
            {"buffer": 0, "byteOffset": len(positions), "byteLength": len(indices)},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3"},
            {"bufferView": 1, "componentType": 5125, "count": 12, "type": "SCALAR"},
        ],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def model_3mf_xml(objects: list[str], items: list[str], unit: str = "millimeter") -> bytes:
    """A 3MF model part of ``<object>`` and build ``<item>`` elements given as XML text."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><model unit="{unit}" xmlns="{CORE_NS}">'
        f"<resources>{''.join(objects)}</resources><build>{''.join(items)}</build></model>"
    ).encode()


def package_3mf(model: bytes, extra_members: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("3D/3dmodel.model", model)
        for name, data in (extra_members or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def threemf_instancing_graph(levels: int, fan_out: int = 2, leaf_triangles: bool = False) -> bytes:
    """A 3MF whose object i has ``fan_out`` components of object i+1: ``fan_out ** levels``
    paths, to an empty mesh unless ``leaf_triangles`` (a few hundred bytes either way)."""
    objects = [
        f'<object id="{i}" type="model"><components>'
        + f'<component objectid="{i + 1}"/>' * fan_out
        + "</components></object>"
        for i in range(1, levels + 1)
    ]
    leaf = levels + 1
    if leaf_triangles:
        vertices = "".join(f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in TETRAHEDRON)
        triangles = "".join(
            f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in TETRAHEDRON_FACES
        )
        mesh = f"<mesh><vertices>{vertices}</vertices><triangles>{triangles}</triangles></mesh>"
    else:
        mesh = "<mesh><vertices/><triangles/></mesh>"
    objects.append(f'<object id="{leaf}" type="model">{mesh}</object>')
    return package_3mf(model_3mf_xml(objects, ['<item objectid="1"/>']))


def zip_of_copies(count: int, content: bytes, name: str = "part{}.stl") -> bytes:
    """A zip of ``count`` members holding ``content``, deflated once and written ``count`` times
    by hand (zipfile would deflate every copy: seconds for the 1 GiB bomb of the issue)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(content) + compressor.flush()
    crc = zlib.crc32(content)
    out = io.BytesIO()
    directory = []
    for index in range(count):
        filename = name.format(index).encode()
        offset = out.tell()
        sizes = (crc, len(deflated), len(content), len(filename))
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, *sizes, 0))
        out.write(filename + deflated)
        directory.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                *sizes,
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + filename
        )
    start = out.tell()
    central = b"".join(directory)
    out.write(central)
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), start, 0))
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
