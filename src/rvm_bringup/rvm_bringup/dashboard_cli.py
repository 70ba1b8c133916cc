"""``rvm-edge run --dashboard``: its command-line options and the start of the demo stack.

The runner calls :func:`add_dashboard_arguments` on its ``run`` parser and
:func:`start_dashboard` before building the pipeline: the local Soketi and the page
start on the given (or free) ports, the URL is printed, and - unless ``--no-wait`` -
the run waits until a browser has opened the page and subscribed, so the first
verdicts are not streamed to nobody.  Over SSH::

    ssh -L 8080:127.0.0.1:8080 -L 6001:127.0.0.1:6001 jetson
    # then open the printed URL locally
    rvm-edge run --dashboard --dashboard-port 8080 --soketi-port 6001
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, TextIO

from rvm_bringup.demo_stack import DemoEndpoints, DemoStack


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 meaning any free port."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a port number') from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f'{value} is not a TCP port (0-65535; 0 = any free port)')
    return value


def add_dashboard_arguments(run: argparse.ArgumentParser) -> None:
    """The ``--dashboard-*`` / ``--soketi-port`` / ``--no-wait`` options of ``rvm-edge run``."""
    run.add_argument(
        '--dashboard-host', default='127.0.0.1',
        help=(
            'with --dashboard: address the page and Soketi listen on (default 127.0.0.1; '
            '0.0.0.0 = every interface, the URL then names this host)'
        ),
    )
    run.add_argument('--dashboard-port', type=port_number, default=0,
                     help='with --dashboard: HTTP port of the page (default: any free port)')
    run.add_argument(
        '--soketi-port', type=port_number, default=0,
        help='with --dashboard: WebSocket port of the local Soketi (default: any free port)')
    run.add_argument(
        '--no-wait', action='store_true',
        help='with --dashboard: start at once instead of waiting for the first viewer')


def start_dashboard(
    args: argparse.Namespace, root: Path, *, keep_waiting: Callable[[], bool] = lambda: True,
    out: TextIO | None = None,
) -> tuple[DemoStack, DemoEndpoints]:
    """Start the demo stack for ``args``, print its URL, wait for a viewer unless ``--no-wait``.

    The caller owns the returned stack (``stop()`` it in a ``finally``) and points the
    bridge at it with ``endpoints.apply_to_args(args)``.
    """
    stack = DemoStack(root, http_port=getattr(args, 'dashboard_port', 0) or 0,
                      rvm_id=getattr(args, 'rvm_id', None) or 'rvm-demo',
                      host=getattr(args, 'dashboard_host', None) or '127.0.0.1',
                      soketi_port=getattr(args, 'soketi_port', 0) or None)
    endpoints = stack.start()
    print(f'dashboard: {endpoints.dashboard_url}', file=out, flush=True)
    if not getattr(args, 'no_wait', False):
        print('waiting for the first dashboard viewer: open the URL above (or pass --no-wait)',
              file=out, flush=True)
        if stack.wait_for_viewer(keep_waiting):
            print('dashboard viewer connected: starting', file=out, flush=True)
    return stack, endpoints
