"""A real OPC UA server (asyncua) exposing one machine tool after OPC 40501-1: under Objects,
``MachineTool/Production/ActiveProgram/{Name, State/CurrentState}`` and
``MachineTool/Production/ProductionPlan/<job>/PartSets/<set>/PartsCompletedPerRun`` in the
MachineTool namespace. Tests drive the machine through ``MachineTool`` methods, as its
controller would."""

import contextlib
import datetime
import functools
import ipaddress
import tempfile
from pathlib import Path

from asyncua import ua
from asyncua.server.users import User, UserRole
from asyncua.sync import Server
from cryptography import x509
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .net import LOOPBACK, free_port

SERVER_URI = "urn:odm:test:machine-tool"
CLIENT_URI = "urn:odm:test:odoo"

MACHINE_TOOL_URI = "http://opcfoundation.org/UA/MachineTool/"


class MachineTool:
    """Handle on the served machine: what its controller would change."""

    def __init__(self, server: Server, url: str):
        self.server, self.url = server, url
        self.certificate = None  # PEM, when the server is secured
        self.running = True
        ns = server.register_namespace(MACHINE_TOOL_URI)
        machine = server.nodes.objects.add_object(ns, "MachineTool")
        production = machine.add_object(ns, "Production")
        program = production.add_object(ns, "ActiveProgram")
        self.program_name = program.add_variable(ns, "Name", "")
        state = program.add_object(ns, "State")
        self.current_state = state.add_variable(0, "CurrentState", ua.LocalizedText("Initializing"))
        plan = production.add_object(ns, "ProductionPlan")
        job = plan.add_object(ns, "Job1")
        part_set = job.add_object(ns, "PartSets").add_object(ns, "PartSet1")
        self.parts_completed = part_set.add_variable(
            ns, "PartsCompletedPerRun", ua.Variant(0, ua.VariantType.UInt32)
        )

    def power_off(self):
        """The machine goes away: its server stops answering."""
        if self.running:
            self.running = False
            self.server.stop()

    def run(self, program: str, state: str = "Running", parts_completed: int | None = None):
        self.program_name.write_value(program)
        self.current_state.write_value(ua.LocalizedText(state))
        if parts_completed is not None:
            self.parts_completed.write_value(ua.Variant(parts_completed, ua.VariantType.UInt32))


class _PasswordUsers:
    """asyncua user manager: one operator account, anonymous sessions refused."""

    def __init__(self, username: str, password: str):
        self.username, self.password = username, password

    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username == self.username and password == self.password:
            return User(role=UserRole.User)
        return None


@functools.cache
def opcua_certificate(uri: str) -> tuple[str, str]:
    """A self-signed RSA application instance certificate naming ``uri`` and the loopback
    address, as OPC UA's Basic256Sha256 needs: (certificate PEM, private key PEM). Made once
    per test session: an RSA key takes seconds."""
    key = rsa.generate_private_key(65537, 2048, default_backend())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, uri.rsplit(":", 1)[-1])])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.UniformResourceIdentifier(uri),
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address(LOOPBACK)),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256(), default_backend())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), private.decode()


@contextlib.contextmanager
def opcua_machine_tool(
    username: str | None = None, password: str | None = None, secured: bool = False
):
    """Yields a ``MachineTool`` served on a free loopback port (no security policy; with
    ``username`` the server accepts only that user's password). ``secured`` serves only
    Basic256Sha256 Sign and SignAndEncrypt endpoints, with the certificate in
    ``machine.certificate`` (PEM)."""
    url = f"opc.tcp://{LOOPBACK}:{free_port()}/"
    server = Server()
    if username:
        server.aio_obj.iserver.set_user_manager(_PasswordUsers(username, password or ""))
    server.set_endpoint(url)
    certificate = None
    if secured:
        certificate, key = opcua_certificate(SERVER_URI)
        with tempfile.TemporaryDirectory() as directory:
            (Path(directory) / "server.pem").write_text(certificate)
            (Path(directory) / "server-key.pem").write_text(key)
            server.load_certificate(str(Path(directory) / "server.pem"))
            server.load_private_key(str(Path(directory) / "server-key.pem"))
        server.tloop.post(server.aio_obj.set_application_uri(SERVER_URI))
        server.set_security_policy(
            [
                ua.SecurityPolicyType.Basic256Sha256_Sign,
                ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
            ]
        )
    else:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    machine = MachineTool(server, url)
    machine.certificate = certificate
    server.start()
    try:
        yield machine
    finally:
        machine.power_off()
