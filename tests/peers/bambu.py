"""A Bambu Lab printer in LAN mode, simulated on a real broker (mosquitto) and a real implicit
FTPS server (pyftpdlib), after OpenBambuAPI's mqtt.md and ftp.md: it answers
``device/<serial>/request`` commands on ``device/<serial>/report`` with the command echoed
(``sequence_id``, ``result``), reports ``push_status`` updates while printing (partial, as the
P1/A1 series sends them) and a full report on ``pushall``. Only the printer is a fake: no Bambu
hardware runs here."""

import contextlib
import json
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import ThreadedFTPServer

from .mosquitto import Broker
from .net import LOOPBACK, free_port


class ImplicitTLSHandler(TLS_FTPHandler):
    """pyftpdlib speaks explicit FTPS (AUTH TLS); Bambu's port 990 is TLS from the first byte."""

    tls_control_required = True
    tls_data_required = True
    auth_failed_timeout = 0.1  # pyftpdlib's 3 s penalty would outlast the tests' timeouts

    def handle(self):
        self.secure_connection(self.ssl_context)

    def handle_ssl_established(self):
        TLS_FTPHandler.handle(self)


class BambuPrinter:
    """The simulated printer. ``step_s`` is the time per percent of progress; tests set
    ``confirm_commands = False`` to lose the printer's echoes (a start that times out)."""

    def __init__(self, broker: Broker, serial: str, sdcard: Path, step_s: float):
        self.serial, self.sdcard, self.step_s = serial, sdcard, step_s
        self.confirm_commands = True
        self.state = {
            "gcode_state": "IDLE",
            "mc_percent": 0,
            "mc_remaining_time": 0,
            "subtask_name": "",
            "gcode_file": "",
            "print_error": 0,
            "layer_num": 0,
            "total_layer_num": 0,
        }
        self.starts: list[str] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"printer-{serial}")
        self.client.username_pw_set(broker.username, broker.password)
        self.client.tls_set(ca_certs=broker.ca_file)
        self.client.on_connect = lambda client, *_: client.subscribe(self._topic("request"))
        self.client.on_message = self._on_request
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.ticker = threading.Thread(target=self._print_loop, daemon=True)
        self.ticker.start()

    def _topic(self, kind: str) -> str:
        return f"device/{self.serial}/{kind}"

    def _report(self, fields: dict):
        self.client.publish(self._topic("report"), json.dumps({"print": fields}), qos=1)

    def _on_request(self, client, userdata, message):
        request = json.loads(message.payload)
        if "pushing" in request:
            with self.lock:
                self._report({"command": "push_status", "msg": 0, **self.state})
            return
        command = request.get("print", {})
        result = self._obey(command)
        if self.confirm_commands:
            self._report(
                {
                    **command,
                    "result": "success" if result is None else "fail",
                    "reason": result or "",
                }
            )

    def _obey(self, command: dict) -> str | None:
        """Carries out one command; returns the printer's reason when it refuses."""
        name = command.get("command")
        with self.lock:
            state = self.state["gcode_state"]
            if name == "project_file":
                if state in ("PREPARE", "RUNNING", "PAUSE"):
                    return "printer busy"
                file_name = command.get("url", "").rsplit("/", 1)[-1]
                if not (self.sdcard / file_name).is_file():
                    return "file not found"
                self.starts.append(command.get("subtask_name") or file_name)
                self.state.update(
                    gcode_state="RUNNING",
                    mc_percent=0,
                    mc_remaining_time=1,
                    subtask_name=command.get("subtask_name") or file_name,
                    gcode_file=file_name,
                    print_error=0,
                )
            elif name == "pause" and state == "RUNNING":
                self.state["gcode_state"] = "PAUSE"
            elif name == "resume" and state == "PAUSE":
                self.state["gcode_state"] = "RUNNING"
            elif name == "stop" and state in ("RUNNING", "PAUSE", "PREPARE"):
                self.state["gcode_state"] = "FAILED"
            elif name in ("pause", "resume", "stop"):
                return f"cannot {name} while {state}"
            else:
                return f"unknown command {name}"
        self._report({"command": "push_status", **self.state})
        return None

    def _print_loop(self):
        while not self.stopped.wait(self.step_s):
            with self.lock:
                if self.state["gcode_state"] != "RUNNING":
                    continue
                percent = self.state["mc_percent"] + 1
                update = {"mc_percent": percent, "mc_remaining_time": 1 if percent < 100 else 0}
                if percent >= 100:
                    update["gcode_state"] = "FINISH"
                self.state.update(update)
            self._report({"command": "push_status", **update})  # a partial update

    def close(self):
        self.stopped.set()
        self.ticker.join()
        self.client.disconnect()
        self.client.loop_stop()


@contextlib.contextmanager
def bambu_printer(broker: Broker, serial: str = "01S00C123400001", step_s: float = 0.02):
    """Yields (printer, ftps_port): the simulated printer on ``broker`` and its SD card's
    implicit FTPS port (same user, access code and certificate as the broker: one device)."""
    with tempfile.TemporaryDirectory(prefix="odm-bambu-") as directory:
        base = Path(directory)
        sdcard = base / "sdcard"
        sdcard.mkdir()
        authorizer = DummyAuthorizer()
        authorizer.add_user(broker.username, broker.password, str(sdcard), perm="elradfmw")
        handler = type(
            "BambuFTPS",
            (ImplicitTLSHandler,),
            {
                "certfile": broker.cert_file,
                "keyfile": broker.key_file,
                "authorizer": authorizer,
                "passive_ports": None,
                "banner": "Bambu FTPS (simulated)",
            },
        )
        port = free_port()
        server = ThreadedFTPServer((LOOPBACK, port), handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.2}, daemon=True)
        thread.start()
        printer = BambuPrinter(broker, serial, sdcard, step_s)
        try:
            time.sleep(0.2)  # the printer's subscription reaches the broker
            yield printer, port
        finally:
            printer.close()
            server.close_all()
            thread.join(5)
