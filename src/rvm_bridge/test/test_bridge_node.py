"""The rclpy adapter: only where ROS 2 Humble is installed."""
import pytest


def test_node_declares_every_config_field(tmp_path):
    try:
        import rclpy
    except ImportError:
        pytest.skip('rclpy not available')
    from rvm_bridge.bridge_config import BridgeConfig
    from rvm_bridge.bridge_node import BridgeNode
    import dataclasses

    rclpy.init(
        args=[
            '--ros-args', '-p', f'outbox_path:={tmp_path / "o.db"}', '-p',
            'timezone_sync_on_start:=false']
    )
    try:
        node = BridgeNode()
        names = {f.name for f in dataclasses.fields(BridgeConfig)}
        assert names <= {p for p in node._parameters}
        assert len(node.bridge_subscriptions) == 6
        node.shutdown()
        node.destroy_node()
    finally:
        rclpy.try_shutdown()


def test_a_config_error_leaves_an_offline_bridge_in_error_that_still_keeps_durable_events(
    tmp_path,
):
    """No rclpy needed: the node builds its core through config_fallback.build_core."""
    from rvm_bridge.bridge_config import BridgeConfig
    from rvm_bridge.config_fallback import build_core, error_status
    from rvm_bridge.diagnostics import ERROR, bridge_diagnostic
    from rvm_common import events

    config = BridgeConfig(
        host='myrvm.example', app_key='', rvm_id='rvm-42',
        outbox_path=str(tmp_path / 'outbox.sqlite3'), timezone_sync_on_start=False,
        status_period_s=0.0)
    core, error = build_core(config, lambda topic, payload: None)
    try:
        assert 'app_key is required' in error and 'configuration error' in error
        assert core.config.host == '' and core.config.outbox_path == config.outbox_path
        verdict = events.make_event(
            events.EVENT_DETECTION_COMPLETED, {'item_id': 'a'}, rvm_id='rvm-42')
        core.publish(events.TOPIC_VERDICT, verdict)
        assert core.outbox.holds(verdict['event_id'])
        status = error_status(core.status(), error)
        assert status['state'] == 'error' and status['last_error'] == error
        diagnostic = bridge_diagnostic(status)
        assert diagnostic['level'] == ERROR and 'app_key is required' in diagnostic['message']
    finally:
        core.stop(timeout=1.0)


def test_a_valid_config_builds_the_configured_core(tmp_path):
    from rvm_bridge.bridge_config import BridgeConfig
    from rvm_bridge.config_fallback import build_core, error_status

    config = BridgeConfig(outbox_path=str(tmp_path / 'o.sqlite3'), timezone_sync_on_start=False)
    core, error = build_core(config, lambda topic, payload: None)
    try:
        assert error == '' and core.config is config
        assert error_status({'state': 'offline'}, error) == {'state': 'offline'}
    finally:
        core.stop(timeout=1.0)


@pytest.mark.ros
def test_node_with_a_config_error_stays_up_in_error(tmp_path):
    rclpy = pytest.importorskip('rclpy', reason='rclpy not available')
    from rclpy.parameter import Parameter

    from rvm_bridge.bridge_node import BridgeNode

    rclpy.init()
    try:
        node = BridgeNode(parameter_overrides=[
            Parameter('host', value='myrvm.example'), Parameter('app_key', value=''),
            Parameter('outbox_path', value=str(tmp_path / 'o.db')),
            Parameter('timezone_sync_on_start', value=False)])
        assert 'app_key is required' in node.config_error
        assert node.core.config.host == ''
        node.shutdown()
        node.destroy_node()
    finally:
        rclpy.try_shutdown()
