// MyRVM reference dashboard: subscribes to the rvm-edge channels on a Reverb/Pusher server with
// pusher-js and renders every event. No build step; pusher-js is vendored into vendor/ by
// scripts/setup. Event payloads are described by src/rvm_common/rvm_common/schemas/*.json.
(function () {
  'use strict';

  const PUBLIC_CHANNELS = ['rvm-status', 'detection-results', 'timezone-updates'];
  const PRIVATE_CHANNEL = (rvmId) => `private-rvm.${rvmId}`;
  const MAX_VERDICTS = 40;
  const MAX_ROWS = 20;
  const MAX_SEEN = 5000;
  const MAX_LOG = 40;

  // Everything the page has seen; exposed read-only as window.rvmDashboard for tests and debugging.
  const model = {
    connection: 'initialized', socketId: null, reconnects: 0, connectedOnce: false,
    events: 0, duplicates: 0, malformed: 0, seen: new Map(), lastSeq: {},
    machines: {}, health: {}, verdicts: [], processing: new Map(), sessions: [], timezone: null,
    received: [], latest: {}, lastHeard: {},   // per machine: newest event by kind; newest timestamp (ms)
  };
  const F = window.RvmFreshness;
  const LIVE_KINDS = ['status-updated', 'health-updated', 'timezone-synced'];
  const TICK_MS = 500;                       // how often ages and stale marks are refreshed
  window.rvmDashboard = model;
  let pusher = null;
  let settings = {};
  let replaying = false;                     // true while caught-up events are replayed

  // ---- small DOM helpers (all network text goes through textContent, never innerHTML) ----------
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('data-')) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const num = (v, digits = 1) => (typeof v === 'number' && isFinite(v) ? v.toFixed(digits) : '–');
  const count = (v) => (Number.isInteger(v) ? String(v) : num(v, 2));
  const clockTime = (iso) => {
    const t = Date.parse(iso);
    return isNaN(t) ? '–' : new Date(t).toLocaleTimeString([], { hour12: false });
  };
  function figure(label, value, extra) {
    return el('div', { class: 'figure' }, el('span', { class: 'label', text: label }),
      el('span', { class: 'value', text: value }), extra || null);
  }
  function meter(percent) {
    const p = Math.max(0, Math.min(100, Number(percent) || 0));
    const bar = el('span', { class: 'meter' + (p >= 90 ? ' hot' : p >= 75 ? ' warm' : '') });
    const fill = el('span', { class: 'fill' });
    fill.style.width = `${p}%`;
    bar.append(fill);
    return bar;
  }

  function log(text, level) {
    const list = $('log');
    const time = new Date().toLocaleTimeString([], { hour12: false });
    list.prepend(el('li', { class: level || 'info' }, el('time', { text: time }), text));
    while (list.children.length > MAX_LOG) list.lastChild.remove();
  }

  // ---- connection -------------------------------------------------------------------------------
  function setConnection(current) {
    model.connection = current;
    $('conn').dataset.state = current;
    $('conn-state').textContent = current;
    $('conn-reconnects').textContent = model.reconnects;
    $('conn-socket').textContent = model.socketId ? `socket ${model.socketId}` : '';
  }

  function connect(s) {
    disconnect();
    settings = s;
    const error = $('settings-error');
    error.hidden = true;
    if (!s.key || !s.host) {
      error.textContent = 'Host and app key are needed to connect.';
      error.hidden = false;
      $('settings').hidden = false;
      return;
    }
    const port = Number(s.port) || (s.tls ? 443 : 80);
    // Accept: application/json makes Laravel answer a guest with a JSON 401 (never a login redirect)
    const headers = { Accept: 'application/json' };
    if (s.token) headers.Authorization = `Bearer ${s.token}`;
    const endpoint = s.auth || '/api/v2/broadcasting/auth';
    pusher = new Pusher(s.key, {
      cluster: 'local', wsHost: s.host, wsPort: port, wssPort: port, forceTLS: !!s.tls,
      enabledTransports: s.tls ? ['wss'] : ['ws'], disableStats: true,
      channelAuthorization: { endpoint, transport: 'ajax', headers },
    });
    model.reconnects = 0;
    model.connectedOnce = false;
    pusher.connection.bind('state_change', ({ previous, current }) => {
      if (current === 'connected') {
        model.socketId = pusher.connection.socket_id;
        if (model.connectedOnce) model.reconnects += 1;
        model.connectedOnce = true;
        catchUp();
      }
      log(`connection ${previous} → ${current}`, current === 'connected' ? 'ok' : current === 'connecting' ? 'info' : 'warn');
      setConnection(current);
    });
    pusher.connection.bind('error', (err) => {
      const e = (err && (err.error || err)) || {};
      const detail = (e.data && (e.data.message || e.data.code)) || e.type || 'error';
      log(`connection error: ${detail}`, 'error');
    });
    const channels = PUBLIC_CHANNELS.slice();
    if (s.rvm) channels.push(PRIVATE_CHANNEL(s.rvm));
    for (const name of channels) {
      const channel = pusher.subscribe(name);
      channel.bind_global((event, data) => onEvent(name, event, data));
    }
    log(`connecting to ${s.tls ? 'wss' : 'ws'}://${s.host}:${port} (${channels.join(', ')})`);
  }

  /** Ask the server what this page missed (on open and after every reconnect); then live. */
  function catchUp() {
    const deliver = (channel, event, data) => {
      const before = model.events;
      replaying = true;
      try { onEvent(channel, event, data); } finally { replaying = false; }
      return model.events > before;
    };
    model.catchUp = { state: 'loading' };
    window.RvmCatchUp.load(settings, deliver).then(({ total, fresh }) => {
      model.catchUp = { state: 'done', total, fresh, at: Date.now() };
      log(`caught up from the server: ${total} events, ${fresh} new to this page`, 'ok');
    }, (err) => {
      model.catchUp = { state: 'failed', error: err.message };
      log(`catch-up from the server failed: ${err.message}`, 'warn');
    });
  }

  function disconnect() {
    if (pusher) {
      pusher.disconnect();
      pusher = null;
      model.socketId = null;
      setConnection('disconnected');
    }
  }

  // ---- events -----------------------------------------------------------------------------------
  function parseData(data) {
    if (typeof data !== 'string') return data;
    try { return JSON.parse(data); } catch (e) { return undefined; }
  }

  const AUTH_ERRORS = {
    401: 'the auth endpoint refused the Bearer token (HTTP 401: missing, wrong or expired); set a valid token',
    403: 'this token may not use the channel (HTTP 403: another machine, or not an operator)',
  };

  function onEvent(channel, event, raw) {
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) {
      if (event === 'pusher:subscription_succeeded') log(`subscribed to ${channel}`, 'ok');
      if (event === 'pusher:subscription_error') {
        const status = raw && (raw.status || raw.type);
        const why = AUTH_ERRORS[raw && raw.status];
        log(`subscription to ${channel} refused${status ? ` (${status})` : ''}${why ? `: ${why}` : ''}`, 'error');
        if (why) {
          $('settings-error').textContent = `${channel}: ${why}`;
          $('settings-error').hidden = false;
        }
      }
      return;
    }
    const name = event.replace(/^client-/, '');
    const data = parseData(raw);
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      model.malformed += 1;
      log(`ignored malformed ${event} on ${channel}`, 'warn');
      return;
    }
    if (data.event_id) {
      if (model.seen.has(data.event_id)) {
        model.duplicates += 1;
        $('count-duplicates').textContent = model.duplicates;
        return;
      }
      model.seen.set(data.event_id, true);
      if (model.seen.size > MAX_SEEN) model.seen.delete(model.seen.keys().next().value);
    }
    model.events += 1;
    model.received.push({ channel, event: name, data, displayed_at_ms: Date.now() });
    const stamp = F.stampMs(data);
    if (stamp !== null && data.rvm_id) model.lastHeard[data.rvm_id] = Math.max(model.lastHeard[data.rvm_id] || 0, stamp);
    if (LIVE_KINDS.includes(name) && !keepNewest(name, data)) return;   // an older one after a newer one
    if (model.received.length > 500) model.received.shift();
    $('count-events').textContent = model.events;
    checkSeq(data);
    const handler = HANDLERS[name];
    if (handler) handler(data, channel);
    else log(`event ${event} on ${channel}`);
  }

  function checkSeq(data) {
    if (typeof data.seq !== 'number' || !data.rvm_id) return;
    const last = model.lastSeq[data.rvm_id];
    if (last !== undefined && data.seq > last + 1) log(`${data.rvm_id}: seq gap ${last} → ${data.seq}`, 'warn');
    if (last === undefined || data.seq > last) model.lastSeq[data.rvm_id] = data.seq;
  }

  const machineId = (d) => d.rvm_id || 'unknown';

  /** Remember `data` as the machine's newest event of `kind`; false when a newer one is shown already. */
  function keepNewest(kind, data) {
    const byKind = model.latest[machineId(data)] || (model.latest[machineId(data)] = {});
    const shown = byKind[kind];
    if (shown && (F.stampMs(shown) || 0) > (F.stampMs(data) || 0)) return false;
    byKind[kind] = data;
    return true;
  }

  /** The age label of one panel part; `refreshAges` keeps its text and the stale mark current. */
  const ageLabel = (rvm, kind, id) => el('p', { class: 'age muted', id, 'data-rvm': rvm, 'data-kind': kind });

  const refreshAges = () => window.RvmLiveView.refresh(model);

  function renderMachines() {
    const box = $('machines');
    box.replaceChildren();
    for (const [id, st] of Object.entries(model.machines)) {
      const alerts = (st.alerts || []).slice(-5).reverse();
      box.append(el('article', { class: 'machine', 'data-rvm': id, 'data-fresh': '' },
        el('div', { class: 'machine-head' },
          el('span', { class: 'rvm-id', text: id }),
          el('span', { class: `state state-${st.state}`, id: `state-${id}`, text: st.state || '?' })),
        el('p', { class: 'muted', text: `since ${clockTime(st.since)}${st.previous_state ? ` · was ${st.previous_state}` : ''}` }),
        el('p', { class: 'offline', hidden: true }),
        (st.reasons || []).length ? el('p', { class: 'reasons', text: st.reasons.join(' · ') }) : null,
        alerts.length ? el('ul', { class: 'alerts' }, alerts.map((a) =>
          el('li', { class: `alert ${a.level}` }, el('b', { text: a.kind }), ` ${a.message} `,
            el('span', { class: 'muted', text: clockTime(a.since) })))) : el('p', { class: 'muted', text: 'no alerts' }),
        ageLabel(id, 'status-updated', `status-age-${id}`)));
    }
    refreshAges();
  }

  function renderHealth() {
    const box = $('health');
    box.replaceChildren();
    for (const [id, h] of Object.entries(model.health)) {
      const figures = window.RvmHealthGrid.figures(h, num, count)
        .map(([label, value, percent]) => figure(label, value, percent === null ? null : meter(percent)));
      box.append(el('article', { class: 'health', 'data-rvm': id, 'data-fresh': '' },
        Object.keys(model.health).length > 1 ? el('h3', { text: id }) : null,
        el('div', { class: 'figures-grid' }, ...figures),
        ageLabel(id, 'health-updated', `health-age-${id}`)));
    }
    refreshAges();
  }

  const drawVerdict = (canvas, d) => window.RvmVerdictCanvas.draw(canvas, d);

  function onVerdict(d) {
    // a caught-up verdict was not seen live: its capture-to-display time says nothing
    const latency = replaying ? NaN : Date.now() - Date.parse(d.capture_time);
    model.verdicts.unshift({ ...d, latency_ms: latency });
    if (model.verdicts.length > MAX_VERDICTS) model.verdicts.pop();
    const list = $('verdicts');
    list.querySelector('.empty')?.remove();
    const canvas = el('canvas', { width: 160, height: 120, class: 'shape' });
    drawVerdict(canvas, d);
    const t = d.timings_ms || {};
    const verdict = d.accepted === true ? 'accepted' : d.accepted === false ? 'rejected' : 'unknown';
    const join = (parts) => parts.filter(Boolean).join(' · ');
    // an accept is final when the item leaves toward the exit: that wait is part of the latency
    const waited = Date.parse(d.timestamp) - Date.parse(d.capture_time);
    const left = d.accepted ? 'the item to leave toward the exit' : 'the item to leave';
    const stamp = F.stampMs(d) || 0;
    const card = el('li', { class: `verdict ${verdict}`, 'data-event-id': d.event_id, 'data-ts': stamp,
      'data-item-id': d.item_id, 'data-category': d.category },
      canvas,
      el('div', { class: 'verdict-body' },
        el('div', { class: 'verdict-head' },
          el('span', { class: 'category', text: String(d.category || '?').replace(/_/g, ' ') }),
          el('span', { class: `badge ${{ accepted: 'ok', rejected: 'bad', unknown: 'neutral' }[verdict]}`, text: verdict })),
        el('p', { class: 'verdict-line' }, d.class_name ? `${d.class_name} · ` : '',
          typeof d.confidence === 'number' ? el('span', {}, 'confidence ', el('b', { text: `${num(d.confidence * 100, 1)} %` })) : null,
          d.reason ? el('span', { class: 'reason', text: ` · ${String(d.reason).replace(/_/g, ' ')}` }) : null,
          d.truncated ? el('span', { class: 'muted', text: `${d.class_name || typeof d.confidence === 'number' ? ' · ' : ''}truncated` }) : null),
        el('p', { class: 'muted' },
          el('span', { class: 'latency', text: replaying ? 'from the server' : isNaN(latency) ? 'latency –' : `latency ${latency} ms` }),
          replaying ? ' (caught up) · ' : ' capture→display · ',
          waited > 250 ? el('span', { class: 'waited', text: replaying ? `made ${waited} ms after capture, waiting for ${left} · `
            : `${waited} ms of it waiting for ${left} · ` }) : null,
          join([typeof t.inference === 'number' && `inference ${num(t.inference)} ms`, d.item_id && `item ${d.item_id}`,
            d.capture_time && clockTime(d.capture_time), typeof d.seq === 'number' && `seq ${d.seq}`]))));
    // newest first, also when a caught-up (older) verdict arrives after live ones
    const after = [...list.children].find((li) => Number(li.dataset.ts) < stamp);
    list.insertBefore(card, after || null);
    while (list.children.length > MAX_VERDICTS) list.lastChild.remove();
    const accepted = model.verdicts.filter((v) => v.accepted).length;
    $('verdict-count').textContent = `${model.verdicts.length} shown · ${accepted} accepted`;
  }

  const onProcessing = (d) => $('processing').replaceChildren(...window.RvmTables.processing(model, d, MAX_ROWS, { el }));
  function onSession(d) {
    const rows = window.RvmTables.sessions(model, d, MAX_ROWS, { el, clockTime });
    if (rows) $('sessions').replaceChildren(...rows);
  }

  function onTimezone(d) {
    model.timezone = d;
    $('tz-name').textContent = d.timezone || '–';
    $('tz-offset').textContent = d.utc_offset || '–';
    $('tz-local').textContent = d.local_time ? d.local_time.replace('T', ' ') : '–';
    $('tz-server').textContent = d.server_time ? d.server_time.replace('T', ' ') : '–';
    $('tz-clock').textContent = typeof d.clock_offset_ms === 'number' ? `${num(d.clock_offset_ms, 0)} ms` : '–';
    const status = $('tz-status');
    const when = d.heartbeat ? ' · repeated' : ` at ${clockTime(d.timestamp)}`;   // a heartbeat is no new sync
    status.textContent = `${d.status} (${d.trigger})${when}${d.error ? ` · ${d.error}` : ''}`;
    status.className = d.status === 'synced' ? 'ok' : 'bad';
    const age = $('tz-age');
    age.dataset.rvm = machineId(d);
    refreshAges();
    if (sync.answer(d)) log(`manual sync answered by ${machineId(d)}`, 'ok');
  }

  const HANDLERS = {
    'status-updated': (d) => { model.machines[machineId(d)] = d; renderMachines(); },
    'health-updated': (d) => { model.health[machineId(d)] = d; renderHealth(); },
    'detection-completed': onVerdict,
    'processing-updated': onProcessing,
    'session-completed': onSession,
    'timezone-synced': onTimezone,
    'manual-sync': (d) => {
      sync.echoed(d);
      log(`manual sync requested${d.requested_by ? ` by ${d.requested_by}` : ''} (sent to the machines)`, 'ok');
    },
    command: (d, channel) => log(`command ${d.command} on ${channel}`),
  };

  // ---- manual sync ------------------------------------------------------------------------------
  // a request_id per click, echoed by the machine's timezone-synced; ?sync_timeout=S (default 10 s)
  const syncTimeout = Number(new URLSearchParams(location.search).get('sync_timeout')) || 10;
  const sync = new window.RvmManualSync.ManualSync({
    timeoutS: syncTimeout, whyNoAnswer,
    render: (text, state) => { const m = $('sync-message'); m.textContent = text; m.dataset.state = state; },
  });

  function whyNoAnswer() {
    const subscribed = (name) => { const c = pusher && name && pusher.channel(name); return !!(c && c.subscribed); };
    return window.RvmLiveView.whyNoAnswer({
      connected: !!pusher && model.connection === 'connected', subscribed, viaHttp: !!settings.sync,
      privateChannel: settings.rvm ? PRIVATE_CHANNEL(settings.rvm) : null, rvm: settings.rvm, model,
    });
  }

  async function manualSync() {
    const body = sync.send('dashboard');
    if (!body) return;
    if (settings.sync) {
      try {
        const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
        if (settings.token) headers.Authorization = `Bearer ${settings.token}`;
        const resp = await fetch(settings.sync, { method: 'POST', headers, body: JSON.stringify(body) });
        if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
        sync.sent('HTTP');
      } catch (err) {
        sync.fail(err.message);
        log(`manual sync request failed: ${err.message}`, 'error');
      }
      return;
    }
    const channel = pusher && settings.rvm && pusher.channel(PRIVATE_CHANNEL(settings.rvm));
    if (channel && channel.subscribed && channel.trigger('client-manual-sync', body)) sync.sent('client event');
    else sync.fail(whyNoAnswer() || 'set a manual-sync URL, or a machine id whose private channel allows client events');
  }

  // ---- wiring -----------------------------------------------------------------------------------
  document.addEventListener('DOMContentLoaded', () => {
    const initial = window.RvmSettings.read();
    window.RvmSettings.fill($('settings-form'), initial);
    $('toggle-settings').addEventListener('click', () => { $('settings').hidden = !$('settings').hidden; });
    $('settings-form').addEventListener('submit', (e) => { e.preventDefault(); connect(window.RvmSettings.fromForm($('settings-form'))); });
    $('disconnect').addEventListener('click', disconnect);
    $('manual-sync').addEventListener('click', manualSync);
    setInterval(refreshAges, TICK_MS);
    if (typeof Pusher === 'undefined') {
      log('pusher-js missing: run scripts/setup (vendors it into dashboard/vendor/)', 'error');
      return;
    }
    if (initial.key && initial.host) connect(initial);
    else $('settings').hidden = false;
  });
}());
