"""Readable console lines for the standalone runner: one per item verdict, session and state."""
from __future__ import annotations

from typing import Any, TextIO


class ItemReport:
    """Prints a one-line summary per verdict, session, RVM state change and time sync."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.items = 0

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def verdict(self, p: dict[str, Any]) -> None:
        self.items += 1
        decision = 'ACCEPT' if p.get('accepted') else f"REJECT ({p.get('reason')})"
        box = p.get('bbox') or {}
        mask = p.get('mask') or {}
        timings = p.get('timings_ms') or {}
        area = f"{100 * mask['area_fraction']:.1f}% of frame" if 'area_fraction' in mask else 'no mask'
        self._print(
            f"item {self.items:>3}  {p.get('category', '?'):<14} conf {p.get('confidence', 0):.2f}  "
            f"{decision:<32} bbox ({box.get('x1', 0):.0f},{box.get('y1', 0):.0f})-"
            f"({box.get('x2', 0):.0f},{box.get('y2', 0):.0f})  mask {area}  "
            f"{timings.get('total', 0):.0f} ms  id {str(p.get('item_id', ''))[:8]}")

    def session(self, p: dict[str, Any]) -> None:
        counts = ', '.join(f'{k} {v}' for k, v in sorted((p.get('counts') or {}).items()))
        self._print(f"session {str(p.get('session_id', ''))[:8]} ended ({p.get('reason')}): "
                    f"{p.get('total', 0)} items, {p.get('accepted', 0)} accepted, "
                    f"{p.get('rejected', 0)} rejected [{counts}]")

    def status(self, p: dict[str, Any]) -> None:
        reasons = '; '.join(p.get('reasons') or [])
        self._print(f"rvm state: {p.get('previous_state')} -> {p.get('state')}"
                    + (f' ({reasons})' if reasons else ''))

    def timezone(self, p: dict[str, Any]) -> None:
        self._print(f"time sync: {p.get('status')} {p.get('timezone')} {p.get('utc_offset')} "
                    f"offset {p.get('clock_offset_ms')} ms")

    def summary(self, s: dict[str, Any]) -> None:
        bridge = s.get('bridge') or {}
        depth = bridge.get('outbox_depth', '?')
        if bridge.get('state') == 'offline':
            delivery = f'no server configured: {depth} durable events kept in the outbox'
        elif s['delivered']:
            delivery = f"bridge {bridge.get('state')}: every durable event delivered"
        else:
            delivery = f"bridge {bridge.get('state')}: {depth} durable events still queued (sent later)"
        feed = s.get('feed') or {}
        skipped = (f", {feed['skipped_stale']} stale frames skipped (detector slower than the camera)"
                   if feed.get('skipped_stale') else '')
        self._print(f"done: {s['frames']} frames in {s['seconds']} s{skipped}, {s['verdicts']} "
                    f"verdicts; {delivery}")
