"""Real peers for the machine connector tests: servers started on loopback with free ports,
each a context manager that cleans up after itself.

Real programs where they can run here (OctoPrint with its Virtual Printer, mosquitto, an asyncua
OPC UA server); protocol fakes that follow the vendors' documented APIs where only hardware
speaks the protocol (Moonraker, PrusaLink, an MTConnect agent, a Bambu printer on a real broker).
"""
