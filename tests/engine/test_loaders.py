"""Loading every supported format, units, and the shared corpus."""

import json

import numpy as np
import pytest
import trimesh

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import detect_format, load_part
from odm_engine.mesh.units import choose_unit, infer_unit_from_size, unit_from_filename

INCH3 = 25.4**3


def _volume(part) -> float:
    return analyse(part).to_dict()["volume_mm3"]


def _cube(meshgen, size=20.0):
    return meshgen.box((size, size, size))


# ------------------------------------------------------------------------------ formats


def test_binary_and_ascii_stl_give_the_same_part(meshgen):
    triangles = meshgen.voxels(np.ones((2, 3, 1)), 5.0)
    binary = load_part(meshgen.stl(triangles), "a.stl", unit="mm")
    ascii_ = load_part(meshgen.ascii_stl(triangles), "a.stl", unit="mm")
    assert binary.source_format == ascii_.source_format == "stl"
    assert binary.triangles == ascii_.triangles == len(triangles)
    assert np.allclose(binary.vertices, ascii_.vertices)
    assert _volume(binary) == pytest.approx(10 * 15 * 5)


def test_binary_stl_whose_header_starts_with_solid_is_read_as_binary(meshgen):
    data = meshgen.stl(_cube(meshgen), header=b"solid exported by a CAD package")
    assert detect_format(data, "x.stl") == "stl-binary"
    assert _volume(load_part(data, "x.stl", unit="mm")) == pytest.approx(8000)


def test_binary_stl_with_zero_count_in_header_uses_the_file_size(meshgen):
    data = bytearray(meshgen.stl(_cube(meshgen)))
    data[80:84] = b"\0\0\0\0"
    part = load_part(bytes(data), "x.stl", unit="mm")
    assert part.triangles == 12
    assert any("file size" in note for note in part.notes)


def test_obj_with_quads_negative_indices_and_objects():
    text = (
        "o first\nv 0 0 0\nv 10 0 0\nv 10 10 0\nv 0 10 0\nv 0 0 10\nv 10 0 10\nv 10 10 10\n"
        "v 0 10 10\nf 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 2/1 3/1 7/1 6/1\nf 3//1 4//1 8//1 7//1\n"
        "f -4 -1 -5 -8\n"
    )
    part = load_part(text.encode(), "box.obj", unit="mm")
    assert part.source_format == "obj"
    assert part.triangles == 12
    assert part.objects == 1
    assert _volume(part) == pytest.approx(1000)


@pytest.mark.parametrize("encoding", ["ascii", "binary"])
def test_ply_ascii_and_binary(encoding):
    mesh = trimesh.creation.box((10, 20, 30))
    data = trimesh.exchange.ply.export_ply(mesh, encoding=encoding)
    part = load_part(data, "box.ply", unit="mm")
    assert part.source_format == "ply"
    assert _volume(part) == pytest.approx(6000)


def test_glb_is_read_in_metres_with_node_transforms():
    scene = trimesh.Scene()
    scene.add_geometry(
        trimesh.creation.box((0.02, 0.01, 0.005)),
        transform=trimesh.transformations.translation_matrix((0.1, 0, 0)),
    )
    mirrored = np.diag([-1.0, 1.0, 1.0, 1.0])
    scene.add_geometry(trimesh.creation.box((0.02, 0.01, 0.005)), transform=mirrored)
    data = scene.export(file_type="glb")
    part = load_part(data, "scene.glb")
    assert part.source_format == "gltf"
    assert part.unit == "m" and not part.unit_inferred
    result = analyse(part).to_dict()
    assert result["bodies"] == 2
    assert result["volume_mm3"] == pytest.approx(2 * 20 * 10 * 5, rel=1e-6)
    assert not result["inverted_normals"]  # the mirrored instance was re-wound on load


def test_3mf_units_objects_transforms_and_components(meshgen):
    vertices, faces = meshgen.indexed(meshgen.box((1.0, 1.0, 1.0)))
    objects = {"1": (vertices, faces), "2": [("1", "1 0 0 0 1 0 0 0 1 3 0 0")]}
    mirror = "-1 0 0 0 1 0 0 0 1 -2 0 0"
    items = [("1", None), ("2", None), ("1", mirror), ("1", "2 0 0 0 2 0 0 0 2 0 5 0")]
    part = load_part(meshgen.model_3mf(objects, items, unit="inch"), "plate.3mf")
    assert part.unit == "inch" and not part.unit_inferred
    assert "3MF unit attribute" in part.unit_reason
    assert part.objects == 4
    result = analyse(part).to_dict()
    assert result["bodies"] == 4
    assert result["volume_mm3"] == pytest.approx((1 + 1 + 1 + 8) * INCH3, rel=1e-9)
    assert not result["inverted_normals"]


def test_3mf_without_unit_attribute_is_millimetres(meshgen):
    vertices, faces = meshgen.indexed(_cube(meshgen, 1.0))
    data = meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)]).replace(
        b' unit="millimeter"', b""
    )
    assert load_part(data, "m.3mf").unit == "mm"


def _step_box(tmp_path, kind):
    primitives = pytest.importorskip("OCP.BRepPrimAPI")
    shape = primitives.BRepPrimAPI_MakeBox(10.0, 20.0, 30.0).Shape()
    path = tmp_path / f"box.{kind}"
    if kind == "step":
        step = pytest.importorskip("OCP.STEPControl")
        writer = step.STEPControl_Writer()
        writer.Transfer(shape, step.STEPControl_AsIs)
        writer.Write(str(path))
    else:
        iges = pytest.importorskip("OCP.IGESControl")
        writer = iges.IGESControl_Writer("MM", 1)
        writer.AddShape(shape)
        writer.ComputeModel()
        writer.Write(str(path))
    return path


@pytest.mark.parametrize("kind", ["step", "iges"])
def test_step_and_iges_volume_is_exact_from_the_brep(tmp_path, kind):
    part = load_part(_step_box(tmp_path, kind))
    assert part.source_format == kind
    assert part.unit == "mm" and not part.unit_inferred
    assert part.exact_volume_mm3 == pytest.approx(6000, rel=1e-9)
    result = analyse(part).to_dict()
    assert result["volume_source"] == "brep"
    assert result["volume_mm3"] == pytest.approx(6000, rel=1e-9)
    assert result["bbox_mm"] == pytest.approx([10, 20, 30], rel=1e-6)
    assert result["watertight"]


# ------------------------------------------------------------------------------ units


def test_one_inch_cube_is_inferred_as_inches_and_25_mm_cube_as_millimetres(meshgen):
    inch = load_part(meshgen.stl(_cube(meshgen, 1.0)), "cube.stl")
    assert inch.unit == "inch" and inch.unit_inferred
    assert "inches" in inch.unit_reason
    assert _volume(inch) == pytest.approx(INCH3)
    metric = load_part(meshgen.stl(_cube(meshgen, 25.4)), "cube.stl")
    assert metric.unit == "mm" and metric.unit_inferred
    assert _volume(metric) == pytest.approx(INCH3, rel=1e-6)


def test_caller_unit_overrides_inference_and_declaration(meshgen):
    part = load_part(meshgen.stl(_cube(meshgen, 1.0)), "cube.stl", unit="mm")
    assert part.unit == "mm" and not part.unit_inferred
    assert _volume(part) == pytest.approx(1.0)
    vertices, faces = meshgen.indexed(_cube(meshgen, 1.0))
    declared = meshgen.model_3mf({"1": (vertices, faces)}, [("1", None)], unit="inch")
    overridden = load_part(declared, "m.3mf", unit="millimeter")
    assert overridden.unit == "mm"
    assert "declares inches" in overridden.unit_reason


def test_unit_from_file_name():
    assert unit_from_filename("counter.unitsmm.STL") == "mm"
    assert unit_from_filename("bracket_inch.stl") == "inch"
    assert unit_from_filename("part-INCHES.obj") == "inch"
    assert unit_from_filename("hammer.stl") is None
    assert unit_from_filename("made_in_china.stl") is None


def test_tiny_unitless_part_with_round_inch_sizes_in_metres_is_metres():
    choice = infer_unit_from_size(np.array([0.2286, 0.16471462, 0.015875]))
    assert choice.unit == "m"
    assert choice.inferred


def test_unknown_unit_name_is_a_programming_error():
    with pytest.raises(ValueError):
        choose_unit("furlong", None, "", np.ones(3), "x.stl")


# ------------------------------------------------------------------------------ corpus

# What each corpus file must give: an error code, or (unit, bodies) of the analysis.
CORPUS_OUTCOMES = {
    "1002_tray_bottom.STL": ("mm", 1),
    "20mm-xyz-cube.stl": ("mm", 1),
    "P_XPM_0331_01.3mf": ("mm", 1),
    "angle_block.STL": ("inch", 1),
    "base_interface_AP214.STEP": ("inch", 1),
    "box_sides.STEP": ("inch", 10),
    "busted.STL": ("mm", 1),
    "counter.unitsmm.STL": ("mm", 6),
    "empty.stl": errors.EMPTY,
    "fandisk.obj": ("inch", 1),
    "featuretype.3MF": ("inch", None),
    "featuretype.STEP": ("inch", 1),
    "featuretype.STL": ("inch", 1),
    "idler_riser.STL": ("inch", 1),
    "multibody.stl": ("inch", 2),
    "octagonal_pocket.stl": ("m", 1),
    "plate_holes.STL": ("mm", 1),
    "pyramids.3mf": ("mm", 12),
    "rabbit.obj": ("inch", None),
    "soup.stl": errors.NOT_SOLID,
    "stl_empty_ascii.stl": errors.EMPTY,
    "stl_empty_bin.stl": errors.EMPTY,
    "teapot.stl": ("mm", None),
    "torus.STL": ("inch", 1),
    "two_objects.obj": ("inch", None),
}


def test_every_corpus_file_is_listed(corpus):
    assert sorted(
        p.name for p in corpus.iterdir() if p.is_file() and p.name != "README.md"
    ) == sorted(CORPUS_OUTCOMES)


@pytest.mark.parametrize("name", sorted(CORPUS_OUTCOMES))
def test_corpus_file_loads_or_fails_with_its_code(corpus, name):
    expected = CORPUS_OUTCOMES[name]
    if isinstance(expected, str):
        with pytest.raises(MeshError) as caught:
            analyse(load_part(corpus / name))
        assert caught.value.code == expected
        assert caught.value.message.endswith(".")
        return
    result = analyse(load_part(corpus / name)).to_dict()
    json.dumps(result)
    unit, bodies = expected
    assert result["unit"] == unit
    if bodies is not None:
        assert result["bodies"] == bodies
    assert result["volume_mm3"] > 0
    assert result["hull_volume_mm3"] >= result["volume_mm3"] * (1 - 1e-6)


def test_featuretype_volume_agrees_across_stl_3mf_and_step(corpus):
    volumes = {
        ext: analyse(load_part(corpus / f"featuretype.{ext}")).to_dict()["volume_mm3"]
        for ext in ("STL", "3MF", "STEP")
    }
    reference = volumes["STEP"]
    assert reference == pytest.approx(190_532, rel=1e-3)  # B-rep, inches converted to mm
    for volume in volumes.values():
        assert volume == pytest.approx(reference, rel=0.01)


def test_3mf_units_and_build_items_of_the_corpus(corpus):
    featuretype = load_part(corpus / "featuretype.3MF")
    assert featuretype.unit == "inch" and not featuretype.unit_inferred
    pyramids = load_part(corpus / "pyramids.3mf")
    assert pyramids.unit == "mm"
    assert pyramids.objects == 9


def test_damaged_3mf_test_case_is_repaired_into_a_tetrahedron(corpus):
    result = analyse(load_part(corpus / "P_XPM_0331_01.3mf")).to_dict()
    assert result["volume_mm3"] == pytest.approx(100 * 100 * 100 / 6)
    assert result["watertight"]
    assert any("degenerate" in sentence for sentence in result["repairs"])
