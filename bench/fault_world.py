"""The fault matrix's world: Soketi + the stored-ack receiver (MyRVM), bridges, rows, helpers.

Shared by bench/fault_matrix.py (faults of the network and the server) and bench/fault_edge.py
(faults inside the edge: a second process on the outbox, storage faults, thread exceptions).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))

from bridge.bridge_support import SECRET_ENV, TOKEN, start_stored_ack_stack, stored_ack_config, verdict  # noqa
from rvm_bridge.bridge_core import BridgeCore  # noqa: E402
from rvm_common import events  # noqa: E402
from support.tcp_proxy import TcpProxy  # noqa: E402

CHILD = ROOT / 'tests' / 'bridge' / 'bridge_child.py'
FAST = dict(
    ack_timeout_s=2.0, retry_min_s=0.05, retry_max_s=0.5, auth_retry_s=0.5, auth_retry_max_s=1.0,
    refused_retry_s=0.5)


@dataclass
class Row:
    """One scenario's figures."""

    name: str
    items: int
    stored: int
    duplicates: int
    lost: int
    falsely_confirmed: int
    recovery_to_last_ack_s: float | None
    note: str = ''


class Ctx:
    """A scenario's world: receiver + Soketi (+ proxies), a temp dir, the quick flag."""

    def __init__(self, tmp: Path, quick: bool, *, client_messages: bool = True) -> None:
        self.tmp, self.quick = tmp, quick
        os.environ['RVM_BRIDGE_TOKEN'] = TOKEN
        self.receiver, self.soketi = start_stored_ack_stack(tmp, client_messages=client_messages)
        os.environ[SECRET_ENV] = self.soketi.secret
        self.proxies: list[TcpProxy] = []
        self.cores: list[BridgeCore] = []

    def proxy(self, port: int) -> TcpProxy:
        proxy = TcpProxy(port).start()
        self.proxies.append(proxy)
        return proxy

    def config(self, **overrides: Any):
        return stored_ack_config(self.soketi, self.receiver, self.tmp, **{**FAST, **overrides})

    def core(self, **overrides: Any) -> BridgeCore:
        core = BridgeCore(self.config(**overrides))
        core.start()
        self.cores.append(core)
        return core

    def close(self) -> None:
        for core in self.cores:
            core.stop()
        for proxy in self.proxies:
            proxy.close()
        self.soketi.stop()
        self.receiver.close()


def _publish(core: BridgeCore, first: int, count: int, **extra: Any) -> list[str]:
    ids = []
    for i in range(first, first + count):
        payload = verdict(i, **extra)
        core.publish(events.TOPIC_VERDICT, payload)
        ids.append(payload['event_id'])
    core.outbox.settle(60.0)        # the outbox writer committed them (or holds them in memory)
    return ids


def _drain(core: BridgeCore, timeout: float) -> float | None:
    """Seconds until the outbox is empty (None: not within ``timeout``)."""
    t0 = time.monotonic()
    return round(time.monotonic() - t0, 2) if core.flush(timeout) else None


def _row(
    name: str, ctx: Ctx, ids: list[str], queued: set[str], recovery: float | None, note: str = ''
) -> Row:
    stored = ctx.receiver.stored_ids() & set(ids)
    gone = set(ids) - queued                      # left the outbox
    return Row(
        name, len(ids), len(stored), ctx.receiver.duplicates(), len(set(ids) - stored - queued),
        len(gone - stored), recovery, note)


def _queued(core: BridgeCore) -> set[str]:
    return {e.event_id for e in core.outbox.peek(100_000)}


def _settle(core: BridgeCore, timeout: float) -> tuple[set[str], float | None]:
    recovery = _drain(core, timeout)
    return _queued(core), recovery
