"""rvm-edge run: its own default outbox (not the ROS node's), demo data kept off remote servers."""
from __future__ import annotations

import pytest

from rvm_bringup.run_config import NODE_OUTBOX, RUN_OUTBOX, build_configs
from rvm_bringup.runner import _parser
from rvm_common.params import ConfigError

REMOTE = ['--bridge-host', 'reverb.example.com', '--bridge-port', '443', '--app-key', 'k',
          '--app-id', '1', '--api-base', 'https://myrvm.example.com']


def _configs(*argv):
    return build_configs(_parser().parse_args(['run', *argv]))


def test_the_runner_and_the_ros_node_default_to_different_outboxes():
    configs = _configs('--source', 'sample')
    assert configs.bridge.outbox_path == RUN_OUTBOX != NODE_OUTBOX
    assert _configs('--source', 'sample', '--outbox', '/tmp/x.sqlite3').bridge.outbox_path == (
        '/tmp/x.sqlite3')


@pytest.mark.parametrize('source, kind', [('sample', 'sample')])
def test_sample_verdicts_are_demo_data_and_stay_off_a_remote_server(source, kind):
    assert _configs('--source', source).bridge.demo_source == kind
    with pytest.raises(ConfigError, match='--send-demo-data'):
        _configs('--source', source, *REMOTE)
    allowed = _configs('--source', source, *REMOTE, '--send-demo-data').bridge
    assert allowed.allow_demo_upload and allowed.demo_source == kind


def test_a_camera_is_no_demo_data(tmp_path):
    bridge = _configs('--source', '/dev/video0', *REMOTE).bridge
    assert bridge.demo_source == '' and not bridge.allow_demo_upload
    folder = tmp_path / 'frames'
    folder.mkdir()
    assert _configs('--source', str(folder)).bridge.demo_source == 'folder'
