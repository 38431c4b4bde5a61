"""The one exception the mesh engine raises for files it cannot turn into a part.

Every refusal carries a stable machine ``code`` (for the portal, logs and tests) and a one-sentence
``message`` written for the customer who uploaded the file, so the quoting UI can show it as is.
Programming errors (bad arguments, bugs) stay ordinary Python exceptions.
"""

EMPTY = "empty"
TRUNCATED = "truncated"
UNKNOWN_FORMAT = "unknown_format"
MALFORMED = "malformed"
UNSUPPORTED = "unsupported"
INVALID_COORDINATES = "invalid_coordinates"
FLAT = "flat"
NOT_SOLID = "not_solid"
FILE_TOO_LARGE = "file_too_large"
TOO_MANY_TRIANGLES = "too_many_triangles"
ZIP_BOMB = "zip_bomb"
CORRUPT_ARCHIVE = "corrupt_archive"
UNSAFE_XML = "unsafe_xml"
CAD_UNAVAILABLE = "cad_unavailable"
CAD_FAILED = "cad_failed"
CAD_TIMEOUT = "cad_timeout"
TOO_MANY_FILES = "too_many_files"
TIME_LIMIT = "time_limit"
MEMORY_LIMIT = "memory_limit"
ANALYSIS_FAILED = "analysis_failed"

CODES = frozenset(
    {
        EMPTY,
        TRUNCATED,
        UNKNOWN_FORMAT,
        MALFORMED,
        UNSUPPORTED,
        INVALID_COORDINATES,
        FLAT,
        NOT_SOLID,
        FILE_TOO_LARGE,
        TOO_MANY_TRIANGLES,
        ZIP_BOMB,
        CORRUPT_ARCHIVE,
        UNSAFE_XML,
        CAD_UNAVAILABLE,
        CAD_FAILED,
        CAD_TIMEOUT,
        TOO_MANY_FILES,
        TIME_LIMIT,
        MEMORY_LIMIT,
        ANALYSIS_FAILED,
    }
)


class MeshError(ValueError):
    """A file was refused; ``code`` is one of ``CODES``, ``message`` is one user-facing sentence."""

    def __init__(self, code: str, message: str):
        if code not in CODES:
            raise ValueError(f"unknown MeshError code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        """Plain data, as the bounded analysis child sends a refusal back (no pickle)."""
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict) -> "MeshError":
        return cls(data["code"], data["message"])
