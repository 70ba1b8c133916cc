// The Manual sync round trip as one small state machine: the page makes a request_id, the
// machine's timezone-synced answer echoes it (src/rvm_common/rvm_common/schemas/manual-sync.json). States and their
// transitions are the table below; anything else is ignored (e.g. a second answer).
window.RvmManualSync = (function () {
  'use strict';

  const State = Object.freeze({
    IDLE: 'idle', SENDING: 'sending', SENT: 'sent', ANSWERED: 'answered', FAILED: 'failed', TIMED_OUT: 'timed_out',
  });
  // state -> {event -> next state}
  const TRANSITIONS = Object.freeze({
    [State.IDLE]: { send: State.SENDING },
    [State.SENDING]: { sent: State.SENT, fail: State.FAILED, answer: State.ANSWERED },
    [State.SENT]: { answer: State.ANSWERED, timeout: State.TIMED_OUT },
    [State.ANSWERED]: { send: State.SENDING },
    [State.FAILED]: { send: State.SENDING },
    [State.TIMED_OUT]: { send: State.SENDING, answer: State.ANSWERED },   // a late answer still counts
  });

  function newRequestId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
      : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  }

  /** One request at a time; `render(text, state)` is called on every change. */
  class ManualSync {
    constructor({ timeoutS = 10, render = () => {}, whyNoAnswer = () => '', now = () => Date.now() } = {}) {
      this.timeoutS = timeoutS;
      this.state = State.IDLE;
      this.requestId = null;
      this.sentAt = null;
      this.seenOnChannel = false;
      this._render = render;
      this._why = whyNoAnswer;
      this._now = now;
      this._timer = null;
    }

    _go(event) {
      const next = TRANSITIONS[this.state][event];
      if (!next) return false;
      this.state = next;
      return true;
    }

    /** A click: returns the request body to send (with a fresh request_id). */
    send(requestedBy = 'dashboard') {
      if (!this._go('send')) return null;
      clearTimeout(this._timer);
      this.requestId = newRequestId();
      this.sentAt = this._now();
      this.seenOnChannel = false;
      this._render('sending…', this.state);
      return { requested_by: requestedBy, request_id: this.requestId };
    }

    /** The request left the page (HTTP accepted / client event written): start the answer timer. */
    sent(how) {
      if (!this._go('sent')) return;
      this.how = how;
      this._render(this._sentText(how), this.state);
      this._timer = setTimeout(() => this.timeout(), this.timeoutS * 1000);
    }

    _sentText(how) {
      return `sent${how ? ` (${how})` : ''}, request ${this.requestId.slice(0, 8)}` +
        `${this.seenOnChannel ? ' · manual sync requested on timezone-updates' : ''}` +
        ` · waiting up to ${this.timeoutS} s for the machine…`;
    }

    /** The manual-sync event itself came back on the channel (what the machines receive). */
    echoed(data) {
      if (!data || !this.requestId || data.request_id !== this.requestId) return;
      if (this.state !== State.SENDING && this.state !== State.SENT) return;
      this.seenOnChannel = true;                 // may come before the HTTP answer: said once sent
      if (this.state === State.SENT) this._render(this._sentText(this.how), this.state);
    }

    fail(reason) {
      if (!this._go('fail')) return;
      this._render(`not sent: ${reason}`, this.state);
    }

    timeout() {
      if (!this._go('timeout')) return;
      const why = this._why();
      this._render(`no answer in ${this.timeoutS} s${why ? `: ${why}` : ''}`, this.state);
    }

    /** A timezone-synced event; true when it answers the pending request. */
    answer(data) {
      if (!data || !this.requestId || data.request_id !== this.requestId) return false;
      const late = this.state === State.TIMED_OUT;
      if (!this._go('answer')) return false;
      clearTimeout(this._timer);
      const seconds = ((this._now() - this.sentAt) / 1000).toFixed(1);
      const result = data.status === 'synced'
        ? `synced ${data.timezone || ''} ${data.utc_offset || ''}${typeof data.clock_offset_ms === 'number'
          ? `, clock offset ${Math.round(data.clock_offset_ms)} ms` : ''}`
        : `sync failed${data.error ? `: ${data.error}` : ''}`;
      this._render(`${data.rvm_id || 'machine'} answered in ${seconds} s${late ? ' (late)' : ''}: ${result}`,
        this.state);
      return true;
    }
  }

  return { State, TRANSITIONS, ManualSync, newRequestId };
}());
