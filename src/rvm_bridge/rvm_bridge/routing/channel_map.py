"""Channel map: ROS topic -> Reverb channel/event/transport/delivery, plus inbound subscriptions.

Loaded from YAML (the bundled ``rvm_bridge/config/channel_map.yaml`` unless a
path is given), validated with errors that name the entry and the field, and
templated with the machine id (``private-rvm.{rvm_id}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from rvm_common.events import EVENT_COMMAND, EVENT_MANUAL_SYNC, TOPIC_COMMAND, TOPIC_MANUAL_SYNC
from rvm_common.params import ConfigError, check_keys
from rvm_common.yaml_file import read_yaml

BUNDLED_MAP = Path(__file__).parents[1] / 'config' / 'channel_map.yaml'
#: The local demo's map: every route on the HTTP events API (accepted for fan-out; no MyRVM to
#: store).
FANOUT_MAP = BUNDLED_MAP.with_name('channel_map_fanout.yaml')
TRANSPORTS = ('http', 'client-event', 'api')
DELIVERIES = ('durable', 'latest')
CLIENT_PREFIX = 'client-'
#: Inbound event kinds the bridge understands -> the ROS topic they are published on.
INBOUND_TOPICS = {EVENT_MANUAL_SYNC: TOPIC_MANUAL_SYNC, EVENT_COMMAND: TOPIC_COMMAND}

_CHANNEL_RE = re.compile(r'^[A-Za-z0-9_\-=@,.;]{1,164}$')
_EVENT_RE = re.compile(r'^[A-Za-z0-9_\-.:]{1,200}$')


class ChannelMapError(ConfigError):
    """A channel map that cannot be used, with the file, entry and field at fault."""


@dataclass(frozen=True)
class Route:
    """Where one ROS topic goes: channel, event name (without ``client-``), transport, delivery."""

    topic: str
    channel: str
    event: str
    transport: str
    delivery: str

    @property
    def wire_event(self) -> str:
        """The event name on the wire (``client-`` prefixed for client events)."""
        if self.transport == 'client-event' and not self.event.startswith(CLIENT_PREFIX):
            return CLIENT_PREFIX + self.event
        return self.event


@dataclass(frozen=True)
class InboundSubscription:
    """A channel the bridge subscribes to and the event kinds it accepts there."""

    channel: str
    events: tuple[str, ...]

    def accepts(self, event: str) -> str | None:
        """The event kind for a wire event name (``client-`` stripped), or None if not accepted."""
        kind = event[len(CLIENT_PREFIX):] if event.startswith(CLIENT_PREFIX) else event
        return kind if kind in self.events else None


@dataclass(frozen=True)
class ChannelMap:
    """Validated, templated outbound routes and inbound subscriptions."""

    routes: dict[str, Route]
    inbound: tuple[InboundSubscription, ...]

    def route(self, topic: str) -> Route | None:
        return self.routes.get(topic.lstrip('/'))

    def channels_needing_socket(self, ack_channel: str = '') -> list[str]:
        """Channels the socket must join: inbound ones, those of client-event routes and, when a
        durable route uses client events, ``ack_channel`` (where ``events-stored`` arrives)."""
        out = [s.channel for s in self.inbound]
        out += [r.channel for r in self.routes.values() if r.transport == 'client-event']
        if ack_channel and self.needs_stored_ack():
            out.append(ack_channel)
        return list(dict.fromkeys(out))

    def needs_stored_ack(self) -> bool:
        """True when a durable route waits for ``events-stored`` (transport client-event)."""
        return any(
            r.transport == 'client-event' and r.delivery == 'durable' for r in self.routes.values()
        )

    def inbound_kind(self, channel: str, event: str) -> str | None:
        """The accepted event kind for (channel, wire event), or None."""
        for sub in self.inbound:
            if sub.channel == channel:
                kind = sub.accepts(event)
                if kind:
                    return kind
        return None


def _template(value: str, rvm_id: str, where: str) -> str:
    try:
        return value.format(rvm_id=rvm_id)
    except (KeyError, IndexError, ValueError) as exc:
        raise ChannelMapError(
            f'{where}: bad template {value!r} (only {{rvm_id}} is allowed): {exc}') from exc


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ChannelMapError(f'{where}: "{key}" must be a non-empty string, got {value!r}')
    return value


def _check_channel(channel: str, where: str) -> None:
    if not _CHANNEL_RE.match(channel):
        raise ChannelMapError(f'{where}: channel {channel!r} is not a valid Pusher channel name')


def _known(
    values: dict, names: tuple[str, ...], source: str, section: str, what: str = 'field'
) -> None:
    """Unknown names are errors with a "did you mean" (the shared check of every config file)."""
    try:
        check_keys(values, names, source=source, section=section, what=what)
    except ConfigError as exc:
        raise ChannelMapError(str(exc)) from None


def parse_channel_map(data: Any, *, rvm_id: str, default_transport: str = 'http',
                      source: str = '<channel map>') -> ChannelMap:
    """Validate a loaded YAML document and return the templated :class:`ChannelMap`."""
    if default_transport not in TRANSPORTS:
        raise ChannelMapError(
            f'transport {default_transport!r} is not one of {", ".join(TRANSPORTS)}')
    if not isinstance(data, dict):
        raise ChannelMapError(
            f'{source}: top level must be a mapping with "outbound" and "inbound"')
    _known(data, ('outbound', 'inbound'), source, '', 'section')
    routes: dict[str, Route] = {}
    for i, entry in enumerate(data.get('outbound') or []):
        where = f'{source}: outbound[{i}]'
        if not isinstance(entry, dict):
            raise ChannelMapError(f'{where}: must be a mapping')
        _known(
            entry, ('topic', 'channel', 'event', 'transport', 'delivery'), source, f'outbound[{i}]'
        )
        topic = _text(entry, 'topic', where).lstrip('/')
        channel = _template(_text(entry, 'channel', where), rvm_id, where)
        _check_channel(channel, where)
        event = _text(entry, 'event', where)
        if not _EVENT_RE.match(event):
            raise ChannelMapError(f'{where}: event {event!r} is not a valid event name')
        transport = entry.get('transport') or default_transport
        if transport not in TRANSPORTS:
            raise ChannelMapError(
                f'{where}: transport {transport!r} is not one of {", ".join(TRANSPORTS)}')
        delivery = entry.get('delivery', 'durable')
        if delivery not in DELIVERIES:
            raise ChannelMapError(
                f'{where}: delivery {delivery!r} is not one of {", ".join(DELIVERIES)}')
        if transport == 'api' and delivery != 'durable':
            raise ChannelMapError(
                f'{where}: transport api stores durable events; use http for delivery latest')
        if transport == 'client-event' and not channel.startswith(('private-', 'presence-')):
            raise ChannelMapError(f'{where}: client events need a private- or presence- channel, '
                                  f'got {channel!r} (use transport: http)')
        if topic in routes:
            raise ChannelMapError(f'{where}: topic {topic!r} is mapped twice')
        routes[topic] = Route(topic, channel, event, transport, delivery)
    inbound: list[InboundSubscription] = []
    for i, entry in enumerate(data.get('inbound') or []):
        where = f'{source}: inbound[{i}]'
        if not isinstance(entry, dict):
            raise ChannelMapError(f'{where}: must be a mapping')
        _known(entry, ('channel', 'events'), source, f'inbound[{i}]')
        channel = _template(_text(entry, 'channel', where), rvm_id, where)
        _check_channel(channel, where)
        events = entry.get('events')
        if not isinstance(events, list) or not events:
            raise ChannelMapError(f'{where}: "events" must be a non-empty list')
        for event in events:
            if event not in INBOUND_TOPICS:
                raise ChannelMapError(f'{where}: inbound event {event!r} is not one of '
                                      f'{", ".join(INBOUND_TOPICS)}')
        inbound.append(InboundSubscription(channel, tuple(events)))
    return ChannelMap(routes, tuple(inbound))


def load_channel_map(
    path: str | Path = '', *, rvm_id: str, default_transport: str = 'http'
) -> ChannelMap:
    """Load and validate a channel map file ('' = the bundled one)."""
    file = Path(path) if path else BUNDLED_MAP
    data = read_yaml(file, 'channel map', ChannelMapError)
    return parse_channel_map(
        data, rvm_id=rvm_id, default_transport=default_transport, source=str(file))
