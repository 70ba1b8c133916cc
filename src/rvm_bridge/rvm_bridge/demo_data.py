"""Demo data never reaches production: the ``demo`` flag and the loopback rule.

Verdicts made from anything but a live camera (the bundled sample, a video file, a folder of
images, a bag, synthetic frames) are a demonstration or a test, never a real deposit.  With
``demo_source`` set, :func:`mark_demo` gives every outbound event ``demo: true`` and
``demo_source`` (defined in the envelope schema; the Laravel guide's listener stores such events
and never credits them), and :func:`check_demo_destination` refuses to start when those events
would go to a server that is not on this machine, unless ``allow_demo_upload`` says so.
"""
from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from rvm_common.params import ConfigError

#: ``demo_source`` values ('' = a live camera: no flag)
DEMO_SOURCES = ('', 'sample', 'video', 'folder', 'bag', 'synthetic')


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip().strip('[]').lower()
    if host in ('localhost', 'localhost.localdomain') or host.endswith('.localhost'):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_destinations(config: Any) -> list[str]:
    """The servers events of ``config`` would reach that are not on this machine."""
    hosts = []
    if config.host:
        hosts.append(config.host)
    for url in (getattr(config, 'api_base', ''), getattr(config, 'events_endpoint', '')):
        if url and '://' in url:
            hosts.append(urlsplit(url).hostname or '')
    return [h for h in hosts if h and not is_loopback(h)]


def check_demo_destination(config: Any) -> None:
    """ConfigError when demo events would reach a remote server without ``allow_demo_upload``."""
    if config.demo_source not in DEMO_SOURCES:
        raise ConfigError(f'demo_source: {config.demo_source!r} is not one of'
                          f' {", ".join(repr(s) for s in DEMO_SOURCES)}')
    remote = demo_destinations(config) if config.demo_source else []
    if remote and not config.allow_demo_upload:
        raise ConfigError(
            f'verdicts from a {config.demo_source} source (not a camera) would be sent to'
            f' {", ".join(sorted(set(remote)))}, which is not this machine: refused. They carry'
            ' demo: true (stored, never credited), but a demo run is meant for a local server;'
            ' use a loopback server (rvm-edge run --demo), no server, or --send-demo-data to send'
            ' them anyway')


def mark_demo(payload: dict[str, Any], demo_source: str) -> None:
    """Flag ``payload`` (in place) as demo data from ``demo_source`` ('' = leave it alone)."""
    if demo_source:
        payload['demo'] = True
        payload['demo_source'] = demo_source
