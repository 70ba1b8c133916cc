"""Readable console lines for the standalone runner: the start banner, one line per item verdict,
session and state, progress during long work, ``-v`` detail, and the closing summary."""
from __future__ import annotations

from typing import Any, TextIO

from rvm_bridge.delivery.summary import summary_text


class ProgressTicker:
    """Says when a progress line is due (every ``period_s``) and the frames/s since the last."""

    def __init__(self, period_s: float, start: float) -> None:
        self.period_s = period_s
        self._last_time = start
        self._last_frames = 0

    def due(self, now: float, frames: int) -> float | None:
        """Frames/s over the elapsed period when a line is due, else None."""
        elapsed = now - self._last_time
        if self.period_s <= 0 or elapsed < self.period_s:
            return None
        fps = (frames - self._last_frames) / elapsed
        self._last_time, self._last_frames = now, frames
        return fps


class ItemReport:
    """Prints a one-line summary per verdict, session, RVM state change and time sync."""

    def __init__(self, out: TextIO, *, online: bool = True, verbose: bool = False) -> None:
        self.out = out
        self.items = 0
        self.online = online
        self.verbose = verbose
        self._last_detail: dict[str, str] = {}

    def banner(self, facts: list[tuple[str, str]]) -> None:
        """``rvm-edge: name  value`` lines saying what this run uses."""
        width = max([len(name) for name, _ in facts] + [8])    # 'evidence'
        for name, value in facts:
            self._print(f'rvm-edge: {name:<{width}}  {value}')

    def progress(self, frames: int, fps: float, queued: Any, bridge_state: str,
                 camera_state: str = '?') -> None:
        self._print(f'progress: {frames} frames ({fps:.1f} frames/s), {self.items} items, '
                    f'outbox queue {queued}, camera {camera_state}, bridge {bridge_state}')

    def detail(self, component: str, text: str) -> None:
        """With ``-v``: a component's status line, printed when it changed."""
        if self.verbose and self._last_detail.get(component) != text:
            self._last_detail[component] = text
            self._print(f'  {component}: {text}')

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def verdict(self, p: dict[str, Any]) -> None:
        self.items += 1
        decision = 'ACCEPT' if p.get('accepted') else f"REJECT ({p.get('reason')})"
        box = p.get('bbox') or {}
        mask = p.get('mask') or {}
        timings = p.get('timings_ms') or {}
        area = (
            f"{100 * mask['area_fraction']:.1f}% of frame"
            if 'area_fraction' in mask
            else 'no mask'
        )
        self._print(
            f"item {self.items:>3}  {p.get('category', '?'):<14} conf {p.get('confidence', 0):.2f}"
            f"  {decision:<32} bbox"
            f" ({box.get('x1', 0):.0f},{box.get('y1', 0):.0f})"
            f"-({box.get('x2', 0):.0f},{box.get('y2', 0):.0f})"
            f"  mask {area}  {timings.get('total', 0):.0f} ms  id {str(p.get('item_id', ''))[:8]}"
        )

    def session(self, p: dict[str, Any]) -> None:
        counts = ', '.join(f'{k} {v}' for k, v in sorted((p.get('counts') or {}).items()))
        self._print(f"session {str(p.get('session_id', ''))[:8]} ended ({p.get('reason')}): "
                    f"{p.get('total', 0)} items, {p.get('accepted', 0)} accepted, "
                    f"{p.get('rejected', 0)} rejected [{counts}]")

    def status(self, p: dict[str, Any]) -> None:
        if p.get('heartbeat'):
            # the unchanged state repeated for dashboards: nothing new to say
            return
        reasons = '; '.join(p.get('reasons') or [])
        previous = p.get('previous_state')
        change = f"{previous} -> {p.get('state')}" if previous else str(p.get('state'))
        self._print(f'rvm state: {change}' + (f' ({reasons})' if reasons else ''))

    def timezone(self, p: dict[str, Any]) -> None:
        if p.get('heartbeat'):
            return
        if not self.online:
            self._print('time sync: skipped: no server configured')
            return
        self._print(f"time sync: {p.get('status')} {p.get('timezone')} {p.get('utc_offset')} "
                    f"offset {p.get('clock_offset_ms')} ms")

    def summary(self, s: dict[str, Any]) -> None:
        bridge = s.get('bridge') or {}
        # counts; "delivered" only when every row was acknowledged
        delivery = summary_text(bridge)
        feed = s.get('feed') or {}
        skipped = (
            f", {feed['skipped_stale']} stale frames skipped (detector slower than the camera)"
            if feed.get('skipped_stale')
            else ''
        )
        why = queued_reason(bridge)
        if why and 'last error' not in delivery:
            delivery += f'; why: {why}'
        self._print(f"done: {s['frames']} frames in {s['seconds']} s{skipped}, {s['verdicts']} "
                    f"verdicts; {delivery}")


def queued_reason(status: dict[str, Any]) -> str:
    """Why durable events remain queued on a configured server ('' when none remain)."""
    delivery = status.get('delivery') or {}
    left = int(delivery.get('in_outbox', status.get('outbox_depth', 0)) or 0)
    if not left or str(status.get('state')) == 'offline':
        return ''
    connection = status.get('connection') or {}
    waiting = {c: st for c, st in (connection.get('subscriptions') or {}).items()
               if st != 'subscribed'}
    error = connection.get('last_error') or status.get('last_error') or ''
    parts = [f'{channel} not subscribed ({state})' for channel, state in sorted(waiting.items())]
    if error:
        parts.append(error)
    if not parts and delivery.get('awaiting_ack'):
        parts.append('the server has not acknowledged storing them (no events-stored yet)')
    return '; '.join(parts)


def bridge_words(status: dict[str, Any]) -> str:
    """The bridge's state for a progress line, with the channels it cannot use yet."""
    state = str(status.get('state', '?'))
    subs = (status.get('connection') or {}).get('subscriptions') or {}
    waiting = sorted(c for c, st in subs.items() if st != 'subscribed')
    return state + (f" ({', '.join(waiting)} not subscribed)" if waiting else '')


def bridge_detail(s: dict[str, Any]) -> str:
    """The ``-v`` line of the bridge: its state changes only (counts are in progress lines)."""
    text = f"{bridge_words(s)}, reconnects {s.get('reconnects', 0)}"
    error = (s.get('connection') or {}).get('last_error') or s.get('last_error')
    if error:
        text += f'; last error: {error}'
    return text


def detector_detail(s: dict[str, Any]) -> str:
    """The ``-v`` line of the detector: its state changes only, not every frame."""
    text = f"{s.get('state')}"
    if s.get('last_error'):
        text += f"; last error: {s['last_error']}"
    return text
