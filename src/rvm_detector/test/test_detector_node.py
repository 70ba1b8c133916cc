"""The rclpy adapter: only where a ROS 2 runtime exists (skipped here with the reason)."""
import pytest

rclpy = pytest.importorskip('rclpy', reason='rclpy not available')


@pytest.mark.ros
def test_node_starts_and_reports_a_missing_model_on_status(tmp_path):
    from rclpy.parameter import Parameter

    from rvm_detector.detector_node import DetectorNode

    rclpy.init()
    try:
        # the default model may be absent in a fresh checkout: the node must stay up with state error
        node = DetectorNode()
        status = node.core.status()
        assert status['state'] in ('ready', 'error')
        node.set_parameters([Parameter('publish_annotated', value=False)])
        node.destroy_node()
    finally:
        rclpy.try_shutdown()
