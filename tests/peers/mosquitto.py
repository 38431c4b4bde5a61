"""A real MQTT broker: Debian's mosquitto on a free loopback port, TLS only (a throw-away CA
signs its certificate), one user with a password, anonymous clients refused, as a Bambu
printer's own broker is configured (user ``bblp``, the access code as password)."""

import contextlib
import getpass
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .net import LOOPBACK, free_port, port_open, wait_until, write_tls_material

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    ca_file: str
    cert_file: str  # the server's certificate and key, for a device serving more than MQTT
    key_file: str
    username: str
    password: str


@contextlib.contextmanager
def mosquitto_broker(username: str = "bblp", password: str = "12345678"):
    """Yields a ``Broker`` once mosquitto accepts TLS connections."""
    if not Path(MOSQUITTO).exists():
        raise RuntimeError("mosquitto is not installed: run ./odm setup (Debian package)")
    with tempfile.TemporaryDirectory(prefix="odm-mosquitto-") as directory:
        base = Path(directory)
        ca, cert, key = write_tls_material(base)
        passwords = base / "passwords"
        subprocess.run(
            ["mosquitto_passwd", "-b", "-c", str(passwords), username, password],
            check=True,
            capture_output=True,
        )
        passwords.chmod(0o600)
        port = free_port()
        (base / "mosquitto.conf").write_text(
            f"user {getpass.getuser()}\n"  # as root, mosquitto would switch to its own user
            "persistence false\n"
            "log_dest stderr\n"
            "per_listener_settings false\n"
            "allow_anonymous false\n"
            f"password_file {passwords}\n"
            f"listener {port} {LOOPBACK}\n"
            f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
        )
        log = (base / "mosquitto.log").open("wb")
        process = subprocess.Popen(
            [MOSQUITTO, "-c", str(base / "mosquitto.conf")], stdout=log, stderr=log
        )
        try:
            wait_until(lambda: process.poll() is None and port_open(port), 10, "mosquitto")
            yield Broker(LOOPBACK, port, str(ca), str(cert), str(key), username, password)
        finally:
            process.terminate()
            process.wait(10)
            log.close()
