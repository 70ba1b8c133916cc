"""Runner pieces that need no model: the topic bus, the console report and config building."""
import argparse
import io

import pytest

from rvm_bringup.item_report import ItemReport
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


def _args(**kw):
    base = dict(params=None, source='video.mp4', model=None, device=None, rvm_id=None,
                bridge_host=None, bridge_port=None, bridge_tls=None, api_base=None,
                app_key=None, app_id=None, outbox=None, realtime=False)
    base.update(kw)
    return argparse.Namespace(**base)


def test_build_configs_applies_cli_over_yaml(tmp_path):
    params = tmp_path / 'p.yaml'
    params.write_text('bridge:\n  ros__parameters:\n    host: from-yaml\n    port: 1234\n'
                      '/**:\n  ros__parameters:\n    rvm_id: rvm-yaml\n')
    configs = build_configs(_args(params=params, bridge_port=6001, bridge_tls='false',
                                  device='cpu'))
    assert configs.bridge.host == 'from-yaml' and configs.bridge.port == 6001
    assert configs.bridge.tls is False and configs.bridge.rvm_id == 'rvm-yaml'
    assert configs.detector.device == 'cpu' and configs.camera.source == 'video.mp4'
    assert configs.camera.loop is False


def test_bad_params_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match='params file not found'):
        build_configs(_args(params=tmp_path / 'nope.yaml'))
    bad = tmp_path / 'bad.yaml'
    bad.write_text('bridge:\n  ros__parameters:\n    port: many\n')
    with pytest.raises(ConfigError, match='expected an integer'):
        build_configs(_args(params=bad))


def test_cli_reports_a_missing_model_without_a_traceback(tmp_path, capsys):
    code = main(['run', '--source', str(tmp_path), '--model', str(tmp_path / 'missing.pt'),
                 '--outbox', str(tmp_path / 'o.db')])
    assert code == 2
    err = capsys.readouterr().err
    assert 'missing.pt' in err and 'Traceback' not in err

