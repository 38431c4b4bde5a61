"""The one interface every machine connector implements, whatever protocol the machine speaks.

Dispatch must never start a part twice: a connector therefore tells a refused request
(``MachineRefused``) from one whose outcome is unknown (``AmbiguousResult``, a timeout after the
request left), and every job carries a tag the machine echoes back in its file or program name,
so the caller re-reads ``status()`` and recognises its own job instead of sending start again.
"""

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from enum import Enum

SECRET_FIELDS = ("api_key", "password", "client_private_key")
OPCUA_SECURITY_MODES = ("None", "Sign", "SignAndEncrypt")
_TAG_PATTERN = re.compile(r"odm-[a-z0-9]+-a[0-9]+")


class MachineState(str, Enum):
    """What a machine is doing, in the same words for every protocol."""

    OFFLINE = "offline"  # does not answer, or is not connected to its controller
    IDLE = "idle"  # ready to take a job as far as the machine knows
    BUSY = "busy"  # a job is running (heating included)
    PAUSED = "paused"
    FINISHED = "finished"  # the last job ended well (an FDM bed still holds the part)
    FAILED = "failed"  # the last job was cancelled or failed, or the machine reports an error


@dataclass(frozen=True)
class MachineStatus:
    """One reading of a machine; ``job_name`` is what the machine reports as its current or
    last job, so ``tag_in(job_name)`` tells whether that job is ours."""

    state: MachineState
    job_name: str | None = None
    progress: float | None = None
    elapsed_s: float | None = None
    remaining_s: float | None = None
    material_used_mm: float | None = None
    message: str | None = None
    part_count: int | None = None


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one machine. Secrets never show in ``repr`` (logs, tracebacks)."""

    kind: str
    host: str
    port: int | None = None
    use_tls: bool = False
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    serial: str | None = None
    verify_tls: bool | str = True
    timeout_s: float = 5.0
    file_port: int | None = None  # a second service's port: Bambu's FTPS (990 by default)
    # The only CA trusted for the machine's certificate, as PEM text (Bambu's printer CA):
    # pinned, instead of the system's CAs or ``verify_tls``.
    ca_certificate: str | None = None
    # OPC UA: "None", or Basic256Sha256 with "Sign" or "SignAndEncrypt", which need our client
    # certificate and its private key (PEM text); ``server_certificate`` (PEM) pins the
    # machine's, else the one its endpoint list announces is taken.
    security_mode: str = "None"
    client_certificate: str | None = None
    client_private_key: str | None = None
    server_certificate: str | None = None

    def __repr__(self) -> str:
        shown = []
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in SECRET_FIELDS and value:
                value = "***"
            shown.append(f"{field.name}={value!r}")
        return f"ConnectionSettings({', '.join(shown)})"

    def secrets(self) -> tuple[str, ...]:
        """The secret values set, so messages built from peer answers can be scrubbed."""
        return tuple(value for name in SECRET_FIELDS if (value := getattr(self, name)))


@dataclass(frozen=True)
class JobFile:
    """A file handed to a machine; ``name`` contains ``tag`` so the machine echoes it back."""

    tag: str
    name: str
    content: bytes
    kind: str  # "gcode", "3mf" or "nc"

    def __repr__(self) -> str:
        size = len(self.content)
        return f"JobFile(tag={self.tag!r}, name={self.name!r}, kind={self.kind!r}, {size} bytes)"


def job_tag(reference: str, attempt: int) -> str:
    """A tag for one attempt at one work order, safe in every machine's file names.

    ``job_tag("WO/0042", 1) == "odm-wo0042-a1"``: lower-case letters and digits only, because
    printers rename files (PrusaLink keeps 8.3 short names next to long ones, Bambu lower-cases).
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    slug = re.sub(r"[^a-z0-9]", "", reference.lower())
    if not slug:
        raise ValueError(f"reference {reference!r} has no letters or digits to tag a job with")
    return f"odm-{slug}-a{attempt}"


def tag_in(name: str | None) -> str | None:
    """Our job tag inside a name the machine reports (path, file or program name), if any."""
    if not name:
        return None
    match = _TAG_PATTERN.search(name.lower())
    return match.group(0) if match else None


class ConnectorError(Exception):
    """A failure whose message is safe to show to users: it never holds a credential."""


class MachineUnreachable(ConnectorError):
    """Nothing reached the machine (refused, DNS, connect timeout): safe to retry."""


class AmbiguousResult(ConnectorError):
    """The request left but no answer came: re-read ``status()``, never resend a start."""


class MachineRefused(ConnectorError):
    """The machine answered no (busy, conflict, bad file); ``code`` is its own error code."""

    def __init__(self, message: str, code: int | str | None = None):
        super().__init__(message)
        self.code = code


class AuthenticationFailed(ConnectorError):
    """The machine rejected the credentials (which the message never repeats)."""


class Connector(ABC):
    """One machine behind one protocol. Methods block at most about ``settings.timeout_s``.

    ``keeps_session``: the protocol pushes state over a session that should outlive one reading
    (``SessionPool`` keeps such connectors open between polls)."""

    keeps_session = False

    def __init__(self, settings: ConnectionSettings):
        self.settings = settings

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings!r})"

    @abstractmethod
    def status(self) -> MachineStatus:
        """The machine's state now; raises ConnectorError subclasses, never returns stale data."""

    @abstractmethod
    def upload(self, job: JobFile) -> None:
        """Store the job file on the machine without starting it."""

    @abstractmethod
    def start(self, job: JobFile) -> None:
        """Start the uploaded job."""

    @abstractmethod
    def pause(self) -> None: ...

    @abstractmethod
    def resume(self) -> None: ...

    @abstractmethod
    def cancel(self) -> None: ...

    def dispatch(self, job: JobFile) -> None:
        """Upload then start: the usual way to hand a job over."""
        self.upload(job)
        self.start(job)

    def close(self) -> None:
        """Release connections; connectors holding none keep this default."""
        return

    def scrub(self, text: str) -> str:
        """``text`` with every configured secret masked (peer answers may echo a key back)."""
        for secret in self.settings.secrets():
            text = text.replace(secret, "***")
        return text

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class MonitoringOnly:
    """Mixin of the connectors of protocols that only report (the CNC monitoring ones): every
    command is refused with ``monitoring_only``, which tells where the NC program goes instead."""

    monitoring_only = "this machine is monitored only"

    def upload(self, job: JobFile) -> None:
        raise MachineRefused(self.monitoring_only)

    def start(self, job: JobFile) -> None:
        raise MachineRefused(self.monitoring_only)

    def pause(self) -> None:
        raise MachineRefused(self.monitoring_only)

    def resume(self) -> None:
        raise MachineRefused(self.monitoring_only)

    def cancel(self) -> None:
        raise MachineRefused(self.monitoring_only)
