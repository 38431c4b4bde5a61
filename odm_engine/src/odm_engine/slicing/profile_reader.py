"""The shipped PrusaSlicer profile sets, read as the slicer reads them, without the slicer.

A profile set is a shared print profile, one file per printer and one per material
(``odm_engine/slicing/profiles``); ``load_profile`` merges them with a request's overrides into
one configuration. FDM sets are ``print_standard.ini``, ``printer_<CODE>.ini`` and
``material_<CODE>.ini``; resin (SLA) sets, for PrusaSlicer's SLA mode, are the same three kinds
prefixed ``sla_`` (``technology="sla"``), so that neither technology lists the other's files.
The precise mode (``slicer``) hands that configuration to PrusaSlicer; the layer-based
instant estimates (``layers``, ``sla_layers``), the pricing and the machine forms only read it,
so they need no PrusaSlicer binary and import this module, not the runner.
"""

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
PRINT_PROFILE = "print_standard.ini"
DEFAULT_PRINTER = "MK4"
DEFAULT_MATERIAL = "PLA"
DEFAULT_SLA_PRINTER = "SL1S"
DEFAULT_SLA_MATERIAL = "RESIN-TGH"
# File name prefix of each technology's profiles.
TECHNOLOGY_PREFIX = {"fdm": "", "sla": "sla_"}
# Keys an override may never set: post_process runs arbitrary programs after export.
FORBIDDEN_OVERRIDES = frozenset({"post_process"})

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _prefix(technology: str) -> str:
    if technology not in TECHNOLOGY_PREFIX:
        raise ValueError(f"unknown slicing technology {technology!r}")
    return TECHNOLOGY_PREFIX[technology]


def _codes(kind: str, profile_dir: Path) -> tuple[str, ...]:
    return tuple(sorted(p.stem[len(kind) + 1 :] for p in profile_dir.glob(f"{kind}_*.ini")))


def available_printers(profile_dir: Path = PROFILE_DIR, technology: str = "fdm") -> tuple[str, ...]:
    """Printer codes that have a ``printer_<CODE>.ini`` (``sla_printer_<CODE>.ini`` for SLA)."""
    return _codes(f"{_prefix(technology)}printer", profile_dir)


def available_materials(
    profile_dir: Path = PROFILE_DIR, technology: str = "fdm"
) -> tuple[str, ...]:
    """Material codes that have a ``material_<CODE>.ini`` (``sla_material_<CODE>.ini`` for SLA)."""
    return _codes(f"{_prefix(technology)}material", profile_dir)


def profile_files(
    printer: str, material: str, profile_dir: Path = PROFILE_DIR, technology: str = "fdm"
) -> tuple[Path, Path, Path]:
    """The print, printer and material files of the profile set (printer, material)."""
    prefix = _prefix(technology)
    files = []
    for kind, code, known in (
        ("printer", printer, available_printers),
        ("material", material, available_materials),
    ):
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ValueError(f"invalid {kind} code {code!r}")
        path = profile_dir / f"{prefix}{kind}_{code.upper()}.ini"
        if not path.is_file():
            raise ValueError(
                f"no slicer profile for {kind} {code!r}; "
                f"known: {', '.join(known(profile_dir, technology))}"
            )
        files.append(path)
    return (profile_dir / f"{prefix}{PRINT_PROFILE}", files[0], files[1])


def read_ini(path: Path) -> dict[str, str]:
    """A PrusaSlicer config file as a dict; full-line ``#`` or ``;`` comments are skipped."""
    config: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not _KEY_RE.match(key):
            raise ValueError(f"{path.name}:{number}: expected 'key = value', got {line!r}")
        config[key] = value.strip()
    return config


def _override_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"override {key!r} must be finite, got {value!r}")
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, list | tuple):
        return ",".join(_override_value(key, item) for item in value)
    if isinstance(value, str):
        if any(char in value for char in "\r\n\x00"):
            raise ValueError(f"override {key!r} must be one line (write \\n for a line break)")
        return value.strip()
    raise ValueError(f"override {key!r} has an unsupported type {type(value).__name__}")


def load_profile(
    printer: str = DEFAULT_PRINTER,
    material: str = DEFAULT_MATERIAL,
    overrides: Mapping[str, Any] | None = None,
    profile_dir: Path = PROFILE_DIR,
    technology: str = "fdm",
) -> dict[str, str]:
    """The merged PrusaSlicer configuration: print, then printer, then material, then overrides.

    Override keys are PrusaSlicer option names (``fill_density``, ``perimeters``, ...), values
    are text, numbers, booleans or lists (joined with commas, as PrusaSlicer writes vectors).
    """
    config: dict[str, str] = {}
    for path in profile_files(printer, material, profile_dir, technology):
        config.update(read_ini(path))
    for key, value in (overrides or {}).items():
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise ValueError(f"invalid slicer option name {key!r}")
        if key in FORBIDDEN_OVERRIDES:
            raise ValueError(f"slicer option {key!r} cannot be overridden")
        config[key] = _override_value(key, value)
    if technology == "fdm":
        # A 3MF can carry its own post_process, which PrusaSlicer would run: always blank it.
        # (SLA has no such option.)
        config["post_process"] = ""
    return config


def load_sla_profile(
    printer: str = DEFAULT_SLA_PRINTER,
    material: str = DEFAULT_SLA_MATERIAL,
    overrides: Mapping[str, Any] | None = None,
    profile_dir: Path = PROFILE_DIR,
) -> dict[str, str]:
    """The merged PrusaSlicer SLA configuration (``sla_`` profile files), as ``load_profile``."""
    return load_profile(printer, material, overrides, profile_dir, technology="sla")
