"""Plain words on the console: -v without per-frame lines, token hints that name the variable,
a closing line that says why events remain queued, every params mistake at once, a bad source
said before the model loads, one source vocabulary, help on every option."""
import argparse
import io

import pytest

from rvm_bridge.connection.channel_auth import AuthConfigError, AuthRejected, ChannelAuthorizer, \
    token_provider
from rvm_bringup.item_report import (ItemReport, bridge_detail, bridge_words, detector_detail,
                                     queued_reason)
from rvm_bringup.run_config import build_configs
from rvm_bringup.runner import Pipeline, _parser
from rvm_common.log_redact import redact
from rvm_common.params import ConfigError


def test_redaction_masks_values_never_words():
    assert redact('no Bearer token is set') == 'no Bearer token is set'
    assert redact('Authorization: Bearer 12|Zx9-secret.value') == 'Authorization: Bearer ***'
    assert redact('bearer abcdefghijklmnopqrstuvwxyz') == 'bearer ***'     # long: a credential
    assert redact('token=abc123&x=1') == 'token=***&x=1'


class _Refusing:
    status_code = 401

    def post(self, *args, **kwargs):
        return self


def test_token_hints_name_the_environment_variable(monkeypatch):
    monkeypatch.delenv('RVM_TEST_TOKEN', raising=False)
    auth = ChannelAuthorizer('http://127.0.0.1:1/auth', token_provider('RVM_TEST_TOKEN'))
    with pytest.raises(AuthConfigError) as missing:
        auth.authorize('1.1', 'private-rvm.x')
    assert 'set $RVM_TEST_TOKEN' in redact(str(missing.value))
    monkeypatch.setenv('RVM_TEST_TOKEN', 'wrong-token-1234')
    auth = ChannelAuthorizer('http://127.0.0.1:1/auth', token_provider('RVM_TEST_TOKEN'),
                             session=_Refusing())
    with pytest.raises(AuthRejected) as refused:
        auth.authorize('1.1', 'private-rvm.x')
    text = redact(str(refused.value))
    assert 'check the Bearer token in $RVM_TEST_TOKEN' in text and '1234' not in text


def test_verbose_lines_change_with_states_not_with_frames():
    a = {'state': 'ready', 'frames_processed': 10, 'fps': 12.0, 'latency_ms': None,
         'item_state': 'empty', 'last_timings_ms': {'total': 70.0}}
    b = dict(a, frames_processed=14, fps=12.4, latency_ms=75.1, item_state='settling',
             last_timings_ms={'total': 81.0})
    assert detector_detail(a) == detector_detail(b) == 'ready'
    assert 'None' not in detector_detail(a)
    bridge = {'state': 'connected', 'sent': 3, 'outbox_depth': 2, 'reconnects': 0}
    assert bridge_detail(bridge) == bridge_detail(dict(bridge, sent=9, outbox_depth=5))
    out = io.StringIO()
    report = ItemReport(out, verbose=True)
    for status in (a, b, dict(b, state='error', last_error='model failed')):
        report.detail('detector', detector_detail(status))
    assert out.getvalue().splitlines() == [
        '  detector: ready', '  detector: error; last error: model failed']


BRIDGE_REFUSED = {
    'state': 'connected', 'last_error': '', 'outbox_depth': 4,
    'delivery': {'in_outbox': 4, 'queued': 4, 'stored': 0, 'awaiting_ack': 0, 'failed': 0,
                 'dead_lettered': 0, 'accepted_fanout': 1},
    'connection': {'subscriptions': {'timezone-updates': 'subscribed',
                                     'private-rvm.rvm-demo': 'auth_wait'},
                   'last_error': 'auth private-rvm.rvm-demo: auth endpoint refused channel '
                                 'private-rvm.rvm-demo (HTTP 401): check the Bearer token in '
                                 '$RVM_BRIDGE_TOKEN'}}


def test_closing_line_says_why_events_remain_queued():
    assert bridge_words(BRIDGE_REFUSED) == 'connected (private-rvm.rvm-demo not subscribed)'
    why = queued_reason(BRIDGE_REFUSED)
    assert why.startswith('private-rvm.rvm-demo not subscribed (auth_wait); auth ')
    assert '$RVM_BRIDGE_TOKEN' in why
    out = io.StringIO()
    ItemReport(out).summary({'frames': 120, 'seconds': 12.7, 'verdicts': 3,
                             'bridge': BRIDGE_REFUSED})
    line = out.getvalue().strip()
    assert line.startswith('done: 120 frames') and '4 durable events remain' in line
    assert line.endswith(why) and '; why: ' in line
    assert queued_reason(dict(BRIDGE_REFUSED, state='offline')) == ''
    assert queued_reason({'state': 'connected', 'delivery': {'in_outbox': 0}}) == ''


def args(**values):
    base = dict(source='sample', params=None, outbox=None, realtime=False, loop=False)
    return argparse.Namespace(**dict(base, **values))


def test_every_mistake_of_a_params_file_at_once_and_an_empty_file_is_an_error(tmp_path):
    bad = tmp_path / 'bad.yaml'
    bad.write_text('/**/camera:\n  ros__parameters:\n    fps: fast\n    sorce: x\n'
                   '/**/bridge:\n  ros__parameters:\n    port: many\n'
                   '/**/detectr:\n  ros__parameters: {}\n')
    with pytest.raises(ConfigError) as caught:
        build_configs(args(params=bad, outbox=tmp_path / 'o.sqlite3'))
    lines = str(caught.value).splitlines()
    assert lines[0] == '4 mistakes:'
    assert [line.strip().split(': ', 1)[1] for line in lines[1:]] == [
        "/**/camera: unknown key 'sorce' (did you mean 'source'?)",
        "unknown section '/**/detectr' (did you mean 'detector'?)",
        "camera.fps: expected a number, got 'fast'",
        "bridge.port: expected an integer, got 'many'"]
    empty = tmp_path / 'empty.yaml'
    empty.write_text('# nothing but a comment\n')
    with pytest.raises(ConfigError, match='empty.yaml: the params file is empty'):
        build_configs(args(params=empty, outbox=tmp_path / 'o.sqlite3'))


def test_a_corrupt_video_is_said_before_the_model_loads(tmp_path):
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(bytes(range(256)) * 8)
    out = io.StringIO()
    pipeline = Pipeline(build_configs(args(source=str(corrupt), outbox=tmp_path / 'o.sqlite3')),
                        out=out)
    with pytest.raises(ConfigError, match='corrupt.mp4: cannot decode video file'):
        pipeline.run()
    assert pipeline.detector.state == 'created'               # the model was never loaded
    assert 'model' not in out.getvalue()


def test_rvm_camera_record_takes_the_same_source_names(tmp_path):
    from rvm_camera.recorder import main as record
    assert record(['--source', 'sample', '-o', str(tmp_path / 'bag'), '--max-frames', '3']) == 0
    assert (tmp_path / 'bag' / 'metadata.yaml').is_file()


def test_every_option_has_help_words():
    from rvm_camera import recorder
    parsers = [('rvm-edge', _parser())]
    original = argparse.ArgumentParser.parse_args
    captured = []

    def grab(self, argv=None, namespace=None):
        captured.append(self)
        raise SystemExit(0)
    argparse.ArgumentParser.parse_args = grab
    try:
        with pytest.raises(SystemExit):
            recorder._parse_args([])
    finally:
        argparse.ArgumentParser.parse_args = original
    parsers.append(('rvm-camera-record', captured[0]))
    missing = []

    def walk(parser, name):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, subparser in action.choices.items():
                    walk(subparser, f'{name} {sub}')
            elif action.dest != 'help' and not (action.help or '').strip():
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    for name, parser in parsers:
        walk(parser, name)
    assert missing == []
