"""The guide's own PHP (docs/laravel), run by php-cli against small fakes, works as documented.

With the fakes of tests/support/laravel_fakes.php, the Reverb listener, the storing job and
store, the channel callback, the api transport endpoint and the manual-sync / command endpoints
behave as docs/laravel.md says.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from rvm_common.contract import errors as schema_errors
from support.php_cli import php_binary

ROOT = Path(__file__).resolve().parents[1]
PHP_DIR = ROOT / 'docs' / 'laravel'
ACK_EVENT = 'events-stored'
FAKES = ROOT / 'tests' / 'support' / 'laravel_fakes.php'
VERDICT = {
    'type': 'detection-completed', 'version': 1,
    'event_id': '0b8f6f0e-3c9a-4d7e-9a54-6d3f1f2b9c11', 'rvm_id': 'rvm-001',
    'timestamp': '2026-11-26T10:54:23.180Z', 'outbox_id': '7d1f0c2e-5a4b-4c3d-9e8f-0a1b2c3d4e5f',
    'seq': 1, 'item_id': 'item-1', 'session_id': 's-1', 'category': 'pet',
    'class_name': 'pet_bottle', 'confidence': 0.91, 'accepted': True, 'reason': None,
    'capture_time': '2026-11-26T10:54:23.120Z', 'timings_ms': {}}
SCHEMAS = ROOT / 'src' / 'rvm_common' / 'rvm_common' / 'schemas'


def schema_example(event_type: str, **changes) -> dict:
    example = json.loads((SCHEMAS / f'{event_type}.json').read_text())['examples'][0]
    return {**example, **changes}


STATUS = schema_example('status-updated', event_id='11111111-0000-4000-8000-000000000001')
HEALTH = schema_example('health-updated', event_id='11111111-0000-4000-8000-000000000002',
                        temperatures={})                      # {} must come back as {}
TIMEZONE = schema_example('timezone-synced', event_id='11111111-0000-4000-8000-000000000003')
SESSION = {
    'type': 'session-completed', 'version': 1, 'event_id': '5d0c1c3e-8f1e-4b7a-a0f3-2b8f0d7c6e21',
    'rvm_id': 'rvm-001', 'timestamp': '2026-11-26T10:55:12.500Z',
    'outbox_id': '7d1f0c2e-5a4b-4c3d-9e8f-0a1b2c3d4e5f', 'seq': 2, 'session_id': 's-1',
    'started_at': '2026-11-26T10:54:00.000Z', 'ended_at': '2026-11-26T10:55:12.500Z',
    'reason': 'idle_timeout', 'counts': {}, 'accepted': 0, 'rejected': 0, 'total': 0}


def compact(payload: dict) -> str:
    return json.dumps(payload, separators=(',', ':'))


def run_php(tmp_path, scenario: str) -> dict:
    """Run ``scenario`` (PHP statements) after the fakes; returns what the fakes recorded."""
    script = tmp_path / 'scenario.php'
    script.write_text(
        f"<?php\nrequire {json.dumps(str(FAKES))};\n{scenario}\necho json_encode(['log' =>"
        " Fake::$log, 'tables' => Fake::$tables, 'cache' => Fake::$cache],"
        " JSON_UNESCAPED_SLASHES);\n"
    )
    out = subprocess.run([php_binary(), str(script)], capture_output=True, text=True, timeout=60,
                         env={'LARAVEL_DOCS': str(PHP_DIR), 'PATH': '/usr/bin:/bin'})
    assert out.returncode == 0 and out.stdout.startswith('{'), out.stdout + out.stderr
    return json.loads(out.stdout)


def php_string(text: str) -> str:
    return "'" + text.replace('\\', '\\\\').replace("'", "\\'") + "'"


def frame_scenario(frame: dict | str, *, socket: str = '1.1', recorded: str | None = 'rvm-001',
                   accept: str = 'members') -> str:
    message = frame if isinstance(frame, str) else compact(frame)
    remember = (
        f"App\\Support\\MachineSockets::remember('{socket}', '{recorded}');" if recorded else '')
    return (
        f"{remember}\n(new App\\Listeners\\StoreEdgeClientEvents)->handle(new"
        " Laravel\\Reverb\\Events\\MessageReceived(new"
        f" Laravel\\Reverb\\Contracts\\Connection('{socket}', new"
        f" Laravel\\Reverb\\Application('{accept}')), {php_string(message)}));"
    )


def client_frame(
    event: dict, *, data_as_string: bool = False, channel: str = 'private-rvm.rvm-001'
) -> dict:
    return {'event': f"client-{event['type']}", 'channel': channel,
            'data': compact(event) if data_as_string else event}


def test_listener_queues_a_machines_durable_client_event_as_sent(tmp_path):
    got = run_php(tmp_path, frame_scenario(client_frame(SESSION)))
    [job] = got['log']['dispatch']
    assert job['rvmId'] == 'rvm-001' and job['payloads'] == [compact(SESSION)]   # {} stays {}
    assert 'disconnect' not in got['log']
    got = run_php(tmp_path, frame_scenario(client_frame(VERDICT, data_as_string=True)))
    assert got['log']['dispatch'][0]['payloads'] == [compact(VERDICT)]


@pytest.mark.parametrize(
    'frame',
    [
        {'event': 'pusher:ping', 'data': {}},
        {
            'event': 'client-manual-sync', 'channel': 'private-rvm.rvm-001',
            'data': {'requested_by': 'x'}},
        {
            'event': 'client-command', 'channel': 'private-rvm.rvm-001',
            'data': {'command': 'end_session'}},
        client_frame(VERDICT, channel='detection-results'),
        client_frame(VERDICT, channel='private-rvm.rvm.001'), 'not json'],
)
def test_listener_ignores_other_frames(tmp_path, frame):
    got = run_php(tmp_path, frame_scenario(frame))
    assert 'dispatch' not in got['log'] and 'disconnect' not in got['log']


def test_listener_stores_nothing_when_reverb_refused_client_events(tmp_path):
    got = run_php(tmp_path, frame_scenario(client_frame(VERDICT), accept='none'))
    assert 'dispatch' not in got['log'] and 'disconnect' not in got['log']


@pytest.mark.parametrize('recorded', [None, 'rvm-002'])
def test_listener_refuses_a_socket_not_authorized_as_that_machine(tmp_path, recorded):
    got = run_php(tmp_path, frame_scenario(client_frame(VERDICT), recorded=recorded))
    assert 'dispatch' not in got['log']
    assert got['log']['disconnect'] == ['1.1']
    assert 'did not authorize as machine rvm-001' in got['log']['warning'][0]


def job_scenario(payloads: list[str], *, runs: int = 1, machine: str = 'rvm-001') -> str:
    items = ', '.join(php_string(p) for p in payloads)
    return (
        f"Fake::$tables[App\\Models\\Machine::class]['{machine}'] = new App\\Models\\Machine("
        f"['id' => 7, 'code' => '{machine}']);\n"
        + f"(new App\\Jobs\\StoreEdgeEvents('rvm-001', [{items}]))->handle(new"
        " App\\Services\\EdgeEventStore);\n"
        * runs
    )


def test_job_stores_once_by_event_id_acknowledges_and_relays(tmp_path):
    wrong_machine = {
        **VERDICT, 'event_id': 'aaaaaaaa-0000-4000-8000-000000000001', 'rvm_id': 'rvm-002'}
    payloads = [compact(VERDICT), compact(VERDICT), compact(wrong_machine), compact(SESSION),
                compact({**SESSION, 'event_id': 'x'}), '[]']
    got = run_php(tmp_path, job_scenario(payloads, runs=2))
    broadcasts = got['log']['broadcast']
    acks = [b for b in broadcasts if b['as'] == ACK_EVENT]
    expected_ack = {'type': ACK_EVENT, 'version': 1, 'rvm_id': 'rvm-001',
                    'event_ids': [VERDICT['event_id'], VERDICT['event_id'], SESSION['event_id']]}
    # re-run: acked again
    assert [json.loads(a['with']) for a in acks] == [expected_ack, expected_ack]
    assert {a['on'][0] for a in acks} == {'private-rvm.rvm-001'}
    relays = [b for b in broadcasts if b['as'] != ACK_EVENT]
    assert [(r['as'], r['on']) for r in relays] == [('detection-completed', ['detection-results']),
                                                    ('session-completed', ['detection-results'])]
    assert json.loads(relays[1]['with']) == SESSION and '"counts":{}' in relays[1]['with']
    events = got['tables']['App\\Models\\RvmEvent']
    assert sorted(events) == sorted([VERDICT['event_id'], SESSION['event_id']])
    row = events[VERDICT['event_id']]
    assert (row['machine_id'], row['outbox_id'], row['seq'], row['edge_timestamp']) == (
        7, VERDICT['outbox_id'], 1, '2026-11-26 10:54:23.180')
    assert row['payload'] == compact(VERDICT)
    [detection] = got['tables']['App\\Models\\Detection'].values()
    assert (
        detection['accepted'], detection['category'], detection['confidence'],
        detection['captured_at']) == (True, 'pet', 0.91, '2026-11-26 10:54:23.120')
    warnings = ' | '.join(got['log']['warning'])
    assert 'rvm_id "rvm-002" is not this machine\'s code rvm-001' in warnings
    assert 'event_id missing or malformed' in warnings and 'not a JSON object' in warnings


def test_job_for_an_unknown_machine_stores_and_acknowledges_nothing(tmp_path):
    got = run_php(tmp_path, job_scenario([compact(VERDICT)], machine='rvm-009'))
    assert 'broadcast' not in got['log'] and 'App\\Models\\RvmEvent' not in got['tables']
    assert 'no machine with code rvm-001' in got['log']['warning'][0]


def channel_scenario(who: str, channel_id: str, abilities: list[str], gate: bool) -> str:
    return (
        f"Fake::$request = ['socket_id' => '5.5'];\nFake::$allow = {json.dumps(gate)};\nrequire"
        f" getenv('LARAVEL_DOCS').'/routes/channels.php';\n$who = new App\\Models\\{who}(['id' =>"
        " 1, 'code' => 'rvm-001', 'email' => 'ops@x']);\n$who->tokenAbilities ="
        f" {json.dumps(abilities)};\nFake::record('result',"
        f" (Fake::$channels['rvm.{{rvmId}}'])($who, '{channel_id}'));"
    )


@pytest.mark.parametrize('who, channel_id, abilities, gate, allowed', [
    ('Machine', 'rvm-001', ['rvm:rvm-001'], True, True),
    ('Machine', 'rvm-002', ['rvm:rvm-002'], True, False),     # another machine's channel
    ('Machine', 'rvm-001', ['rvm:operate'], True, False),     # token without its ability
    ('User', 'rvm-001', ['rvm:operate'], False, False),       # the operate-machine gate says no
    ('User', 'rvm-001', ['rvm:operate'], True, True),         # an operator
])
def test_channel_callback_admits_a_machine_to_its_own_channel_only(
    tmp_path, who, channel_id, abilities, gate, allowed
):
    got = run_php(tmp_path, channel_scenario(who, channel_id, abilities, gate))
    assert got['log']['result'] == [allowed]
    # only a machine's own, authorized socket is recorded for the listener (never an operator's)
    recorded = {'rvm-edge:socket:5.5': 'rvm-001'} if allowed and who == 'Machine' else {}
    assert (got['cache'] or {}) == recorded
    if who == 'User':
        assert got['log']['can'] == [['operate-machine', channel_id]]


def controller_scenario(who: str, abilities: list[str], call: str, *, gate: bool = True) -> str:
    """``call`` uses $who (Machine rvm-001 or User ops@x); aborts and responses are recorded."""
    return (
        f"Fake::$allow = {json.dumps(gate)};\n"
        f"$who = new App\\Models\\{who}(['id' => 7, 'code' => 'rvm-001', 'email' => 'ops@x']);\n"
        f"$who->tokenAbilities = {json.dumps(abilities)};\n"
        f"try {{ $r = {call}; Fake::record('response', [$r->status, $r->data]); }}\n"
        "catch (FakeAbort $e) { Fake::record('abort', [$e->getCode(), $e->getMessage()]); }"
    )


def events_call(body: str) -> str:
    return (
        "(new App\\Http\\Controllers\\EdgeEventsController)(new Illuminate\\Http\\Request($who,"
        f" [], {php_string(body)}), new App\\Services\\EdgeEventStore)"
    )


def test_api_transport_answers_exactly_the_stored_event_ids(tmp_path):
    wrong = {**VERDICT, 'event_id': 'aaaaaaaa-0000-4000-8000-000000000001', 'rvm_id': 'rvm-002'}
    body = json.dumps({'events': [VERDICT, VERDICT, wrong, SESSION]})
    got = run_php(tmp_path, controller_scenario('Machine', ['rvm:rvm-001'], events_call(body)))
    [[status, answer]] = got['log']['response']
    assert status == 200
    assert answer['stored'] == [VERDICT['event_id'], VERDICT['event_id'], SESSION['event_id']]
    assert [r['event_id'] for r in answer['rejected']] == [wrong['event_id']]
    # the HTTP answer is the acknowledgement: no events-stored; new events relayed once, {} intact
    assert [b['as'] for b in got['log']['broadcast']] == [
        'detection-completed', 'session-completed']
    assert '"timings_ms":{}' in got['log']['broadcast'][0]['with']


@pytest.mark.parametrize('who, abilities, body, status', [
    ('Machine', ['rvm:rvm-002'], '{"events": []}', 403),          # another machine's token
    ('User', ['rvm:operate'], '{"events": []}', 403),             # not a machine
    ('Machine', ['rvm:rvm-001'], '[]', 422),
    ('Machine', ['rvm:rvm-001'], '{"events": {}}', 422),
    ('Machine', ['rvm:rvm-001'], json.dumps({'events': [VERDICT] * 101}), 422),
])
def test_api_transport_refuses_with_a_clear_json_error(tmp_path, who, abilities, body, status):
    got = run_php(tmp_path, controller_scenario(who, abilities, events_call(body)))
    [[code, answer]] = got['log']['response']
    assert code == status and answer['message'] and 'broadcast' not in got['log']


def control_call(method: str, data: dict, *args: str) -> str:
    extra = ''.join(f", '{a}'" for a in args)
    return (
        f"(new App\\Http\\Controllers\\MachineControlController)->{method}(new"
        f" Illuminate\\Http\\Request($who, json_decode({php_string(json.dumps(data))},"
        f" true)){extra})"
    )


def test_manual_sync_from_a_machine_token_is_a_clear_403_not_a_500(tmp_path):
    got = run_php(
        tmp_path, controller_scenario('Machine', ['rvm:rvm-001'], control_call('manualSync', {})))
    assert got['log']['abort'] == [
        [403, 'A machine token cannot request syncs or commands; use an operator token.']]
    assert 'broadcast' not in got['log']


@pytest.mark.parametrize(
    'data, channel',
    [
        (
            {'timezone': 'Asia/Jakarta', 'request_id': 'r-1', 'requested_by': 'forged'},
            'timezone-updates'),
        ({'rvm_id': 'rvm-001', 'request_id': 'r-1'}, 'private-rvm.rvm-001'),
    ],
)
def test_manual_sync_from_an_operator(tmp_path, data, channel):
    got = run_php(
        tmp_path, controller_scenario('User', ['rvm:operate'], control_call('manualSync', data)))
    [[status, answer]] = got['log']['response']
    assert status == 202 and answer['request_id'] == 'r-1'
    [sent] = got['log']['broadcast']
    assert (sent['as'], sent['on']) == ('manual-sync', [channel])
    expected = {'requested_by': 'ops@x', 'request_id': 'r-1'}
    if 'timezone' in data:
        expected['timezone'] = data['timezone']
    assert json.loads(sent['with']) == expected


def test_commands_go_to_the_machine_channel_as_server_events(tmp_path):
    call = control_call('command', {'command': 'end_session'}, 'rvm-001')
    got = run_php(tmp_path, controller_scenario('User', ['rvm:operate'], call))
    assert got['log']['response'][0][0] == 202
    [sent] = got['log']['broadcast']
    assert (sent['as'], sent['on']) == ('command', ['private-rvm.rvm-001'])
    assert json.loads(sent['with']) == {'command': 'end_session', 'requested_by': 'ops@x',
                                        'request_id': '00000000-0000-4000-8000-000000000000'}
    refused = run_php(tmp_path, controller_scenario('User', ['rvm:operate'], call, gate=False))
    assert refused['log']['abort'][0][0] == 403 and 'broadcast' not in refused['log']
    listed = run_php(tmp_path, controller_scenario('User', ['rvm:operate'], control_call(
        'command', {'command': 'end_session', 'args': [1]}, 'rvm-001')))
    assert listed['log']['abort'] == [[422, 'args must be a JSON object.']]


# ---- status, health and timezone: relayed to dashboards, kept for the state endpoint ---------

def latest_frames(*events: dict) -> str:
    return '\n'.join(frame_scenario(client_frame(e)) for e in events)


def test_listener_relays_every_latest_event_and_queues_only_new_ones(tmp_path):
    repeat = {**STATUS, 'event_id': '11111111-0000-4000-8000-000000000009', 'heartbeat': True}
    health_again = {**HEALTH, 'event_id': '11111111-0000-4000-8000-000000000008'}
    got = run_php(tmp_path, latest_frames(STATUS, repeat, HEALTH, health_again, TIMEZONE))
    relays = got['log']['relay']
    assert [(r['channel'], r['event']) for r in relays] == [
        ('rvm-status', 'status-updated'), ('rvm-status', 'status-updated'),
        ('rvm-status', 'health-updated'), ('rvm-status', 'health-updated'),
        ('timezone-updates', 'timezone-synced')]
    assert [json.loads(r['data']) for r in relays] == [
        STATUS, repeat, HEALTH, health_again, TIMEZONE]
    assert '"temperatures":{}' in relays[2]['data']
    # the heartbeat repeats what is stored; the second health comes within the minute
    assert [(j['kind'], json.loads(j['payload'])) for j in got['log']['dispatch']] == [
        ('status', STATUS), ('health', HEALTH), ('timezone', TIMEZONE)]


def test_listener_neither_relays_nor_keeps_a_forged_or_malformed_status(tmp_path):
    got = run_php(tmp_path, frame_scenario(client_frame(STATUS), recorded='rvm-002'))
    assert 'relay' not in got['log'] and 'dispatch' not in got['log']
    assert got['log']['disconnect'] == ['1.1']
    got = run_php(tmp_path, frame_scenario({**client_frame(STATUS), 'data': '[1]'}))
    assert 'relay' not in got['log'] and 'dispatch' not in got['log']
    assert 'status-updated of machine rvm-001 is not a JSON object' in got['log']['warning'][0]


def state_call() -> str:
    return ("(new App\\Http\\Controllers\\MachineStateController)"
            "(new Illuminate\\Http\\Request($who), 'rvm-001')")


def store_job(event: dict) -> str:
    job = f"App\\Jobs\\StoreMachineState('rvm-001', 'status', {php_string(compact(event))})"
    return f"(new {job})->handle();\n"


def test_state_endpoint_answers_the_kept_status_health_and_timezone(tmp_path):
    older = {**STATUS, 'event_id': '11111111-0000-4000-8000-000000000007', 'state': 'idle',
             'timestamp': '2026-11-26T10:50:00.000Z'}
    late = store_job(older)
    scenario = (
        latest_frames(STATUS, HEALTH, TIMEZONE)
        + "\nFake::$tables[App\\Models\\Machine::class]['rvm-001'] = new App\\Models\\Machine("
        "['id' => 7, 'code' => 'rvm-001']);\n"
        "foreach (Fake::$log['dispatch'] as $job) { $job->handle(); }\n"
        + late + controller_scenario('User', ['rvm:operate'], state_call()))
    got = run_php(tmp_path, scenario)
    [[code, state]] = got['log']['response']
    assert code == 200 and state['rvm_id'] == 'rvm-001' and state['verdicts'] == []
    # the older status queued late did not replace the newer one
    assert (state['status'], state['health'], state['timezone']) == (STATUS, HEALTH, TIMEZONE)
    for kept in (state['status'], state['health'], state['timezone']):
        assert schema_errors(kept) == []
    rows = got['tables']['App\\Models\\MachineState']
    assert sorted(rows) == ['7 health', '7 status', '7 timezone']
    assert rows['7 status']['edge_timestamp'] == '2026-11-26 10:54:25.004'


def test_state_endpoint_answers_null_for_what_it_does_not_keep(tmp_path):
    scenario = (
        "Fake::$tables[App\\Models\\Machine::class]['rvm-001'] = new App\\Models\\Machine("
        "['id' => 7, 'code' => 'rvm-001']);\n"
        + store_job({**STATUS, 'rvm_id': 'rvm-002'})
        + controller_scenario('User', ['rvm:operate'], state_call()))
    got = run_php(tmp_path, scenario)
    [[code, state]] = got['log']['response']
    assert code == 200
    assert (state['status'], state['health'], state['timezone']) == (None, None, None)
    assert 'not kept' in got['log']['warning'][0]
