"""docs/laravel.md and its PHP files (docs/laravel/): valid PHP, one copy, the shared contract.

Every PHP file is linted with ``php -l`` (Debian's php-cli, installed by scripts/setup); every PHP
block of the guide is one of those files, byte for byte; every event name, channel and payload
field the PHP and the guide's channel table use exists in the contract's schemas
(src/rvm_common/rvm_common/schemas/) and in the bridge's
channel map (read at test time); and the channel pattern accepts every machine id the schema does.
"""
from __future__ import annotations

import json
import re
import string
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from support.php_cli import php_binary

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / 'docs' / 'laravel.md'
PHP_DIR = ROOT / 'docs' / 'laravel'
SCHEMAS = ROOT / 'src' / 'rvm_common' / 'rvm_common' / 'schemas'
CHANNEL_MAP = ROOT / 'src' / 'rvm_bridge' / 'rvm_bridge' / 'config' / 'channel_map.yaml'
PHP_FILES = sorted(PHP_DIR.rglob('*.php'))
DURABLE = ('detection-completed', 'session-completed', 'processing-updated')
ACK_EVENT = 'events-stored'


def source(relative: str) -> str:
    return (PHP_DIR / relative).read_text()


def rel(path: Path) -> str:
    return path.relative_to(PHP_DIR).as_posix()


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    path = SCHEMAS / f'{name}.json'
    assert path.is_file(), f'{SCHEMAS}/{name}.json is missing (used by docs/laravel)'
    return json.loads(path.read_text())


def properties(name: str) -> set[str]:
    return set(schema(name).get('properties', {}))


def channel_map() -> dict:
    return yaml.safe_load(CHANNEL_MAP.read_text())


def map_channels() -> set[str]:
    data = channel_map()
    return {r['channel'] for r in data['outbound']} | {s['channel'] for s in data['inbound']}


def map_events() -> set[str]:
    data = channel_map()
    return {r['event'] for r in data['outbound']} | {
        e for s in data['inbound'] for e in s['events']}


def durable_client_event_channels() -> set[str]:
    return {r['channel'] for r in channel_map()['outbound']
            if r.get('delivery') == 'durable' and r.get('transport') == 'client-event'}


def quoted(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def const_array(relative: str, name: str) -> str:
    match = re.search(rf'const {name} = \[(.*?)\];', source(relative), re.S)
    assert match, f'{relative}: const {name} not found'
    return match.group(1)


def const_string(relative: str, name: str) -> str:
    match = re.search(rf"const {name} = '([^']*)';", source(relative))
    assert match, f'{relative}: const {name} not found'
    return match.group(1)


def method_body(relative: str, method: str) -> str:
    match = re.search(rf'function {method}\(.*?\n    \}}\n', source(relative), re.S)
    assert match, f'{relative}: {method}() not found'
    return match.group(0)


def laravel_channel(name: str) -> str:
    """A channel name as the edge's map writes it: private- prefix, {rvm_id} placeholder."""
    return re.sub(r'\{\$?[\w>-]+\}', '{rvm_id}', name)


def guide_blocks() -> list[tuple[str, str, int]]:
    """Fenced code blocks of the guide: (language, content, offset)."""
    text = GUIDE.read_text()
    return [(m.group(1), m.group(2), m.start())
            for m in re.finditer(r'^```(\w*)\n(.*?)^```$', text, re.S | re.M)]


# ---- PHP is valid, and the guide holds exactly these files -------------------------------------

def test_php_cli_is_installed():
    out = subprocess.run([php_binary(), '--version'], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith('PHP 8'), out.stdout + out.stderr


def test_there_are_php_files():
    assert len(PHP_FILES) >= 15, f'docs/laravel holds only {len(PHP_FILES)} PHP files'


@pytest.mark.parametrize('path', PHP_FILES, ids=[rel(p) for p in PHP_FILES])
def test_php_file_lints(path):
    out = subprocess.run(
        [php_binary(), '-l', str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f'php -l {rel(path)}:\n{out.stdout}{out.stderr}'
    assert path.read_text().startswith('<?php\n'), f'{rel(path)} must start with <?php'


def test_every_php_block_of_the_guide_is_a_file_with_its_path_stated():
    files = {rel(p): p.read_text() for p in PHP_FILES}
    text = GUIDE.read_text()
    seen: list[str] = []
    for lang, content, offset in guide_blocks():
        if lang != 'php' and '<?php' not in content:
            continue
        assert lang == 'php', f'a PHP block at offset {offset} is not marked ```php'
        matches = [name for name, body in files.items() if body == content]
        assert (
            matches
        ), f'the PHP block at offset {offset} ({content[:60]!r}...) is no file of docs/laravel/'
        name = matches[0]
        assert (
            name in text[max(0, offset - 700):offset]
        ), f'the block of {name} does not name its target path'
        seen.append(name)
    assert sorted(seen) == sorted(files), (
        'each docs/laravel file exactly once in the guide; missing'
        f' {sorted(set(files) - set(seen))}, twice'
        f' {sorted({n for n in seen if seen.count(n) > 1})}'
    )


def test_no_php_block_is_an_excerpt():
    for lang, content, offset in guide_blocks():
        if lang == 'php':
            assert content.startswith(
                '<?php\n'), f'PHP block at offset {offset} is an excerpt, not a file'


# ---- the shared contract: event names, channels, payload fields
# ----------------------------------

def laravel_events() -> set[tuple[str, str]]:
    """(event name, channel) pairs Laravel broadcasts, channels in the channel map's form."""
    pairs: set[tuple[str, str]] = set()
    for path in sorted((PHP_DIR / 'app' / 'Events').glob('*.php')):
        name = rel(path)
        body = method_body(name, 'broadcastOn')
        channels = [
            f'private-{laravel_channel(c)}'
            for c in re.findall(r'new PrivateChannel\("([^"]+)"\)', body)
        ]
        channels += re.findall(r"new Channel\('([^']+)'\)", body)
        assert channels, f'{name}: no channel found in broadcastOn()'
        literal = re.search(r"return '([^']+)';", method_body(name, 'broadcastAs'))
        names = (
            [literal.group(1)]
            if literal
            else quoted(const_array('app/Services/EdgeEventStore.php', 'DURABLE_TYPES'))
        )
        pairs |= {(event, channel) for event in names for channel in channels}
    return pairs


def test_durable_types_are_the_durable_routes_of_the_channel_map():
    types = quoted(const_array('app/Services/EdgeEventStore.php', 'DURABLE_TYPES'))
    assert sorted(types) == sorted(DURABLE)
    durable_routes = {
        r['event'] for r in channel_map()['outbound'] if r.get('delivery') == 'durable'}
    assert (
        set(types) == durable_routes
    ), f'channel map durable routes {durable_routes} != PHP {types}'
    pairs = re.findall(
        r"'(client-[a-z-]+)' => '([a-z-]+)'",
        const_array('app/Listeners/StoreEdgeClientEvents.php', 'DURABLE_CLIENT_EVENTS'))
    assert sorted(pairs) == sorted((f'client-{t}', t) for t in DURABLE)


def test_every_event_laravel_uses_has_a_schema_and_is_in_the_channel_map():
    events = {event for event, _ in laravel_events()}
    assert {ACK_EVENT, 'manual-sync', 'command', *DURABLE} <= set(events)
    for event in events:
        # the file exists and parses
        schema(event)
        if event == ACK_EVENT:
            continue
        assert event in map_events(), f'event {event} is not in {CHANNEL_MAP.name}'


def test_the_acknowledgement_goes_where_durable_client_events_come_from():
    ack_channels = {channel for event, channel in laravel_events() if event == ACK_EVENT}
    assert ack_channels and ack_channels <= durable_client_event_channels(), (
        f'events-stored on {ack_channels}, durable client-event routes on'
        f' {durable_client_event_channels()}'
    )
    assert set(schema(ACK_EVENT)['properties']) >= {'type', 'version', 'rvm_id', 'event_ids'}


def test_every_channel_laravel_uses_is_in_the_channel_map():
    used = {channel for _, channel in laravel_events()}
    for match in re.findall(r"Broadcast::channel\('([^']+)'", source('routes/channels.php')):
        used.add(f'private-{laravel_channel(match)}')
    assert 'private-rvm.{rvm_id}' in used and 'detection-results' in used
    missing = used - map_channels()
    assert (
        not missing
    ), f'channels {missing} are not in {CHANNEL_MAP.name} ({sorted(map_channels())})'


def test_payload_fields_laravel_reads_are_in_the_schemas():
    store = source('app/Services/EdgeEventStore.php')
    read = set(re.findall(r"\$p\['([a-z_]+)'\]", store))
    allowed = (
        properties('envelope')
        | properties('detection-completed')
        | properties('session-completed')
    )
    assert {'event_id', 'rvm_id', 'type', 'outbox_id', 'seq', 'timestamp', 'capture_time'} <= read
    assert (
        read <= allowed
    ), f'EdgeEventStore reads fields no schema defines: {sorted(read - allowed)}'


@pytest.mark.parametrize('event_file, schema_name', [
    ('app/Events/EventsStored.php', ACK_EVENT),
    ('app/Events/ManualSyncRequested.php', 'manual-sync'),
    ('app/Events/MachineCommand.php', 'command'),
])
def test_payload_fields_laravel_sends_are_in_the_schemas(event_file, schema_name):
    body = method_body(event_file, 'broadcastWith')
    sent = set(re.findall(r"'([a-z_]+)' =>", body)) | set(
        re.findall(r"\$payload\['([a-z_]+)'\]", body))
    assert sent, f'{event_file}: no payload keys found'
    assert sent <= properties(schema_name), (
        f'{event_file} sends {sorted(sent - properties(schema_name))}, not in'
        f' {SCHEMAS.name}/{schema_name}.json'
    )
    assert set(schema(schema_name).get('required', [])) <= sent


def test_machine_commands_are_the_ones_the_schema_names():
    commands = quoted(const_array('app/Events/MachineCommand.php', 'COMMANDS'))
    spec = schema('command')['properties']['command']
    assert sorted(commands) == sorted(spec['examples'])
    assert all(re.fullmatch(spec['pattern'].strip('^$'), c) for c in commands)


def test_the_guide_channel_table_uses_only_known_channels_events_and_schemas():
    section = GUIDE.read_text().split('## 1. Channels and events', 1)[1].split('\n## 2.', 1)[0]
    rows = [line for line in section.splitlines() if line.startswith('| `')]
    assert len(rows) >= 8
    for row in rows:
        cells = [c.strip() for c in row.strip('|').split('|')]
        channel = cells[0].strip('`')
        assert (
            channel in map_channels()), f'guide table: channel {channel} is not in the channel map'
        for wire in re.findall(r'`([^`]+)`', cells[1]):
            event = wire.removeprefix('client-')
            schema(event)
            assert (
                event in map_events() or event == ACK_EVENT
            ), f'guide table: {wire} not in the channel map'
        for link in re.findall(r'\(\.\./src/rvm_common/rvm_common/schemas/([a-z-]+)\.json\)', row):
            schema(link)


def test_the_guide_envelope_table_names_only_envelope_fields():
    section = GUIDE.read_text().split('## 2. Payloads', 1)[1].split('\n**Size.**', 1)[0]
    fields = re.findall(r'^\| `([a-z_]+)` \|', section, re.M)
    assert {'type', 'version', 'event_id', 'rvm_id', 'timestamp', 'outbox_id', 'seq'} <= set(
        fields)
    assert set(fields) <= properties(
        'envelope'), f'not in envelope.json: {set(fields) - properties("envelope")}'


# ---- machine ids: the schema, the PHP and Laravel's channel matching agree
# -----------------------

RVM_ID = r'[A-Za-z0-9_-]{1,64}'


def laravel_matches(pattern: str, channel: str) -> dict[str, str] | None:
    """Laravel 11's Broadcaster: channelNameMatchesPattern + extractChannelKeys, in Python."""
    if not re.match('^' + re.sub(r'\{(.*?)\}', r'([^\\.]+)', pattern) + '$', channel):
        return None
    keys = re.match('^' + re.sub(r'\{(.*?)\}', r'(?P<\1>[^\\.]+)', pattern), channel)
    return keys.groupdict() if keys else None


def schema_valid_ids() -> list[str]:
    allowed = string.ascii_letters + string.digits + '_-'
    return [
        'rvm-001', 'a', 'x' * 64, allowed, allowed[:64], 'RVM_7-b',
        *schema('envelope')['$defs']['rvm_id']['examples']]


def test_schema_php_and_routes_use_one_rvm_id_pattern():
    assert schema('envelope')['$defs']['rvm_id']['pattern'] == f'^{RVM_ID}$'
    assert const_string('app/Models/Machine.php', 'CODE_PATTERN') == f'/^{RVM_ID}$/'
    assert const_string('app/Listeners/StoreEdgeClientEvents.php', 'CHANNEL_PATTERN') == \
        rf'/^private-rvm\.({RVM_ID})$/'
    assert f"->where('rvmId', '{RVM_ID}')" in source('routes/api.php')


def test_every_schema_that_repeats_the_rvm_id_pattern_repeats_it_exactly():
    def patterns(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'rvm_id' and isinstance(value, dict) and 'pattern' in value:
                    yield value['pattern']
                yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    for path in sorted(SCHEMAS.glob('*.json')):
        for pattern in patterns(json.loads(path.read_text())):
            assert pattern == f'^{RVM_ID}$', f'{path.name}: rvm_id pattern {pattern}'


def test_the_channel_pattern_matches_every_machine_id_the_schema_allows():
    rvm_id_re = re.compile(schema('envelope')['$defs']['rvm_id']['pattern'])
    pattern = re.findall(r"Broadcast::channel\('([^']+)'", source('routes/channels.php'))
    assert pattern == ['rvm.{rvmId}']
    for rvm_id in schema_valid_ids():
        if len(rvm_id) <= 64:
            assert rvm_id_re.match(rvm_id)
            assert laravel_matches(pattern[0], f'rvm.{rvm_id}') == {'rvmId': rvm_id}, rvm_id
    # what Laravel cannot match, the schema forbids
    for rvm_id in ('rvm.002', 'a.b', '.'):
        assert laravel_matches(pattern[0], f'rvm.{rvm_id}') is None
        assert not rvm_id_re.match(rvm_id)


def test_the_edge_refuses_an_id_the_channel_cannot_match():
    from rvm_common.events import resolve_rvm_id

    with pytest.raises(ValueError, match=r"'rvm\.002'"):
        resolve_rvm_id('rvm.002')
    for rvm_id in schema_valid_ids():
        if len(rvm_id) <= 64:
            assert resolve_rvm_id(rvm_id) == rvm_id


# ---- the edge's channel map for a MyRVM that keeps status, health and timezone ---------------

STATE_MAP = PHP_DIR / 'edge' / 'channel_map_myrvm.yaml'
LATEST_KINDS = ('status-updated', 'health-updated', 'timezone-synced')


def test_the_state_channel_map_is_in_the_guide_and_loads_in_the_bridge():
    from rvm_bridge.routing.channel_map import load_channel_map

    text = STATE_MAP.read_text()
    assert ('yaml', text) in {(lang, body) for lang, body, _ in guide_blocks()}, (
        f'{rel(STATE_MAP)} is not shown in the guide byte for byte')
    routes = load_channel_map(str(STATE_MAP), rvm_id='rvm-001').routes
    for route in routes.values():
        if route.event in LATEST_KINDS:
            assert (route.channel, route.transport, route.delivery) == (
                'private-rvm.rvm-001', 'client-event', 'latest'), route


def test_the_state_channel_map_differs_from_the_bundled_one_only_in_latest_state():
    bundled = {r['topic']: r for r in channel_map()['outbound']}
    variant = yaml.safe_load(STATE_MAP.read_text())
    assert variant['inbound'] == channel_map()['inbound']
    changed = {r['topic'] for r in variant['outbound'] if r != bundled.get(r['topic'])}
    assert sorted(r['topic'] for r in variant['outbound']) == sorted(bundled)
    assert {bundled[t]['event'] for t in changed} == set(LATEST_KINDS)


def test_the_listener_relays_latest_state_where_the_bundled_map_sends_it():
    relays = re.findall(r"'client-([a-z-]+)' => \['([a-z]+)', '([a-z-]+)', '([a-z-]+)'\]",
                        const_array('app/Listeners/StoreEdgeClientEvents.php',
                                    'LATEST_CLIENT_EVENTS'))
    kinds = dict(re.findall(r"'([a-z]+)' => '([a-z-]+)'",
                            const_array('app/Models/MachineState.php', 'KINDS')))
    bundled = {r['event']: r['channel'] for r in channel_map()['outbound']}
    assert sorted(wire for wire, *_ in relays) == sorted(LATEST_KINDS)
    for wire, kind, channel, event in relays:
        assert wire == event and kinds[kind] == event and bundled[event] == channel
