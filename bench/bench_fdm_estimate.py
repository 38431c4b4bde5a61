"""Benchmark: the instant FDM estimate against PrusaSlicer, part by part, on every printer profile.

Run from the repository root (needs ``prusa-slicer`` and ``../shared/corpus``):

    .odm/venv/bin/python -m bench.bench_fdm_estimate [--cache /tmp/odm-fdm-slices.json]
        [--only NAME ...] [--no-speed] [--no-report]

Three sets of parts: the shared corpus (``../shared/corpus/meshes``), the real printed parts
(``../shared/corpus/printed``) and the generated shapes of ``bench/fdm_shapes.py``. For each part
and each shipped printer profile (``odm_engine/slicing/profiles/printer_*.ini``) it analyses the
part, takes the instant layer-based estimate (``odm_engine.slicing.layers``, PLA) and the old
volume-based formula (``processes/fdm.py`` without a layer table) as the same-run baseline, then
slices the part in the orientation the analysis chose with the same profile
(``slice_as_estimated``) and compares print time and filament mass. Slices are cached by the
oriented mesh and the profile files, so a re-run only slices what changed.

It prints and writes ``docs/benchmarks/fdm_estimate.md``: per set and printer the median, 90th
percentile and worst absolute error against the targets of issue 11, and every part's errors,
worst first. ``--only`` keeps the parts whose file name contains one of the words given (a
quick check while iterating; it prints without writing the report).
"""

import argparse
import datetime
import hashlib
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import fdm_shapes
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part
from odm_engine.pricing.quote import quote_part
from odm_engine.slicing import layers, profile_reader, slicer
from odm_engine.slicing.precise import write_oriented_stl

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "corpus"
REPORT = REPO / "docs" / "benchmarks" / "fdm_estimate.md"
MATERIAL = "PLA"
TARGETS = {
    "median_time": 5.0,
    "median_mass": 3.0,
    "p90_time": 12.0,
    "worst": 25.0,
    "table_s": 0.5,
    "quote_s": 1.5,
}
# Why the worst parts are off, found by comparing the slicer's G-code feature by feature
# (length and filament per ;TYPE:, and time per ;TYPE: from PrusaSlicer's own time model,
# GCodeProcessor, replayed on the G-code) with the estimate's features.
WHY_OFF = {
    "rod_d8x40": "lying on its side, its support is a few layers of narrow strips along the "
    "rod: 0.16 g estimated against 0.26 g sliced, and 0.1 min against 0.8 min on the VORON "
    "(short support lines, many of them, at the first-layer speed).",
    "20mm-xyz-cube": "support 0.10 g estimated against 0.51 g sliced: the engraved letters' "
    "ceilings are flat overhangs standing on the part, which the estimate takes for bridges "
    "(dont_support_bridges); PrusaSlicer prints them as perimeters only (too narrow for bridge "
    "infill) and supports them. Perimeters (1.65 g against 1.61 g) and infill match.",
    "screw_m3x8": "printed lying on its side; no thread flank leans more than 45 degrees "
    "from vertical, but the crests under the shank are flatter than 45 degrees and stick out of "
    "the layer below, so PrusaSlicer (layer against layer) supports the whole shank; the "
    "estimate now finds these overhanging ridges (support 0.031 g, was 0.007 g). Still short "
    "(MK4 G-code by ;TYPE:): support 0.076 g sliced, of which 0.028 g is the first support "
    "layer's flange (raft_first_layer_expansion 3 mm at raft_first_layer_density 90 %, which "
    "the estimate does not model) and 0.045 g interface on every support layer; infill 0.023 g "
    "sliced against 0.002 g, offset by perimeters 0.128 g against 0.099 g.",
    "sphere_d30": "solid infill now matches layer by layer (9,900 mm estimated against 9,500 mm "
    "sliced on the MK4: the steep middle's vertical shells are dropped as PrusaSlicer drops "
    "them). What is left (MK4, 24.9 min against 27.4 min): supports 2.0 min against 3.3 min, "
    "travel, retractions and Z lifts 2.5 min against 3.3 min. On the VORON nearly every layer "
    "is under slowdown_below_layer_time: the G-code shows perimeters, external perimeters and "
    "gyroid infill of such a layer all slowed to one feed (about 54 mm/s at mid-height, from "
    "120, 80 and 200), which the printer then runs with its accelerations. The estimate now "
    "does the same (CoolingBuffer's shared feed over the adjustable extrusions, each run then "
    "timed with its accelerations): -13.6 % before, -5.1 % now on the VORON.",
    "multibody": "a 0.26 g part of several small bodies: support 0.04 min estimated against "
    "0.63 min sliced (0.06 g against 0.11 g) under its small overhangs; most of the missing "
    "support is the first support layer's flange (see idler_riser).",
    "idler_riser": "support 0.7 min estimated against 3.6 min sliced (MK4), nearly all of it "
    "the first support layer: 4,383 mm of lines in 2.4 min, against 657 mm two layers up. "
    "Without a raft PrusaSlicer prints the bases of its support columns as a flange "
    "(generate_raft_base: grown by raft_first_layer_expansion, 3 mm, then trimmed by the "
    "part's first layer; filled at raft_first_layer_density, 90 %, with first-layer lines and "
    "a sheath), which the estimate does not model: tried with the bases as one square block, "
    "it lowered the corpus MK4 median but over-counted parts whose estimated support area on "
    "the plate is already too large (bottom_panel_hinge_x2: 2,000 mm of flange against 382 mm "
    "sliced), which took the printed parts' mass median over 3 %. "
    "Tried again as PrusaSlicer builds it (only the columns standing on the plate above the "
    "interface layers' reach, each grown across its free edges, trimmed toward the part, "
    "filled at 90 % with first-layer lines and a sheath): the first support layer then "
    "matches the G-code of teapot (2,520 mm against 2,620 mm sliced), sphere_d30 (1,570 mm "
    "against 1,570 mm) and screw_m3x8 (330 mm against 300 mm), the mean time error falls from "
    "5.25 to 4.89 % and the mean mass error from 3.34 to 2.78 %, every p90 and worst is "
    "lower, but the corpus MK4 time median rises from 5.4 to 5.7 % and the printed VORON350 "
    "one from 5.7 to 5.9 %: parts already over grow further (teapot +4.4 to +7.5 %, "
    "screw_m3x8, UHP_200_Mount_x2), bottom_panel_hinge_x2 gets 1,200 mm of flange against 382 "
    "mm sliced (its columns' bases are hemmed in by the part's first layer, which the table "
    "does not locate) and idler_riser stays short (270 mm2 of support estimated on the plate, "
    "mostly the interface of a low overhang, against about 2,200 mm2 of flange sliced). Not "
    "kept.",
    "two_objects": "a cube and a tetrahedron inside it: the material is counted once (6.67 g "
    "against 6.59 g sliced) and each layer now has one island, the union's (travel 2.2 min "
    "against 3.8 min before; 1.4 min sliced). Still over on the MK4 (24.5 min against 22.8 "
    "min): the tetrahedron's slanted face inside the cube is taken for a surface of the part, "
    "solid infill 3.6 min estimated against 2.1 min sliced (the union's share scales the "
    "surfaces, it does not know which ones are inside the other body).",
    "rabbit": "a low-polygon rabbit of overlapping bodies (ears, legs, body): each layer is now "
    "one island, as PrusaSlicer prints the union (was up to 6), which takes travel, retractions "
    "and Z lifts to 18.8 min (MK4) against 30.6 min sliced, and exposes the support count: "
    "support and interface 20.8 min estimated against 35.6 min sliced.",
    "x_frame_V2TR_MGN12_left": "the same lengths, more stops (VORON, 41.2 min against 47.5 "
    "min): perimeters 60,300 mm estimated against 59,600 mm sliced but 13.7 min against 15.5 "
    "min, as the G-code's perimeters start 20,000 of their 39,000 moves below half speed (the "
    "mesh's small facets merged by Arachne's simplification into fewer, sharper turns, "
    "meshfix_maximum_resolution 0.5 mm); travel, retractions and Z lifts 4.9 min against 7.5 "
    "min (1,136 retractions estimated against 2,021, 12.8 m of travel against 28.5 m: infill "
    "split into several pieces per island, 318 infill-to-infill and 335 support-to-support "
    "hops, which the estimate counts as one piece per island); support 2.5 min against 3.1 min.",
    "spool_holder": "VORON, 40.1 min against 45.9 min: support and interface 3.8 min against "
    "6.2 min (12,300 mm of support and 8,900 mm of interface lines estimated against 17,000 mm "
    "and 6,200 mm sliced), solid, top and bridge infill 35,900 mm against 43,200 mm, "
    "perimeters 13.1 min against 14.4 min for the same length (sharper turns in the G-code, "
    "as x_frame), travel, retractions and Z lifts 4.3 min against 5.1 min.",
    "MGN12_rail_guide_x2": "no support; every feature's length matches (perimeters 11,000 mm, "
    "solid infill 5,450 mm, sparse 4,870 mm against 5,420 mm): the time goes to stops. MK4, "
    "7.9 min against 8.8 min: inner perimeters 1.34 min against 1.60 min (1,415 of their 2,511 "
    "G-code moves start below half speed, the estimate has 400 sharp corners), travel, "
    "retractions and Z lifts 0.47 min against 0.75 min (89 retractions estimated against 152: "
    "the gyroid infill of its one island prints in 2 to 4 pieces a layer, each reached with a "
    "retraction, and the first infill piece starts 4.5 mm from the seam, not one line over).",
}


def profile_digest(printer: str) -> str:
    digest = hashlib.sha256()
    for path in profile_reader.profile_files(printer, MATERIAL):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reference(part, analysis, printer: str, cache: dict) -> dict | None:
    """PrusaSlicer's time and grams for the oriented part on ``printer`` (cached)."""
    with tempfile.TemporaryDirectory(prefix="odm-bench-") as workdir:
        path = write_oriented_stl(
            part, analysis["orientation"]["rotation"], Path(workdir) / "p.stl"
        )
        key = hashlib.sha256(path.read_bytes()).hexdigest()[:24] + ":" + profile_digest(printer)
        if key not in cache:
            try:
                result = slicer.slice_part(path, printer=printer, material=MATERIAL)
                cache[key] = {
                    "time_s": result.print_time_s,
                    "grams": result.filament_g,
                    "supports": result.has_supports,
                    "slicer": result.slicer,
                }
            except slicer.PartTooLargeError:
                cache[key] = None
            except slicer.SlicerError as error:
                cache[key] = {"error": error.message}
    return cache[key]


def parts() -> list[tuple[str, Path]]:
    found = []
    for set_name, folder in (("corpus", SHARED / "meshes"), ("printed", SHARED / "printed")):
        if folder.is_dir():
            found += [(set_name, p) for p in sorted(folder.iterdir(), key=lambda p: p.name.lower())]
    generated = Path(tempfile.mkdtemp(prefix="odm-shapes-"))
    found += [("generated", path) for path in fdm_shapes.write_all(generated)]
    return found


def measure(set_name: str, path: Path, cache: dict, rows: list, skipped: list) -> None:
    try:
        part = load_part(path)
        started = time.perf_counter()
        analysis = analyse(part, fdm_layers=True).to_dict()
        analysis_s = time.perf_counter() - started
    except MeshError as error:
        skipped.append((path.name, error.message))
        return
    table = analysis.get(layers.ANALYSIS_KEY)
    baseline = {key: value for key, value in analysis.items() if key != layers.ANALYSIS_KEY}
    old = quote_part(baseline, "FDM", MATERIAL, 1)
    for printer in profile_reader.available_printers():
        sliced = reference(part, analysis, printer, cache)
        if sliced is None or "error" in sliced:
            reason = "too large" if sliced is None else sliced["error"]
            skipped.append((f"{path.name} on {printer}", reason))
            continue
        profile = layers.FdmProfile.load(printer, MATERIAL)
        started = time.perf_counter()
        estimate = layers.estimate(table, profile)
        estimate_s = time.perf_counter() - started
        rows.append(
            {
                "set": set_name,
                "part": path.stem,
                "printer": printer,
                "slicer_time_s": sliced["time_s"],
                "slicer_g": sliced["grams"],
                "supports": sliced["supports"],
                "slicer": sliced["slicer"],
                "time_s": estimate.print_time_s,
                "grams": estimate.material_g,
                "old_time_s": old.print_time_s,
                "old_g": old.material_g,
                "analysis_s": analysis_s,
                "estimate_s": estimate_s,
                "features": estimate.time_by_feature_s,
                "support_g": estimate.grams_by_feature.get("support", 0.0),
            }
        )


def speed(sizes=(10_000, 100_000, 1_000_000), repeat: int = 3) -> list[dict]:
    """CPU seconds of the whole analysis with the layer table, of the table alone and of the
    rest of the analysis (the same-run baseline), on one core; fastest of ``repeat`` runs.

    The parts are the bumpy spheres of ``bench_mesh_analysis``, each measured in a fresh
    process (spawned: its peak memory is its own); the analysis is the one an upload runs
    (``service.analyse_in_process``: the FDM and the SLA layer tables); the table's cost is
    timed around ``geometry.fdm_layer_table`` (support columns and sectioning), the SLA table's
    around ``sla_layers.layer_table``, the instant quote around ``quote_part``.
    """
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"  # the spawned processes' numpy computes on one core
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return [pool.apply(_speed_of_size, (size, repeat)) for size in sizes]


def _speed_of_size(size: int, repeat: int) -> dict:
    import trimesh  # noqa: PLC0415 - only the speed section writes meshes

    from bench.bench_mesh_analysis import bumpy_sphere  # noqa: PLC0415
    from odm_engine.mesh import geometry  # noqa: PLC0415

    path = Path(tempfile.mkdtemp(prefix="odm-speed-")) / "sphere.stl"
    trimesh.Trimesh(**trimesh.triangles.to_kwargs(bumpy_sphere(size))).export(path)
    part = load_part(path)
    fdm_table, sla_table = geometry.fdm_layer_table, geometry.resin_layers.layer_table
    runs = []
    for _ in range(repeat):
        spent = {}
        geometry.fdm_layer_table = _timed(fdm_table, spent, "fdm")
        geometry.resin_layers.layer_table = _timed(sla_table, spent, "sla")
        try:
            started = time.process_time()
            analysis = analyse(part, fdm_layers=True, sla_layers=True).to_dict()
            total = time.process_time() - started
        finally:
            geometry.fdm_layer_table, geometry.resin_layers.layer_table = fdm_table, sla_table
        started = time.process_time()
        quote_part(analysis, "FDM", MATERIAL, 1)
        runs.append((total, spent["fdm"], spent["sla"], time.process_time() - started))
    return {
        "triangles": len(part.faces),
        "analysis_s": min(total for total, _, _, _ in runs),
        "table_s": min(table for _, table, _, _ in runs),
        "sla_table_s": min(table for _, _, table, _ in runs),
        "rest_s": min(total - table - sla for total, table, sla, _ in runs),
        "quote_s": min(quote for _, _, _, quote in runs),
        "table_kib": len(analysis[layers.ANALYSIS_KEY]["data"]) / 1024,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": os.getloadavg()[0],
    }


def _timed(function, spent: dict, name: str):
    """``function``, writing the CPU seconds of its last call to ``spent[name]``."""

    def run(*args, **kwargs):
        started = time.process_time()
        result = function(*args, **kwargs)
        spent[name] = time.process_time() - started
        return result

    return run


def signed_pct(estimate: float, actual: float) -> float:
    return (estimate - actual) / actual * 100


def summary(rows: list[dict], key: str, actual: str) -> tuple[float, float, float]:
    errors = sorted(abs(signed_pct(r[key], r[actual])) for r in rows)
    return (
        statistics.median(errors),
        float(np.percentile(errors, 90)),
        errors[-1],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "odm-fdm.json")
    parser.add_argument("--no-report", action="store_true", help="print only")
    parser.add_argument("--no-speed", action="store_true", help="skip the 1M-triangle timing")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="only the parts whose file name contains one of these (implies --no-report)",
    )
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"no corpus at {SHARED}")
    cache = json.loads(args.cache.read_text()) if args.cache.is_file() else {}
    rows, skipped = [], []
    started = time.perf_counter()
    for set_name, path in parts():
        if args.only and not any(word in path.name for word in args.only):
            continue
        measure(set_name, path, cache, rows, skipped)
        args.cache.write_text(json.dumps(cache))
        print(f"{set_name}/{path.name}: done", flush=True)
    timings = [] if args.no_speed else speed()
    report = render(rows, skipped, time.perf_counter() - started, timings)
    if not (args.no_report or args.only):
        REPORT.write_text(report)
    print(report)


def missed_targets(groups: dict[tuple[str, str], list]) -> list[str]:
    """One line per set and printer: the targets it meets or misses (the issue judges the
    shared corpus, the printed parts and the generated set each, not only their union)."""
    lines = []
    for (set_name, printer), group in sorted(groups.items()):
        time_median, time_p90, time_worst = summary(group, "time_s", "slicer_time_s")
        mass_median, _, mass_worst = summary(group, "grams", "slicer_g")
        missed = [
            label
            for label, value, target in (
                ("median time", time_median, TARGETS["median_time"]),
                ("median mass", mass_median, TARGETS["median_mass"]),
                ("p90 time", time_p90, TARGETS["p90_time"]),
                ("worst time", time_worst, TARGETS["worst"]),
                ("worst mass", mass_worst, TARGETS["worst"]),
            )
            if value > target
        ]
        verdict = "misses " + ", ".join(missed) if missed else "meets every target"
        lines.append(f"- {set_name}, {printer}: {verdict}.")
    return lines


def render(rows: list[dict], skipped: list, seconds: float, timings: list[dict]) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        "# Instant FDM estimate against PrusaSlicer",
        "",
        f"Command: `.odm/venv/bin/python -m bench.bench_fdm_estimate` (last run {today}, "
        f"{len(rows)} part x printer pairs, {seconds:.0f} s with cached slices).",
        "",
        "*Layer-based* is the instant estimate of `odm_engine.slicing.layers` from the part's "
        "analysis, which quotes price from; *old formula* is the volume-based estimate quotes "
        "used before it (`extruded volume / one flow + layers x overhead`, still used for "
        "analyses stored without the layer table), computed in the same run. Both are compared "
        "with "
        f"{rows[0]['slicer'] if rows else 'PrusaSlicer'} slicing the same part in the same "
        "orientation with the same profile (PLA). Errors are absolute, in % of the slicer's "
        "figure.",
        "",
        "| set | printer | parts | time median | time p90 | time worst | mass median | mass p90 "
        "| mass worst | old time median | old mass median |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    groups: dict[tuple[str, str], list] = {}
    for row in rows:
        groups.setdefault((row["set"], row["printer"]), []).append(row)
        groups.setdefault(("all", row["printer"]), []).append(row)
    for (set_name, printer), group in sorted(groups.items()):
        t = summary(group, "time_s", "slicer_time_s")
        m = summary(group, "grams", "slicer_g")
        old_t = summary(group, "old_time_s", "slicer_time_s")
        old_m = summary(group, "old_g", "slicer_g")
        lines.append(
            f"| {set_name} | {printer} | {len(group)} | {t[0]:.1f} % | {t[1]:.1f} % | "
            f"{t[2]:.0f} % | {m[0]:.1f} % | {m[1]:.1f} % | {m[2]:.0f} % | {old_t[0]:.1f} % | "
            f"{old_m[0]:.1f} % |"
        )
    if timings:
        lines += [
            "",
            "## Speed (CPU seconds, one core, the bumpy spheres of `bench_mesh_analysis`)",
            "",
            "CPU time (`time.process_time`, user and system) of a fresh process per size, "
            "fastest of three runs; a machine busy with other work still inflates it through "
            "shared caches and memory bandwidth. The whole analysis is the one an upload runs: "
            "with the FDM layer table (support columns and sectioning) and the SLA table "
            "(supports, pad and slow-tilt areas for the SLA estimate). *Rest of the analysis* "
            "is the same run without either table, the baseline the table's cost is set "
            "against; the instant quote is the analysis plus pricing from it.",
            "",
            "| triangles | whole analysis | FDM layer table | SLA table | rest of the analysis "
            "| FDM table / rest | pricing from the stored analysis | instant quote "
            "| FDM table size | peak memory |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {t['triangles']:,} | {t['analysis_s']:.2f} s | {t['table_s']:.3f} s | "
            f"{t['sla_table_s']:.3f} s | {t['rest_s']:.2f} s | {t['table_s'] / t['rest_s']:.2f} | "
            f"{t['quote_s'] * 1000:.0f} ms | {t['analysis_s'] + t['quote_s']:.2f} s | "
            f"{t['table_kib']:.0f} KiB | {t['peak_mib']:.0f} MiB |"
            for t in timings
        ]
        lines += [
            "",
            f"Speed targets (issue 11): the table adds at most {TARGETS['table_s']:g} s to the "
            f"analysis of a million-triangle part and its instant quote stays at or under "
            f"{TARGETS['quote_s']:g} s; small parts well under 100 ms. Load average of the "
            f"machine (2 cores) while measured: "
            + ", ".join(f"{t['load']:.1f}" for t in timings)
            + ".",
        ]
    lines += [
        "",
        f"Targets (issue 11): median time <= {TARGETS['median_time']:g} %, median mass <= "
        f"{TARGETS['median_mass']:g} %, p90 time <= {TARGETS['p90_time']:g} %, no part worse "
        f"than {TARGETS['worst']:g} %.",
        "",
        *missed_targets(groups),
        "",
        "How the estimate follows PrusaSlicer (found by comparing, part by part, the slicer's "
        "G-code feature by feature with the estimate's features): overhangs are found as "
        "PrusaSlicer finds them layer against layer, downward ridges flatter than the threshold "
        "between steep faces included; supports grow past the overhangs' free edges by the "
        "slicer's contact margin and snap outward to its support grid; sparse infill carries "
        "its anchors along the region's boundary; the vertical shells that "
        "ensure_vertical_shell_thickness adds on slopes are opened as discover_vertical_shells "
        "opens them (a ring narrower than a solid line is dropped), from the slope each layer's "
        "contour shows; a flat top or bottom belongs to the layer whose section holds it; travel "
        "and retractions go to every perimeter loop, fill piece and island; the cooling slow-down "
        "is reckoned, as PrusaSlicer's CoolingBuffer does, on length over feed rate; "
        "overlapping bodies are counted once and their outlines on a layer as one island; an "
        "overhang whose contact layer would fall below the first layer's height is not "
        "supported.",
        "",
        "Estimate cost: median "
        f"{statistics.median(r['estimate_s'] for r in rows) * 1000:.2f} ms per part and printer "
        "from the stored layer table (the table itself is built during the analysis: see the "
        "speed table).",
        "",
        "## Every part, worst time error first",
        "",
        "| set | part | printer | slicer min | estimate min | time error | slicer g | estimate g "
        "| mass error | old time error | old mass error | supports |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in sorted(rows, key=lambda r: -abs(signed_pct(r["time_s"], r["slicer_time_s"]))):
        lines.append(
            f"| {row['set']} | {row['part']} | {row['printer']} | "
            f"{row['slicer_time_s'] / 60:.1f} | {row['time_s'] / 60:.1f} | "
            f"{signed_pct(row['time_s'], row['slicer_time_s']):+.1f} % | {row['slicer_g']:.2f} | "
            f"{row['grams']:.2f} | {signed_pct(row['grams'], row['slicer_g']):+.1f} % | "
            f"{signed_pct(row['old_time_s'], row['slicer_time_s']):+.0f} % | "
            f"{signed_pct(row['old_g'], row['slicer_g']):+.0f} % | "
            f"{'yes' if row['supports'] else 'no'} |"
        )
    shown = sorted({row["part"] for row in rows} & set(WHY_OFF))
    if shown:
        lines += ["", "## Why the worst parts are off", ""]
        lines += [f"- `{name}`: {WHY_OFF[name]}" for name in shown]
    if skipped:
        lines += ["", "Not compared:", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in skipped]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
