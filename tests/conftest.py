"""Shared fixtures of the cross-package tests: real peers (Soketi, pusher-js) and fault injection.

Keep this file small and generic; topic-specific fixtures live next to their tests.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))   # `import support.*` from any subfolder

from rvm_bringup.soketi import SoketiNotInstalled, SoketiServer  # noqa: E402
from rvm_common.log_propagation import propagating_rvm_loggers  # noqa: E402
from support.peers import PeerMissing, PusherListener  # noqa: E402
from support.tcp_proxy import TcpProxy  # noqa: E402

#: a missing prerequisite of this machine (npm packages, node: scripts/setup installs them)
MISSING_PREREQUISITES = (SoketiNotInstalled, PeerMissing)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test (or fixture) stopped by a missing prerequisite is reported skipped, with the
    reason, never failed; every other error stays a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(
            MISSING_PREREQUISITES):
        report.outcome = 'skipped'
        report.longrepr = (str(item.path), item.location[1] or 0,
                           f'Skipped: missing prerequisite: {call.excinfo.value}')


@pytest.fixture
def soketi(tmp_path):
    """A fresh Soketi server (app id 1001, client events enabled) on a free loopback port."""
    server = SoketiServer(log_path=tmp_path / 'soketi.log').start()
    yield server
    server.stop()


@pytest.fixture
def pusher_listener():
    """Factory: ``pusher_listener(server_or_host_port_key, channels, **kw)`` -> PusherListener.

    Pass a SoketiServer (or an object with host/port/key); every listener is closed at teardown.
    """
    listeners: list[PusherListener] = []

    def make(server, channels=(), **kwargs) -> PusherListener:
        listener = PusherListener(server.host, server.port, server.key, list(channels), **kwargs)
        listeners.append(listener)
        return listener

    yield make
    for listener in listeners:
        listener.close()


@pytest.fixture
def tcp_proxy():
    """Factory: ``tcp_proxy(target_port)`` -> a started TcpProxy, closed at teardown."""
    proxies: list[TcpProxy] = []

    def make(target_port: int) -> TcpProxy:
        proxy = TcpProxy(target_port).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture(autouse=True)
def _rvm_logs_reach_caplog():
    """Under ROS's pytest plugins (LaunchLogger: propagate=False) caplog still sees our records."""
    with propagating_rvm_loggers():
        yield
