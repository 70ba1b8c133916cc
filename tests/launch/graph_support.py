"""Helpers of the launch_testing graph tests (ROS 2 Humble only): isolation, params, probes.

Every graph test runs on its own ROS domain, localhost only, so two runs (or a machine's live
graph) never see each other's topics.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / 'launch' / 'rvm_edge.launch.py'
SHIPPED_PARAMS = ROOT / 'config' / 'rvm_edge.params.yaml'
SAMPLE_VIDEO = ROOT / 'data' / 'sample' / 'rvm_sample.mp4'
SAMPLE_ITEMS = 11          # data/sample/rvm_sample.json: items in the sample video


def isolate_ros(offset: int) -> dict[str, str]:
    """Our own ROS_DOMAIN_ID (1..100, from the pid and ``offset``: one per test file) and
    ROS_LOCALHOST_ONLY=1, set in os.environ; also to be set again (``os.environ.update``) when
    the file's launch and tests start, since pytest imports every test file first."""
    env = {'ROS_DOMAIN_ID': str(1 + (os.getpid() + offset) % 100), 'ROS_LOCALHOST_ONLY': '1'}
    os.environ.update(env)
    return env


def write_params(path: Path, changes: dict[str, dict[str, Any]]) -> Path:
    """A copy of the shipped params YAML with ``changes`` ({section key: {param: value}})."""
    data = yaml.safe_load(SHIPPED_PARAMS.read_text(encoding='utf-8'))
    for key, values in changes.items():
        data.setdefault(key, {'ros__parameters': {}})['ros__parameters'].update(values)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding='utf-8')
    return path


def graph_description(env: dict[str, str], prefix: str, channel: str,
                      params: dict[str, dict[str, Any]], bridge: dict[str, Any],
                      arguments: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    """The whole graph on the sample video against a local Soketi and the stored-ack Laravel
    stand-in, a dashboard listener on ``channel``: what generate_test_description returns.
    ``params``/``bridge`` add to the shipped params, ``arguments`` to the launch arguments."""
    import launch_testing.actions
    from launch import LaunchDescription
    from launch.actions import IncludeLaunchDescription, SetEnvironmentVariable
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    from bridge.bridge_support import SECRET_ENV, TOKEN, start_stored_ack_stack
    from support.peers import PusherListener
    os.environ.update(env)       # pytest may have imported another graph test since
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    receiver, soketi = start_stored_ack_stack(tmp)
    dashboard = PusherListener(soketi.host, soketi.port, soketi.key, [channel])
    dashboard.wait_subscribed(channel, timeout=20.0)
    secrets = {SECRET_ENV: soketi.secret, 'RVM_BRIDGE_TOKEN': TOKEN}
    os.environ.update(secrets)
    bridge = {'host': soketi.host, 'port': soketi.port, 'tls': False, 'app_key': soketi.key,
              'app_id': soketi.app_id, 'app_secret_env': SECRET_ENV,
              'api_base': receiver.api_base, 'outbox_path': str(tmp / 'outbox.sqlite3'),
              'timezone_sync_on_start': False, **bridge}
    params_file = write_params(tmp / 'machine.params.yaml', {**params, '/**/bridge': bridge})
    graph = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(LAUNCH)),
        launch_arguments={'params_file': str(params_file), 'camera_source': str(SAMPLE_VIDEO),
                          **arguments}.items())
    environment = [
        SetEnvironmentVariable(name, value) for name, value in {**env, **secrets}.items()]
    description = LaunchDescription(environment + [graph, launch_testing.actions.ReadyToTest()])
    return description, {'receiver': receiver, 'soketi': soketi, 'dashboard': dashboard}


def graph_processes(executable: str, namespace: str = '/rvm') -> list:
    """psutil processes of ``executable`` in ``namespace`` on this test's ROS domain."""
    import psutil
    domain = os.environ.get('ROS_DOMAIN_ID')
    found = []
    for proc in psutil.process_iter(['cmdline']):
        cmdline = proc.info.get('cmdline') or []
        if not any(Path(part).name == executable for part in cmdline):
            continue
        if f'__ns:={namespace}' not in cmdline:
            continue
        try:
            if proc.environ().get('ROS_DOMAIN_ID') != domain:
                continue
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
        found.append(proc)
    return found


def wait_until(predicate: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    """The first truthy ``predicate()`` within ``timeout`` seconds, else the last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = predicate()
    return value


class Probe:
    """An rclpy node spinning on a thread: subscriptions that record, parameter queries."""

    def __init__(self, name: str, namespace: str = 'rvm'):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        self.rclpy = rclpy
        self.node = rclpy.create_node(name, namespace=namespace)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.received: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def record(self, topic: str) -> None:
        """Record the JSON strings of ``topic`` with the topic's own QoS (history included)."""
        from std_msgs.msg import String

        from rvm_common.qos_profiles import qos_for
        from rvm_common.spin_node import to_rclpy
        self.received.setdefault(topic, [])

        def keep(msg: String, t: str = topic) -> None:
            with self._lock:
                self.received[t].append(msg.data)
        self.node.create_subscription(String, topic, keep, to_rclpy(qos_for(topic)))

    def messages(self, topic: str) -> list[dict[str, Any]]:
        import json
        with self._lock:
            return [json.loads(text) for text in self.received.get(topic, [])]

    def parameters(self, node: str, names: list[str], timeout: float = 10.0) -> list[Any]:
        """The ParameterValue messages of ``names`` on the node ``node`` (full name)."""
        from rcl_interfaces.srv import GetParameters
        client = self.node.create_client(GetParameters, f'{node}/get_parameters')
        try:
            assert client.wait_for_service(timeout_sec=timeout), f'{node} has no parameter service'
            future = client.call_async(GetParameters.Request(names=names))
            assert wait_until(future.done, timeout), f'{node}: get_parameters timed out'
            return list(future.result().values)
        finally:
            self.node.destroy_client(client)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.node.destroy_node()
