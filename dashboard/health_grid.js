// The health panel's figures of one health-updated payload: resources, then one figure per
// pipeline component (state, rate, stale) - each component once, never beside a second copy of
// its fps - then the remaining pipeline counters, disks, temperatures and GPU.
window.RvmHealthGrid = (function () {
  'use strict';

  const title = (k) => k.charAt(0).toUpperCase() + k.slice(1).replace(/_/g, ' ');
  const UNITS = { camera: 'fps', detector: 'fps' };
  const SHOWN = ['camera_fps', 'detector_fps', 'bridge_state', 'components'];

  /** [label, value text, meter percent or null] of every figure of `h`. */
  function figures(h, num, count) {
    const cpu = h.cpu || {}, mem = h.memory || {}, pipe = h.pipeline || {};
    const out = [
      ['CPU', `${num(cpu.percent)} %`, cpu.percent],
      ['Memory', `${num(mem.percent)} %`, mem.percent],
      ['Load 1 min', num(cpu.load_1m, 2), null],
      ['Memory used', `${num(mem.used_mb, 0)} / ${num(mem.total_mb, 0)} MB`, null],
    ];
    const components = Object.entries(pipe.components || {});
    if (components.length) {
      for (const [name, c] of components) out.push([title(name), component(name, c || {}, num), null]);
    } else {                              // an older sender: the flat figures only
      out.push(['Camera', `${num(pipe.camera_fps)} fps`, null], ['Detector', `${num(pipe.detector_fps)} fps`, null],
        ['Bridge', pipe.bridge_state || '–', null]);
    }
    for (const [k, v] of Object.entries(pipe)) {
      if (SHOWN.includes(k) || (v !== null && typeof v === 'object')) continue;
      out.push([title(k), typeof v === 'number' ? count(v) : String(v ?? '–'), null]);
    }
    out.push(['Uptime', `${num((h.uptime_s || 0) / 60, 1)} min`, null]);
    for (const d of h.disk || []) out.push([`Disk ${d.path}`, `${num(d.percent)} % · ${num(d.free_gb)} GB free`, d.percent]);
    for (const [zone, c] of Object.entries(h.temperatures || {})) out.push([zone, `${num(c)} °C`, null]);
    if (h.gpu) {
      out.push(['GPU', Object.entries(h.gpu).map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : v}`).join(' · '), null]);
    }
    return out;
  }

  /** "online · 14.8 fps", "connected", "0.6 /s (stale)": only the parts the component has. */
  function component(name, c, num) {
    const parts = [];
    if (c.state) parts.push(c.state);
    if (typeof c.rate_hz === 'number') parts.push(`${num(c.rate_hz)} ${UNITS[name] || '/s'}`);
    return (parts.join(' · ') || '–') + (c.stale ? ' (stale)' : '');
  }

  return { figures, component };
}());
