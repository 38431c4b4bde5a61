"""The headless ``odm-quote`` command: in-process through ``main`` and as a real subprocess."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trimesh

from odm_engine import cli
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.loaders import load_part
from odm_engine.mesh.messages import render
from odm_engine.service import REPORT_KEYS

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "meshes"
needs_prusaslicer = pytest.mark.skipif(
    shutil.which("prusa-slicer") is None, reason="PrusaSlicer is not installed"
)


@pytest.fixture(scope="module")
def block(tmp_path_factory):
    """A 30 x 20 x 10 mm block as a binary STL."""
    path = tmp_path_factory.mktemp("parts") / "block.stl"
    trimesh.creation.box(extents=(30.0, 20.0, 10.0)).export(path)
    return path


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory):
    path = tmp_path_factory.mktemp("parts") / "corrupt.stl"
    path.write_bytes(b"\x00\x17garbage, not a mesh\xff" * 7)
    return path


@pytest.fixture
def paths(block, corrupt, tmp_path):
    return {"missing": tmp_path / "absent.stl", "corrupt": corrupt, "block": block}


@pytest.fixture
def corpus_cube():
    path = CORPUS / "20mm-xyz-cube.stl"
    if not path.is_file():
        pytest.skip(f"shared mesh corpus not found at {CORPUS}")
    return path


def run(capsys, *argv):
    status = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys, *argv):
    status, out, err = run(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def test_json_report_of_a_printed_part(capsys, block):
    report = run_json(capsys, block, "--process", "fdm", "--material", "PETG", "--quantity", "5")
    assert set(report) >= REPORT_KEYS
    assert report["unit"] == "mm"
    assert report["volume_mm3"] == pytest.approx(6000.0, rel=1e-6)
    assert report["area_mm2"] == pytest.approx(2 * (600 + 200 + 300), rel=1e-6)
    assert sorted(report["bbox_mm"]) == pytest.approx([10.0, 20.0, 30.0])
    assert report["watertight"] is True
    assert report["bodies"] == 1
    assert (report["process"], report["material"], report["quantity"]) == ("FDM", "PETG", 5)
    assert report["print_time_s"] > 0
    assert report["material_g"] > 0
    assert sum(line["amount"] for line in report["breakdown"]) == pytest.approx(
        report["unit_price"], abs=1e-5
    )
    for line in report["breakdown"]:
        assert {"code", "label", "amount", "formula", "inputs"} <= set(line)
    for issue in report["dfm"]:
        # A message made of numbers also gives its template and parameters (for Odoo to
        # format them in the reader's language); the message itself is always there.
        assert set(issue) - {"template", "params"} == {"code", "severity", "message", "audience"}
        if "template" in issue:
            assert render(issue["template"], issue["params"]) == issue["message"]


def test_readable_table_without_json(capsys, block):
    status, out, err = run(capsys, block, "--process", "SLA", "--quantity", "3")
    assert status == 0, err
    for text in ("SLA resin printing", "unit price", "Lead time options", "DFM", "= "):
        assert text in out
    assert not err


def test_unit_option_scales_a_unitless_file(capsys, block):
    in_mm = run_json(capsys, block, "--unit", "mm")
    in_inch = run_json(capsys, block, "--unit", "inch", "--process", "CNC")
    assert in_inch["unit"] == "inch"
    assert in_inch["volume_mm3"] == pytest.approx(in_mm["volume_mm3"] * 25.4**3, rel=1e-6)


def test_machining_has_no_print_time(capsys, block):
    report = run_json(capsys, block, "--process", "CNC", "--material", "POM")
    assert report["print_time_s"] is None
    assert report["machine_time_s"] > 0


def test_config_file_overrides_the_defaults(capsys, block, tmp_path):
    config = tmp_path / "prices.json"
    config.write_text(json.dumps({"currency": "USD", "materials": {"PLA": {"price_per_kg": 50}}}))
    base = run_json(capsys, block)
    dearer = run_json(capsys, block, "--config", config)

    def material(report):
        return next(line["amount"] for line in report["breakdown"] if line["code"] == "material")

    assert dearer["currency"] == "USD"
    assert material(dearer) == pytest.approx(2 * material(base), rel=1e-5)


def test_compare_lists_cheapest_process_and_break_evens(capsys, block):
    report = run_json(capsys, block, "--compare", "1,100,100000")
    comparison = report["comparison"]
    assert comparison["quantities"] == [1, 100, 100000]
    assert len(comparison["cheapest"]) == 3
    assert "MOULDING" in comparison["processes"]
    assert comparison["cheapest"][-1] == "MOULDING"
    assert any(even["challenger"] == "MOULDING" for even in comparison["break_evens"])
    status, out, _ = run(capsys, block, "--compare")
    assert status == 0
    assert "Break-even quantities" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{missing}"], "no such file"),
        (["{corrupt}"], ""),
        (["{block}", "--process", "laser"], "unknown process 'laser'"),
        (["{block}", "--material", "AL6061"], "not available for FDM"),
        (["{block}", "--quantity", "0"], "at least 1"),
        (["{block}", "--quantity", "ten"], "not a whole number"),
        (["{block}", "--unit", "furlong"], "invalid choice"),
        (["{block}", "--config", "{missing}.json"], "cannot read config file"),
        (["{block}", "--finish", "ANOD-II"], "not available for FDM"),
        (["{block}", "--lead-time", "yesterday"], "unknown lead time tier 'yesterday'"),
        (["{block}", "--compare", "--material", "PLA"], "drop --process"),
        (["{block}", "--compare", "--lead-time", "soon"], "unknown lead time tier 'soon'"),
        (["{block}", "--compare", "1,x"], "not a whole number"),
    ],
)
def test_bad_input_exits_2_with_one_message(capsys, paths, arguments, message):
    status, out, err = run(capsys, *(arg.format(**paths) for arg in arguments))
    assert status == 2
    assert not out
    assert err.startswith("odm-quote: error: ")
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_corrupt_mesh_message_is_the_loaders(capsys, corrupt):
    with pytest.raises(MeshError) as refused:
        load_part(corrupt)
    _, _, err = run(capsys, corrupt)
    assert err == f"odm-quote: error: {refused.value.message}\n"


def test_precise_without_the_slicer_integration_says_so(capsys, block, monkeypatch):
    monkeypatch.setattr(cli, "SLICER_MODULE", "odm_engine.slicing.no_such_slicer")
    status, out, err = run(capsys, block, "--precise")
    assert status == 2
    assert not out
    assert "PrusaSlicer integration" in err


@needs_prusaslicer
def test_precise_takes_time_and_filament_from_the_slicer(capsys, block):
    report = run_json(capsys, block, "--precise", "--quantity", "4")
    sliced = report["slice"]
    assert sliced["material"] == "PLA"
    assert report["print_time_s"] == pytest.approx(sliced["print_time_s"])
    assert report["material_g"] == pytest.approx(sliced["filament_g"])
    # 30 x 20 x 10 mm at 15 % infill: a few grams either way.
    assert 2 < report["material_g"] < 8
    formulas = {line["code"]: line["formula"] for line in report["breakdown"]}
    assert "from the slicer" in formulas["material"]
    assert "from the slicer" in formulas["machine_time"]


def test_precise_needs_a_slicer_profile_for_the_material(capsys, block):
    status, _, err = run(capsys, block, "--precise", "--material", "TPU")
    assert status == 2
    assert "no slicer profile for TPU" in err


def test_precise_is_for_fdm_only(capsys, block):
    status, _, err = run(capsys, block, "--process", "CNC", "--precise")
    assert status == 2
    assert "FDM" in err


def _subprocess(*argv):
    environment = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "odm_engine.cli", *map(str, argv)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_command_quotes_the_corpus_calibration_cube(corpus_cube):
    result = _subprocess(corpus_cube, "--json", "--quantity", "10")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["unit"] == "mm"
    assert report["bbox_mm"] == pytest.approx([20.0, 20.0, 20.0], abs=0.2)
    # Embossed letters remove a little from the full 8 cm³ cube.
    assert 7000 < report["volume_mm3"] < 8000
    assert report["watertight"] is True
    assert report["bodies"] == 1
    # Filament for a 20 mm cube at 15 % infill: a few grams, printed in minutes, not hours.
    assert 2.5 < report["material_g"] < 6
    assert 5 * 60 < report["print_time_s"] < 30 * 60
    assert report["unit_price"] > 0
    assert not any(issue["severity"] == "fatal" for issue in report["dfm"])


def test_command_refuses_a_corrupt_file(corrupt):
    result = _subprocess(corrupt)
    assert result.returncode == 2
    assert not result.stdout
    assert result.stderr.startswith("odm-quote: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
