"""Resource limits that keep hostile or absurd uploads from exhausting a quoting worker.

Every reader checks sizes announced by the file (headers, archive directories, element counts)
against these limits *before* allocating, and streams with a cap where a file could lie.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError


@dataclass(frozen=True)
class Limits:
    """Caps applied while loading one file; the defaults suit a 2-core, 24 GB quoting worker."""

    max_file_bytes: int = 256 * 2**20
    max_triangles: int = 4_000_000
    # Placements of meshes through glTF nodes or 3MF components and build items, counted
    # before any is expanded (an instancing graph can describe 2^40 paths in 1 KB).
    max_instances: int = 100_000
    # Archives (.zip uploads and 3MF): total bytes one request may inflate, all archives
    # together, and the deflate ratio above which a member, or a whole archive, is a bomb.
    max_uncompressed_bytes: int = 1024 * 2**20
    max_compression_ratio: float = 200.0
    max_archive_members: int = 10_000
    # Part files one request may hold once its .zip archives are counted (every channel).
    max_files_per_request: int = 100
    # JSON / XML sizes inside a file (glTF header chunk, 3MF parts).
    max_json_bytes: int = 64 * 2**20
    # Each analysis (CAD kernels included) runs in a child process with these bounds: wall
    # and CPU seconds, and address space.
    analysis_timeout_s: float = 120.0
    analysis_memory_bytes: int = 4 * 2**30
    # All analyses of one request together (its files, an archive's members): a request of
    # many slow files holds its worker no longer than this.
    request_analysis_timeout_s: float = 300.0


DEFAULT_LIMITS = Limits()


class RequestBudget:
    """What one request may still spend, all its files together: bytes to inflate (.zip
    uploads, 3MF) and seconds of analysis.

    A request opens one budget; every archive member read and every 3MF analysed is charged
    to it, so a thousand small bombs cost as much as one big one, and each analysis gets at
    most the seconds the request has left, so ten slow files cost as much as one.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.total = limits.max_uncompressed_bytes
        self.remaining = self.total
        self.seconds = limits.request_analysis_timeout_s
        self._clock = clock
        self._deadline = clock() + self.seconds

    def limits_for_next(self, limits: Limits) -> Limits:
        """``limits`` with the archive cap lowered to what the request has left, and the
        analysis time to the request's seconds left; MeshError when none are."""
        seconds_left = self._deadline - self._clock()
        if seconds_left <= 0:
            raise MeshError(
                errors.TIME_LIMIT,
                f"The upload's files took more than the {self.seconds:g} s of analysis one "
                f"request may use; please send them in several requests.",
            )
        return replace(
            limits,
            max_uncompressed_bytes=self.remaining,
            analysis_timeout_s=min(limits.analysis_timeout_s, seconds_left),
        )

    def charge(self, nbytes: int) -> None:
        if nbytes > self.remaining:
            raise MeshError(
                errors.ZIP_BOMB,
                f"The upload inflates to more than the {self.total / 2**20:,.0f} MB one request "
                f"may unpack.",
            )
        self.remaining -= nbytes


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


def check_instances(count: int, triangles: int, limits: Limits, kind: str) -> None:
    """Refuse an instancing graph by its counts, before any placement is expanded."""
    if count > limits.max_instances:
        raise MeshError(
            errors.TOO_MANY_TRIANGLES,
            f"The {kind} file places its meshes {count:,} times, more than the "
            f"{limits.max_instances:,} an instant quote accepts.",
        )
    check_triangle_count(triangles, limits)


def check_archive(members: list, limits: Limits, archive: str, archive_bytes: int) -> None:
    """Refuse a zip by its directory, before anything is inflated: too many members, too many
    bytes once inflated, or a member (or the whole) deflated beyond belief. ``archive`` names
    it mid-sentence.

    ``members`` are ``zipfile.ZipInfo`` entries; declared sizes can lie, so whoever inflates
    them must still cap what it reads. The whole archive is measured by its real size
    ``archive_bytes``, which a directory lying about compressed sizes cannot change.
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
        if ratio > limits.max_compression_ratio:
            raise MeshError(
                errors.ZIP_BOMB,
                f"The file {member.filename!r} in {archive} claims a {ratio:,.0f}:1 compression "
                f"ratio, a sign of a zip bomb.",
            )
    ratio = declared / max(archive_bytes, 1)
    if ratio > limits.max_compression_ratio:
        raise MeshError(
            errors.ZIP_BOMB,
            f"The files in {archive} would inflate {ratio:,.0f} times its size, a sign of a zip "
            f"bomb.",
        )
