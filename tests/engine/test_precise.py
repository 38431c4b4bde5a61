"""Precise FDM mode: oriented export, slicing fallback, calibration of instant figures."""

import shutil

import numpy as np
import pytest

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part
from odm_engine.slicing import precise, slicer

needs_slicer = pytest.mark.skipif(
    shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed"
)


def _box(meshgen, x, y, z):
    return load_part(meshgen.stl(meshgen.box((x, y, z))), "box.stl", unit="mm")


def test_oriented_stl_keeps_the_solid_and_applies_the_turn(meshgen, tmp_path):
    part = _box(meshgen, 40, 20, 10)
    quarter_turn_about_y = [[0, 0, 1], [0, 1, 0], [-1, 0, 0]]
    path = precise.write_oriented_stl(part, quarter_turn_about_y, tmp_path / "turned.stl")
    turned = analyse(load_part(path.read_bytes(), "turned.stl", unit="mm")).to_dict()
    assert turned["volume_mm3"] == pytest.approx(8000, rel=1e-6)
    assert turned["bbox_mm"] == pytest.approx([10, 20, 40], abs=1e-4)
    assert turned["watertight"]


def test_calibration_corrects_instant_figures_with_a_band():
    samples = [
        {
            "estimate_print_time_s": t,
            "slicer_print_time_s": t * 1.2,
            "estimate_material_g": g,
            "slicer_material_g": g * 1.05,
        }
        for t, g in ((600, 4), (3600, 30), (7200, 55), (20000, 150), (1500, 11))
    ]
    calibrations = precise.fit(samples)
    assert calibrations["print_time_s"]["factor"] == pytest.approx(1.2)
    figures = precise.calibrated_figures({"print_time_s": 1000.0, "material_g": 10.0}, calibrations)
    assert figures["print_time_s"]["value"] == pytest.approx(1200)
    assert figures["material_g"]["value"] == pytest.approx(10.5)
    for figure in figures.values():
        assert figure["low"] < figure["value"] < figure["high"]


def test_no_calibration_leaves_figures_alone():
    assert precise.calibrated_figures({"print_time_s": 60.0, "material_g": None}, {}) == {}


@needs_slicer
def test_part_too_large_for_the_first_printer_goes_to_the_next(meshgen):
    part = _box(meshgen, 300, 30, 10)  # longer than the MK4 bed (250 mm), fits the Voron 350
    geometry = analyse(part).to_dict()
    geometry["orientation"]["rotation"] = np.eye(3).tolist()
    sliced = precise.slice_as_estimated(part, geometry, "PLA")
    assert sliced.printer == "VORON350"
    solid_grams = 300 * 30 * 10 / 1000 * 1.24
    assert 0.1 * solid_grams < sliced.filament_g < solid_grams


@needs_slicer
def test_part_larger_than_every_printer_is_refused(meshgen):
    part = _box(meshgen, 500, 30, 10)
    geometry = analyse(part).to_dict()
    geometry["orientation"]["rotation"] = np.eye(3).tolist()
    with pytest.raises(slicer.PartTooLargeError):
        precise.slice_as_estimated(part, geometry, "PLA")
