"""One polling cycle: every machine read in parallel, each bounded by the same deadline.

A machine that does not answer costs its own worker thread until its connector's timeout, never
the others' time: the cycle returns at the deadline with ``MachineUnreachable`` for whoever was
still silent, and the thread pool is left to wind those calls down in the background.
"""

from collections.abc import Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait

from odm_engine.machines.connectors.base import (
    Connector,
    ConnectorError,
    MachineStatus,
    MachineUnreachable,
)


def poll(
    connectors: Mapping[Hashable, Connector], timeout_s: float = 5.0, max_workers: int = 64
) -> dict[Hashable, MachineStatus | ConnectorError]:
    """Reads every machine's status; each key maps to a status or the error that replaced it."""
    if not connectors:
        return {}
    pool = ThreadPoolExecutor(
        max_workers=min(max_workers, len(connectors)), thread_name_prefix="odm-poll"
    )
    try:
        futures = {pool.submit(connector.status): key for key, connector in connectors.items()}
        wait(futures, timeout=timeout_s)
        results = {}
        for future, key in futures.items():
            if not future.done():  # shutdown below cancels it if it has not started
                results[key] = MachineUnreachable(f"no answer within {timeout_s:g} s")
                continue
            error = future.exception()
            if error is None:
                results[key] = future.result()
            elif isinstance(error, ConnectorError):
                results[key] = error
            else:
                # A peer answering nonsense must not abort the whole cycle; the message stays
                # generic because the exception text may quote the peer's answer.
                results[key] = ConnectorError(f"unreadable answer ({type(error).__name__})")
        return results
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
