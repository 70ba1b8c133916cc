// Dashboard settings: URL query > saved (localStorage, never the token) > the Settings form.
// A bearer token in the URL is read once and removed from the address bar / history.
window.RvmSettings = (function () {
  'use strict';

  const KEYS = ['host', 'port', 'key', 'tls', 'auth', 'token', 'rvm', 'sync', 'state'];
  const STORE = 'rvm-dashboard';

  function read() {
    const saved = JSON.parse(localStorage.getItem(STORE) || '{}');
    const query = new URLSearchParams(location.search);
    const out = {};
    for (const k of KEYS) out[k] = query.has(k) ? query.get(k) : (saved[k] || '');
    if (query.has('token')) {            // do not leave a bearer token in the address bar / history
      query.delete('token');
      history.replaceState(null, '', `${location.pathname}${query.toString() ? '?' + query : ''}`);
    }
    out.tls = ['1', 'true', 'on'].includes(String(out.tls).toLowerCase());
    return out;
  }

  function fill(form, s) {
    for (const k of KEYS) {
      if (k === 'tls') form.elements.tls.checked = !!s.tls;
      else form.elements[k].value = s[k] || '';
    }
  }

  /** The form's settings; saved (without the token) for the next visit. */
  function fromForm(form) {
    const s = {};
    for (const k of KEYS) s[k] = k === 'tls' ? form.elements.tls.checked : form.elements[k].value.trim();
    const { token, ...keep } = s;
    localStorage.setItem(STORE, JSON.stringify(keep));
    return s;
  }

  return { KEYS, read, fill, fromForm };
}());
