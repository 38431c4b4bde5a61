"""Precise FDM mode: slice the part with PrusaSlicer's command line and read what it measured.

The instant FDM estimate (``processes/fdm.py``) prices a part in milliseconds from its geometry;
slicing it takes seconds to minutes but gives the print time and filament the printer will
really use. ``slice_part`` runs ``prusa-slicer --export-gcode`` on a mesh in millimetres with one
of our profile sets (``odm_engine/slicing/profiles``: a shared print profile, one file per
printer, one per material, read by ``profile_reader``) and parses the statistics PrusaSlicer
writes at the end of the G-code.
The result's ``measured()`` is what ``Job.measured`` of the FDM model takes.
``slice_sla_part`` does the same for resin with PrusaSlicer's SLA mode (``--export-sla``, the
``sla_*.ini`` profiles) and reads the print time and resin of the export's ``config.ini``.

The slicer is an untrusted-input parser like the CAD kernel: it runs in a temporary directory
that is always removed, in its own process group with a wall-clock timeout (the whole group is
killed when it expires), under an address-space limit, with nothing on stdin and no display.
Every failure the customer can act on raises a :class:`SlicerError` (a :class:`MeshError` with
its own codes) carrying one sentence; the slicer's own output is kept in ``detail`` for logs.

Calibrating the instant estimate against these results is ``calibration.fit_calibration``.
"""

import contextlib
import dataclasses
import math
import mmap
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odm_engine.mesh.errors import MeshError
from odm_engine.slicing import profile_reader

SLICER_EXECUTABLE = "prusa-slicer"
DEFAULT_TIMEOUT_S = 300.0
# Address-space cap of the slicer process. PrusaSlicer 2.5 needs ~0.4 GB of RSS and under 1 GB
# of address space for a 300 mm, 84k-triangle part; 4 GB leaves room for big meshes on a worker.
DEFAULT_MEMORY_BYTES = 4 * 2**30

# Error codes, in the spirit of errors.CODES (which belongs to the mesh readers).
SLICER_UNAVAILABLE = "slicer_unavailable"
SLICER_TIMEOUT = "slicer_timeout"
SLICER_TOO_LARGE = "slicer_too_large"
SLICER_REFUSED = "slicer_refused"
SLICER_EMPTY = "slicer_empty"
SLICER_OUT_OF_MEMORY = "slicer_out_of_memory"
SLICER_FAILED = "slicer_failed"
SLICER_CODES = frozenset(
    {
        SLICER_UNAVAILABLE,
        SLICER_TIMEOUT,
        SLICER_TOO_LARGE,
        SLICER_REFUSED,
        SLICER_EMPTY,
        SLICER_OUT_OF_MEMORY,
        SLICER_FAILED,
    }
)

_LOG_PREFIX_RE = re.compile(r"^\[\d{4}-\d\d-\d\d [^\]]*\] \[0x[0-9a-f]+\] \[(\w+)\]\s*")
_DURATION_RE = re.compile(r"(\d+)\s*([dhms])")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# What PrusaSlicer 2.5 prints when slicing leaves nothing to print.
_EMPTY_SIGNS = ("no layers were detected", "the print is empty", "no extrusions")
# What the slicer (or the dynamic loader, for a very low limit) prints when memory runs out.
_MEMORY_SIGNS = ("bad_alloc", "failed to map segment", "cannot allocate memory", "out of memory")


class SlicerError(MeshError):
    """The precise FDM estimate failed; ``message`` is one sentence for the customer.

    ``code`` is one of ``SLICER_CODES``; ``detail`` holds the slicer's last output lines (for
    logs, never for the customer: it may name server paths).
    """

    default_code = SLICER_FAILED

    def __init__(self, message: str, *, code: str | None = None, detail: str = ""):
        code = code or self.default_code
        if code not in SLICER_CODES:
            raise ValueError(f"unknown SlicerError code {code!r}")
        # MeshError.__init__ only knows the mesh readers' codes: set the same attributes here.
        ValueError.__init__(self, message)
        self.code = code
        self.message = message
        self.detail = detail

    def __reduce__(self):
        return (_rebuild_error, (type(self), self.message, self.code, self.detail))


def _rebuild_error(cls, message, code, detail):
    return cls(message, code=code, detail=detail)


class SlicerUnavailableError(SlicerError):
    """PrusaSlicer is not installed (or not executable) on this server."""

    default_code = SLICER_UNAVAILABLE


class SlicerTimeoutError(SlicerError):
    """Slicing took longer than the allowed time; the slicer was killed."""

    default_code = SLICER_TIMEOUT


class PartTooLargeError(SlicerError):
    """The part does not fit the printer's build volume (even turned a quarter turn)."""

    default_code = SLICER_TOO_LARGE


class MeshRefusedError(SlicerError):
    """The slicer could not read or repair the mesh."""

    default_code = SLICER_REFUSED


class EmptySliceError(SlicerError):
    """Slicing produced no toolpaths (part too small or too thin for the nozzle)."""

    default_code = SLICER_EMPTY


class SlicerMemoryError(SlicerError):
    """The slicer ran out of its address-space allowance (``memory_bytes``)."""

    default_code = SLICER_OUT_OF_MEMORY


# --- Build volume -----------------------------------------------------------------------------


def bed_bounds(config: Mapping[str, str]) -> tuple[float, float, float, float]:
    """(min_x, min_y, max_x, max_y) of the ``bed_shape`` polygon, in mm."""
    try:
        points = [
            tuple(float(c) for c in point.split("x")) for point in config["bed_shape"].split(",")
        ]
        xs, ys = zip(*points, strict=True)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"invalid bed_shape {config.get('bed_shape')!r}") from exc
    return min(xs), min(ys), max(xs), max(ys)


# --- G-code statistics ----------------------------------------------------------------------


def parse_duration(text: str) -> float:
    """Seconds in a PrusaSlicer duration such as ``1d 2h 3m 4s``, ``15m 13s`` or ``4s``."""
    cleaned = text.strip()
    tokens = _DURATION_RE.findall(cleaned)
    if not tokens or _DURATION_RE.sub("", cleaned).strip():
        raise ValueError(f"not a PrusaSlicer duration: {text!r}")
    units = [unit for _, unit in tokens]
    if len(set(units)) != len(units):
        raise ValueError(f"not a PrusaSlicer duration: {text!r}")
    return float(sum(int(amount) * _DURATION_UNITS[unit] for amount, unit in tokens))


def _number_sum(text: str) -> float:
    """A number, or the sum of a comma-separated list (one value per extruder)."""
    values = [float(item) for item in text.split(",") if item.strip()]
    if not values:
        raise ValueError(f"not a number: {text!r}")
    return math.fsum(values)


_FOOTER_RE = re.compile(rb"^; ([a-z][a-z0-9 ()\[\]]*?) = ([^\r\n]*)$", re.MULTILINE)
_Z_RE = re.compile(rb"^;Z:([-+0-9.eE]+)", re.MULTILINE)
_LAYER_RE = re.compile(rb"^;LAYER_CHANGE\b", re.MULTILINE)
_GENERATOR_RE = re.compile(rb"^; generated by (\S+ \S+)", re.MULTILINE)


def parse_gcode_stats(data: bytes | mmap.mmap) -> dict[str, Any]:
    """Statistics of a PrusaSlicer G-code: footer comments plus layers and height.

    Returns ``print_time_s``, ``filament_mm``, ``filament_cm3``, ``filament_g`` (None when the
    profile has no density), ``filament_cost`` (None without a cost), ``layers``, ``max_z_mm``,
    ``has_supports`` and ``generator``. Raises ValueError when the footer is missing.
    """
    end = data.rfind(b"; prusaslicer_config = begin")
    if end < 0:
        end = len(data)
    # The statistics block sits just before the embedded configuration.
    start = max(0, data.rfind(b"\n; filament used [mm]", 0, end))
    footer = {
        key.decode(): value.decode("utf-8", "replace").strip()
        for key, value in _FOOTER_RE.findall(data[start:end])
    }
    if "filament used [mm]" not in footer:
        raise ValueError("no PrusaSlicer statistics at the end of the G-code")
    time_text = footer.get("estimated printing time (normal mode)") or footer.get(
        "estimated printing time (silent mode)"
    )
    if time_text is None:
        raise ValueError("no estimated printing time in the G-code")
    # Per-extruder lines; PrusaSlicer writes them only when the profile has a density / a cost
    # (the "total ..." lines are then 0.00, which would read as a weightless part).
    grams = footer.get("filament used [g]")
    cost = footer.get("filament cost")
    heights = [float(z) for z in _Z_RE.findall(data)]
    generator = _GENERATOR_RE.search(data[:4096])
    return {
        "print_time_s": parse_duration(time_text),
        "filament_mm": _number_sum(footer["filament used [mm]"]),
        "filament_cm3": _number_sum(footer.get("filament used [cm3]", "0")),
        "filament_g": _number_sum(grams) if grams else None,
        "filament_cost": _number_sum(cost) if cost else None,
        "layers": len(_LAYER_RE.findall(data)),
        "max_z_mm": max(heights, default=0.0),
        "has_supports": data.find(b";TYPE:Support material") >= 0,
        "generator": generator.group(1).decode() if generator else "",
    }


# --- Slicing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SliceResult:
    """What PrusaSlicer measured for one part with one profile set."""

    printer: str
    material: str
    print_time_s: float
    filament_mm: float
    filament_cm3: float
    filament_g: float
    filament_cost: float | None
    layers: int
    max_z_mm: float
    has_supports: bool
    size_mm: tuple[float, float, float]
    rotated_deg: float
    slicer: str
    wall_time_s: float

    def measured(self) -> dict[str, float]:
        """The values the FDM cost model takes as ``Job.measured``."""
        return {"print_time_s": self.print_time_s, "material_g": self.filament_g}

    def to_dict(self) -> dict[str, Any]:
        return {
            "printer": self.printer,
            "material": self.material,
            "print_time_s": self.print_time_s,
            "filament_mm": self.filament_mm,
            "filament_cm3": self.filament_cm3,
            "filament_g": self.filament_g,
            "filament_cost": self.filament_cost,
            "layers": self.layers,
            "max_z_mm": self.max_z_mm,
            "has_supports": self.has_supports,
            "size_mm": list(self.size_mm),
            "rotated_deg": self.rotated_deg,
            "slicer": self.slicer,
            "wall_time_s": self.wall_time_s,
        }


def slice_part(
    mesh_path: str | os.PathLike,
    printer: str = profile_reader.DEFAULT_PRINTER,
    material: str = profile_reader.DEFAULT_MATERIAL,
    *,
    overrides: Mapping[str, Any] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scale: float = 1.0,
    memory_bytes: int | None = DEFAULT_MEMORY_BYTES,
    executable: str | None = None,
    tmp_dir: str | os.PathLike | None = None,
    gcode_out: str | os.PathLike | None = None,
    keep_layout: bool = False,
) -> SliceResult:
    """Slices a part (STL, OBJ, 3MF, AMF, in millimetres) on ``printer`` in ``material``.

    The part is sliced in the orientation given (the caller chose it), turned a quarter turn
    about Z only if that is what makes it fit, centred on the bed and dropped onto it. ``scale``
    multiplies coordinates (e.g. 25.4 for a file known to be in inches). ``timeout_s`` bounds
    the whole call; ``memory_bytes`` the slicer's address space (None: no limit). ``overrides``
    are PrusaSlicer options applied over the profile set (see ``profile_reader.load_profile``);
    unknown options raise ValueError instead of being silently ignored as PrusaSlicer would.
    ``executable`` replaces ``prusa-slicer`` (name or path); ``tmp_dir`` is where the temporary
    working directory is made (default: the system's); ``gcode_out``, when given, is where the
    G-code is kept (odm_machine_link sends it to the printer). ``keep_layout``: a file of several
    objects (a plate) keeps their places instead of PrusaSlicer arranging them again.

    Raises ``SlicerError`` subclasses for what the customer or operator must act on, ValueError
    for bad arguments (unknown profile, invalid override) and FileNotFoundError for a missing
    mesh file.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    source = _checked_source(mesh_path, scale, timeout_s)
    config = profile_reader.load_profile(printer, material, overrides)
    binary = _slicer_binary(executable, "FDM")

    workdir = Path(tempfile.mkdtemp(prefix="odm-slice-", dir=tmp_dir))
    try:
        base = [binary, "--loglevel", "1", "--datadir", str(workdir / "datadir")]
        limits = {
            "workdir": workdir,
            "deadline": deadline,
            "memory_bytes": memory_bytes,
            "timeout_s": timeout_s,
        }
        # Every option is written, so that a 3MF's embedded configuration cannot change ours.
        defaults = _slicer_defaults(base, **limits)
        unknown = sorted(set(config) - set(defaults) - _PRESET_NAME_KEYS)
        if unknown:
            # PrusaSlicer would silently ignore them: a typo must not go unnoticed.
            raise ValueError(f"unknown PrusaSlicer option(s): {', '.join(unknown)}")
        complete = {**defaults, **config}
        settings = workdir / "profile.ini"
        settings.write_text(
            "".join(f"{key} = {value}\n" for key, value in complete.items()), encoding="utf-8"
        )
        common = [*base, "--load", str(settings)]
        if scale != 1:
            common += ["--scale", repr(float(scale))]

        info = _run("info", [*common, "--info", str(source)], **limits)
        size = _object_size(info)
        rotation = _placement(size, config)

        min_x, min_y, max_x, max_y = bed_bounds(config)
        center = f"{(min_x + max_x) / 2:g},{(min_y + max_y) / 2:g}"
        gcode = workdir / "part.gcode"
        command = list(common)
        if rotation:
            command += ["--rotate", f"{rotation:g}"]
        if keep_layout:
            command.append("--dont-arrange")
        command += ["--center", center, "--ensure-on-bed", "--export-gcode", "-o", str(gcode)]
        output = _run("slice", [*command, str(source)], **limits)
        stats = _read_stats(gcode, output)
        if gcode_out is not None:
            shutil.copyfile(gcode, gcode_out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if stats["layers"] == 0 or stats["filament_mm"] <= 0:
        raise EmptySliceError(
            "The slicer produced no toolpaths: the part is too small or its walls too thin "
            "for a 0.4 mm nozzle.",
            detail=output,
        )
    grams = stats["filament_g"]
    if grams is None:
        grams = stats["filament_cm3"] * float(config.get("filament_density") or 0)
    if rotation:
        size = (size[1], size[0], size[2])
    return SliceResult(
        printer=printer.upper(),
        material=material.upper(),
        print_time_s=stats["print_time_s"],
        filament_mm=stats["filament_mm"],
        filament_cm3=stats["filament_cm3"],
        filament_g=grams,
        filament_cost=stats["filament_cost"],
        layers=stats["layers"],
        max_z_mm=stats["max_z_mm"],
        has_supports=stats["has_supports"],
        size_mm=size,
        rotated_deg=rotation,
        slicer=stats["generator"],
        wall_time_s=time.monotonic() - started,
    )


# Preset names: valid options that ``--save`` of an empty configuration does not list.
_PRESET_NAME_KEYS = frozenset({"print_settings_id", "printer_settings_id", "filament_settings_id"})
# PrusaSlicer's own defaults for every option, per executable (path, mtime) and technology.
_DEFAULTS: dict[tuple[str, int, str], dict[str, str]] = {}


def _checked_source(mesh_path: str | os.PathLike, scale: float, timeout_s: float) -> Path:
    """The mesh file to slice, once the call's arguments are known to be valid."""
    source = Path(mesh_path).resolve()
    if not source.is_file():
        raise FileNotFoundError(f"no mesh file at {source}")
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
    return source


def _slicer_binary(executable: str | None, kind: str) -> str:
    """The PrusaSlicer executable's path; SlicerUnavailableError naming ``kind`` without it."""
    binary = shutil.which(executable or SLICER_EXECUTABLE)
    if binary is None:
        raise SlicerUnavailableError(
            f"Precise {kind} estimates are unavailable: PrusaSlicer is not installed on the "
            "server.",
            detail=f"{executable or SLICER_EXECUTABLE!r} not found on PATH",
        )
    return binary


def _slicer_defaults(base: list[str], technology: str = "fdm", **limits: Any) -> dict[str, str]:
    """Every FFF (or SLA) option with PrusaSlicer's default value (``--save`` of an empty
    config, or of one that only says ``printer_technology = SLA``)."""
    key = (base[0], os.stat(base[0]).st_mtime_ns, technology)
    if key not in _DEFAULTS:
        target = limits["workdir"] / f"defaults-{technology}.ini"
        command = [*base]
        if technology == "sla":
            seed = limits["workdir"] / "technology.ini"
            seed.write_text("printer_technology = SLA\n", encoding="utf-8")
            command += ["--load", str(seed)]
        _run("defaults", [*command, "--save", str(target)], **limits)
        try:
            _DEFAULTS[key] = profile_reader.read_ini(target)
        except (OSError, ValueError) as exc:
            raise SlicerError(
                "The slicer's configuration could not be read; please use the instant estimate.",
                detail=str(exc),
            ) from exc
    return _DEFAULTS[key]


def _run(
    name: str,
    command: list[str],
    *,
    workdir: Path,
    deadline: float,
    memory_bytes: int | None,
    timeout_s: float,
) -> str:
    """Runs the slicer; returns its output or raises the matching SlicerError."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timeout(timeout_s)
    log_path = workdir / f"{name}.log"
    # The address-space limit is set by a tiny shell in the child: preexec_fn is not safe in a
    # threaded server (Odoo), the shell's ulimit is.
    wrapped = ["/bin/sh", "-c", 'ulimit -v "$1" || exit 126; shift; exec "$@"', "odm-slicer"]
    limit = "unlimited" if memory_bytes is None else str(max(memory_bytes // 1024, 1))
    wrapped += [limit, *command]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(LC_ALL="C", HOME=str(workdir))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            wrapped,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            raise _timeout(timeout_s) from None
        finally:
            if process.returncode is None:
                _kill_group(process)
    output = _clean_output(log_path.read_bytes()[-65536:].decode("utf-8", "replace"))
    if returncode != 0:
        if "composite configation is not valid" in output or "configuration is not valid" in output:
            # Our profile plus the overrides: a setup mistake, not the customer's.
            raise ValueError(f"invalid slicer configuration: {output.splitlines()[-1]}")
        raise _classify_failure(returncode, output)
    return output


def _kill_group(process: subprocess.Popen) -> None:
    """Kills whatever is left of the slicer's process group and reaps the slicer."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _timeout(timeout_s: float) -> SlicerTimeoutError:
    return SlicerTimeoutError(
        f"Slicing took longer than {timeout_s:g} s; the part is too complex for a precise "
        f"estimate, please use the instant estimate.",
    )


def _clean_output(text: str) -> str:
    """The slicer's output without timestamps and progress lines."""
    lines = []
    for raw in text.splitlines():
        line = _LOG_PREFIX_RE.sub("", raw).strip()
        if line and not re.match(r"^\d+ => ", line) and line != "Initializing StaticPrintConfigs":
            lines.append(line)
    return "\n".join(lines)


def _classify_failure(returncode: int, output: str) -> SlicerError:
    lowered = output.lower()
    if returncode in (126, 127) and ("not found" in lowered or "permission denied" in lowered):
        return SlicerUnavailableError(
            "Precise FDM estimates are unavailable: PrusaSlicer could not be started.",
            detail=output,
        )
    if any(sign in lowered for sign in _MEMORY_SIGNS):
        return SlicerMemoryError(
            "Slicing this part needs more memory than allowed; please use the instant estimate.",
            detail=output,
        )
    if "loading of a model file failed" in lowered or "empty file" in lowered:
        return MeshRefusedError(
            "The slicer could not read this mesh (it may be empty, damaged or not a closed "
            "solid); please repair or re-export it.",
            detail=output,
        )
    if any(sign in lowered for sign in _EMPTY_SIGNS):
        return EmptySliceError(
            "The slicer produced no toolpaths: the part is too small or its walls too thin "
            "for a 0.4 mm nozzle.",
            detail=output,
        )
    return SlicerError(
        "The slicer failed on this part; please use the instant estimate or contact us.",
        detail=output or f"exit status {returncode}",
    )


def _object_size(info: str) -> tuple[float, float, float]:
    """The largest size along each axis over the objects ``--info`` describes."""
    sizes: dict[str, float] = {}
    for line in info.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip()
        if sep and key in ("size_x", "size_y", "size_z"):
            sizes[key] = max(sizes.get(key, 0.0), float(value))
    if len(sizes) != 3:
        raise MeshRefusedError(
            "The slicer found no solid object in this file; please repair or re-export it.",
            detail=info,
        )
    return sizes["size_x"], sizes["size_y"], sizes["size_z"]


def _placement(size: tuple[float, float, float], config: Mapping[str, str]) -> float:
    """Rotation about Z (0 or 90 degrees) that fits the part on the bed; raises if none does."""
    min_x, min_y, max_x, max_y = bed_bounds(config)
    bed_x, bed_y = max_x - min_x, max_y - min_y
    height = float(config.get("max_print_height") or math.inf)
    x, y, z = size
    if z <= height:
        if x <= bed_x and y <= bed_y:
            return 0.0
        if y <= bed_x and x <= bed_y:
            return 90.0
    name = config.get("printer_settings_id", "").strip('"') or "printer"
    raise PartTooLargeError(
        f"The part ({x:.1f} x {y:.1f} x {z:.1f} mm) does not fit the build volume of the "
        f"{name} ({bed_x:g} x {bed_y:g} x {height:g} mm).",
    )


def _read_stats(gcode: Path, output: str) -> dict[str, Any]:
    if not gcode.is_file() or gcode.stat().st_size == 0:
        raise EmptySliceError(
            "The slicer produced no toolpaths: the part is too small or its walls too thin "
            "for a 0.4 mm nozzle.",
            detail=output,
        )
    with (
        open(gcode, "rb") as handle,
        mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
    ):
        try:
            return parse_gcode_stats(data)
        except ValueError as exc:
            raise SlicerError(
                "The slicer's output could not be read; please use the instant estimate.",
                detail=f"{exc}\n{output}",
            ) from exc


# --- SLA (resin) ---------------------------------------------------------------------------------

# The precise SLA mode only reads the statistics of the export, which PrusaSlicer reckons from
# the sliced polygons before it rasterises them: when the .sl1 is not kept, the layers are
# rasterised at this pixel size instead of the printer's (same display in mm, same figures,
# a fraction of the time and memory).
STATS_PIXEL_MM = 1.0
# Largest config.ini read from an .sl1 (it is a few hundred bytes).
MAX_SL1_CONFIG_BYTES = 1 << 20
# What PrusaSlicer's SLA pipeline prints when it cannot support or pad the part.
_SLA_UNPRINTABLE_SIGNS = ("unprintable objects", "no pad can be generated", "elevation is too low")


def parse_sl1_config(data: bytes) -> dict[str, Any]:
    """The statistics of a PrusaSlicer SLA export's ``config.ini``.

    Returns ``print_time_s``, ``resin_ml``, ``fast_layers``, ``slow_layers``, ``layers``,
    ``layer_height_mm``, ``exposure_s``, ``initial_exposure_s``, ``faded_layers`` and
    ``generator``. Raises ValueError when a figure is missing or not a number.
    """
    values = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    try:
        fast, slow = int(values["numFast"]), int(values["numSlow"])
        stats = {
            "print_time_s": float(values["printTime"]),
            "resin_ml": float(values["usedMaterial"]),
            "fast_layers": fast,
            "slow_layers": slow,
            "layers": fast + slow,
            "layer_height_mm": float(values["layerHeight"]),
            "exposure_s": float(values["expTime"]),
            "initial_exposure_s": float(values["expTimeFirst"]),
            "faded_layers": int(values.get("numFade", "0")),
            "generator": values.get("prusaSlicerVersion", ""),
        }
    except KeyError as exc:
        raise ValueError(f"no {exc.args[0]} in the SLA export's config.ini") from None
    if not (math.isfinite(stats["print_time_s"]) and math.isfinite(stats["resin_ml"])):
        raise ValueError("the SLA export's print time or resin is not a number")
    return stats


def read_sl1(path: str | os.PathLike) -> dict[str, Any]:
    """``parse_sl1_config`` of the ``config.ini`` inside an ``.sl1``/``.sl1s`` archive."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("config.ini")
        if info.file_size > MAX_SL1_CONFIG_BYTES:
            raise ValueError("the SLA export's config.ini is implausibly large")
        return parse_sl1_config(archive.read(info))


@dataclass(frozen=True)
class SlaSliceResult:
    """What PrusaSlicer's SLA mode measured for one part with one resin profile set.

    ``resin_ml`` is the part, its supports and its pad; ``resin_g`` is it times
    ``density_g_cm3``.
    """

    printer: str
    material: str
    print_time_s: float
    resin_ml: float
    resin_g: float
    density_g_cm3: float
    layers: int
    fast_layers: int
    slow_layers: int
    layer_height_mm: float
    supports: bool
    pad: bool
    size_mm: tuple[float, float, float]
    rotated_deg: float
    slicer: str
    wall_time_s: float

    def measured(self) -> dict[str, float]:
        """Print time and resin mass, as ``SliceResult.measured`` names them."""
        return {"print_time_s": self.print_time_s, "material_g": self.resin_g}

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["size_mm"] = list(self.size_mm)
        return values


def slice_sla_part(
    mesh_path: str | os.PathLike,
    printer: str = profile_reader.DEFAULT_SLA_PRINTER,
    material: str = profile_reader.DEFAULT_SLA_MATERIAL,
    *,
    density_g_cm3: float | None = None,
    overrides: Mapping[str, Any] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scale: float = 1.0,
    memory_bytes: int | None = DEFAULT_MEMORY_BYTES,
    executable: str | None = None,
    tmp_dir: str | os.PathLike | None = None,
    sl1_out: str | os.PathLike | None = None,
) -> SlaSliceResult:
    """Slices a part with PrusaSlicer's SLA mode (``--export-sla``) on a resin profile set.

    Placement, limits, errors and arguments are those of ``slice_part``; the profile set is
    ``sla_print_standard.ini``, ``sla_printer_<printer>.ini`` and ``sla_material_<material>.ini``
    (supports and pad as the print profile says). ``density_g_cm3`` turns the slicer's millilitres
    into grams (default: the material profile's ``material_density``). ``sl1_out``, when given,
    keeps the export, rasterised at the printer's resolution, for the printer.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    source = _checked_source(mesh_path, scale, timeout_s)
    config = profile_reader.load_sla_profile(printer, material, overrides)
    density = float(
        config.get("material_density") or 1.0 if density_g_cm3 is None else density_g_cm3
    )
    if not (math.isfinite(density) and density > 0):
        raise ValueError(f"density_g_cm3 must be a positive number, got {density_g_cm3!r}")
    binary = _slicer_binary(executable, "SLA")

    workdir = Path(tempfile.mkdtemp(prefix="odm-slice-sla-", dir=tmp_dir))
    try:
        base = [binary, "--loglevel", "1", "--datadir", str(workdir / "datadir")]
        limits = {
            "workdir": workdir,
            "deadline": deadline,
            "memory_bytes": memory_bytes,
            "timeout_s": timeout_s,
        }
        defaults = _slicer_defaults(base, "sla", **limits)
        unknown = sorted(set(config) - set(defaults))
        if unknown:
            raise ValueError(f"unknown PrusaSlicer SLA option(s): {', '.join(unknown)}")
        complete = {**defaults, **config}
        if sl1_out is None:
            for axis, size in (("x", "display_width"), ("y", "display_height")):
                pixels = math.ceil(float(complete[size]) / STATS_PIXEL_MM)
                complete[f"display_pixels_{axis}"] = str(max(pixels, 1))
        settings = workdir / "profile.ini"
        settings.write_text(
            "".join(f"{key} = {value}\n" for key, value in complete.items()), encoding="utf-8"
        )
        common = [*base, "--load", str(settings)]
        if scale != 1:
            common += ["--scale", repr(float(scale))]

        size = _object_size(_run("info", [*common, "--info", str(source)], **limits))
        # SLA profiles carry no preset name: the refusal names the printer by its code.
        rotation = _placement(size, {"printer_settings_id": printer.upper(), **config})
        min_x, min_y, max_x, max_y = bed_bounds(config)
        center = f"{(min_x + max_x) / 2:g},{(min_y + max_y) / 2:g}"
        export = workdir / "part.sl1"
        command = list(common)
        if rotation:
            command += ["--rotate", f"{rotation:g}"]
        command += ["--center", center, "--export-sla", "-o", str(export)]
        try:
            output = _run("slice", [*command, str(source)], **limits)
        except SlicerError as error:
            if error.code == SLICER_FAILED and any(
                sign in error.detail.lower() for sign in _SLA_UNPRINTABLE_SIGNS
            ):
                raise SlicerError(
                    "The slicer could not support this part on the resin printer; please "
                    "use the instant estimate or contact us.",
                    detail=error.detail,
                ) from None
            raise
        stats = _read_sl1_stats(export, output)
        if sl1_out is not None:
            shutil.copyfile(export, sl1_out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if rotation:
        size = (size[1], size[0], size[2])
    return SlaSliceResult(
        printer=printer.upper(),
        material=material.upper(),
        print_time_s=stats["print_time_s"],
        resin_ml=stats["resin_ml"],
        resin_g=stats["resin_ml"] * density,
        density_g_cm3=density,
        layers=stats["layers"],
        fast_layers=stats["fast_layers"],
        slow_layers=stats["slow_layers"],
        layer_height_mm=stats["layer_height_mm"],
        supports=config.get("supports_enable") == "1",
        pad=config.get("pad_enable") == "1",
        size_mm=size,
        rotated_deg=rotation,
        slicer=stats["generator"],
        wall_time_s=time.monotonic() - started,
    )


def _read_sl1_stats(export: Path, output: str) -> dict[str, Any]:
    empty = EmptySliceError(
        "The slicer produced no layers: the part is too small or too thin to print in resin.",
        detail=output,
    )
    if not export.is_file() or export.stat().st_size == 0:
        raise empty
    try:
        stats = read_sl1(export)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SlicerError(
            "The slicer's output could not be read; please use the instant estimate.",
            detail=f"{exc}\n{output}",
        ) from exc
    if stats["layers"] == 0 or stats["resin_ml"] <= 0:
        raise empty
    return stats
