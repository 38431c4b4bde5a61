"""What the HTTP connectors (OctoPrint, Moonraker, PrusaLink, MTConnect) share: one session per
machine, timeouts on every call, no redirect followed (it would carry the machine's API key to
another host), answers capped in size, and the translation of transport failures into the
contract's errors. A timeout on a command that changes the machine becomes ``AmbiguousResult``:
the request may have been carried out, so the caller re-reads the machine instead of sending it
again."""

import requests
import urllib3

from odm_engine.machines.connectors.base import (
    AmbiguousResult,
    AuthenticationFailed,
    ConnectionSettings,
    Connector,
    ConnectorError,
    MachineRefused,
    MachineUnreachable,
)
from odm_engine.network.bounded_http import Redirected, ResponseTooLarge, bounded_request


class HttpConnector(Connector):
    default_port = 80
    # Machine answers are small JSON or XML documents; an MTConnect agent's /current is the
    # largest, a few megabytes for a cell of machines.
    max_response_bytes = 16 * 2**20

    def __init__(self, settings: ConnectionSettings):
        super().__init__(settings)
        scheme = "https" if settings.use_tls else "http"
        self.base_url = f"{scheme}://{settings.host}:{settings.port or self.default_port}"
        self.session = requests.Session()
        self.session.verify = settings.verify_tls
        self.session.trust_env = False  # a machine on the shop floor is never behind a proxy

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, changes_machine: bool = False, **kwargs):
        """The response of ``method path``; non-2xx answers raise the matching error."""
        kwargs.setdefault("timeout", self.settings.timeout_s)
        try:
            response = bounded_request(
                self.session,
                method,
                self.base_url + path,
                max_bytes=self.max_response_bytes,
                **kwargs,
            )
        except Redirected as error:
            raise MachineRefused(
                f"{self.base_url} {error} for {method} {path}; redirects are not followed",
                code=error.status,
            ) from error
        except ResponseTooLarge as error:
            if changes_machine:
                raise AmbiguousResult(
                    f"{self.base_url} {error} for {method} {path}: read the machine's status "
                    "before trying again"
                ) from error
            raise ConnectorError(f"{self.base_url} {error}") from error
        except requests.exceptions.ConnectTimeout as error:
            raise MachineUnreachable(f"{self.base_url} did not accept a connection") from error
        except (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError) as error:
            if changes_machine:
                raise AmbiguousResult(
                    f"{self.base_url} did not answer {method} {path} in time: "
                    "read the machine's status before trying again"
                ) from error
            raise MachineUnreachable(f"{self.base_url} did not answer in time") from error
        except requests.exceptions.ConnectionError as error:
            if changes_machine and _sent(error):
                raise AmbiguousResult(
                    f"{self.base_url} dropped the connection during {method} {path}: "
                    "read the machine's status before trying again"
                ) from error
            raise MachineUnreachable(f"{self.base_url} cannot be reached") from error
        if response.status_code in (401, 403):
            raise AuthenticationFailed(f"{self.base_url} rejected the credentials")
        if response.status_code >= 400:
            raise MachineRefused(
                f"{self.base_url} refused {method} {path}: {self.scrub(self.error_text(response))}",
                code=response.status_code,
            )
        return response

    def error_text(self, response) -> str:
        """The machine's own words for an error answer; protocols with an envelope override."""
        return response.text.strip()[:200] or response.reason


def _sent(error: requests.exceptions.ConnectionError) -> bool:
    """Whether the request may have reached the machine: the connection broke after it was
    open (reset, closed mid-answer), rather than never opening (refused, DNS, no route)."""
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return not isinstance(reason, urllib3.exceptions.NewConnectionError)
