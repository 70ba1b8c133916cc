// The live-state part of the page: each panel's age, stale greying, "offline since …", and why a
// manual sync got no answer. Works on the page's model (window.rvmDashboard) with RvmFreshness.
window.RvmLiveView = (function () {
  'use strict';

  const F = window.RvmFreshness;
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

  /** Refresh every `.age[data-kind][data-rvm]` label (its `[data-fresh]` box greys when stale) and
   *  every machine's offline line. */
  function refresh(model, now = Date.now()) {
    for (const label of document.querySelectorAll('.age[data-kind]')) {
      const data = (model.latest[label.dataset.rvm] || {})[label.dataset.kind];
      if (!data) continue;
      label.textContent = F.describe(data, label.dataset.kind, now);
      const stale = F.isStale(data, label.dataset.kind, now);
      (label.closest('[data-fresh]') || label).classList.toggle('stale', stale);
    }
    for (const box of document.querySelectorAll('#machines .machine[data-rvm]')) {
      const id = box.dataset.rvm;
      const live = F.liveness(model.latest[id] || {}, model.lastHeard[id] || null, now);
      const line = box.querySelector('.offline');
      line.hidden = !live.offline;
      box.classList.toggle('gone', live.offline);
      if (live.offline) {
        const silent = F.formatAge((now - live.sinceMs) / 1000);
        line.textContent = `offline since ${clock(live.sinceMs)} (no heartbeat for ${silent})`;
      }
    }
  }

  /**
   * Why a manual sync got no answer, as far as the page can tell ('' when it cannot).
   * ctx: {connected, subscribed(name), viaHttp, privateChannel, rvm, model}
   */
  function whyNoAnswer(ctx, now = Date.now()) {
    const { model } = ctx;
    if (!ctx.connected) return 'this page is not connected to the server';
    if (!ctx.subscribed('timezone-updates')) {
      return 'this page is not subscribed to timezone-updates (an answer could not arrive)';
    }
    if (!ctx.viaHttp && ctx.privateChannel && !ctx.subscribed(ctx.privateChannel)) {
      return `not subscribed to ${ctx.privateChannel}`;
    }
    const ids = ctx.rvm ? [ctx.rvm] : Object.keys(model.lastHeard);
    if (!ids.some((id) => model.lastHeard[id])) {
      return 'no machine has reported yet (is rvm-edge running and connected?)';
    }
    const offline = (id) => F.liveness(model.latest[id] || {}, model.lastHeard[id], now).offline;
    const down = ids.filter((id) => model.lastHeard[id] && offline(id));
    if (down.length === ids.length) {
      return down.map((id) => `machine ${id} offline since ${clock(model.lastHeard[id])}`).join(', ');
    }
    return 'the machine is online but did not answer (is its bridge subscribed to timezone-updates?)';
  }

  return { refresh, whyNoAnswer };
}());
