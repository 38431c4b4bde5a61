"""Bambu Lab printers in LAN mode, after the community's OpenBambuAPI documentation (mqtt.md,
ftp.md): MQTT over TLS on port 8883 with user ``bblp`` and the printer's access code; the
printer publishes ``device/<serial>/report`` (``{"print": {...push_status fields...}}``, often
as partial updates: ``gcode_state`` IDLE/PREPARE/RUNNING/PAUSE/FINISH/FAILED, ``mc_percent``,
``mc_remaining_time`` in minutes, ``subtask_name``, ``gcode_file``, ``print_error``) and
obeys ``device/<serial>/request`` (``pushing.pushall``, ``print.project_file``, ``print.pause``,
``print.resume``, ``print.stop``), echoing each command with its ``sequence_id`` and a
``result``. Files go to the SD card over implicit FTPS (port 990, same credentials).

The MQTT session stays open (``keeps_session``: Odoo's ``SessionPool`` keeps the connector
between polls): reports are pushed, so ``status()`` answers from the last one and ``on_status``
(if given) hears every change as it happens."""

import ftplib
import io
import itertools
import json
import socket
import ssl
import threading
import time
import uuid

import paho.mqtt.client as mqtt

from odm_engine.machines.connectors.base import (
    AmbiguousResult,
    AuthenticationFailed,
    Connector,
    ConnectorError,
    MachineRefused,
    MachineState,
    MachineStatus,
    MachineUnreachable,
)

GCODE_STATES = {
    "IDLE": MachineState.IDLE,
    "PREPARE": MachineState.BUSY,
    "SLICING": MachineState.BUSY,
    "RUNNING": MachineState.BUSY,
    "PAUSE": MachineState.PAUSED,
    "FINISH": MachineState.FINISHED,
    "FAILED": MachineState.FAILED,
}
REFUSED_CREDENTIALS = (4, 5, 134, 135)  # MQTT 3.1.1 and 5 CONNACK codes for bad credentials


class ImplicitFTPS(ftplib.FTP_TLS):
    """FTP over TLS from the first byte (Bambu's port 990), data channels reusing the control
    channel's TLS session as the printer demands."""

    def __init__(self, context: ssl.SSLContext, timeout: float):
        super().__init__(context=context, timeout=timeout)
        self._sock = None

    @property
    def sock(self):
        return self._sock

    @sock.setter
    def sock(self, value):
        if value is not None and not isinstance(value, ssl.SSLSocket):
            value = self.context.wrap_socket(value, server_hostname=self.host)
        self._sock = value

    def ntransfercmd(self, cmd, rest=None):
        connection, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            connection = self.context.wrap_socket(
                connection, server_hostname=self.host, session=self.sock.session
            )
        return connection, size


class BambuConnector(Connector):
    keeps_session = True

    def __init__(self, settings, on_status=None):
        super().__init__(settings)
        self.on_status = on_status
        self.report: dict = {}
        self.changed = threading.Condition()
        self.awaited: set[str] = set()
        self.acks: dict[str, dict] = {}
        self.refused_credentials = False
        self.sequence = itertools.count(int(time.time()))
        self.client = None
        topic = f"device/{settings.serial}"
        self.report_topic, self.request_topic = f"{topic}/report", f"{topic}/request"

    # -- MQTT session -------------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        pinned = self.settings.ca_certificate
        if pinned:
            # Bambu's own CA, pinned: the only one trusted. Its printer certificates name the
            # serial number, not the address the shop reaches the printer at.
            try:
                context = ssl.create_default_context(cadata=pinned)
            except ssl.SSLError as error:
                raise ConnectorError(
                    "the pinned CA certificate is not a PEM certificate"
                ) from error
            context.check_hostname = False
            return context
        verify = self.settings.verify_tls
        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:  # Bambu printers present a certificate signed by Bambu's own CA
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connected(self) -> mqtt.Client:
        if self.client is None:
            client = mqtt.Client(
                mqtt.CallbackAPIVersion.VERSION2, client_id=f"odm-{uuid.uuid4().hex[:12]}"
            )
            client.username_pw_set(self.settings.username or "bblp", self._access_code())
            client.tls_set_context(self._tls_context())
            client.on_connect = self._on_connect
            client.on_message = self._on_message
            client.on_disconnect = self._on_disconnect
            client.connect_timeout = self.settings.timeout_s
            try:
                client.connect(self.settings.host, self.settings.port or 8883, keepalive=30)
            except (OSError, ssl.SSLError) as error:
                raise MachineUnreachable(f"{self._where()} cannot be reached") from error
            client.loop_start()
            self.client = client
        return self.client

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self.changed:
            if reason_code.is_failure:
                self.refused_credentials = reason_code.value in REFUSED_CREDENTIALS
                self.changed.notify_all()
                return
            self.refused_credentials = False
            self.changed.notify_all()
        client.subscribe(self.report_topic, qos=1)
        self._publish(client, "pushing", "pushall")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self.changed:
            self.report = {}  # nothing is known any more until the printer reports again
            self.changed.notify_all()

    def _on_message(self, client, userdata, message):
        try:
            payload = json.loads(message.payload)
        except ValueError:
            return
        update = payload.get("print")
        if not isinstance(update, dict):
            return
        with self.changed:
            # Only echoes of commands still awaited are kept: the session outlives many polls
            # and the printer also echoes other clients' commands.
            if "result" in update and str(update.get("sequence_id")) in self.awaited:
                self.acks[str(update["sequence_id"])] = update
            self.report.update({k: v for k, v in update.items() if k not in ("command",)})
            self.changed.notify_all()
            status = self._status_from(self.report) if "gcode_state" in self.report else None
        if self.on_status and status:
            self.on_status(status)

    def _publish(self, client, kind: str, command: str, awaited=False, **parameters) -> str:
        sequence_id = str(next(self.sequence))
        if awaited:
            with self.changed:
                self.awaited.add(sequence_id)
        body = {kind: {"sequence_id": sequence_id, "command": command, **parameters}}
        client.publish(self.request_topic, json.dumps(body), qos=1)
        return sequence_id

    def _wait(self, predicate, timeout_error: Exception):
        deadline = time.monotonic() + self.settings.timeout_s
        with self.changed:
            while not predicate():
                if self.refused_credentials:
                    raise AuthenticationFailed(f"{self._where()} rejected the access code")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise timeout_error
                self.changed.wait(left)

    # -- Connector interface ------------------------------------------------------------------
    def status(self) -> MachineStatus:
        self._connected()
        self._wait(
            lambda: "gcode_state" in self.report,
            MachineUnreachable(f"{self._where()} sent no report in time"),
        )
        with self.changed:
            return self._status_from(self.report)

    def _status_from(self, report: dict) -> MachineStatus:
        state = GCODE_STATES.get(report.get("gcode_state"), MachineState.FAILED)
        error = report.get("print_error") or 0
        if error and state != MachineState.FINISHED:
            state = MachineState.FAILED
        percent = report.get("mc_percent")
        remaining = report.get("mc_remaining_time")
        return MachineStatus(
            state=state,
            job_name=report.get("subtask_name") or report.get("gcode_file") or None,
            progress=percent / 100 if percent is not None else None,
            remaining_s=remaining * 60 if remaining is not None else None,
            message=f"print error {error}" if error else report.get("gcode_state"),
        )

    def upload(self, job) -> None:
        ftps = ImplicitFTPS(self._tls_context(), self.settings.timeout_s)
        sent = False
        try:
            ftps.connect(self.settings.host, self.settings.file_port or 990)
            ftps.login(self.settings.username or "bblp", self._access_code())
            ftps.prot_p()
            sent = True
            ftps.storbinary(f"STOR /{job.name}", io.BytesIO(job.content))
            ftps.quit()
        except ftplib.error_perm as error:
            if str(error).startswith("530"):
                raise AuthenticationFailed(f"{self._where()} rejected the access code") from None
            raise MachineRefused(
                f"{self._where()} refused the file: {self.scrub(str(error))}"
            ) from None
        except (OSError, EOFError, ftplib.Error) as error:
            if sent and isinstance(error, (socket.timeout, EOFError)):
                raise AmbiguousResult(
                    f"{self._where()} stopped answering during the upload"
                ) from error
            raise MachineUnreachable(f"{self._where()} FTPS cannot be reached") from error
        finally:
            ftps.close()

    def start(self, job) -> None:
        """``project_file`` of a plain G-code file on the SD card; the printer reports the
        job under ``subtask_name``, which carries our tag."""
        self._command(
            "project_file",
            param="Metadata/plate_1.gcode" if job.kind == "3mf" else job.name,
            url=f"file:///sdcard/{job.name}",
            subtask_name=job.name,
            md5="",
            project_id="0",
            profile_id="0",
            task_id="0",
            subtask_id="0",
            timelapse=False,
            bed_leveling=True,
            flow_cali=False,
            vibration_cali=False,
            layer_inspect=False,
            use_ams=False,
        )

    def pause(self) -> None:
        self._command("pause")

    def resume(self) -> None:
        self._command("resume")

    def cancel(self) -> None:
        self._command("stop")

    def _command(self, command: str, **parameters) -> None:
        """Sends a print command and waits for the printer's echo of it; a missing echo is an
        ambiguous result, a ``result`` other than success a refusal."""
        client = self._connected()
        self._wait(
            client.is_connected,
            MachineUnreachable(f"{self._where()} cannot be reached"),
        )
        sequence_id = self._publish(client, "print", command, awaited=True, **parameters)
        try:
            self._wait(
                lambda: sequence_id in self.acks,
                AmbiguousResult(
                    f"{self._where()} did not confirm {command}: read its status before retrying"
                ),
            )
        finally:
            with self.changed:
                self.awaited.discard(sequence_id)
                ack = self.acks.pop(sequence_id, None)
        if str(ack.get("result", "")).lower() != "success":
            reason = self.scrub(str(ack.get("reason") or ack.get("result")))
            raise MachineRefused(f"{self._where()} refused {command}: {reason}", code=reason)

    def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            client.disconnect()
            client.loop_stop()

    def _access_code(self) -> str:
        return self.settings.password or self.settings.api_key or ""

    def _where(self) -> str:
        return f"Bambu printer {self.settings.serial} at {self.settings.host}"
