"""Runs OctoPrint's Virtual Printer for the demo database's "Virtual Printer (OctoPrint)".

``./odm demo`` starts it beside Odoo (and stops it with Odoo), so a production manager can
dispatch a work order to a real OctoPrint and watch it print. On its own::

    .odm/venv/bin/python -m tools.virtual_printer [--port 5000] [--api-key KEY] [--speed 20]

The port and key default to the demo machine's settings (odm_machine_link's demo data). It
needs OctoPrint's environment, which ``./odm setup`` builds.
"""

import argparse
import signal
import sys
import time

from tests.peers.octoprint import octoprint_server

DEMO_PORT = 5000
DEMO_API_KEY = "ODMDEMOVIRTUALPRINTERKEY00000000"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEMO_PORT)
    parser.add_argument("--api-key", default=DEMO_API_KEY)
    parser.add_argument(
        "--speed", type=float, default=20.0, help="motion speed factor (a part prints in minutes)"
    )
    args = parser.parse_args()
    # OctoPrint runs in its own session: a SIGTERM (``./odm demo`` stopping) must unwind the
    # server's context so that it stops OctoPrint too, as Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    try:
        with octoprint_server(speed=args.speed, api_key=args.api_key, port=args.port) as (url, _):
            print(f"OctoPrint's virtual printer is ready on {url}", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:
        sys.exit(f"virtual printer: {error}")


if __name__ == "__main__":
    main()
