"""OPC UA machine tools after the OPC 40501-1 companion specification (namespace
``http://opcfoundation.org/UA/MachineTool/``), read with asyncua's client: the machine object
under Objects (``settings.serial`` names it, else the first object with a ``Production`` child),
``Production/ActiveProgram/Name`` and ``Production/ActiveProgram/State/CurrentState``
(ProductionStateMachineType: Initializing, Running, Ended, Interrupted, Aborted) and, per job of
``Production/ProductionPlan``, ``PartSets/<set>/PartsCompletedPerRun``. 40501 defines no program
transfer or start method, so this connector monitors and refuses jobs with a clear message.

Sessions are unsecured (``security_mode="None"``) or secured by the Basic256Sha256 policy,
signed (``Sign``) or signed and encrypted (``SignAndEncrypt``) with our client certificate, the
machine's certificate pinned when ``server_certificate`` is given."""

import asyncio
import concurrent.futures
import logging

from asyncua import ua
from asyncua.crypto import security_policies
from asyncua.crypto.uacrypto import CertProperties
from asyncua.sync import Client
from cryptography import x509

from odm_engine.machines.connectors.base import (
    OPCUA_SECURITY_MODES,
    AuthenticationFailed,
    Connector,
    ConnectorError,
    MachineRefused,
    MachineState,
    MachineStatus,
    MachineUnreachable,
    MonitoringOnly,
)

MACHINE_TOOL_URI = "http://opcfoundation.org/UA/MachineTool/"
PRODUCTION_STATES = {
    "Initializing": MachineState.BUSY,
    "Running": MachineState.BUSY,
    "Interrupted": MachineState.PAUSED,
    "Ended": MachineState.FINISHED,
    "Aborted": MachineState.FAILED,
}
MONITORING_ONLY = (
    "OPC 40501 machine tools take no NC program over OPC UA: load the program at the machine"
)
SECURITY_MODES = {
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}
AUTH_CODES = (
    ua.StatusCodes.BadUserAccessDenied,
    ua.StatusCodes.BadIdentityTokenRejected,
    ua.StatusCodes.BadIdentityTokenInvalid,
)


class _WithoutSessionActivation(logging.Filter):
    """asyncua logs every request it sends at DEBUG level, and the session activation request
    holds the user's password in clear: those records never reach a log."""

    def filter(self, record):
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(arg, ua.ActivateSessionRequest) for arg in args)


logging.getLogger("asyncua.client.ua_client.UASocketProtocol").addFilter(
    _WithoutSessionActivation()
)


class OpcUaConnector(MonitoringOnly, Connector):
    monitoring_only = MONITORING_ONLY

    def __init__(self, settings):
        super().__init__(settings)
        self.url = f"opc.tcp://{settings.host}:{settings.port or 4840}"
        self.client = None

    def status(self) -> MachineStatus:
        try:
            return self._read_status(self._connected())
        except ConnectorError:
            self.close()
            raise
        except ua.UaStatusCodeError as error:
            self.close()
            if error.code in AUTH_CODES:
                raise AuthenticationFailed(f"{self.url} rejected the credentials") from error
            raise ConnectorError(f"{self.url} answered {type(error).__name__}") from error
        except ua.UaError as error:  # no endpoint with our security mode and policy, mainly
            self.close()
            raise MachineRefused(f"{self.url} refused the session: {error}") from error
        except (OSError, asyncio.TimeoutError, concurrent.futures.TimeoutError) as error:
            self.close()
            raise MachineUnreachable(f"{self.url} cannot be reached") from error

    def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            try:
                client.disconnect()
            except Exception:  # the session is gone either way; closing must not fail
                client.tloop.stop()

    def _connected(self) -> Client:
        if self.client is None:
            client = Client(self.url, timeout=self.settings.timeout_s)
            try:  # the client's event-loop thread runs from here: stop it on any failure
                if self.settings.security_mode != "None":
                    self._secure(client)
                if self.settings.username:
                    client.aio_obj.set_user(self.settings.username)
                    client.aio_obj.set_password(self.settings.password or "")
                client.connect()
            except BaseException:
                client.tloop.stop()
                raise
            self.client = client
        return self.client

    def _secure(self, client: Client) -> None:
        """Basic256Sha256 in the configured mode, with our certificate (its application URI
        is the one we announce, as servers check)."""
        settings = self.settings
        if settings.security_mode not in OPCUA_SECURITY_MODES:
            raise ConnectorError(
                f"OPC UA security mode {settings.security_mode!r} is none of "
                f"{', '.join(OPCUA_SECURITY_MODES)}"
            )
        if not (settings.client_certificate and settings.client_private_key):
            raise ConnectorError(
                f"OPC UA {settings.security_mode} needs our client certificate and its private key"
            )
        certificate = settings.client_certificate.encode()
        try:
            names = x509.load_pem_x509_certificate(certificate).extensions.get_extension_for_class(
                x509.SubjectAlternativeName
            )
            uris = names.value.get_values_for_type(x509.UniformResourceIdentifier)
        except (ValueError, x509.ExtensionNotFound) as error:
            raise ConnectorError(
                "the OPC UA client certificate is not a PEM certificate naming its application URI"
            ) from error
        if uris:
            client.aio_obj.application_uri = uris[0]
        pinned = settings.server_certificate
        try:
            client.set_security(
                security_policies.SecurityPolicyBasic256Sha256,
                CertProperties(certificate, "pem"),
                CertProperties(settings.client_private_key.encode(), "pem"),
                server_certificate=CertProperties(pinned.encode(), "pem") if pinned else None,
                mode=SECURITY_MODES[settings.security_mode],
            )
        except ua.UaError as error:
            raise MachineRefused(
                f"{self.url} offers no Basic256Sha256 {settings.security_mode} endpoint"
            ) from error

    def _read_status(self, client: Client) -> MachineStatus:
        ns = client.get_namespace_index(MACHINE_TOOL_URI)
        machine = self._machine(client, ns)
        production = machine.get_child(f"{ns}:Production")
        program = production.get_child(f"{ns}:ActiveProgram")
        name = program.get_child(f"{ns}:Name").read_value() or None
        current = program.get_child([f"{ns}:State", "0:CurrentState"]).read_value()
        state_text = current.Text if isinstance(current, ua.LocalizedText) else str(current)
        state = PRODUCTION_STATES.get(state_text, MachineState.FAILED) if name else None
        return MachineStatus(
            state=state or MachineState.IDLE,
            job_name=name,
            part_count=self._parts_completed(production, ns),
            message=state_text,
        )

    def _machine(self, client: Client, ns: int):
        for child in client.nodes.objects.get_children():
            browse_name = child.read_browse_name()
            if self.settings.serial:
                if browse_name.Name == self.settings.serial:
                    return child
            elif any(
                grandchild.read_browse_name() == ua.QualifiedName("Production", ns)
                for grandchild in child.get_children()
            ):
                return child
        raise MachineRefused(f"{self.url} exposes no OPC 40501 machine tool")

    @staticmethod
    def _parts_completed(production, ns: int) -> int | None:
        counts = []
        try:
            plan = production.get_child(f"{ns}:ProductionPlan")
        except ua.UaStatusCodeError:  # ProductionPlan is optional in 40501
            return None
        for job in plan.get_children():
            try:
                part_sets = job.get_child(f"{ns}:PartSets").get_children()
            except ua.UaStatusCodeError:
                continue
            for part_set in part_sets:
                counts.append(part_set.get_child(f"{ns}:PartsCompletedPerRun").read_value())
        return sum(counts) if counts else None
