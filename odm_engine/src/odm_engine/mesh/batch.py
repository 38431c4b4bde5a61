"""The part files of one request: several files uploaded at once, zip archives among them.

Only archives named ``.zip`` are expanded; a 3MF is a zip too, but it is one part file. Every
archive's directory is read and every part counted before any member is inflated: too many
files, a member too large, a deflate ratio beyond belief or more bytes than the request's
inflation budget refuse the whole request up front. Members are then inflated one at a time,
as the caller asks for them, so that one is in memory while it is analysed, and what they
really inflate to (declared sizes can lie) is charged to the same budget as every 3MF the
request holds.
"""

import functools
import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import Limits, RequestBudget, check_archive

_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,  # a zip version or feature zipfile does not know
)
_CHUNK = 2**20


def _is_metadata(path: str) -> bool:
    """macOS resource forks and hidden files, which archivers add and which are never parts."""
    return path.startswith("__MACOSX/") or any(
        component.startswith(".") for component in path.split("/") if component
    )


class UploadBatch:
    """The part files of one request, counted up front and handed out one at a time; the
    constructor's MeshError refuses the whole request before anything is inflated. With
    ``each``, an archive whose directory is refused is refused alone (by ``files()``); too
    many files or too many bytes still refuse the whole request.

    ``len()`` is the number of part files and ``part_bytes`` their size; iterating yields
    ``(filename, bytes)``, inflating each archive member when its turn comes. ``budget`` is
    the request's inflation budget, for the analyses of the files
    (``analyse_upload(..., budget=batch.budget)``).
    """

    def __init__(self, files: list[tuple[str, bytes]], limits: Limits, *, each: bool = False):
        self.limits = limits
        self.budget = RequestBudget(limits)
        # (filename, bytes) of plain files, (archive name, ZipFile, ZipInfo) of members,
        # (archive name, MeshError) of an archive refused by its directory (``each``).
        self._entries: list[tuple] = []
        declared = plain = 0
        for name, data in files:
            if name.lower().endswith(".zip"):
                try:
                    archive, members = _directory(name, data, limits)
                except MeshError as error:
                    # With ``each``, an archive refused by its directory is one refused file
                    # (``files()``); the request's other files go on.
                    if not each:
                        raise
                    self._entries.append((name, error))
                    continue
                declared += sum(member.file_size for member in members)
                self._entries.extend((name, archive, member) for member in members)
            else:
                plain += len(data)
                self._entries.append((name, data))
        if not self._entries:
            raise MeshError(errors.EMPTY, "The upload holds no part file.")
        if len(self._entries) > limits.max_files_per_request:
            raise MeshError(
                errors.TOO_MANY_FILES,
                f"The upload holds {len(self._entries):,} part files, more than the "
                f"{limits.max_files_per_request:,} one request may quote.",
            )
        if declared > self.budget.total:
            raise MeshError(
                errors.ZIP_BOMB,
                f"The archives of this upload would inflate to {declared / 2**20:,.0f} MB, "
                f"above the {self.budget.total / 2**20:,.0f} MB one request may unpack.",
            )
        # What the part files weigh, archive members by their declared sizes (inflation holds
        # them to it): the bytes the request would store, known before anything is inflated.
        self.part_bytes = plain + declared

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        for name, read in self.files():
            yield name, read()

    def files(self) -> Iterator[tuple[str, Callable[[], bytes]]]:
        """``(filename, read)`` per part file, ``read()`` inflating an archive member when
        called: a member that is damaged or breaks the budget raises MeshError for itself
        alone, so a caller may refuse that file and go on with the next."""
        for entry in self._entries:
            if len(entry) == 2 and isinstance(entry[1], MeshError):
                yield entry[0], functools.partial(_refuse, entry[1])
            elif len(entry) == 2:
                name, data = entry
                yield name, functools.partial(bytes, data)
            else:
                name, archive, member = entry
                yield (
                    posixpath.basename(member.filename),
                    functools.partial(self._inflate, name, archive, member),
                )

    def _inflate(self, name: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
        """One member's bytes, read in chunks against the budget: a lying size is caught."""
        content = bytearray()
        try:
            with archive.open(member) as handle:
                while chunk := handle.read(_CHUNK):
                    self.budget.charge(len(chunk))
                    content += chunk
                    if len(content) > member.file_size:
                        break
        except MeshError:
            raise  # the budget spent: said as such, not as a damaged archive (a ValueError)
        except (*_ZIP_ERRORS, zlib.error, RuntimeError) as exc:
            raise MeshError(
                errors.CORRUPT_ARCHIVE, f"{name} is damaged and cannot be inflated."
            ) from exc
        if len(content) != member.file_size:
            raise MeshError(errors.CORRUPT_ARCHIVE, f"{name} misstates the size of its files.")
        return bytes(content)


def _refuse(error: MeshError) -> bytes:
    raise error


def _directory(name: str, data: bytes, limits: Limits):
    """The archive and its part members, checked by the directory alone."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except _ZIP_ERRORS as exc:
        raise MeshError(errors.CORRUPT_ARCHIVE, f"{name} is not a readable zip archive.") from exc
    members = [member for member in members if not _is_metadata(member.filename)]
    check_archive(members, limits, name, len(data))
    for member in members:
        if member.filename.lower().endswith(".zip"):
            raise MeshError(
                errors.UNSUPPORTED,
                f"{name} holds another archive, {posixpath.basename(member.filename)}; please "
                f"upload the part files themselves.",
            )
        if member.file_size > limits.max_file_bytes:
            raise MeshError(
                errors.FILE_TOO_LARGE,
                f"{member.filename} in {name} is {member.file_size / 2**20:.1f} MB, above the "
                f"{limits.max_file_bytes / 2**20:.0f} MB limit for instant quotes.",
            )
    return archive, members
