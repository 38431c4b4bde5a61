"""Zip archives of parts: several files uploaded at once, expanded under the same limits.

Only archives named ``.zip`` are expanded; a 3MF is a zip too, but it is one part file.
"""

import io
import posixpath
import zipfile

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import Limits, check_archive


def _is_metadata(path: str) -> bool:
    """macOS resource forks and hidden files, which archivers add and which are never parts."""
    return path.startswith("__MACOSX/") or any(
        component.startswith(".") for component in path.split("/") if component
    )


def expand_uploads(files: list[tuple[str, bytes]], limits: Limits) -> list[tuple[str, bytes]]:
    """The part files of an upload: archives replaced by their members, in a stable order."""
    parts = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            parts.extend(_members(name, data, limits))
        else:
            parts.append((name, data))
    if not parts:
        raise MeshError(errors.EMPTY, "The upload holds no part file.")
    return parts


def _members(name: str, data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise MeshError(errors.CORRUPT_ARCHIVE, f"{name} is not a readable zip archive.") from exc
    members = [member for member in members if not _is_metadata(member.filename)]
    check_archive(members, limits, name)
    expanded = []
    for member in members:
        if member.file_size > limits.max_file_bytes:
            raise MeshError(
                errors.FILE_TOO_LARGE,
                f"{member.filename} in {name} is {member.file_size / 2**20:.1f} MB, above the "
                f"{limits.max_file_bytes / 2**20:.0f} MB limit for instant quotes.",
            )
        with archive.open(member) as handle:
            # Read one byte past the declared size: an archive that lies about it is refused.
            content = handle.read(member.file_size + 1)
        if len(content) != member.file_size:
            raise MeshError(errors.CORRUPT_ARCHIVE, f"{name} misstates the size of its files.")
        expanded.append((posixpath.basename(member.filename), content))
    return expanded
