"""Runner pieces that need no model: the topic bus, the console report and config building."""
import argparse
import io
import logging

import pytest

from rvm_bringup.item_report import ItemReport, ProgressTicker
from rvm_bringup.run_config import build_configs
from rvm_bringup.runner import TopicBus, main
from rvm_common.params import ConfigError


def test_topic_bus_delivers_to_topic_and_wildcard_subscribers_and_counts():
    bus, seen = TopicBus(), []
    bus.subscribe('a', lambda t, p: seen.append(('a-sub', t, p['n'])))
    bus.subscribe(None, lambda t, p: seen.append(('all', t, p['n'])))
    bus.emit_all([('a', {'n': 1}), ('b', {'n': 2})])
    assert seen == [('a-sub', 'a', 1), ('all', 'a', 1), ('all', 'b', 2)]
    assert bus.counts == {'a': 1, 'b': 1}


def test_item_report_lines_are_readable():
    out = io.StringIO()
    report = ItemReport(out)
    report.verdict({'category': 'pet_bottle', 'confidence': 0.912, 'accepted': True,
                    'bbox': {'x1': 1, 'y1': 2, 'x2': 30, 'y2': 40},
                    'mask': {'area_fraction': 0.114}, 'timings_ms': {'total': 84.2},
                    'item_id': '3f2a9c1e-aaaa'})
    report.verdict({'category': 'other', 'confidence': 0.4, 'accepted': False,
                    'reason': 'category_not_accepted', 'mask': None})
    first, second = out.getvalue().splitlines()
    assert first.startswith('item   1  pet_bottle') and 'ACCEPT' in first and '11.4%' in first
    assert 'REJECT (category_not_accepted)' in second and 'no mask' in second


@pytest.fixture(autouse=True)
def _video(tmp_path, monkeypatch):
    """A file named video.mp4 in the working directory (sources are checked to exist)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'video.mp4').write_bytes(b'')
    monkeypatch.delenv('RVM_EDGE_PARAMS', raising=False)


def _args(**kw):
    base = dict(params=None, source='video.mp4', model=None, device=None, rvm_id=None,
                bridge_host=None, bridge_port=None, bridge_tls=None, api_base=None,
                app_key=None, app_id=None, outbox='o.sqlite3', realtime=None, loop=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_build_configs_applies_cli_over_yaml(tmp_path):
    params = tmp_path / 'p.yaml'
    params.write_text(
        'bridge:\n  ros__parameters:\n    host: from-yaml\n    port: 1234\n    app_key: k\n'
        '/**:\n  ros__parameters:\n    rvm_id: rvm-yaml\n'
    )
    # video.mp4 is demo data: a server not on this machine needs --send-demo-data (issue 25)
    configs = build_configs(_args(params=params, bridge_port=6001, bridge_tls='false',
                                  device='cpu', send_demo_data=True))
    assert configs.bridge.host == 'from-yaml' and configs.bridge.port == 6001
    assert configs.bridge.tls is False and configs.bridge.rvm_id == 'rvm-yaml'
    assert configs.detector.device == 'cpu' and configs.camera.source == 'video.mp4'
    assert configs.camera.loop is False


def test_bad_params_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match='params file not found'):
        build_configs(_args(params=tmp_path / 'nope.yaml'))
    bad = tmp_path / 'bad.yaml'
    bad.write_text('bridge:\n  ros__parameters:\n    port: many\n')
    with pytest.raises(
        ConfigError, match="bad.yaml: bridge.port: expected an integer, got 'many'"
    ):
        build_configs(_args(params=bad))


def test_cli_reports_a_missing_model_without_a_traceback(tmp_path, capsys):
    (tmp_path / 'p.yaml').write_text('/**:\n  ros__parameters: {}\n')
    code = main(['run', '--source', 'sample', '--model', str(tmp_path / 'missing.pt'),
                 '--outbox', str(tmp_path / 'o.db'), '--params', str(tmp_path / 'p.yaml')])
    assert code == 2
    err = capsys.readouterr().err
    assert 'missing.pt' in err and 'Traceback' not in err


def _yaml(tmp_path, text, name='p.yaml'):
    path = tmp_path / name
    path.write_text(text or '/**:\n  ros__parameters: {}\n')     # empty: the defaults
    return path


def test_yaml_is_the_base_for_source_realtime_and_loop(tmp_path):
    (tmp_path / 'yaml_video.mp4').write_bytes(b'')
    params = _yaml(tmp_path, '/**/camera:\n  ros__parameters:\n    source: yaml_video.mp4\n'
                             '    realtime: true\n    loop: true\n')
    configs = build_configs(_args(params=params, source=None))
    assert (configs.camera.source, configs.camera.realtime, configs.camera.loop) == (
        'yaml_video.mp4', True, True)
    assert configs.source_origin == f'{params} camera.source' and configs.params_file == params
    configs = build_configs(_args(params=params, realtime=False, loop=False))
    assert (configs.camera.source, configs.camera.realtime, configs.camera.loop) == (
        'video.mp4', False, False)
    assert configs.source_origin == '--source'


def test_a_yaml_source_that_does_not_exist_is_an_error_naming_its_origin(tmp_path):
    params = _yaml(tmp_path, 'camera:\n  ros__parameters:\n    source: /nowhere/clip.mp4\n')
    with pytest.raises(ConfigError, match=r'camera source \(.*p\.yaml camera\.source\): '
                                          r'/nowhere/clip\.mp4 does not exist'):
        build_configs(_args(params=params, source=None))


def test_source_sample_is_the_bundled_video(tmp_path):
    from rvm_bringup.run_config import DEFAULT_SAMPLE
    if not DEFAULT_SAMPLE.is_file():
        pytest.skip('bundled sample not rendered')
    configs = build_configs(_args(source='sample', params=_yaml(tmp_path, '')))
    assert configs.camera.source == str(DEFAULT_SAMPLE)


@pytest.mark.parametrize(
    'text,message',
    [
        (
            'camra:\n  ros__parameters:\n    fps: 1.0\n',
            "p.yaml: unknown section 'camra' (did you mean 'camera'?)"),
        (
            'camera:\n  ros__parameters:\n    fsp: 1.0\n',
            "p.yaml: camera: unknown key 'fsp' (did you mean 'fps'?)"),
        (
            'camera:\n  ros__parameters:\n    fps: fast\n',
            "p.yaml: camera.fps: expected a number, got 'fast'"),
        (
            'detector:\n  ros__parameters:\n    conf: 1.5\n',
            'p.yaml: detector.conf: 1.5 is outside 0..1'),
        (
            '/**/camera:\n  ros__parameters:\n    jpeg_quality: 0\n',
            'p.yaml: camera.jpeg_quality: 0 is out of range (allowed: 1..100)'),
        ('/**:\n  ros__parameters:\n    rvm_id: a.b\n', "rvm_id 'a.b' is not a valid machine id"),
        ('camera:\n  ros__parameters:\n    fps: [1\n', 'p.yaml is not valid YAML (line 4')],
)
def test_config_errors_name_file_section_and_key(tmp_path, text, message):
    params = _yaml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        build_configs(_args(params=params))
    assert message in str(info.value)


def test_outbox_that_cannot_be_created_says_it_is_the_outbox(tmp_path):
    with pytest.raises(ConfigError, match=r'outbox path /proc/nope/x \(--outbox\): cannot create '
                                          r'its folder /proc/nope'):
        build_configs(_args(params=_yaml(tmp_path, ''), outbox='/proc/nope/x'))


@pytest.mark.parametrize(
    'argv,message',
    [
        (['--max-frames', '-5'], 'argument --max-frames: -5 is out of range (allowed: >= 0)'),
        (
            ['--bridge-port', '70000'],
            'argument --bridge-port: 70000 is out of range (allowed: 1..65535)'),
        (['--linger', 'soon'], "argument --linger: expected a number, got 'soon'")],
)
def test_cli_values_are_range_checked(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(['run'] + argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_progress_is_due_every_period_with_the_rate_since_the_last_line():
    ticker = ProgressTicker(5.0, start=100.0)
    assert ticker.due(104.9, 40) is None
    assert ticker.due(105.0, 50) == pytest.approx(10.0)
    assert ticker.due(107.0, 70) is None
    assert ticker.due(115.0, 70) == pytest.approx(2.0)


def test_offline_time_sync_says_skipped_and_banner_aligns():
    out = io.StringIO()
    report = ItemReport(out, online=False)
    report.timezone({'status': 'failed', 'timezone': 'UTC', 'utc_offset': '+00:00'})
    report.banner([('machine', 'rvm-a'), ('server', 'offline: outbox only')])
    assert out.getvalue().splitlines() == ['time sync: skipped: no server configured',
                                           'rvm-edge: machine   rvm-a',
                                           'rvm-edge: server    offline: outbox only']


def test_verbose_detail_lines_are_printed_only_when_they_change():
    out = io.StringIO()
    report = ItemReport(out, verbose=True)
    for text in ('connected, sent 1', 'connected, sent 1', 'connected, sent 2'):
        report.detail('bridge', text)
    assert out.getvalue().splitlines() == [
        '  bridge: connected, sent 1', '  bridge: connected, sent 2']
    quiet = io.StringIO()
    ItemReport(quiet).detail('bridge', 'x')
    assert quiet.getvalue() == ''


def test_params_lookup_order_env_then_checkout_then_installed_share(tmp_path, monkeypatch):
    from rvm_bringup import run_config
    env_file = _yaml(tmp_path, '', 'env.yaml')
    monkeypatch.setenv('RVM_EDGE_PARAMS', str(env_file))
    assert run_config.find_params_file(None) == env_file
    explicit = _yaml(tmp_path, '', 'explicit.yaml')
    assert run_config.find_params_file(explicit) == explicit
    monkeypatch.delenv('RVM_EDGE_PARAMS')
    share = tmp_path / 'install' / 'rvm_bringup' / 'share' / 'rvm_bringup' / 'config'
    share.mkdir(parents=True)
    (share / 'rvm_edge.params.yaml').write_text('')
    monkeypatch.setattr(run_config, 'DEFAULT_PARAMS', tmp_path / 'no-checkout' / 'x.yaml')
    monkeypatch.setenv('AMENT_PREFIX_PATH', str(tmp_path / 'install' / 'rvm_bringup'))
    assert run_config.find_params_file(None) == share / 'rvm_edge.params.yaml'
    with pytest.raises(ConfigError, match=r'params file not found: .*missing.yaml \(--params\)'):
        run_config.find_params_file(tmp_path / 'missing.yaml')


def test_an_offline_time_sync_is_no_warning(caplog):
    from rvm_bridge.timezone_sync import TimezoneSync
    with caplog.at_level(logging.INFO, logger='rvm_bridge.timezone_sync'):
        payload = TimezoneSync(url='').sync()
    assert payload['status'] == 'failed'
    assert [r.levelname for r in caplog.records] == ['INFO']


def test_a_non_numeric_app_id_is_a_config_error_not_a_traceback(tmp_path):
    with pytest.raises(ConfigError, match=r"app id 'ID' \(--app-id\): must be digits"):
        build_configs(_args(params=_yaml(tmp_path, ''), bridge_host='h', app_key='k', app_id='ID',
                            send_demo_data=True))     # (a video's verdicts to a remote server)


def test_start_facts_say_what_the_run_uses_and_never_a_secret(tmp_path):
    from rvm_bringup.run_banner import start_facts
    offline = build_configs(
        _args(params=_yaml(tmp_path, ''), source='/dev/video99', rvm_id='rvm-7'))
    facts = dict(start_facts(offline, queued=4))
    assert facts['machine'] == 'rvm-7' and facts['server'].startswith('offline: outbox only')
    assert facts['source'].startswith('/dev/video99 (') and 'from --source' in facts['source']
    assert 'not present: waiting' in facts['source'] and facts['outbox'].endswith('(4 queued)')
    assert facts['params'] == str(tmp_path / 'p.yaml')
    online = build_configs(
        _args(
            params=_yaml(tmp_path, ''), bridge_host='ws.example', bridge_port=443, app_key='KEY',
            api_base='https://u:pw@api.example/x?token=abc', send_demo_data=True)
    )
    server = dict(start_facts(online, queued=0))['server']
    assert server.startswith('wss://ws.example:443 (app key KEY)') and 'api.example' in server
    assert 'pw' not in server and 'abc' not in server


def test_progress_line_names_frames_rate_items_queue_and_states():
    out = io.StringIO()
    report = ItemReport(out)
    report.items = 3
    report.progress(120, 9.96, 2, 'connected', 'streaming')
    assert out.getvalue() == ('progress: 120 frames (10.0 frames/s), 3 items, outbox queue 2, '
                              'camera streaming, bridge connected\n')
