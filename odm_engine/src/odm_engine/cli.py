"""``odm-quote``: quote a part file from the command line, without Odoo or a database.

    odm-quote FILE [--process P] [--material M] [--quantity N] [--finish F] [--lead-time T]
                   [--unit mm|inch|auto] [--precise] [--compare [Q,Q,...]] [--json]
                   [--config FILE]

Prices come from the engine defaults, or from a JSON/TOML override file (``--config``). A ``.zip``
FILE quotes every part inside, under the same limits as an upload (one inflation budget, a cap on
files), each in a bounded child process like every analysis; ``--json`` then prints a list of
reports. Bad input (missing or unreadable file, a mesh the engine refuses, an unknown code, a bad
quantity) exits with status 2 and one message on stderr; a quote with fatal DFM findings is still
a quote (exit 0, ``"fatal": true``).
"""

import argparse
import importlib.util
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn, TextIO

from odm_engine.mesh.batch import UploadBatch
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import DEFAULT_LIMITS, check_file_size
from odm_engine.mesh.units import MM_PER_UNIT
from odm_engine.pricing.defaults import load_config
from odm_engine.pricing.params import Material, PricingConfig, PricingError, ProcessParams
from odm_engine.pricing.quote import ProcessComparison, Quote, compare_processes, quote_part
from odm_engine.service import analyse_upload, json_ready, quote_report, report_head
from odm_engine.slicing import profile_reader

PROGRAM = "odm-quote"
SLICER_MODULE = "odm_engine.slicing.slicer"
# Formats PrusaSlicer reads; 3MF carries its own unit, STL and OBJ are scaled like the analysis.
SLICEABLE_FORMATS = ("stl", "obj", "3mf")
# Processes PrusaSlicer has a mode and shipped profiles for.
PRECISE_TECHNOLOGIES = ("fdm", "sla")


class UsageError(Exception):
    """A command-line mistake: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _quantity_list(text: str) -> list[int]:
    return [_positive_int(part.strip()) for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROGRAM,
        description="Instant, explained quote for a 3D part (STL, OBJ, PLY, 3MF, GLB, STEP...).",
    )
    parser.add_argument("file", type=Path, help="the part file")
    parser.add_argument("--process", help="process code (default: the config's default process)")
    parser.add_argument("--material", help="material code (default: the process's default)")
    parser.add_argument("--quantity", type=_positive_int, default=1, help="number of parts")
    parser.add_argument("--finish", help="finish code (default: none)")
    parser.add_argument("--lead-time", help="lead-time tier code (default: the config's)")
    parser.add_argument(
        "--unit", default="auto", choices=("mm", "inch", "auto"), help="unit of unitless files"
    )
    parser.add_argument(
        "--precise",
        action="store_true",
        help="FDM: take print time and filament from a PrusaSlicer slice (of the file as "
        "oriented) instead of the estimate; SLA: add PrusaSlicer's SLA slice (time, resin with "
        "supports and pad) to the report",
    )
    parser.add_argument(
        "--compare",
        nargs="?",
        const="",
        type=lambda text: _quantity_list(text) if text else [],
        metavar="Q,Q,...",
        help="compare every process over these quantities (default: the config's list)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--config", type=Path, help="JSON or TOML file overriding the defaults")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command; returns the exit status (0 quoted, 2 bad input)."""
    try:
        args = build_parser().parse_args(argv)
        return _run(args, sys.stdout)
    except (UsageError, PricingError, MeshError) as error:
        sys.stderr.write(f"{PROGRAM}: error: {error}\n")
        return 2


def _run(args: argparse.Namespace, out: TextIO) -> int:
    config = load_config(args.config)
    if args.compare is None:
        _quote(args, config, out)
    else:
        _compare(args, config, out)
    return 0


def _quote(args: argparse.Namespace, config: PricingConfig, out: TextIO) -> None:
    # Codes are checked before the mesh is read: a typo should not cost a full analysis.
    process = config.process(args.process or config.default_process)
    material = config.material(args.material or process.default_material, process)
    if args.finish:
        config.finish(args.finish, process, material)
    config.lead_time_tier(args.lead_time or config.default_lead_time)
    slicer = _slicer_for(process, material) if args.precise else None
    if slicer and _is_archive(args.file):
        raise UsageError("--precise slices one part file, not a zip archive")

    reports = []
    for name, geometry in _geometries(args.file, args.unit):
        sliced = _slice(slicer, args.file, geometry, process, material) if slicer else None
        measured = sliced.measured() if sliced else None
        quote = quote_part(
            geometry,
            process.code,
            material.code,
            args.quantity,
            finish=args.finish,
            config=config,
            lead_time=args.lead_time,
            measured=measured,
        )
        report = quote_report(name, geometry, quote)
        if sliced:
            report["slice"] = json_ready(sliced.to_dict())
        reports.append(report)
        if not args.json:
            if len(reports) > 1:
                out.write("\n")
            _print_quote(report, quote, config, out)
    if args.json:
        _print_json(reports if _is_archive(args.file) else reports[0], out)


def _compare(args: argparse.Namespace, config: PricingConfig, out: TextIO) -> None:
    if args.process or args.material or args.finish or args.precise:
        raise UsageError(
            "--compare prices every process in its default material, unfinished and estimated: "
            "drop --process, --material, --finish and --precise"
        )
    config.lead_time_tier(args.lead_time or config.default_lead_time)
    reports = []
    for name, geometry in _geometries(args.file, args.unit):
        report = report_head(name, geometry)
        comparison = compare_processes(
            geometry, args.compare or None, config, lead_time=args.lead_time
        )
        report["comparison"] = comparison.to_dict()
        report["geometry"] = geometry
        reports.append(report)
        if not args.json:
            if len(reports) > 1:
                out.write("\n")
            _print_comparison(report, comparison, out)
    if args.json:
        _print_json(reports if _is_archive(args.file) else reports[0], out)


def _is_archive(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def _geometries(path: Path, unit: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(report name, geometry) of the file, or of every part of a zip archive, one at a time."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    limits = DEFAULT_LIMITS
    try:
        check_file_size(path.stat().st_size, limits)
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read the file ({error.strerror or error})") from None
    batch = UploadBatch([(path.name, data)], limits)
    archive = _is_archive(path)
    for name, content in batch:
        try:
            analysed = analyse_upload(
                content, name, unit=unit, limits=limits, thumbnail_size=None, budget=batch.budget
            )
        except MeshError as error:
            if not archive:
                raise
            raise MeshError(error.code, f"{name} in {path.name}: {error.message}") from None
        yield (f"{path}:{name}" if archive else str(path)), analysed.analysis


def _slicer_for(process: ProcessParams, material: Material) -> ModuleType:
    """The PrusaSlicer integration, once it is known to have a profile for the request."""
    if process.technology not in PRECISE_TECHNOLOGIES:
        raise UsageError(f"--precise applies to FDM and SLA processes, not to {process.name}")
    if importlib.util.find_spec(SLICER_MODULE) is None:
        raise UsageError(
            "--precise needs the PrusaSlicer integration (odm_engine.slicing.slicer), "
            "which this installation does not include"
        )
    slicer = importlib.import_module(SLICER_MODULE)
    profiles = profile_reader.available_materials(technology=process.technology)
    if material.code.upper() not in profiles:
        raise UsageError(
            f"--precise has no slicer profile for {material.code} (profiles: {', '.join(profiles)})"
        )
    return slicer


def _slice(
    slicer: ModuleType,
    path: Path,
    geometry: Mapping[str, Any],
    process: ProcessParams,
    material: Material,
):
    """Slices the file as it is, scaled to millimetres like the analysis read it."""
    source_format, unit = geometry["source_format"], geometry["unit"]
    if source_format not in SLICEABLE_FORMATS:
        raise UsageError(
            f"--precise slices {', '.join(SLICEABLE_FORMATS).upper()} files, not {source_format}"
        )
    if source_format == "3mf" and unit != "mm":
        raise UsageError("--precise slices 3MF files drawn in millimetres only")
    if process.technology == "sla":
        return slicer.slice_sla_part(
            path,
            material=material.code,
            scale=MM_PER_UNIT[unit],
            density_g_cm3=material.density_g_cm3,
        )
    return slicer.slice_part(path, material=material.code, scale=MM_PER_UNIT[unit])


# --- Output -----------------------------------------------------------------------------------


def _print_json(report: Mapping[str, Any], out: TextIO) -> None:
    json.dump(json_ready(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


def _money(amount: float) -> str:
    return f"{amount:,.2f}" if amount == 0 or abs(amount) >= 0.01 else f"{amount:.4f}"


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _print_part(report: Mapping[str, Any], out: TextIO) -> None:
    x, y, z = report["bbox_mm"]
    bodies = report["bodies"]
    out.write(f"{report['file']}\n")
    out.write(f"  unit        {report['unit']}: {report['unit_reason']}\n")
    out.write(
        f"  size        {x:.2f} x {y:.2f} x {z:.2f} mm, {report['volume_mm3'] / 1000:.3f} cm³, "
        f"{report['area_mm2'] / 100:.2f} cm², {bodies} {'body' if bodies == 1 else 'bodies'}, "
        f"{'watertight' if report['watertight'] else 'NOT watertight'}\n"
    )


def _print_dfm(issues: Sequence[Mapping[str, str]], out: TextIO) -> None:
    out.write("\nDFM\n")
    if not issues:
        out.write("  no findings\n")
    for issue in issues:
        out.write(f"  {issue['severity']:<8} {issue['code']:<20} {issue['message']}\n")


def _print_quote(
    report: Mapping[str, Any], quote: Quote, config: PricingConfig, out: TextIO
) -> None:
    _print_part(report, out)
    finish = f", {config.finishes[quote.finish].name}" if quote.finish else ""
    parts = "part" if quote.quantity == 1 else "parts"
    out.write(
        f"\n{quote.process_name}, {quote.material_name}{finish} on {quote.machine_name}: "
        f"{quote.quantity} {parts}, {quote.lead_time} delivery in {quote.lead_time_days} days\n\n"
    )
    width = max(len(item.label) for item in quote.breakdown) + 2
    out.write(f"  {'item':<{width}}{quote.currency + '/part':>12}\n")
    for item in quote.breakdown:
        out.write(f"  {item.label:<{width}}{_money(item.amount):>12}\n")
        inputs = ", ".join(f"{name}={_value(value)}" for name, value in item.inputs.items())
        out.write(f"      = {item.formula}\n        with {inputs}\n")
    out.write(f"  {'unit price':<{width}}{_money(quote.unit_price):>12}\n")
    out.write(
        f"  {'total':<{width}}{_money(quote.total_price):>12} {quote.currency} "
        f"for {quote.quantity} {parts}\n"
    )
    time_label = "print time" if quote.print_time_s is not None else "machine time"
    out.write(
        f"\n  {time_label} {_duration(quote.machine_time_s)} per part, material "
        f"{quote.material_g:.1f} g per part (part weighs {quote.part_mass_g:.1f} g), "
        f"{quote.batches} batch(es) of up to {quote.parts_per_batch}\n"
    )
    out.write("\nLead time options\n")
    for option in quote.lead_time_options:
        out.write(
            f"  {option.name:<12}{option.days:>4} days{_money(option.unit_price):>12}/part"
            f"{_money(option.total_price):>14} {quote.currency}\n"
        )
    _print_dfm(report["dfm"], out)
    if quote.fatal:
        out.write("\nFATAL: this part cannot be confirmed without a manager override.\n")


def _print_comparison(
    report: Mapping[str, Any], comparison: ProcessComparison, out: TextIO
) -> None:
    _print_part(report, out)
    codes = list(comparison.quotes)
    out.write(f"\nUnit price ({comparison.currency}) by quantity; * marks the cheapest\n")
    out.write(f"  {'quantity':>10}" + "".join(f"{code:>14}" for code in codes) + "\n")
    for index, quantity in enumerate(comparison.quantities):
        cells = []
        for code in codes:
            mark = "*" if comparison.cheapest[index] == code else " "
            cells.append(f"{_money(comparison.quotes[code][index].unit_price) + mark:>14}")
        out.write(f"  {quantity:>10}" + "".join(cells) + "\n")
    if comparison.cheapest_from:
        path = ", then ".join(
            f"{process} from {quantity}" for quantity, process in comparison.cheapest_from
        )
        out.write(f"\nCheapest: {path}\n")
    if comparison.break_evens:
        out.write("\nBreak-even quantities\n")
        for even in comparison.break_evens:
            out.write(f"  {even.challenger} beats {even.incumbent} from {even.quantity} parts\n")
    for code, issues in comparison.excluded.items():
        reasons = "; ".join(issue.message for issue in issues)
        out.write(f"\nNot feasible with {code}: {reasons}\n")


if __name__ == "__main__":
    sys.exit(main())
