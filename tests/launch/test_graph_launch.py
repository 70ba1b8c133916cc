"""launch_testing: the whole graph (launch/rvm_edge.launch.py) on the bundled sample with Soketi.

Runs under ROS 2 Humble (``colcon test`` / pytest with the launch_testing plugin); skipped
elsewhere with the reason "rclpy not available".  The server side is real: Soketi, plus
tests/support/stored_ack_receiver.py playing MyRVM's storing listener (stores by event_id,
answers events-stored, re-broadcasts detection-completed on public detection-results once).

It asserts: every sample verdict reaches the server and the channel exactly once although the
bridge is SIGKILLed mid-run and respawned; a params-file value and the string launch argument
``rvm_id:=42`` are what ``ros2 param get`` shows; SIGINT gives a final ``offline`` status.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import unittest

import pytest

pytest.importorskip('rclpy', reason='rclpy not available')
pytest.importorskip('launch_testing', reason='rclpy not available')
pytest.importorskip('launch_ros', reason='rclpy not available')

import launch_testing.markers  # noqa: E402
import rclpy  # noqa: E402

from graph_support import (  # noqa: E402
    SAMPLE_ITEMS, SAMPLE_VIDEO, Probe, graph_description, graph_processes, isolate_ros,
    wait_until)
from rvm_common import events  # noqa: E402

ENV = isolate_ros(offset=0)
RVM_ID = '42'
FRAME_ID = 'launch_test_frame'          # a non-default params-file value
PUBLIC = 'detection-results'


@pytest.mark.launch_test
@launch_testing.markers.keep_alive
def generate_test_description():
    return graph_description(
        ENV, 'rvm-graph-', PUBLIC,
        {'/**/camera': {'frame_id': FRAME_ID, 'loop': False, 'realtime': True},
         '/**/detector': {'device': 'cpu'}},
        {'status_period_s': 1.0, 'ack_timeout_s': 5.0, 'retry_min_s': 0.2, 'retry_max_s': 2.0},
        {'rvm_id': RVM_ID, 'respawn_delay': '1.0'})


class TestGraph(unittest.TestCase):
    """Runs while the graph is up (unittest order: test_1_, test_2_, ...)."""

    @classmethod
    def setUpClass(cls):
        os.environ.update(ENV)       # the graph's domain, whatever was imported last
        rclpy.init()
        cls.probe = Probe('graph_probe')
        for topic in (events.TOPIC_VERDICT, events.TOPIC_SESSION, events.TOPIC_RVM_STATUS,
                      events.TOPIC_BRIDGE_STATUS):
            cls.probe.record(topic)

    @classmethod
    def tearDownClass(cls):
        cls.probe.close()
        rclpy.try_shutdown()

    def test_1_params_file_and_string_launch_arguments_reach_the_nodes(self):
        from rcl_interfaces.msg import ParameterType
        frame_id, source = self.probe.parameters(
            '/rvm/camera', ['frame_id', 'source'], timeout=60.0)
        self.assertEqual(frame_id.string_value, FRAME_ID)        # /**/camera reached /rvm/camera
        self.assertEqual(source.string_value, str(SAMPLE_VIDEO))
        for node in ('/rvm/camera', '/rvm/detector', '/rvm/health', '/rvm/bridge'):
            rvm_id, = self.probe.parameters(node, ['rvm_id'])
            self.assertEqual(
                (rvm_id.type, rvm_id.string_value), (ParameterType.PARAMETER_STRING, RVM_ID))
        host, = self.probe.parameters('/rvm/bridge', ['host'])
        self.assertNotEqual(
            host.string_value, '', 'the bridge got the params file, not its defaults')
        if shutil.which('ros2'):
            shown = subprocess.run(
                ['ros2', 'param', 'get', '--no-daemon', '/rvm/camera', 'frame_id'],
                capture_output=True, text=True, timeout=60)
            self.assertIn(f'String value is: {FRAME_ID}', shown.stdout)

    def test_2_bridge_killed_mid_run_every_verdict_delivered_once(self, receiver, dashboard):
        verdicts = lambda: self.probe.messages(events.TOPIC_VERDICT)  # noqa: E731
        self.assertTrue(
            wait_until(lambda: len(verdicts()) >= 3, timeout=120.0), 'no verdicts flow')
        bridges = graph_processes('bridge_node')
        self.assertEqual(len(bridges), 1)
        killed = bridges[0].pid
        os.kill(killed, signal.SIGKILL)
        respawned = wait_until(
            lambda: [p for p in graph_processes('bridge_node') if p.pid != killed], timeout=30.0)
        self.assertTrue(respawned, 'the bridge was not respawned')
        self.assertTrue(wait_until(lambda: len(verdicts()) >= SAMPLE_ITEMS, timeout=180.0),
                        f'{len(verdicts())} verdicts, expected {SAMPLE_ITEMS}')
        ids = {v['event_id'] for v in verdicts()}
        self.assertEqual(len(ids), SAMPLE_ITEMS)
        self.assertTrue(all(v['rvm_id'] == RVM_ID for v in verdicts()))
        self.assertTrue(wait_until(lambda: ids <= receiver.stored_ids(), timeout=90.0),
                        f'not stored: {sorted(ids - receiver.stored_ids())}')

        def on_channel():
            return [r['data']['event_id'] for r in dashboard.events(PUBLIC, 'detection-completed')]

        self.assertTrue(wait_until(lambda: ids <= set(on_channel()), timeout=30.0))
        self.assertEqual(
            sorted(on_channel()), sorted(ids), 'every verdict on the channel exactly once')

    def test_3_sigint_gives_a_final_offline_status(self):
        statuses = lambda: self.probe.messages(events.TOPIC_RVM_STATUS)  # noqa: E731
        self.assertTrue(wait_until(statuses, timeout=30.0), 'no RVM status (latched) seen')
        health, = graph_processes('health_node')
        health.send_signal(signal.SIGINT)
        final = wait_until(
            lambda: [s for s in statuses() if s['state'] == 'offline'], timeout=20.0)
        self.assertTrue(final, 'no final offline status after SIGINT')
        # respawned: the machine reports its state again
        self.assertTrue(wait_until(lambda: statuses()[-1]['state'] != 'offline', timeout=60.0))


@launch_testing.post_shutdown_test()
class TestAfterShutdown(unittest.TestCase):
    """Runs after the launch has stopped every node (SIGINT)."""

    def test_servers_stop(self, receiver, soketi, dashboard):
        dashboard.close()
        soketi.stop()
        receiver.close()
        self.assertEqual(receiver.errors, [])
