// How old the machine's figures are, and whether they (and the machine) count as stale or offline.
// Pure functions over the event payloads (src/rvm_common/rvm_common/schemas): status-updated, health-updated and
// timezone-synced say their heartbeat period in `heartbeat_s`; figures older than STALE_FACTOR
// periods are stale, and a machine none of whose heartbeats came in time is offline since the
// last event heard from it. Ages use the event's `timestamp` (the machine's clock, synced with
// the server's) against this browser's clock.
window.RvmFreshness = (function () {
  'use strict';

  const STALE_FACTOR = 3;
  // used when an event carries no heartbeat_s (older machines): the edge's defaults
  const DEFAULT_PERIOD_S = { 'status-updated': 30, 'health-updated': 5, 'timezone-synced': 30 };

  /** Heartbeat period in seconds of an event of `kind` (0: none promised, never stale by age). */
  function periodS(data, kind) {
    const p = data && data.heartbeat_s;
    if (typeof p === 'number' && isFinite(p) && p >= 0) return p;
    return DEFAULT_PERIOD_S[kind] || 0;
  }

  /** Milliseconds since the epoch of an event's timestamp, or null. */
  function stampMs(data) {
    const t = data ? Date.parse(data.timestamp) : NaN;
    return isNaN(t) ? null : t;
  }

  /** Seconds since the event was made (>= 0), or null without a timestamp. */
  function ageS(data, nowMs) {
    const t = stampMs(data);
    return t === null ? null : Math.max(0, (nowMs - t) / 1000);
  }

  /** True once the event is older than STALE_FACTOR heartbeat periods. */
  function isStale(data, kind, nowMs) {
    const period = periodS(data, kind), age = ageS(data, nowMs);
    return period > 0 && age !== null && age > STALE_FACTOR * period;
  }

  /** "4 s", "2 min 5 s", "3 h 12 min". */
  function formatAge(seconds) {
    const s = Math.floor(seconds);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
    return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  }

  /** "updated 4 s ago · every 30 s" (+ " · stale" once stale). */
  function describe(data, kind, nowMs) {
    const age = ageS(data, nowMs);
    if (age === null) return 'age unknown';
    const period = periodS(data, kind);
    return `updated ${formatAge(age)} ago${period > 0 ? ` · every ${formatAge(period)}` : ''}` +
      (isStale(data, kind, nowMs) ? ' · stale' : '');
  }

  /**
   * Liveness of one machine from its latest events by kind ({'status-updated': d, ...}) and the
   * newest timestamp heard from it: {offline: bool, sinceMs: number|null}. Offline when every
   * kind that promises a heartbeat is overdue (older than STALE_FACTOR periods).
   */
  function liveness(latestByKind, lastHeardMs, nowMs) {
    let deadline = null;
    for (const [kind, data] of Object.entries(latestByKind)) {
      const t = stampMs(data), period = periodS(data, kind);
      if (!data || t === null || period <= 0) continue;
      deadline = Math.max(deadline === null ? -Infinity : deadline, t + STALE_FACTOR * period * 1000);
    }
    return { offline: deadline !== null && nowMs > deadline, sinceMs: lastHeardMs };
  }

  return { STALE_FACTOR, DEFAULT_PERIOD_S, periodS, stampMs, ageS, isStale, formatAge, describe, liveness };
}());
