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

    rclpy.init(args=['--ros-args', '-p', f'outbox_path:={tmp_path / "o.db"}', '-p', 'timezone_sync_on_start:=false'])
    try:
        node = BridgeNode()
        names = {f.name for f in dataclasses.fields(BridgeConfig)}
        assert names <= {p for p in node._parameters}
        assert len(node.bridge_subscriptions) == 6
        node.shutdown()
        node.destroy_node()
    finally:
        rclpy.try_shutdown()
