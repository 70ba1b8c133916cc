"""Channel map files go through the shared config checks: unknown names get a "did you mean"."""

import pytest

from rvm_bridge.routing.channel_map import ChannelMapError, load_channel_map, parse_channel_map
from rvm_common.params import ConfigError

ENTRY = {'topic': 't', 'channel': 'c', 'event': 'e'}


@pytest.mark.parametrize('data, message', [
    ({'outbund': []}, "m.yaml: unknown section 'outbund' (did you mean 'outbound'?)"),
    ({'outbound': [{**ENTRY, 'chanel': 'x'}]},
     "m.yaml: outbound[0]: unknown field 'chanel' (did you mean 'channel'?)"),
    ({'inbound': [{'channel': 'c', 'event': ['command']}]},
     "m.yaml: inbound[0]: unknown field 'event' (did you mean 'events'?)"),
])
def test_unknown_names_are_located_with_a_suggestion(data, message):
    with pytest.raises(ChannelMapError) as info:
        parse_channel_map(data, rvm_id='a', source='m.yaml')
    assert str(info.value) == message
    assert isinstance(info.value, ConfigError)      # one error type for every config file


def test_syntax_errors_name_the_line(tmp_path):
    path = tmp_path / 'map.yaml'
    path.write_text('outbound:\n  - {topic: t, channel: c\ninbound: []\n')
    with pytest.raises(
        ChannelMapError, match=r'map\.yaml is not valid YAML \(line \d+, column \d+\)'
    ):
        load_channel_map(path, rvm_id='a')
