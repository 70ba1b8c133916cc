"""The runner behaves like the ROS graph: same outbound topics (the channel map's), same tick rate."""
import argparse

import pytest

from rvm_bringup.run_config import build_configs
from rvm_bringup.runner import Pipeline
from rvm_common import events


@pytest.fixture
def pipeline_for(tmp_path, monkeypatch):
    """Build a Pipeline (no model loaded, nothing started) from a params YAML text."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('RVM_EDGE_PARAMS', raising=False)
    (tmp_path / 'video.mp4').write_bytes(b'')
    built = []

    def make(params_text: str, **kw) -> Pipeline:
        params = tmp_path / 'p.yaml'
        params.write_text(params_text)
        args = argparse.Namespace(params=params, source='video.mp4', model=None, device='cpu', rvm_id='rvm-7',
                                  bridge_host=None, bridge_port=None, bridge_tls=None, api_base=None,
                                  app_key=None, app_id=None, outbox=str(tmp_path / 'o.sqlite3'),
                                  realtime=None, loop=None)
        pipeline = Pipeline(build_configs(args), **kw)
        built.append(pipeline)
        return pipeline

    yield make
    for pipeline in built:
        pipeline.bridge.outbox.close()


def test_the_runner_sends_exactly_the_topics_the_channel_map_names(pipeline_for, tmp_path):
    only_status = tmp_path / 'map.yaml'
    only_status.write_text('outbound:\n  - {topic: status, channel: rvm-status, event: status-updated, '
                           'delivery: latest}\ninbound: []\n')
    pipeline = pipeline_for(f'bridge:\n  ros__parameters:\n    channel_map_file: {only_status}\n')
    sent = []
    pipeline.bridge.publish = lambda topic, payload: sent.append(topic)
    for topic in (events.TOPIC_RVM_STATUS, events.TOPIC_HEALTH, events.TOPIC_VERDICT, events.TOPIC_SESSION):
        pipeline.bus.emit(topic, {'type': 'x'})
    assert sent == [events.TOPIC_RVM_STATUS]


def test_with_the_bundled_map_every_routed_topic_reaches_the_bridge(pipeline_for):
    pipeline = pipeline_for('')
    sent = []
    pipeline.bridge.publish = lambda topic, payload: sent.append(topic)
    for topic in (events.TOPIC_DETECTOR_STATUS, *sorted(pipeline.bridge.channel_map.routes)):
        pipeline.bus.emit(topic, {'type': 'x'})
    assert sent == sorted(pipeline.bridge.channel_map.routes)
    assert events.TOPIC_VERDICT in sent and events.TOPIC_DETECTOR_STATUS not in sent
