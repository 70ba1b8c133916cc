"""launch_testing: Ctrl-C of the whole graph loses nothing (ROS 2 Humble only).

``ros2 launch`` on Ctrl-C: the terminal's SIGINT reaches every node at once.  This test starts
the graph (launch/rvm_edge.launch.py, no respawn) on the bundled sample against a real Pusher
server (Soketi) with tests/support/stored_ack_receiver.py playing MyRVM's storing listener,
waits until items flow (a session is open), sends SIGINT to all four node processes in the same
instant, and checks at the server side that the health node's final ``offline`` status
(``status-updated`` on ``rvm-status``) and the detector's session summary (``session-completed``,
stored by event_id) arrived, and that every node exited by itself (no SIGTERM needed).
Skipped elsewhere with the reason "rclpy not available"; the same order is checked without ROS
in tests/launch/test_shutdown_order.py.
"""
from __future__ import annotations

import os
import signal
import unittest

import pytest

pytest.importorskip('rclpy', reason='rclpy not available')
pytest.importorskip('launch_testing', reason='rclpy not available')
pytest.importorskip('launch_ros', reason='rclpy not available')

import launch_testing.markers  # noqa: E402
import rclpy  # noqa: E402

from graph_support import (  # noqa: E402
    Probe, graph_description, graph_processes, isolate_ros, wait_until)
from rvm_common import events  # noqa: E402

ENV = isolate_ros(offset=7)
RVM_ID = 'ctrl-c-test'
EXECUTABLES = ('camera_node', 'detector_node', 'health_node', 'bridge_node')


@pytest.mark.launch_test
@launch_testing.markers.keep_alive
def generate_test_description():
    return graph_description(
        ENV, 'rvm-ctrl-c-', events.CHANNEL_STATUS,
        {'/**/camera': {'loop': True, 'realtime': True}, '/**/detector': {'device': 'cpu'}},
        {'retry_min_s': 0.2, 'retry_max_s': 1.0, 'shutdown_grace_s': 8.0},
        {'rvm_id': RVM_ID, 'respawn': 'false'})


class TestCtrlC(unittest.TestCase):
    """SIGINT to every node at once, as the terminal does on Ctrl-C."""

    @classmethod
    def setUpClass(cls):
        os.environ.update(ENV)
        rclpy.init()
        cls.probe = Probe('ctrl_c_probe')
        cls.probe.record(events.TOPIC_VERDICT)

    @classmethod
    def tearDownClass(cls):
        cls.probe.close()
        rclpy.try_shutdown()

    def test_every_node_signalled_at_once_the_last_words_reach_the_server(
            self, receiver, dashboard):
        self.assertTrue(wait_until(lambda: len(self.probe.messages(events.TOPIC_VERDICT)) >= 2,
                                   timeout=180.0), 'no verdicts flow: no session to end')
        processes = {name: graph_processes(name) for name in EXECUTABLES}
        self.assertTrue(all(len(p) == 1 for p in processes.values()), processes)
        graph = [p[0] for p in processes.values()]
        for process in graph:                  # one instant, as the terminal's Ctrl-C
            os.kill(process.pid, signal.SIGINT)
        # launch would send SIGTERM to the bridge only after bridge_sigterm_timeout (~21 s
        # here) and to the others after 5 s: each node ends by itself well before
        gone = wait_until(lambda: not any(p.is_running() and p.status() != 'zombie'
                                          for p in graph), timeout=20.0)
        self.assertTrue(gone, [p.pid for p in graph if p.is_running()])

        def sessions():
            return [e for e in receiver.stored()
                    if e.get('type') == events.EVENT_SESSION_COMPLETED
                    and e.get('rvm_id') == RVM_ID]

        def final_status():
            return [r for r in dashboard.events(events.CHANNEL_STATUS,
                                                events.EVENT_STATUS_UPDATED)
                    if r['data'].get('state') == 'offline']
        self.assertTrue(wait_until(sessions, timeout=10.0), 'no session summary was stored')
        self.assertEqual(sessions()[-1]['reason'], 'shutdown', 'the summary of Ctrl-C')
        self.assertTrue(wait_until(final_status, timeout=10.0),
                        'no final offline status reached rvm-status')


@launch_testing.post_shutdown_test()
class TestAfterShutdown(unittest.TestCase):
    """The launch is over; the servers stop."""

    def test_servers_stop(self, receiver, soketi, dashboard):
        dashboard.close()
        soketi.stop()
        receiver.close()
        self.assertEqual(receiver.errors, [])
