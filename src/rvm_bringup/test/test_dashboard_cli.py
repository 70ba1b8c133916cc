"""`rvm-edge run --dashboard` options and the runner's report staying quiet about heartbeats.

Ports are range-checked; the defaults suit local use.
"""

import argparse
import io

import pytest

from rvm_bringup.dashboard_cli import add_dashboard_arguments, port_number
from rvm_bringup.item_report import ItemReport


def parser():
    p = argparse.ArgumentParser()
    add_dashboard_arguments(p)
    return p


def test_defaults_are_loopback_free_ports_and_waiting():
    args = parser().parse_args([])
    assert (args.dashboard_host, args.dashboard_port, args.soketi_port, args.no_wait) == (
        '127.0.0.1', 0, 0, False)
    args = parser().parse_args(
        [
            '--dashboard-host', '0.0.0.0', '--dashboard-port', '8080', '--soketi-port', '6001',
            '--no-wait']
    )
    assert (args.dashboard_host, args.dashboard_port, args.soketi_port, args.no_wait) == (
        '0.0.0.0', 8080, 6001, True)


@pytest.mark.parametrize('text, message', [('70000', 'not a TCP port'), ('-1', 'not a TCP port'),
                                           ('http', 'not a port number')])
def test_ports_are_range_checked(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        port_number(text)


def test_status_heartbeats_are_not_reported_as_state_changes():
    out = io.StringIO()
    report = ItemReport(out)
    report.status({'state': 'online', 'previous_state': None, 'reasons': ['pipeline running']})
    report.status(
        {
            'state': 'online', 'previous_state': None, 'reasons': ['pipeline running'],
            'heartbeat': True}
    )
    assert out.getvalue().splitlines() == ['rvm state: online (pipeline running)']


def test_dashboard_rvm_id_names_the_demo_machine(monkeypatch, tmp_path):
    """`--dashboard --rvm-id X` makes X the demo machine (no hint at a Python API)."""
    from rvm_bringup import dashboard_cli
    made = {}

    class Stack:
        def __init__(self, root, **kwargs):
            made.update(kwargs)

        def start(self):
            return argparse.Namespace(dashboard_url='http://x/')
    monkeypatch.setattr(dashboard_cli, 'DemoStack', Stack)
    args = parser().parse_args(['--no-wait'])
    args.rvm_id = 'rvm-042'
    dashboard_cli.start_dashboard(args, tmp_path, out=io.StringIO())
    assert made['rvm_id'] == 'rvm-042'
    args.rvm_id = None
    dashboard_cli.start_dashboard(args, tmp_path, out=io.StringIO())
    assert made['rvm_id'] == 'rvm-demo'
