"""Resource limits that keep hostile or absurd uploads from exhausting a quoting worker.

Every reader checks sizes announced by the file (headers, archive directories, element counts)
against these limits *before* allocating, and streams with a cap where a file could lie.
"""

from dataclasses import dataclass

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError


@dataclass(frozen=True)
class Limits:
    """Caps applied while loading one file; the defaults suit a 2-core, 24 GB quoting worker."""

    max_file_bytes: int = 256 * 2**20
    max_triangles: int = 4_000_000
    # Archives (3MF): total bytes we agree to inflate, and the deflate ratio above which a
    # member larger than ``ratio_check_above_bytes`` is treated as a bomb.
    max_uncompressed_bytes: int = 1024 * 2**20
    max_compression_ratio: float = 200.0
    ratio_check_above_bytes: int = 2**20
    max_archive_members: int = 10_000
    # JSON / XML sizes inside a file (glTF header chunk, 3MF parts).
    max_json_bytes: int = 64 * 2**20
    # CAD kernels (STEP/IGES) run in a child process with these bounds.
    cad_timeout_s: float = 180.0
    cad_memory_bytes: int = 8 * 2**30


DEFAULT_LIMITS = Limits()


def check_file_size(size: int, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise MeshError(
            errors.FILE_TOO_LARGE,
            f"The file is {size / 2**20:.1f} MB, above the {limits.max_file_bytes / 2**20:.0f} MB "
            f"limit for instant quotes.",
        )


def check_triangle_count(count: int, limits: Limits) -> None:
    if count > limits.max_triangles:
        raise MeshError(
            errors.TOO_MANY_TRIANGLES,
            f"The file describes {count:,} triangles, more than the {limits.max_triangles:,} an "
            f"instant quote can analyse; please export it with a coarser tessellation.",
        )


def check_archive(members: list, limits: Limits, archive: str) -> None:
    """Refuse a zip by its directory, before anything is inflated: too many members, too many
    bytes once inflated, or a member deflated beyond belief. ``archive`` names it mid-sentence.

    ``members`` are ``zipfile.ZipInfo`` entries; declared sizes can lie, so whoever inflates
    them must still cap what it reads.
    """
    if len(members) > limits.max_archive_members:
        raise MeshError(
            errors.ZIP_BOMB,
            f"There are {len(members):,} files in {archive}, more than an upload may hold.",
        )
    declared = sum(member.file_size for member in members)
    if declared > limits.max_uncompressed_bytes:
        raise MeshError(
            errors.ZIP_BOMB,
            f"The files in {archive} would inflate to {declared / 2**20:,.0f} MB, above the "
            f"{limits.max_uncompressed_bytes / 2**20:,.0f} MB limit.",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if (
            member.file_size > limits.ratio_check_above_bytes
            and ratio > limits.max_compression_ratio
        ):
            raise MeshError(
                errors.ZIP_BOMB,
                f"The file {member.filename!r} in {archive} claims a {ratio:,.0f}:1 compression "
                f"ratio, a sign of a zip bomb.",
            )
