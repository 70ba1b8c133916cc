"""BridgeCore: ROS-side events -> Reverb (durable outbox / latest store), and Reverb -> ROS.

``publish(topic, payload)`` maps the topic through the channel map, fits the
payload under the size limit, and either writes it to the SQLite outbox
(``durable``, before any send) or replaces the pending one of its kind
(``latest``); it never touches the network.  A sender thread delivers; a
Pusher connection (when inbound channels or client-event routes need one)
receives ``manual-sync``, commands and the stored acknowledgements
(``events-stored``) that let durable rows leave the outbox.  Inbound events and
bridge products (timezone-synced, bridge status) reach the graph via
``on_inbound(topic, payload)``.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

from rvm_bridge.bridge_config import BridgeConfig
from rvm_bridge.routing.channel_map import ChannelMap, Route, load_channel_map
from rvm_bridge.connection.channel_auth import token_provider
from rvm_bridge.delivery.sender import Sender
from rvm_bridge.demo_data import mark_demo
from rvm_bridge.bridge_status import bridge_status
from rvm_bridge.routing.inbound_dispatch import InboundDispatcher
from rvm_bridge.outbox.outbox import Outbox, OutboxEntry
from rvm_bridge.protocol.payload_limit import fit_payload
from rvm_bridge.protocol.stored_ack import (
    EVENT_STORED, StoredAckError, ack_channel, parse_events_stored)
from rvm_bridge.timezone_sync import TimezoneSync
from rvm_bridge.delivery.send_outcome import WireEvent
from rvm_bridge.thread_supervisor import ThreadSupervisor
from rvm_bridge.transports.api import ApiTransport
from rvm_bridge.transports.client_event import ClientEventTransport
from rvm_bridge.transports.http_events import HttpTransport
from rvm_common.events import (TOPIC_BRIDGE_STATUS, TOPIC_COMMAND, TOPIC_HEALTH, TOPIC_MANUAL_SYNC,
                               TOPIC_RVM_STATUS, TOPIC_TIMEZONE, dumps, resolve_rvm_id)
from rvm_common.bridge_state import BridgeState
from rvm_common.params import ConfigError
from rvm_common.shutdown_order import durable_last_word

__all__ = ['BridgeConfig', 'BridgeCore']

LOG = logging.getLogger(__name__)

InboundCallback = Callable[[str, dict[str, Any]], None]
#: ``latest`` topics whose newest event is sent again after a reconnect (a dashboard that
#: reconnected with the server sees the machine's state at once, not at the next heartbeat).
LIVE_STATE_TOPICS = (TOPIC_RVM_STATUS, TOPIC_HEALTH, TOPIC_TIMEZONE)
SETTLE_S = 5.0     # seconds flush() always gives the outbox writer to commit what is queued


class BridgeCore:
    """The bridge without ROS: channel map, outbox, sender, connection, inbound, timezone sync."""

    def __init__(
            self, config: BridgeConfig, on_inbound: InboundCallback = lambda topic, payload: None,
            *, connection_factory: Callable[..., Any] | None = None,
            timezone_sync: TimezoneSync | None = None) -> None:
        config.validate()
        self.config = config
        self.rvm_id = resolve_rvm_id(config.rvm_id)
        self._emit = on_inbound
        self.channel_map: ChannelMap = load_channel_map(
            config.channel_map_file, rvm_id=self.rvm_id, default_transport=config.transport)
        self.supervisor = ThreadSupervisor()
        self.ack_channel = ack_channel(self.rvm_id)
        self._log_lock = threading.Lock()
        self._log_file = None
        if config.outbox_log:
            Path(config.outbox_log).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._log_file = open(Path(config.outbox_log).expanduser(), 'a', encoding='utf-8')
        self.timezone = timezone_sync or TimezoneSync(
            url=config.time_url(), timezone_name=config.timezone, timeout_s=config.http_timeout_s,
            rvm_id=self.rvm_id, allow_system_change=config.allow_system_clock_change,
            heartbeat_s=config.timezone_heartbeat_s)
        self._live_state: dict[str, dict[str, Any]] = {}   # LIVE_STATE_TOPICS -> newest payload
        self.connection = None
        transports: dict[str, Any] = {}
        self.state = BridgeState.OFFLINE
        kinds = {r.transport for r in self.channel_map.routes.values()}
        if config.online:
            if 'http' in kinds:
                secret = config.app_secret()
                if not (config.app_id and secret):
                    raise ConfigError('transport http needs app_id and the app secret in'
                                      f' ${config.app_secret_env}')
                transports['http'] = HttpTransport(
                    host=config.host, port=config.port, tls=config.tls, app_id=config.app_id,
                    key=config.app_key, secret=secret, ca_bundle=config.ca_bundle,
                    timeout_s=config.http_timeout_s, max_batch=config.http_batch_size,
                    max_request_bytes=config.max_request_bytes)
            if 'api' in kinds:
                if not config.events_url():
                    raise ConfigError(
                        'transport api needs api_base (or a full events_endpoint URL)')
                transports['api'] = ApiTransport(
                    url=config.events_url(),
                    token=token_provider(config.auth_token_env, config.auth_token_file),
                    ca_bundle=config.ca_bundle, timeout_s=config.http_timeout_s,
                    max_batch=config.http_batch_size, max_request_bytes=config.max_request_bytes)
            if self.channel_map.channels_needing_socket(self.ack_channel):
                if connection_factory is None:
                    from rvm_bridge.connection.pusher_connection import (
                        PusherConnection as connection_factory)
                self.connection = connection_factory(
                    config, self._on_socket_event, self._on_state_change)
                if 'client-event' in kinds:
                    transports['client-event'] = ClientEventTransport(
                        self.connection, rate=config.client_events_per_s,
                        confirm_timeout_s=config.confirm_timeout_s,
                        max_message_bytes=config.max_message_bytes)
            self.state = BridgeState.STARTING
        self._limit = min(config.max_message_bytes, config.max_request_bytes)
        # opened (and locked) only once every configuration check above has passed: a refused
        # configuration leaves the file free for the offline fallback (config_fallback)
        self.outbox = Outbox(
            config.resolved_outbox_path(), max_rows=config.outbox_max_rows,
            max_bytes=config.outbox_max_mb * 1_000_000, max_age_s=config.outbox_max_age_s,
            max_attempts=config.outbox_max_attempts, policy=config.outbox_policy,
            max_unstored=config.outbox_memory_buffer)
        if config.outbox_group_ms > 0:
            self.outbox.start_writer(self.supervisor, config.outbox_group_ms / 1000.0)
        self.sender = Sender(
            self.outbox, transports, retry_min_s=config.retry_min_s,
            retry_max_s=config.retry_max_s, batch_size=config.http_batch_size,
            config_retry_s=config.auth_retry_s, ack_timeout_s=config.ack_timeout_s,
            max_in_flight=config.max_in_flight, limit=self._limit, refit=self._refit,
            ready=self._transport_ready, supervisor=self.supervisor)
        self.inbound = InboundDispatcher(self.channel_map, self._on_inbound_kind,
                                         client_sync_interval_s=config.manual_sync_min_interval_s)
        self._self_published: OrderedDict[str, None] = OrderedDict()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.reconnects = 0
        self._connected_once = False
        self.last_error = ''
        self.counters = {
            'published': 0, 'unmapped': 0, 'truncated': 0, 'compacted': 0, 'oversized': 0,
            'rejected': 0, 'after_stop': 0, 'duplicates': 0, 'unstored': 0, 'lost': 0,
            'errors': 0}
        self.ack_counters = {'acks': 0, 'acked_ids': 0, 'malformed': 0}

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the sender, connection and job thread (timezone sync, status); non-blocking."""
        self.sender.start()
        if self.connection is not None:
            self.connection.start()
            for channel in self.channel_map.channels_needing_socket(self.ack_channel):
                self.connection.subscribe(channel)
        self._threads.append(
            self.supervisor.start('rvm-bridge-jobs', self._job_loop, self._stop))
        if self.config.timezone_sync_on_start:
            self._jobs.put(('sync', 'startup', (None, None)))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop threads and the connection; undelivered durable events stay in the outbox."""
        self._stop.set()
        self._jobs.put(('stop', None, None))
        self.sender.stop(timeout)
        if self.connection is not None:
            try:
                self.connection.stop()
            except Exception:  # noqa: BLE001 - stopping must not raise
                LOG.exception('connection stop failed')
        for t in self._threads:
            t.join(timeout)
        self.outbox.close()             # commits what publish() queued (and logs it) first
        with self._log_lock:
            if self._log_file:
                self._log_file.close()
                self._log_file = None

    def flush(self, timeout: float) -> bool:
        """True when every durable (and latest) event was delivered within ``timeout``.

        Offline (no host) nothing is ever delivered: returns True at once when
        everything is safely in the outbox/log, as nothing more can happen.
        """
        deadline = time.monotonic() + timeout
        # appends the writer thread has not committed yet: always given SETTLE_S to be written
        # (one transaction, or held in memory on a storage fault), even with timeout 0
        if not self.outbox.settle(max(timeout, SETTLE_S)):
            return False
        if not self.config.online:
            return True
        return self.sender.flush(max(0.0, deadline - time.monotonic()))

    # -- outbound ---------------------------------------------------------------------------------
    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Queue one event for ``topic``: never blocks on the network, never raises.

        A storage fault holds the event in memory (retried, reported); anything else unexpected
        is logged and counted (``published.errors``): the caller's spin loop goes on.
        """
        try:
            self._publish(topic, payload)
        except Exception:  # noqa: BLE001 - a bug here must not end the ROS spin loop
            self.counters['errors'] += 1
            LOG.exception('publish(%s) failed; event not queued', topic)

    def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        if self._stop.is_set():
            self.counters['after_stop'] += 1
            LOG.error('publish(%s) after stop(): not queued', topic)
            return
        route = self.channel_map.route(topic)
        if route is None:
            self.counters['unmapped'] += 1
            LOG.debug('no route for topic %s; ignored', topic)
            return
        if not isinstance(payload, dict):
            self.counters['rejected'] += 1
            LOG.error(
                'payload for %s is not a JSON object (%s); ignored', topic, type(payload).__name__)
            return
        event_id = str(payload.get('event_id', ''))
        if event_id and event_id in self._self_published:
            return  # our own timezone-synced echoed back by the graph: already queued
        payload = dict(payload)
        mark_demo(payload, self.config.demo_source)     # sample/file/bag verdicts: never credited
        self.counters['published'] += 1
        if route.delivery == 'durable' or durable_last_word(
                route.topic, payload, route.delivery, route.transport):   # final `offline`
            self.outbox.submit(
                route.channel, route.wire_event, route.transport, payload,
                encode=lambda p: self._fit(route, p), wait=self.config.outbox_group_ms <= 0,
                on_done=lambda appended: self._appended(route, appended))
            return
        self._put_latest(route, payload)
        self._log(route, payload)
        self.sender.wake()

    def _appended(self, route: Route, appended: Any) -> None:
        """A durable append was written (publisher's or writer thread): count, log, wake.

        The ``outbox_log`` line is written here, once the row is committed (it carries ``seq``);
        a duplicate (re-published, e.g. after a restart) is one row and no line.
        """
        if appended.outcome == 'duplicate':
            self.counters['duplicates'] += 1
            return
        if appended.outcome in ('unstored', 'lost'):   # the disk refused it: held or refused
            self.counters[appended.outcome] += 1
        self._log(route, appended.payload)
        self.sender.wake()

    def _put_latest(self, route: Route, payload: dict[str, Any]) -> None:
        if route.topic in LIVE_STATE_TOPICS:
            self._live_state[route.topic] = payload
        text = self._fit(route, payload)
        if text is not None:
            self.sender.put_latest(
                route.transport, WireEvent(None, route.channel, route.wire_event, text))

    def _resend_live_state(self) -> None:
        """Queue the newest status/health/timezone again, unchanged (same event_id: seen ones are
        de-duplicated), for dashboards that (re)connected with the server."""
        for topic, payload in list(self._live_state.items()):
            route = self.channel_map.route(topic)
            if route is not None and route.delivery != 'durable':
                self._put_latest(route, payload)

    def _fit(self, route: Route, payload: dict[str, Any], limit: int | None = None) -> str | None:
        limit = limit or self.sender.limit
        fit = fit_payload(route.channel, route.wire_event, payload, limit)
        if fit.text is None:
            self.counters['oversized'] += 1
            LOG.error('%s %s: cannot fit under %d bytes even truncated; queued whole (the server'
                      ' decides)', route.channel, route.event, limit)
        elif fit.truncated:
            self.counters['truncated'] += 1
            LOG.warning(
                '%s %s (event %s) truncated to %d bytes (limit %d)', route.channel, route.event,
                payload.get('event_id'), fit.size, limit)
        elif fit.compacted:
            self.counters['compacted'] += 1
        return fit.text

    def _refit(self, entry: OutboxEntry, limit: int) -> str | None:
        """Re-trim a queued row under ``limit`` (the server refused its size)."""
        route = next((r for r in self.channel_map.routes.values()
                      if r.channel == entry.channel and r.wire_event == entry.event), None)
        payload = json.loads(entry.payload)
        if route is None:
            route = Route('', entry.channel, entry.event, entry.transport, 'durable')
        return self._fit(route, payload, limit)

    def _log(self, route: Route, payload: dict[str, Any]) -> None:
        if self._log_file is None:
            return
        line = dumps({'channel': route.channel, 'event': route.event,
                      'wire_event': route.wire_event, 'delivery': route.delivery,
                      'transport': route.transport, 'data': payload})
        with self._log_lock:
            if self._log_file:
                self._log_file.write(line + '\n')
                self._log_file.flush()

    def _transport_ready(self, kind: str) -> bool:
        if kind == 'client-event':
            conn = self.connection
            if conn is None or BridgeState.parse(conn.state_name()) is not BridgeState.CONNECTED:
                return False
            subscribed = conn.subscriptions()
            return all(subscribed.get(r.channel) == 'subscribed'
                       for r in self.channel_map.routes.values() if r.transport == 'client-event')
        return True

    # -- inbound ----------------------------------------------------------------------------------
    def _on_socket_event(self, channel: str, event: str, data: Any) -> None:
        """Called on the connection's thread: validate, dispatch, never block on the network."""
        if event == EVENT_STORED and channel == self.ack_channel:
            try:
                ids = parse_events_stored(data, self.rvm_id)
            except StoredAckError as exc:
                self.ack_counters['malformed'] += 1
                LOG.warning('events-stored on %s ignored: %s', channel, exc)
                return
            self.ack_counters['acks'] += 1
            self.ack_counters['acked_ids'] += len(ids)
            self.sender.acknowledge(ids)
            return
        self.inbound.dispatch(channel, event, data)

    def _on_inbound_kind(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == 'manual-sync':
            self._emit(TOPIC_MANUAL_SYNC, payload)
            self._jobs.put(
                ('sync', 'manual', (payload.get('timezone'), payload.get('request_id'))))
        elif kind == 'command':
            self._emit(TOPIC_COMMAND, payload)

    def request_sync(self, trigger: str = 'manual', timezone_name: str | None = None) -> None:
        """Queue a timezone sync (as a ``manual-sync`` would)."""
        self._jobs.put(('sync', trigger, (timezone_name, None)))

    def _on_state_change(self, previous: Any, current: Any, reason: str = '') -> None:
        state = BridgeState.parse(current)
        if state is None:
            LOG.warning('connection reported an unknown state %r; ignored', current)
            return
        if state is BridgeState.CONNECTED:
            if self._connected_once:
                self.reconnects += 1
                self._jobs.put(('resend', None, None))
            self._connected_once = True
            self.sender.retry_now()
        if reason and state in (BridgeState.UNAVAILABLE, BridgeState.FAILED,
                                BridgeState.DISCONNECTED):
            self.last_error = f'connection {state.value}: {reason}'
        self.state = state
        self._jobs.put(('status', None, None))

    def _job_loop(self) -> None:
        period = self.config.status_period_s
        next_status = time.monotonic() + period if period > 0 else float('inf')
        while not self._stop.is_set():
            try:
                job, arg, extra = self._jobs.get(
                    timeout=max(0.05, min(1.0, next_status - time.monotonic())))
            except queue.Empty:
                job = None
            try:
                if job == 'sync':
                    self._sync(arg, *extra)
                elif job == 'status':
                    self._emit(TOPIC_BRIDGE_STATUS, self.status())
                elif job == 'resend':
                    self._resend_live_state()
                if (beat := self.timezone.heartbeat()) is not None:
                    self.publish(TOPIC_TIMEZONE, beat)
                if time.monotonic() >= next_status:
                    self._emit(TOPIC_BRIDGE_STATUS, self.status())
                    next_status = time.monotonic() + period
            except Exception:  # noqa: BLE001 - a failing callback must not end the job thread
                LOG.exception('bridge job %s failed', job)

    def _sync(self, trigger: str, timezone_name: str | None,
              request_id: str | None = None) -> None:
        payload = self.timezone.sync(
            trigger=trigger, requested_timezone=timezone_name, request_id=request_id)
        self.publish(TOPIC_TIMEZONE, payload)
        # the graph may feed our own product back to publish(): remember it to skip the echo
        self._self_published[payload['event_id']] = None
        while len(self._self_published) > 64:
            self._self_published.popitem(last=False)
        self._emit(TOPIC_TIMEZONE, payload)

    # -- monitoring -------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """JSON-able state for bridge/status and /diagnostics (also emitted periodically)."""
        return bridge_status(self)
