"""The figures of a fleet run (:class:`FleetReport`) and the table ``rvm-fleet-sim`` prints."""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from rvm_fleet.metrics import peak_in_window, percentile, spread

DASHBOARD_EVENTS = ('detection-completed', 'session-completed')
RELAYED_EVENTS = ('client-detection-completed', 'client-session-completed')


@dataclass
class FleetReport:
    """One run's figures (times in seconds, latencies in ms, memory in MiB)."""

    machines: int
    machines_connected: int             # ready (connected + subscribed) at the end of the stream
    max_connected: int
    # start of the first machine -> all connected and subscribed
    connect_s: float
    duration_s: float
    published: int                      # every event handed to the bridges (durable + latest)
    durable: int
    events_per_s: float
    dashboard_per_s: float
    # p50/p95/p99/max, events published outside the restart window
    latency_ms: dict[str, float | None]
    latency_all_ms: dict[str, float | None]
    # the edge's client event itself, seen on node B (via Redis)
    relay_latency_ms: dict[str, float | None]
    reconnects: int
    lost: int                           # durable published, never seen by the dashboard
    # durable published, not stored by the listener (None: not observable)
    not_stored: int | None
    duplicated: int                     # dashboard receipts beyond the first, by event_id
    # receipts the listener got beyond the first (re-sends; idempotent)
    resent_absorbed: int | None
    left_in_outboxes: int
    drained: bool
    # kill -> up -> every machine back; reconnect spread; auth peak
    restart: dict[str, Any] | None
    auth_requests: int
    auth_throttled: int
    rss_per_machine_mib: float
    edge_cpu_percent: float             # this process (all machines), % of one core
    server_cpu_percent: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _latency(values: list[float]) -> dict[str, float | None]:
    def r(v):
        return None if v is None else round(v, 1)
    return {'n': len(values), 'p50': r(percentile(values, 50)), 'p95': r(percentile(values, 95)),
            'p99': r(percentile(values, 99)), 'max': r(max(values) if values else None)}


def build_report(
    run: Any, dashboard: Any, *, start: float, end: float, drained: bool, rss_per_machine: float,
    edge_cpu_s: float, connect_s: float, receiver_ids: set[str] | None,
) -> FleetReport:
    """Figures from a finished :class:`~rvm_fleet.fleet.FleetRun` and its dashboard listener."""
    duration = max(1e-9, end - start)
    seen: Counter[str] = Counter()
    relayed: set[str] = set()
    relay: list[float] = []
    steady: list[float] = []
    everything: list[float] = []
    window = _disruption_window(run)
    received = 0
    for record in dashboard.events():
        data = record.get('data')
        if not isinstance(data, dict):
            continue
        event = record.get('event')
        if (
            event in RELAYED_EVENTS
            and data.get('event_id') in run.sent
            and data['event_id'] not in relayed
        ):
            relayed.add(data['event_id'])
            stamp = run.sent[data['event_id']]
            if not disrupted(stamp[1], record['received_at_ms'] / 1000.0, window):
                relay.append(record['received_at_ms'] - stamp[1] * 1000.0)
        if event not in DASHBOARD_EVENTS or record.get('channel') != 'detection-results':
            continue
        event_id = data.get('event_id')
        seen[event_id] += 1
        stamp = run.sent.get(event_id)
        if stamp is None or seen[event_id] > 1:
            continue
        received += 1
        latency = record['received_at_ms'] - stamp[1] * 1000.0
        everything.append(latency)
        if not disrupted(stamp[1], record['received_at_ms'] / 1000.0, window):
            steady.append(latency)
    sent = set(run.sent)
    restart = _restart_figures(run)
    cpu = run.cpu.seconds()
    notes = []
    if not drained:
        notes.append('outboxes not empty at the end of the drain timeout')
    return FleetReport(
        machines=len(run.machines), machines_connected=run.ready_count(),
        max_connected=run.max_ready, connect_s=round(connect_s, 2), duration_s=round(duration, 1),
        published=run.published, durable=len(sent),
        events_per_s=round(run.published / duration, 1),
        dashboard_per_s=round(received / duration, 1), latency_ms=_latency(steady),
        latency_all_ms=_latency(everything), relay_latency_ms=_latency(relay),
        reconnects=sum(vm.core.reconnects for vm in run.machines), lost=len(sent - set(seen)),
        not_stored=None if receiver_ids is None else len(sent - receiver_ids),
        duplicated=sum(n - 1 for n in seen.values() if n > 1), resent_absorbed=None,
        left_in_outboxes=sum(vm.outbox_depth() for vm in run.machines), drained=drained,
        restart=restart, auth_requests=sum(vm.auth.requests for vm in run.machines if vm.auth),
        auth_throttled=sum(vm.auth.throttled for vm in run.machines if vm.auth),
        rss_per_machine_mib=round(rss_per_machine / 2**20, 2),
        edge_cpu_percent=round(100.0 * edge_cpu_s / duration, 1),
        server_cpu_percent={k: round(100.0 * v / duration, 1) for k, v in sorted(cpu.items())},
        notes=notes)


def _disruption_window(run: Any) -> tuple[float, float] | None:
    """From the kill until every machine is back + one ack timeout (None: no restart)."""
    if run.kill_at is None:
        return None
    back = run.recovered_at or float('inf')
    return run.kill_at, back + run.o.ack_timeout_s


def disrupted(published: float, received: float, window: tuple[float, float] | None) -> bool:
    """True for an event the restart delayed: in flight at the kill, or published in ``window``."""
    if window is None:
        return False
    kill, end = window
    return (published < kill <= received) or kill <= published <= end


def _restart_figures(run: Any) -> dict[str, Any] | None:
    if run.kill_at is None:
        return None
    firsts = [
        t for t in (vm.first_connect_after(run.kill_at) for vm in run.machines) if t is not None]
    auth_after = [t for t in run.auth_times if t > run.kill_at]
    attempts = [t for vm in run.machines for t in vm.attempts_at if t > run.kill_at]
    rel = {
        'server_down_s': None if run.up_at is None else round(run.up_at - run.kill_at, 2),
        'recovered_s': (
            None if run.recovered_at is None else round(run.recovered_at - run.kill_at, 2)),
        'reconnected': len(firsts),
        'reconnect_spread_s': {
            k: None if v is None else round(v, 2) for k, v in spread(firsts).items()},
        'peak_reconnects_100ms': peak_in_window(firsts, 0.1), 'attempts': len(attempts),
        'peak_attempts_100ms': peak_in_window(attempts, 0.1), 'mode': run.o.restart_mode,
        'peak_auth_per_s': peak_in_window(auth_after, 1.0), 'auth_requests': len(auth_after)}
    return rel


def _fmt(value: Any) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.1f}'
    return str(value)


def format_table(report: FleetReport) -> str:
    """The human-readable table ``rvm-fleet-sim`` prints."""
    r = report
    lat, lat_all = r.latency_ms, r.latency_all_ms
    rows = [
        (
            'machines connected',
            (
                f'{r.machines_connected}/{r.machines} (max {r.max_connected}; all up in '
                f'{r.connect_s:.1f} s)'
            ),
        ),
        (
            'events/s',
            (
                f'{r.events_per_s:.1f} published ({r.published} in {r.duration_s:.0f} s;'
                f' {r.durable} durable), {r.dashboard_per_s:.1f}/s at the dashboard'
            ),
        ),
        (
            'latency publish->dashboard',
            (
                f'p50 {_fmt(lat["p50"])} ms, p95 {_fmt(lat["p95"])} ms, '
                f'p99 {_fmt(lat["p99"])} ms, max {_fmt(lat["max"])} ms (n={lat["n"]})'
            ),
        ),
    ]
    if r.relay_latency_ms['n']:
        rl = r.relay_latency_ms
        rows.append(
            (
                '  edge client event on B',
                (
                    f'p50 {_fmt(rl["p50"])} ms, p95 {_fmt(rl["p95"])} ms, '
                    f'p99 {_fmt(rl["p99"])} ms (before storing; via Redis)'
                ),
            )
        )
    if r.restart:
        rows.append(
            (
                '  incl. restart window',
                (
                    f'p50 {_fmt(lat_all["p50"])} ms, p99 {_fmt(lat_all["p99"])} ms, '
                    f'max {_fmt(lat_all["max"])} ms (n={lat_all["n"]})'
                ),
            )
        )
    rows += [
        ('reconnects', str(r.reconnects)),
        (
            'lost (by event_id)',
            (
                f'{r.lost} at the dashboard, {_fmt(r.not_stored)} not stored; '
                f'{r.left_in_outboxes} left in outboxes'
            ),
        ),
        (
            'duplicated (by event_id)',
            (
                f'{r.duplicated} at the dashboard; {_fmt(r.resent_absorbed)} re-sends '
                'absorbed by the listener'
            ),
        ),
    ]
    if r.restart:
        s = r.restart
        sp = s['reconnect_spread_s']
        rows += [
            (
                'node restart',
                (
                    f'node A ({s["mode"]}) back after {_fmt(s["server_down_s"])} s; whole fleet '
                    f'reconnected and subscribed {_fmt(s["recovered_s"])} s after the kill '
                    f'({s["reconnected"]} machines)'
                ),
            ),
            (
                '  reconnect spread',
                (
                    f'p10 {_fmt(sp["p10_s"])} s, p50 {_fmt(sp["p50_s"])} s, p90'
                    f' {_fmt(sp["p90_s"])} s, span {_fmt(sp["span_s"])} s; at most'
                    f' {s["peak_reconnects_100ms"]} in any 100 ms'
                ),
            ),
            (
                '  connection attempts',
                f'{s["attempts"]}, at most {s["peak_attempts_100ms"]} in any 100 ms'),
            ('  channel auth', f'{s["auth_requests"]} requests, peak {s["peak_auth_per_s"]}/s'),
        ]
    rows += [
        (
            'channel auth (edge limit)',
            f'{r.auth_requests} requests, {r.auth_throttled} waited for a token'),
        ('edge RSS per machine', f'{r.rss_per_machine_mib:.2f} MiB'),
        ('edge CPU (all machines)', f'{r.edge_cpu_percent:.1f} % of one core'),
        (
            'server CPU',
            ', '.join(f'{k} {v:.1f} %' for k, v in r.server_cpu_percent.items()) or '-'),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f'{k.ljust(width)}  {v}' for k, v in rows]
    lines += [f'note: {n}' for n in r.notes]
    return '\n'.join(lines)
