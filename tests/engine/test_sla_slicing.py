"""Precise SLA mode (PrusaSlicer ``--export-sla``) and the layer-based instant SLA estimate.

The profile, parsing and estimate tests are pure Python; the slicing tests need
``prusa-slicer`` on PATH and skip with the reason otherwise.
"""

import io
import json
import math
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh

from odm_engine import cli
from odm_engine.slicing import profile_reader, sla_layers, slicer

needs_slicer = pytest.mark.skipif(
    shutil.which(slicer.SLICER_EXECUTABLE) is None,
    reason="prusa-slicer is not on PATH (./odm setup installs Debian's prusa-slicer)",
)


def _write(tmp_path: Path, name: str, mesh: trimesh.Trimesh) -> Path:
    path = tmp_path / f"{name}.stl"
    mesh.export(path)
    return path


# --- Profiles ------------------------------------------------------------------------------------


def test_sla_profiles_are_listed_apart_from_the_fdm_ones():
    assert profile_reader.available_printers(technology="sla") == ("SL1S",)
    assert profile_reader.available_materials(technology="sla") == ("RESIN-TGH",)
    assert "SL1S" not in profile_reader.available_printers()
    assert "RESIN-TGH" not in profile_reader.available_materials()
    with pytest.raises(ValueError, match="no slicer profile for printer 'MK4'"):
        profile_reader.load_sla_profile("MK4")
    with pytest.raises(ValueError, match="unknown slicing technology"):
        profile_reader.available_printers(technology="sls")


def test_sla_profile_is_prusaslicers_sl1s_tough_resin_at_50_microns():
    config = profile_reader.load_sla_profile()
    assert config["printer_technology"] == "SLA"
    assert "post_process" not in config  # an FFF-only option PrusaSlicer's SLA mode rejects
    profile = sla_layers.SlaProfile.from_config(config)
    assert (profile.layer_height_mm, profile.exposure_s, profile.initial_exposure_s) == (
        0.05,
        2.0,
        25.0,
    )
    assert (profile.fast_tilt_s, profile.slow_tilt_s, profile.area_fill_pct) == (2.5, 5.0, 45.0)
    # Supports raise the part 5 mm and the pad adds its 1 mm wall under them.
    assert profile.elevation_mm == 6.0


# --- Instant estimate ----------------------------------------------------------------------------


def test_exposure_fades_as_prusaslicer_reckons_it():
    profile = sla_layers.SlaProfile.load()
    times = sla_layers.exposure_times(40, profile)
    assert list(times[:3]) == [25.0] * 3
    assert np.all(np.diff(times[3:14]) < 0)  # 10 faded layers + 1 down to the normal exposure
    assert np.all(times[16:] == 2.0)


def test_section_areas_of_a_box_a_cylinder_and_a_tube():
    levels = np.array([0.5, 5.0, 9.5])
    box = trimesh.creation.box(extents=(20, 10, 10))
    box.apply_translation((0, 0, 5))
    assert sla_layers.section_areas(box.vertices, box.faces, levels) == pytest.approx([200] * 3)
    cylinder = trimesh.creation.cylinder(radius=5, height=10, sections=256)
    cylinder.apply_translation((0, 0, 5))
    areas = sla_layers.section_areas(cylinder.vertices, cylinder.faces, levels)
    assert areas == pytest.approx([math.pi * 25] * 3, rel=1e-3)
    ring = trimesh.creation.annulus(r_min=3, r_max=5, height=10, sections=256)
    ring.apply_translation((0, 0, 5))
    areas = sla_layers.section_areas(ring.vertices, ring.faces, levels)
    assert areas == pytest.approx([math.pi * 16] * 3, rel=1e-3)


def test_layer_count_follows_height_and_elevation():
    profile = sla_layers.SlaProfile.load()
    # 10 mm part + 6 mm elevation at 0.05 mm: 320 layers.
    assert len(sla_layers.layer_levels(10.0, profile)) == 320
    assert len(sla_layers.layer_levels(10.02, profile)) == 320
    assert len(sla_layers.layer_levels(10.05, profile)) == 321


def test_large_layers_tilt_slowly():
    profile = sla_layers.SlaProfile.load()
    slab = trimesh.creation.box(extents=(120, 75, 2))
    small = trimesh.creation.box(extents=(20, 20, 2))
    big, little = (sla_layers.estimate(m.vertices, m.faces, profile) for m in (slab, small))
    assert big.layers == little.layers
    assert little.slow_layers == 0
    # 9,000 mm2 exceeds 45 % of the 128 x 81 mm display: the part's layers and the pad tilt slowly.
    assert big.slow_layers >= 40
    assert big.print_time_s - little.print_time_s == pytest.approx(
        big.slow_layers * (profile.slow_tilt_s - profile.fast_tilt_s + 1.0)
    )


# --- Precise mode --------------------------------------------------------------------------------


def _sl1(config: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.ini", config)
    return buffer.getvalue()


def test_sl1_config_is_parsed_and_incomplete_ones_refused(tmp_path):
    text = (
        "expTime = 2\nexpTimeFirst = 25\nlayerHeight = 0.05\nnumFade = 10\nnumFast = 300\n"
        "numSlow = 20\nprintTime = 1701.9\nusedMaterial = 5.04\n"
        "prusaSlicerVersion = PrusaSlicer-2.5.0\n"
    )
    path = tmp_path / "part.sl1"
    path.write_bytes(_sl1(text))
    stats = slicer.read_sl1(path)
    assert stats["layers"] == 320 and stats["slow_layers"] == 20
    assert stats["print_time_s"] == 1701.9 and stats["resin_ml"] == 5.04
    with pytest.raises(ValueError, match="no usedMaterial"):
        slicer.parse_sl1_config(text.replace("usedMaterial", "unused").encode())


@pytest.fixture(scope="module")
def sliced_block(tmp_path_factory):
    if shutil.which(slicer.SLICER_EXECUTABLE) is None:
        pytest.skip("prusa-slicer is not on PATH")
    mesh = trimesh.creation.box(extents=(12, 8, 4))
    path = _write(tmp_path_factory.mktemp("sla"), "block", mesh)
    return mesh, slicer.slice_sla_part(path, density_g_cm3=1.17, timeout_s=240)


@needs_slicer
def test_sl1_of_a_real_slice_is_parsed(sliced_block):
    mesh, result = sliced_block
    assert result.printer == "SL1S" and result.material == "RESIN-TGH"
    assert result.slicer.startswith("PrusaSlicer")
    assert result.supports and result.pad
    assert result.layers == result.fast_layers + result.slow_layers > 0
    # The part is 0.384 ml; its supports and pad add resin.
    assert mesh.volume / 1000 < result.resin_ml < 3 * mesh.volume / 1000
    assert result.resin_g == pytest.approx(result.resin_ml * 1.17)
    assert result.measured() == {"print_time_s": result.print_time_s, "material_g": result.resin_g}


@needs_slicer
def test_estimate_has_the_slicers_layers_and_time(sliced_block):
    mesh, result = sliced_block
    estimate = sla_layers.estimate(mesh.vertices, mesh.faces, sla_layers.SlaProfile.load())
    assert estimate.layers == result.layers
    assert estimate.slow_layers == result.slow_layers
    assert estimate.print_time_s == pytest.approx(result.print_time_s, rel=1e-3)


@needs_slicer
def test_garbage_mesh_gets_a_clear_error_quickly(tmp_path):
    path = tmp_path / "garbage.stl"
    path.write_bytes(b"solid nothing\nthis is not an stl\n")
    started = time.monotonic()
    with pytest.raises(slicer.MeshRefusedError, match="could not read this mesh"):
        slicer.slice_sla_part(path, timeout_s=60)
    assert time.monotonic() - started < 60


@needs_slicer
def test_sla_timeout_kills_the_slicer_and_leaves_nothing_behind(tmp_path):
    path = _write(tmp_path, "box", trimesh.creation.box(extents=(20, 20, 20)))
    work = tmp_path / "work"
    work.mkdir()
    started = time.monotonic()
    with pytest.raises(slicer.SlicerTimeoutError, match=r"longer than 0\.5 s"):
        slicer.slice_sla_part(path, timeout_s=0.5, tmp_dir=work)
    assert time.monotonic() - started < 5
    assert list(work.iterdir()) == []


@needs_slicer
def test_part_taller_than_the_sl1s_is_refused(tmp_path):
    path = _write(tmp_path, "tower", trimesh.creation.box(extents=(10, 10, 160)))
    with pytest.raises(slicer.PartTooLargeError, match="does not fit the build volume of the SL1S"):
        slicer.slice_sla_part(path)


def test_bad_arguments_are_refused_before_slicing(tmp_path):
    path = _write(tmp_path, "box", trimesh.creation.box(extents=(5, 5, 5)))
    with pytest.raises(ValueError, match="no slicer profile for material 'PLA'"):
        slicer.slice_sla_part(path, material="PLA")
    with pytest.raises(ValueError, match="density_g_cm3"):
        slicer.slice_sla_part(path, density_g_cm3=-1.0)
    with pytest.raises(FileNotFoundError):
        slicer.slice_sla_part(tmp_path / "missing.stl")


@needs_slicer
def test_odm_quote_precise_reports_the_sla_slice(tmp_path, capsys):
    path = _write(tmp_path, "block", trimesh.creation.box(extents=(15, 10, 5)))
    status = cli.main(
        [str(path), "--process", "SLA", "--material", "RESIN-TGH", "--precise", "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    sliced = report["slice"]
    assert (sliced["printer"], sliced["material"], sliced["layers"]) == ("SL1S", "RESIN-TGH", 220)
    assert sliced["resin_g"] == pytest.approx(sliced["resin_ml"] * sliced["density_g_cm3"])
    # The quote is priced with the slice's figures.
    assert report["print_time_s"] == pytest.approx(sliced["print_time_s"])
    assert report["material_g"] == pytest.approx(sliced["resin_g"])


def test_odm_quote_precise_needs_an_sla_profile_for_the_resin(tmp_path, capsys):
    path = _write(tmp_path, "block", trimesh.creation.box(extents=(15, 10, 5)))
    status = cli.main([str(path), "--process", "SLA", "--material", "RESIN-STD", "--precise"])
    assert status == 2
    assert "no slicer profile for RESIN-STD (profiles: RESIN-TGH)" in capsys.readouterr().err
