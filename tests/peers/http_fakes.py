"""Protocol fakes for machines whose software cannot run without their hardware: Moonraker
(Klipper), PrusaLink and an MTConnect agent, served by http.server on free loopback ports.

Each follows its vendor's documented API (cited on each class) for the paths, envelopes, state
enums and error codes the connectors use. A simulated print advances with time, so tests see a
job go from start to finish. Every fake can be made slow (``delay_s`` before each answer); lost
answers come from ``net.AnswerDroppingProxy`` placed in front, as for the real peers.
"""

import contextlib
import hashlib
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .net import LOOPBACK


class SimulatedPrint:
    """A print job advancing at ``seconds`` per job on a simulated printer."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.files: dict[str, bytes] = {}
        self.file: str | None = None
        self.state = "idle"  # idle, printing, paused, finished, cancelled
        self.started = 0.0
        self.done_s = 0.0  # printing time accumulated before the last pause
        self.job_id = 0
        self.starts: list[str] = []

    def elapsed(self) -> float:
        running = time.monotonic() - self.started if self.state == "printing" else 0.0
        return self.done_s + running

    def progress(self) -> float:
        if self.state == "printing" and self.elapsed() >= self.seconds:
            self.state, self.done_s = "finished", self.seconds
        return min(1.0, self.elapsed() / self.seconds) if self.file else 0.0

    def start(self, name: str):
        self.progress()
        self.file, self.state, self.started, self.done_s = name, "printing", time.monotonic(), 0
        self.job_id += 1
        self.starts.append(name)

    def pause(self):
        self.done_s, self.state = self.elapsed(), "paused"

    def resume(self):
        self.started, self.state = time.monotonic(), "printing"

    def busy(self) -> bool:
        self.progress()
        return self.state in ("printing", "paused")


class FakeMachine:
    """Base of the fakes: a threaded HTTP server calling ``answer()`` under one lock."""

    def __init__(self, seconds: float = 2.0, api_key: str | None = None):
        self.job = SimulatedPrint(seconds)
        self.api_key = api_key
        self.delay_s = 0.0
        self.lock = threading.Lock()
        self.server = None

    def answer(self, method, path, query, headers, body):
        raise NotImplementedError

    @contextlib.contextmanager
    def serving(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # tests read answers, not access logs
                return

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                time.sleep(fake.delay_s)
                with fake.lock:
                    status, content_type, payload, extra = fake.answer(
                        self.command, unquote(url.path), url.query, self.headers, body
                    )
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                if payload is None:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})
        self.server = server_class((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


def _json(status, payload, **headers):
    return status, "application/json", payload, headers


class FakeMoonraker(FakeMachine):
    """Moonraker's web API (moonraker.readthedocs.io/en/latest/web_api/): successes wrapped in
    ``{"result": ...}``, failures in ``{"error": {"code", "message"}}`` with the HTTP status as
    code; ``print_stats.state`` standby/printing/paused/complete/cancelled/error and
    ``webhooks.state`` ready/startup/shutdown/error; uploads answer 201 with ``item`` and
    ``action: create_file``; ``X-Api-Key`` checked when the fake has a key (401 otherwise)."""

    STATES = {
        "idle": "standby",
        "printing": "printing",
        "paused": "paused",
        "finished": "complete",
        "cancelled": "cancelled",
    }

    def __init__(self, seconds: float = 2.0, api_key: str | None = None):
        super().__init__(seconds, api_key)
        self.klippy_state = "ready"

    @staticmethod
    def _error(code: int, message: str):
        return _json(code, {"error": {"code": code, "message": message}})

    def answer(self, method, path, query, headers, body):
        if self.api_key and headers.get("X-Api-Key") != self.api_key:
            return self._error(401, "Unauthorized")
        job = self.job
        params = parse_qs(query, keep_blank_values=True)
        if (method, path) == ("GET", "/printer/objects/query"):
            progress = job.progress()
            status = {
                "webhooks": {
                    "state": self.klippy_state,
                    "state_message": "Printer is ready"
                    if self.klippy_state == "ready"
                    else "Klipper reports: SHUTDOWN",
                },
                "print_stats": {
                    "filename": job.file or "",
                    "total_duration": job.elapsed(),
                    "print_duration": job.elapsed(),
                    "filament_used": 100 * progress,
                    "state": self.STATES[job.state],
                    "message": "",
                    "info": {"total_layer": None, "current_layer": None},
                },
                "virtual_sdcard": {
                    "file_path": job.file,
                    "progress": progress,
                    "is_active": job.state == "printing",
                    "file_position": 0,
                },
            }
            wanted = {name: status[name] for name in params if name in status}
            return _json(200, {"result": {"eventtime": time.monotonic(), "status": wanted}})
        if (method, path) == ("POST", "/server/files/upload"):
            name, content = _multipart_file(headers, body)
            job.files[name] = content
            item = {
                "path": name,
                "root": "gcodes",
                "modified": time.time(),
                "size": len(content),
                "permissions": "rw",
            }
            return _json(
                201,
                {
                    "result": {
                        "item": item,
                        "print_started": False,
                        "print_queued": False,
                        "action": "create_file",
                    }
                },
            )
        if self.klippy_state != "ready" and path.startswith("/printer/print/"):
            return self._error(503, "Klippy Host not connected")
        if (method, path) == ("POST", "/printer/print/start"):
            name = params.get("filename", [""])[0]
            if job.busy():
                return self._error(400, "Print is already in progress")
            if name not in job.files:
                return self._error(400, f"Unable to open file: {name}")
            job.start(name)
            return _json(200, {"result": "ok"})
        if method == "POST" and path in (
            "/printer/print/pause",
            "/printer/print/resume",
            "/printer/print/cancel",
        ):
            action = path.rsplit("/", 1)[-1]
            allowed = {
                "pause": ("printing",),
                "resume": ("paused",),
                "cancel": ("printing", "paused"),
            }[action]
            job.progress()
            if job.state not in allowed:
                return self._error(400, f"Cannot {action}: print state is {job.state}")
            {
                "pause": job.pause,
                "resume": job.resume,
                "cancel": lambda: setattr(job, "state", "cancelled"),
            }[action]()
            return _json(200, {"result": "ok"})
        return self._error(404, "Not Found")


class FakePrusaLink(FakeMachine):
    """PrusaLink API v1 (prusa3d/Prusa-Link-Web, spec/openapi.yaml): ``/api/v1/status`` with
    ``printer.state`` IDLE/PRINTING/PAUSED/FINISHED/STOPPED/ERROR/ATTENTION/READY/BUSY and a
    ``job`` (id, progress in percent, time_remaining, time_printing); ``/api/v1/job`` naming the
    file (8.3 ``name`` and long ``display_name``) or 204 without a job; ``PUT /api/v1/files/
    <storage>/<path>`` answering 201, 409 on an existing file without ``Overwrite: ?1`` or while
    that file prints; ``POST`` on a file to print it (204, 409 when busy); ``PUT /api/v1/job/
    <id>/pause|resume`` and ``DELETE /api/v1/job/<id>`` (204, 409 in a wrong state, 404 for
    another id). Authentication is ``X-Api-Key`` or HTTP digest (qop auth, MD5): 401 otherwise."""

    STATES = {
        "idle": "IDLE",
        "printing": "PRINTING",
        "paused": "PAUSED",
        "finished": "FINISHED",
        "cancelled": "STOPPED",
    }
    REALM = "Printer API"

    def __init__(
        self,
        seconds: float = 2.0,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ):
        super().__init__(seconds, api_key)
        self.username, self.password = username, password
        self.nonce = secrets.token_hex(16)

    def _authorized(self, method, path, headers) -> bool:
        if not (self.api_key or self.username):
            return True
        if self.api_key and headers.get("X-Api-Key") == self.api_key:
            return True
        digest = headers.get("Authorization", "")
        if not (self.username and digest.startswith("Digest ")):
            return False
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', digest[7:]))
        ha1 = _md5(f"{self.username}:{self.REALM}:{self.password}")
        ha2 = _md5(f"{method}:{fields.get('uri', '')}")
        expected = _md5(
            ":".join(
                [
                    ha1,
                    fields.get("nonce", ""),
                    fields.get("nc", ""),
                    fields.get("cnonce", ""),
                    "auth",
                    ha2,
                ]
            )
        )
        return fields.get("username") == self.username and fields.get("response") == expected

    def answer(self, method, path, query, headers, body):
        if not self._authorized(method, path + (f"?{query}" if query else ""), headers):
            challenge = f'Digest realm="{self.REALM}", nonce="{self.nonce}", qop="auth"'
            return _json(401, {"title": "Unauthorized"}, **{"WWW-Authenticate": challenge})
        job = self.job
        job.progress()
        if (method, path) == ("GET", "/api/v1/status"):
            status = {
                "storage": {"path": "/usb/", "name": "usb", "read_only": False},
                "printer": {
                    "state": self.STATES[job.state],
                    "temp_nozzle": 215.0,
                    "target_nozzle": 215.0,
                    "temp_bed": 60.0,
                    "target_bed": 60.0,
                    "axis_z": 0.2,
                    "flow": 100,
                    "speed": 100,
                    "fan_hotend": 3000,
                    "fan_print": 5000,
                },
            }
            if job.file:
                status["job"] = self._job_fields()
            return _json(200, status)
        if (method, path) == ("GET", "/api/v1/job"):
            if not job.file:
                return 204, "", None, {}
            return _json(
                200,
                {
                    **self._job_fields(),
                    "state": self.STATES[job.state],
                    "file": {
                        "name": _short_name(job.file),
                        "display_name": job.file,
                        "path": "/usb",
                        "size": len(job.files[job.file]),
                        "m_timestamp": int(time.time()),
                    },
                },
            )
        match = re.fullmatch(r"/api/v1/files/usb/(.+)", path)
        if match and method == "PUT":
            name = match.group(1)
            if name in job.files and headers.get("Overwrite") != "?1":
                return _json(409, {"title": "Conflict", "message": "File already exists"})
            if name == job.file and job.busy():
                return _json(409, {"title": "Conflict", "message": "File is being printed"})
            if headers.get("Print-After-Upload") == "?1" and job.busy():
                return _json(409, {"title": "Conflict", "message": "Printer is busy"})
            job.files[name] = body
            if headers.get("Print-After-Upload") == "?1":
                job.start(name)
            return 201, "", None, {"Location": f"/api/v1/files/usb/{name}"}
        if match and method == "POST":
            if match.group(1) not in job.files:
                return _json(404, {"title": "Not Found", "message": "File not found"})
            if job.busy():
                return _json(409, {"title": "Conflict", "message": "Printer is busy"})
            job.start(match.group(1))
            return 204, "", None, {}
        match = re.fullmatch(r"/api/v1/job/(\d+)(?:/(pause|resume))?", path)
        if match:
            if int(match.group(1)) != job.job_id or not job.file:
                return _json(404, {"title": "Not Found", "message": "No such job"})
            action = match.group(2) or ("stop" if method == "DELETE" else None)
            allowed = {"pause": "printing", "resume": "paused"}
            if action == "stop" and job.busy():
                job.state = "cancelled"
            elif action in allowed and job.state == allowed[action]:
                (job.pause if action == "pause" else job.resume)()
            else:
                return _json(409, {"title": "Conflict", "message": f"Cannot {action} now"})
            return 204, "", None, {}
        return _json(404, {"title": "Not Found"})

    def _job_fields(self) -> dict:
        progress = self.job.progress()
        return {
            "id": self.job.job_id,
            "progress": round(100 * progress, 1),
            "time_printing": int(self.job.elapsed()),
            "time_remaining": int(self.job.seconds * (1 - progress)),
        }


class FakeMTConnectAgent(FakeMachine):
    """An MTConnect agent (MTConnect Standard, Part 1 REST protocol and Part 3 streams):
    ``/current`` and ``/<device>/current`` answer an ``MTConnectStreams`` document
    (urn:mtconnect.org:MTConnectStreams:2.0) with the device's Availability, the controller
    path's Execution, Program and PartCount events and its Condition (Normal or Fault); an
    unknown device answers 404 with an ``MTConnectError`` (errorCode NO_DEVICE). Tests set the
    observations as the adapter would."""

    NAMESPACE = "urn:mtconnect.org:MTConnectStreams:2.0"

    def __init__(self, device: str = "VMC-3Axis"):
        super().__init__()
        self.device = device
        self.observations = {
            "Availability": "AVAILABLE",
            "Execution": "READY",
            "Program": "",
            "PartCount": "0",
        }
        self.fault: str | None = None
        self.sequence = 1

    def answer(self, method, path, query, headers, body):
        device = path.strip("/").rsplit("/", 1)[0] if path.count("/") > 1 else self.device
        if method != "GET" or not path.endswith("/current"):
            return self._mtconnect_error(400, "INVALID_REQUEST", f"{method} {path}")
        if device != self.device:
            return self._mtconnect_error(404, "NO_DEVICE", f"Could not find device: {device}")
        self.sequence += 1
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def event(tag, item):
            value = self.observations[tag] or "UNAVAILABLE"
            return (
                f'<{tag} dataItemId="{item}" timestamp="{stamp}" '
                f'sequence="{self.sequence}">{value}</{tag}>'
            )

        condition = (
            f'<Fault dataItemId="logic" timestamp="{stamp}" sequence="{self.sequence}" '
            f'type="LOGIC_PROGRAM" nativeCode="1010">{self.fault}</Fault>'
            if self.fault
            else f'<Normal dataItemId="logic" timestamp="{stamp}" '
            f'sequence="{self.sequence}" type="LOGIC_PROGRAM"/>'
        )
        document = (
            f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<MTConnectStreams xmlns="{self.NAMESPACE}">'
            f'<Header creationTime="{stamp}" sender="odm-test" instanceId="1" version="2.0" '
            f'bufferSize="131072" firstSequence="1" lastSequence="{self.sequence}" '
            f'nextSequence="{self.sequence + 1}"/>'
            f'<Streams><DeviceStream name="{self.device}" uuid="{self.device}-uuid">'
            f'<ComponentStream component="Device" name="{self.device}" componentId="dev">'
            f"<Events>{event('Availability', 'avail')}</Events></ComponentStream>"
            f'<ComponentStream component="Path" name="path" componentId="path1">'
            f"<Events>{event('Execution', 'exec')}{event('Program', 'program')}"
            f"{event('PartCount', 'pcount')}</Events>"
            f"<Condition>{condition}</Condition></ComponentStream>"
            f"</DeviceStream></Streams></MTConnectStreams>"
        )
        return 200, "application/xml", document.encode(), {}

    def _mtconnect_error(self, status, code, text):
        document = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<MTConnectError xmlns="urn:mtconnect.org:MTConnectError:2.0">'
            '<Header creationTime="" sender="odm-test" instanceId="1" version="2.0"/>'
            f'<Errors><Error errorCode="{code}">{text}</Error></Errors></MTConnectError>'
        )
        return status, "application/xml", document.encode(), {}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # digest authentication is MD5 by spec


def _short_name(name: str) -> str:
    """The 8.3 name a printer's USB stick shows next to the long one."""
    stem, _, extension = name.upper().rpartition(".")
    return f"{re.sub(r'[^A-Z0-9]', '', stem)[:6]}~1.{extension[:3]}"


def _multipart_file(headers, body: bytes) -> tuple[str, bytes]:
    """The (file name, content) of the ``file`` part of a multipart/form-data body."""
    boundary = re.search(r"boundary=(.+)", headers.get("Content-Type", "")).group(1)
    for part in body.split(b"--" + boundary.encode()):
        head, _, content = part.partition(b"\r\n\r\n")
        found = re.search(rb'name="file"; filename="([^"]+)"', head)
        if found:
            return found.group(1).decode(), content[: -len(b"\r\n")]
    raise ValueError("no file part in the upload")
