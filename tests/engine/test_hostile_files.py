"""Hostile, broken and absurd uploads: each is refused with its code and one clear sentence."""

import io
import json
import struct
import time
import zipfile

import numpy as np
import pytest

from odm_engine.mesh import errors
from odm_engine.mesh.batch import UploadBatch
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.limits import Limits, RequestBudget
from odm_engine.mesh.loaders import load_part
from odm_engine.service import analyse_upload
from tests.engine import hostile


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
    refused(errors.CAD_TIMEOUT, corpus / "featuretype.STEP", limits=Limits(analysis_timeout_s=0.05))


def test_corpus_broken_files(corpus):
    for name in ("empty.stl", "stl_empty_ascii.stl", "stl_empty_bin.stl"):
        refused(errors.EMPTY, corpus / name)
    refused(errors.NOT_SOLID, corpus / "soup.stl")
    busted = analyse(load_part(corpus / "busted.STL")).to_dict()  # zero normals: read from winding
    assert busted["watertight"] and busted["volume_mm3"] > 0


# --- Instancing graphs: counted before they are expanded --------------------------------------


def _bounded(seconds: float, code: str, data, filename: str, limits: Limits | None = None):
    started = time.perf_counter()
    message = refused(code, data, filename, limits)
    assert time.perf_counter() - started < seconds
    return message


def test_gltf_instancing_graph_of_2_to_the_40_paths_is_refused_at_once():
    data = hostile.gltf_instancing_graph(40)
    assert len(data) < 1500
    message = _bounded(2.0, errors.TOO_MANY_TRIANGLES, data, "graph.gltf")
    assert "2,199,023,255,551 times" in message


def test_3mf_instancing_graph_of_2_to_the_30_paths_to_an_empty_mesh_is_refused_at_once():
    data = hostile.threemf_instancing_graph(30)
    assert len(data) < 1000
    message = _bounded(2.0, errors.TOO_MANY_TRIANGLES, data, "graph.3mf")
    assert "2,147,483,647 times" in message


def test_instances_times_triangles_are_held_to_the_triangle_limit():
    # 2^10 placements of 4 triangles: within the placement limit, beyond 4,000 triangles.
    small = Limits(max_triangles=4000)
    _bounded(2.0, errors.TOO_MANY_TRIANGLES, hostile.gltf_instancing_graph(10), "g.gltf", small)
    data = hostile.threemf_instancing_graph(10, leaf_triangles=True)
    _bounded(2.0, errors.TOO_MANY_TRIANGLES, data, "g.3mf", small)


def test_modest_instancing_still_reads_every_placement():
    gltf = load_part(hostile.gltf_instancing_graph(3), "four.gltf")
    threemf = load_part(hostile.threemf_instancing_graph(3, leaf_triangles=True), "four.3mf")
    assert gltf.triangles == threemf.triangles == 8 * 4


def test_gltf_node_cycle():
    document = json.loads(hostile.gltf_instancing_graph(2))
    document["nodes"][2]["children"] = [0]
    refused(errors.MALFORMED, json.dumps(document).encode(), "cycle.gltf")


# --- Archives: one budget per request, counted before anything is inflated --------------------


def test_zip_of_1024_members_of_1_mib_of_zeros_is_refused_from_its_directory():
    data = hostile.zip_of_copies(1024, bytes(2**20))
    assert len(data) < 1_200_000
    started = time.perf_counter()
    with pytest.raises(MeshError) as caught:
        UploadBatch([("bomb.zip", data)], Limits())
    assert caught.value.code == errors.ZIP_BOMB
    assert "compression ratio" in caught.value.message
    assert time.perf_counter() - started < 1.0


def test_ratio_is_checked_on_small_members_and_on_the_whole_archive():
    with pytest.raises(MeshError) as caught:
        UploadBatch([("small.zip", hostile.zip_of_copies(3, bytes(64 * 1024)))], Limits())
    assert caught.value.code == errors.ZIP_BOMB


def test_one_inflation_budget_for_every_archive_of_a_request(meshgen):
    stl = meshgen.stl(_cube(meshgen))  # 684 bytes, deflates about 5:1
    archive = hostile.zip_of({f"p{i}.stl": stl for i in range(10)})
    limits = Limits(max_uncompressed_bytes=10 * len(stl) + 100)
    assert len(UploadBatch([("a.zip", archive)], limits)) == 10
    with pytest.raises(MeshError) as caught:
        UploadBatch([("a.zip", archive), ("b.zip", archive)], limits)
    assert caught.value.code == errors.ZIP_BOMB and "one request" in caught.value.message


def test_files_per_request_are_counted_before_any_member_is_inflated(meshgen):
    archive = hostile.zip_of({f"p{i}.stl": meshgen.stl(_cube(meshgen)) for i in range(6)})
    limits = Limits(max_files_per_request=10)
    with pytest.raises(MeshError) as caught:
        UploadBatch([("a.zip", archive), ("b.zip", archive)], limits)
    assert caught.value.code == errors.TOO_MANY_FILES and "12 part files" in caught.value.message
    with pytest.raises(MeshError):
        UploadBatch([(f"{i}.stl", b"x") for i in range(11)], limits)


def test_members_are_inflated_one_at_a_time_and_charged(meshgen):
    stl = meshgen.stl(_cube(meshgen))
    batch = UploadBatch(
        [("a.zip", hostile.zip_of({"a.stl": stl, "b.stl": stl})), ("c.stl", stl)], Limits()
    )
    iterator = iter(batch)
    assert next(iterator) == ("a.stl", stl)
    assert batch.budget.total - batch.budget.remaining == len(stl)  # b.stl not inflated yet
    assert [name for name, _ in iterator] == ["b.stl", "c.stl"]
    assert batch.budget.total - batch.budget.remaining == 2 * len(stl)


def test_archive_inside_an_archive_is_refused(meshgen):
    inner = hostile.zip_of({"a.stl": meshgen.stl(_cube(meshgen))})
    with pytest.raises(MeshError) as caught:
        UploadBatch([("outer.zip", hostile.zip_of({"inner.zip": inner}))], Limits())
    assert caught.value.code == errors.UNSUPPORTED and "inner.zip" in caught.value.message


def test_a_3mf_is_charged_to_the_request_budget(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen))
    data = meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)])
    part = load_part(data, "a.3mf")
    assert part.inflated_bytes > 1000
    budget = RequestBudget(Limits(max_uncompressed_bytes=part.inflated_bytes + 10))
    analyse_upload(data, "a.3mf", budget=budget, thumbnail_size=None)
    assert budget.remaining == 10
    with pytest.raises(MeshError) as caught:
        analyse_upload(data, "a.3mf", budget=budget, thumbnail_size=None)
    assert caught.value.code == errors.ZIP_BOMB


def test_files_of_one_request_share_its_seconds(meshgen):
    """Each analysis gets at most what the request has left: ten slow files cost as much as
    one, and the ones left when the seconds are spent are refused in one sentence."""
    now = [0.0]
    limits = Limits(analysis_timeout_s=60.0, request_analysis_timeout_s=90.0)
    budget = RequestBudget(limits, clock=lambda: now[0])
    assert budget.limits_for_next(limits).analysis_timeout_s == 60.0
    now[0] = 50.0
    assert budget.limits_for_next(limits).analysis_timeout_s == pytest.approx(40.0)
    data = meshgen.stl(_cube(meshgen))
    analyse_upload(data, "a.stl", limits=limits, budget=budget, thumbnail_size=None)
    now[0] = 90.0
    with pytest.raises(MeshError) as caught:
        analyse_upload(data, "b.stl", limits=limits, budget=budget, thumbnail_size=None)
    assert caught.value.code == errors.TIME_LIMIT
    assert "90 s of analysis one request may use" in caught.value.message


# --- Findings of the fuzzer, kept as regressions ----------------------------------------------


def test_zip_needing_an_unknown_zip_version(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen))
    data = bytearray(meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)]))
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 6, 158)  # "version needed to extract": 15.8
    refused(errors.CORRUPT_ARCHIVE, bytes(data), "future.3mf")
    with pytest.raises(MeshError) as caught:
        UploadBatch([("future.zip", bytes(data))], Limits())
    assert caught.value.code == errors.CORRUPT_ARCHIVE


def test_3mf_declaring_an_unknown_text_encoding(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen))
    data = meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        model = archive.read("3D/3dmodel.model").replace(b'encoding="UTF-8"', b'encoding="nan"')
    refused(errors.MALFORMED, meshgen.zip({"3D/3dmodel.model": model}), "nan.3mf")


def test_ply_naming_a_property_twice_or_ending_at_its_header():
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
        b"property float x\nproperty float z\nelement face 1\n"
        b"property list uchar int vertex_indices\nend_header\n"
    )
    refused(errors.MALFORMED, header + b"\0" * 64, "twice.ply")
    refused(errors.TRUNCATED, b"ply\nformat ascii 1.0\nelement face 1\nend_header", "cut.ply")
