"""The runner behaves like the ROS graph: the channel map's outbound topics, the same tick rate."""

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
        # an empty params file is an error: "defaults" is a file with an empty /** section
        params.write_text(params_text or '/**:\n  ros__parameters: {}\n')
        args = argparse.Namespace(
            params=params, source='video.mp4', model=None, device='cpu', rvm_id='rvm-7',
            bridge_host=None, bridge_port=None, bridge_tls=None, api_base=None, app_key=None,
            app_id=None, outbox=str(tmp_path / f'o{len(built)}.sqlite3'),   # one owner each
            realtime=None, loop=None)
        pipeline = Pipeline(build_configs(args), **kw)
        built.append(pipeline)
        return pipeline

    yield make
    for pipeline in built:
        pipeline.bridge.outbox.close()


def test_the_runner_sends_exactly_the_topics_the_channel_map_names(pipeline_for, tmp_path):
    only_status = tmp_path / 'map.yaml'
    only_status.write_text(
        'outbound:\n  - {topic: status, channel: rvm-status, event: status-updated, '
        'delivery: latest}\ninbound: []\n'
    )
    pipeline = pipeline_for(f'bridge:\n  ros__parameters:\n    channel_map_file: {only_status}\n')
    sent = []
    pipeline.bridge.publish = lambda topic, payload: sent.append(topic)
    for topic in (
        events.TOPIC_RVM_STATUS, events.TOPIC_HEALTH, events.TOPIC_VERDICT, events.TOPIC_SESSION,
    ):
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


def test_the_status_tick_is_the_health_nodes_tick_period(pipeline_for):
    # HealthConfig.tick_period_s default
    assert pipeline_for('').status_period == pytest.approx(0.25)
    tuned = pipeline_for('health:\n  ros__parameters:\n    tick_period_s: 0.5\n')
    assert tuned.configs.health.tick_period_s == 0.5 and tuned.status_period == 0.5
    assert pipeline_for('', status_period=2.0).status_period == 2.0


def test_on_stop_the_runner_shuts_the_detector_down_like_the_node(pipeline_for):
    """The open session ends with reason 'shutdown' (DetectorCore.shutdown), not end_session."""
    import io

    out = io.StringIO()
    pipeline = pipeline_for('', out=out)
    calls = []
    summary = {'session_id': 's1', 'reason': 'shutdown', 'total': 1, 'accepted': 1, 'rejected': 0,
               'counts': {'pet_bottle': 1}}
    pipeline.camera.open = lambda: calls.append('open') or True    # (video.mp4 is empty)
    pipeline.detector.load = lambda: calls.append('load')
    pipeline.detector.shutdown = lambda: calls.append('shutdown') or [
        (events.TOPIC_SESSION, summary)]
    pipeline.detector.command = lambda payload: calls.append(('command', payload)) or []
    pipeline.run(keep_running=lambda: False, flush_timeout=0.0)
    assert calls == ['open', 'load', 'shutdown']       # the source is opened before the model
    assert pipeline.bus.counts[events.TOPIC_SESSION] == 1
    assert 'session s1 ended (shutdown): 1 items' in out.getvalue()
