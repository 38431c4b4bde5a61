"""Hostile, broken and absurd uploads: each is refused with its code and one clear sentence."""

import io
import struct
import zipfile

import numpy as np
import pytest

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.limits import Limits
from odm_engine.mesh.loaders import load_part


def refused(code: str, data, filename: str = "upload.stl", limits: Limits | None = None, **kwargs):
    with pytest.raises(MeshError) as caught:
        part = load_part(data, filename, limits=limits or Limits(), **kwargs)
        analyse(part)
    assert caught.value.code == code, caught.value.message
    message = caught.value.message
    assert message.endswith(".") and message.count(". ") <= 1 and len(message) < 240
    return message


def _cube(meshgen):
    return meshgen.box((10.0, 10.0, 10.0))


@pytest.mark.parametrize("data", [b"", b"   \n\t ", b"solid x\nendsolid x\n"])
def test_empty_files(data):
    refused(errors.EMPTY, data)


def test_binary_stl_with_zero_triangles():
    refused(errors.EMPTY, b"header".ljust(80) + b"\0\0\0\0")


def test_truncated_binary_stl_is_detected_from_the_header_count(meshgen):
    data = meshgen.stl(_cube(meshgen))
    message = refused(errors.TRUNCATED, data[:-70])
    assert "12 triangles" in message and "10" in message


def test_shorter_than_a_header():
    refused(errors.TRUNCATED, b"not much", "short.stl")


def test_truncated_ascii_stl(meshgen):
    text = meshgen.ascii_stl(_cube(meshgen))
    refused(errors.TRUNCATED, text[: len(text) // 2])


def test_ascii_stl_facet_with_wrong_vertex_count(meshgen):
    text = meshgen.ascii_stl(_cube(meshgen)).replace(b"endloop", b"vertex 1 2 3\nendloop", 1)
    refused(errors.MALFORMED, text)


def test_triangle_limit_is_checked_from_the_header_before_allocating():
    # Announces 4 billion triangles in a 100-byte file: refused without reading a record.
    data = b"h".ljust(80) + struct.pack("<I", 4_000_000_000) + b"\0" * 16
    refused(errors.TOO_MANY_TRIANGLES, data, limits=Limits(max_triangles=1_000_000))


def test_triangle_limit_applies_to_every_format(meshgen):
    small = Limits(max_triangles=10)
    refused(errors.TOO_MANY_TRIANGLES, meshgen.stl(_cube(meshgen)), limits=small)
    refused(errors.TOO_MANY_TRIANGLES, meshgen.ascii_stl(_cube(meshgen)), limits=small)
    vertices, faces = meshgen.indexed(_cube(meshgen))
    refused(
        errors.TOO_MANY_TRIANGLES,
        meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)]),
        "a.3mf",
        small,
    )


def test_3mf_instancing_bomb_is_counted_after_instancing(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen))
    items = [("1", f"1 0 0 0 1 0 0 0 1 {20 * i} 0 0") for i in range(500)]
    data = meshgen.model_3mf({"1": (vertices, faces)}, items)
    message = refused(errors.TOO_MANY_TRIANGLES, data, "bomb.3mf", Limits(max_triangles=5000))
    assert "6,000" in message


def test_3mf_component_cycle(meshgen):
    data = meshgen.model_3mf({"1": [("2", None)], "2": [("1", None)]}, [("1", None)])
    refused(errors.MALFORMED, data, "cycle.3mf")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (bytes(range(256)) * 8, "not a 3D model"),
        (b"%PDF-1.7\n" + b"x" * 200, "PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"x" * 200, "PNG"),
        (b"just some notes about a part\n" * 10, "not a 3D model"),
    ],
)
def test_unknown_content_is_sniffed_not_trusted_by_extension(data, what):
    assert what in refused(errors.UNKNOWN_FORMAT, data, "drawing.3mf" if what == "PDF" else "x.bin")


def test_extension_lies_but_content_wins(meshgen):
    part = load_part(meshgen.stl(_cube(meshgen)), "renamed.obj", unit="mm")
    assert part.source_format == "stl"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_coordinates(meshgen, bad):
    triangles = _cube(meshgen)
    triangles[4, 1, 2] = bad
    refused(errors.INVALID_COORDINATES, meshgen.stl(triangles))


def test_absurd_coordinates(meshgen):
    refused(errors.INVALID_COORDINATES, meshgen.stl(_cube(meshgen) * 1e6), unit="mm")


def test_flat_part(meshgen):
    triangles = _cube(meshgen)
    triangles[..., 2] = 0.0
    refused(errors.FLAT, meshgen.stl(triangles), unit="mm")


def test_closed_surface_enclosing_nothing(meshgen):
    triangle = np.array([[[0, 0, 0], [10, 0, 0], [0, 10, 10]]], dtype=float)
    refused(errors.FLAT, meshgen.stl(np.concatenate([triangle, triangle[:, ::-1]])), unit="mm")


def test_triangle_soup_is_not_a_solid():
    rng = np.random.default_rng(0)
    soup = rng.random((200, 3, 3)) * 50
    record = np.zeros(200, dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    record["v"] = soup
    data = b"soup".ljust(80) + struct.pack("<I", 200) + record.tobytes()
    refused(errors.NOT_SOLID, data, unit="mm")


def test_file_size_limit_for_bytes_and_paths(meshgen, tmp_path):
    data = meshgen.stl(_cube(meshgen))
    refused(errors.FILE_TOO_LARGE, data, limits=Limits(max_file_bytes=100))
    path = tmp_path / "big.stl"
    path.write_bytes(data)
    with pytest.raises(MeshError) as caught:
        load_part(path, limits=Limits(max_file_bytes=100))
    assert caught.value.code == errors.FILE_TOO_LARGE


def test_zip_bomb_by_ratio_is_refused_before_inflating(meshgen):
    data = meshgen.zip({"3D/3dmodel.model": b"<model>" + b" " * 20_000_000 + b"</model>"})
    assert len(data) < 100_000
    refused(errors.ZIP_BOMB, data, "bomb.3mf")


def test_zip_bomb_by_declared_total_size(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen))
    data = meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)])
    refused(errors.ZIP_BOMB, data, "big.3mf", Limits(max_uncompressed_bytes=1000))


def test_zip_with_too_many_members(meshgen):
    data = meshgen.zip({f"junk/{i}.txt": b"x" for i in range(50)})
    refused(errors.ZIP_BOMB, data, "many.3mf", Limits(max_archive_members=20))


def test_zip_whose_sizes_lie_is_caught_while_streaming(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen))
    data = bytearray(meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)], extra=" " * 5000))
    # Shrink the declared size of the model in both headers: inflation must not trust it.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("3D/3dmodel.model")
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header
    central = data.find(b"PK\x01\x02" + data[info.header_offset + 4 : info.header_offset + 10])
    while data[central + 46 : central + 46 + len(info.filename)] != info.filename.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 100)  # central directory
    refused(errors.CORRUPT_ARCHIVE, bytes(data), "liar.3mf")


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04" + b"\x00" * 100, b"PK\x03\x04garbage that is not a zip at all" * 10],
)
def test_corrupt_zip(data):
    refused(errors.CORRUPT_ARCHIVE, data, "broken.3mf")


def test_truncated_3mf(meshgen, corpus):
    data = (corpus / "pyramids.3mf").read_bytes()
    refused(errors.CORRUPT_ARCHIVE, data[: len(data) // 2], "cut.3mf")


def test_xml_bomb_billion_laughs(meshgen):
    doctype = (
        '<!DOCTYPE model [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    vertices, faces = meshgen.indexed(_cube(meshgen))
    data = meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)], extra=doctype)
    refused(errors.UNSAFE_XML, data, "laughs.3mf")


def test_xml_external_entity(meshgen):
    doctype = '<!DOCTYPE model [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    data = meshgen.model_3mf(
        {"1": (np.zeros((3, 3)), np.array([[0, 1, 2]]))}, [("1", None)], extra=doctype
    )
    refused(errors.UNSAFE_XML, data, "xxe.3mf")


def test_malformed_xml_and_missing_attributes(meshgen):
    refused(
        errors.MALFORMED, meshgen.zip({"3D/3dmodel.model": b"<model><resources><object"}), "bad.3mf"
    )
    data = meshgen.zip(
        {
            "3D/3dmodel.model": b'<model xmlns="http://schemas.microsoft.com/3dmanufacturing/'
            b'core/2015/02"><resources><object id="1"><mesh><vertices><vertex x="1"/>'
            b"</vertices></mesh></object></resources></model>"
        }
    )
    refused(errors.MALFORMED, data, "bad.3mf")


def test_3mf_triangle_pointing_past_its_vertices(meshgen):
    data = meshgen.model_3mf({"1": (np.eye(3), np.array([[0, 1, 7]]))}, [("1", None)])
    refused(errors.MALFORMED, data, "bad.3mf")


def test_3mf_with_nan_vertex(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen))
    vertices = vertices.copy()
    vertices[0, 0] = np.nan
    refused(
        errors.INVALID_COORDINATES,
        meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)]),
        "nan.3mf",
    )


def test_obj_with_missing_vertex():
    refused(errors.MALFORMED, b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", "bad.obj")


def test_binary_ply_cut_short():
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
        b"property float y\nproperty float z\nelement face 1\n"
        b"property list uchar int vertex_indices\nend_header\n"
    )
    refused(errors.TRUNCATED, header + b"\0" * 20, "cut.ply")


def test_glb_problems():
    header = struct.pack("<4sII", b"glTF", 2, 1000)
    refused(errors.TRUNCATED, header + b"\0" * 20, "cut.glb")
    document = b'{"asset":{"version":"2.0"},"extensionsRequired":["KHR_draco_mesh_compression"]}'
    chunk = struct.pack("<I4s", len(document), b"JSON") + document
    data = struct.pack("<4sII", b"glTF", 2, 12 + len(chunk)) + chunk
    refused(errors.UNSUPPORTED, data, "draco.glb")


def test_step_that_is_garbage():
    data = b"ISO-10303-21;\nHEADER;\nthis is not STEP at all\n" * 20
    with pytest.raises(MeshError) as caught:
        load_part(data, "junk.step")
    assert caught.value.code in (errors.MALFORMED, errors.CAD_FAILED, errors.EMPTY)


def test_cad_import_is_bounded_in_time(corpus):
    refused(errors.CAD_TIMEOUT, corpus / "featuretype.STEP", limits=Limits(cad_timeout_s=0.05))


def test_corpus_broken_files(corpus):
    for name in ("empty.stl", "stl_empty_ascii.stl", "stl_empty_bin.stl"):
        refused(errors.EMPTY, corpus / name)
    refused(errors.NOT_SOLID, corpus / "soup.stl")
    busted = analyse(load_part(corpus / "busted.STL")).to_dict()  # zero normals: read from winding
    assert busted["watertight"] and busted["volume_mm3"] > 0
