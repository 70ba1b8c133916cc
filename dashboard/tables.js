// The processing and session tables: the newest rows first, at most `max` of each.
// `el` and `clockTime` are the page's DOM and time helpers (all network text as textContent).
window.RvmTables = (function () {
  'use strict';

  function processing(model, d, max, { el }) {
    model.processing.delete(d.item_id);
    model.processing.set(d.item_id, d);
    if (model.processing.size > max) model.processing.delete(model.processing.keys().next().value);
    return [...model.processing.values()].reverse().map((p) => el('tr', { 'data-item-id': p.item_id },
      el('td', { text: p.item_id }), el('td', {}, el('span', { class: `status status-${p.status}`, text: p.status })),
      el('td', { class: 'muted', text: p.detail || '' })));
  }

  function sessions(model, d, max, { el, clockTime }) {
    if (model.sessions.some((s) => s.session_id === d.session_id)) return null;
    model.sessions.push(d);
    model.sessions.sort((a, b) => (Date.parse(b.ended_at) || 0) - (Date.parse(a.ended_at) || 0));
    if (model.sessions.length > max) model.sessions.pop();
    return model.sessions.map((s) => el('tr', { 'data-session-id': s.session_id },
      el('td', { text: s.session_id }), el('td', { text: `${clockTime(s.ended_at)} (${String(s.reason).replace(/_/g, ' ')})` }),
      el('td', { text: s.accepted }), el('td', { text: s.rejected }),
      el('td', { class: 'muted', text: Object.entries(s.counts || {}).map(([c, n]) => `${c} ${n}`).join(', ') || '–' })));
  }

  return { processing, sessions };
}());
