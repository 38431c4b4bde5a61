"""A real OPC UA server (asyncua) exposing one machine tool after OPC 40501-1: under Objects,
``MachineTool/Production/ActiveProgram/{Name, State/CurrentState}`` and
``MachineTool/Production/ProductionPlan/<job>/PartSets/<set>/PartsCompletedPerRun`` in the
MachineTool namespace. Tests drive the machine through ``MachineTool`` methods, as its
controller would."""

import contextlib

from asyncua import ua
from asyncua.server.users import User, UserRole
from asyncua.sync import Server

from .net import LOOPBACK, free_port

MACHINE_TOOL_URI = "http://opcfoundation.org/UA/MachineTool/"


class MachineTool:
    """Handle on the served machine: what its controller would change."""

    def __init__(self, server: Server, url: str):
        self.server, self.url = server, url
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


@contextlib.contextmanager
def opcua_machine_tool(username: str | None = None, password: str | None = None):
    """Yields a ``MachineTool`` served on a free loopback port (no security policy; with
    ``username`` the server accepts only that user's password)."""
    url = f"opc.tcp://{LOOPBACK}:{free_port()}/"
    server = Server()
    if username:
        server.aio_obj.iserver.set_user_manager(_PasswordUsers(username, password or ""))
    server.set_endpoint(url)
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    machine = MachineTool(server, url)
    server.start()
    try:
        yield machine
    finally:
        machine.power_off()
