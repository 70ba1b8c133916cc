// Catch-up from the server: when the page connects, and again after every reconnect, it reads
// GET /api/v2/rvm/{rvm}/state (an operator's Bearer token; docs/laravel.md "Catch-up"): the
// machine's last status, health and timezone and its last 50 verdicts with their crops, from the
// server's database. Each event is replayed through the page's live path, which drops what it
// has shown already (event_id), so a page opened late, or reconnected after an outage, shows
// what it missed and then goes on live.
window.RvmCatchUp = (function () {
  'use strict';

  const AUTH_SUFFIX = /\/api\/v2\/broadcasting\/auth\/?$/;
  const statePath = (rvm) => `/api/v2/rvm/${encodeURIComponent(rvm)}/state`;

  /** The state URL of the settings' machine: `state` as given, else beside the auth endpoint
   *  (same server), else on this page's origin; '' without a machine id. */
  function stateUrl(s) {
    if (!s.rvm) return '';
    if (s.state) return s.state;
    const base = s.auth && AUTH_SUFFIX.test(s.auth) ? s.auth.replace(AUTH_SUFFIX, '') : '';
    return base + statePath(s.rvm);
  }

  /** The document's events as [channel, event, data], oldest first (live state, then verdicts
   *  and sessions by time). */
  function eventsOf(doc) {
    const out = [];
    const at = (d) => Date.parse(d && d.timestamp) || 0;
    if (doc.timezone) out.push(['timezone-updates', 'timezone-synced', doc.timezone]);
    if (doc.status) out.push(['rvm-status', 'status-updated', doc.status]);
    if (doc.health) out.push(['rvm-status', 'health-updated', doc.health]);
    const items = [...(doc.verdicts || []).map((d) => ['detection-results', 'detection-completed', d]),
      ...(doc.sessions || []).map((d) => ['detection-results', 'session-completed', d])];
    items.sort((a, b) => at(a[2]) - at(b[2]));
    return out.concat(items.filter(([, , d]) => d && typeof d === 'object'));
  }

  /** Load the state and hand every event to `deliver(channel, event, data)` (true when it was
   *  new to the page). Resolves {url, total, fresh}; rejects with a readable Error. */
  async function load(settings, deliver) {
    const url = stateUrl(settings);
    if (!url) throw new Error('no machine id set: the page cannot ask the server what it missed');
    const headers = { Accept: 'application/json' };
    if (settings.token) headers.Authorization = `Bearer ${settings.token}`;
    let resp;
    try {
      resp = await fetch(url, { headers, cache: 'no-store' });
    } catch (err) {
      throw new Error(`${url} unreachable (${err.message})`);
    }
    if (resp.status === 401) throw new Error('the server refused the Bearer token (HTTP 401)');
    if (resp.status === 403) throw new Error('this token may not read the machine (HTTP 403: operators only)');
    if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    const list = eventsOf(await resp.json());
    let fresh = 0;
    for (const [channel, event, data] of list) if (deliver(channel, event, data)) fresh += 1;
    return { url, total: list.length, fresh };
  }

  return { stateUrl, eventsOf, load };
}());
