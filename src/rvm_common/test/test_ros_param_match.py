"""rcl/rclpy Humble's params-file node matching, mirrored without ROS."""
import pytest

from rvm_common.ros_param_match import (fully_qualified_name, key_matches, node_sections,
                                        resolve_parameters)


@pytest.mark.parametrize('key, fqn, expected', [
    ('camera', '/camera', True),
    ('camera', '/rvm/camera', False),          # the bug of issue 13: bare keys need the root
    ('/camera', '/rvm/camera', False),
    ('rvm/camera', '/rvm/camera', True),
    ('/rvm/camera', '/rvm/camera', True),
    ('/rvm/camera', '/other/camera', False),
    ('/**', '/rvm/camera', True),
    ('/**', '/camera', True),
    ('/**/camera', '/rvm/camera', True),
    ('/**/camera', '/camera', True),
    ('/**/camera', '/plant/line_2/camera', True),
    ('/**/camera', '/rvm/camera_probe', False),
    ('/**/camera', '/rvm/detector', False),
    ('/*/camera', '/rvm/camera', True),
    ('/*/camera', '/camera', False),
    ('/*/camera', '/a/b/camera', False),
    ('/rvm/*', '/rvm/bridge', True),
])
def test_key_matches_like_rclpy_humble(key, fqn, expected):
    assert key_matches(key, fqn) is expected


def test_nested_keys_join_and_nested_parameters_flatten():
    data = {'rvm': {'camera': {'ros__parameters': {'fps': 5.0, 'qos': {'depth': 3}}}}}
    assert node_sections(data) == [('rvm/camera', {'fps': 5.0, 'qos.depth': 3})]
    assert resolve_parameters([data], '/rvm/camera') == {'fps': 5.0, 'qos.depth': 3}


def test_later_sections_and_files_override_earlier_ones_in_first_seen_order():
    shipped = {'/**': {'ros__parameters': {'rvm_id': 'a', 'x': 1}},
               '/**/camera': {'ros__parameters': {'rvm_id': 'b'}}}
    assert resolve_parameters([shipped], '/rvm/camera') == {'rvm_id': 'b', 'x': 1}
    # a shared section written after the node's own wins: rcl applies sections in order
    late = {'/**/camera': {'ros__parameters': {'rvm_id': 'b'}},
            '/**': {'ros__parameters': {'rvm_id': 'a'}}}
    assert resolve_parameters([late], '/rvm/camera') == {'rvm_id': 'a'}
    # launch_ros writes a dict of overrides as a second file keyed by the full node name
    overrides = {'/rvm/camera': {'ros__parameters': {'source': '0'}}}
    assert resolve_parameters([shipped, overrides], '/rvm/camera')['source'] == '0'
    # a key seen again in a later file keeps its first slot (find_node): '/**' stays before
    again = {'/**': {'ros__parameters': {'rvm_id': 'c'}}}
    assert resolve_parameters([shipped, again], '/rvm/camera')['rvm_id'] == 'b'


def test_fully_qualified_name():
    assert fully_qualified_name('rvm', 'camera') == '/rvm/camera'
    assert fully_qualified_name('/rvm/', 'camera') == '/rvm/camera'
    assert fully_qualified_name('', 'camera') == '/camera'
    assert fully_qualified_name('/', 'camera') == '/camera'
