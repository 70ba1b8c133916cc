"""The camera core: one frame source, rate control, counters and reconnection (no ROS).

``CameraCore.read()`` is called in a loop (ROS node thread or the standalone
runner).  It returns a :class:`Frame` when one is due, ``None`` otherwise; it
never raises for source problems.  Failures move the state to ``reconnecting``
(:class:`rvm_common.backoff.Backoff`: capped, jittered, reset only once the source has
delivered frames for ``healthy_after_s``) or ``offline`` (fatal, gave up, or end of media),
each with one log line and a reason in :meth:`CameraCore.status`.
"""
from __future__ import annotations

import collections
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from rvm_camera.camera_config import CameraConfig
from rvm_camera.sources import (CorruptFrame, FrameSource, RawFrame, SourceEnded, SourceError,
                                create_source)
from rvm_common.backoff import Backoff
from rvm_common.events import TOPIC_CAMERA_STATUS, make_event

LOG = logging.getLogger('rvm_camera')

STATE_ONLINE = 'online'
STATE_RECONNECTING = 'reconnecting'
STATE_OFFLINE = 'offline'
STATUS_EVENT = 'camera-status'

#: longest single sleep inside read() while waiting to retry (keeps callers responsive)
MAX_BLOCK_S = 0.25
#: sleep after a live source returned no frame, to avoid spinning
POLL_S = 0.005


@dataclass
class Frame:
    """A published frame: BGR uint8 image, wall-clock capture stamp (ns), sequence, frame_id."""

    image: np.ndarray
    stamp_ns: int
    seq: int
    frame_id: str


def valid_image(image: Any) -> str | None:
    """``None`` when ``image`` is an HxWx3 uint8 array, else why it is not."""
    if not isinstance(image, np.ndarray):
        return f'frame is {type(image).__name__}, not an array'
    if image.dtype != np.uint8:
        return f'frame dtype {image.dtype}, expected uint8'
    if image.ndim != 3 or image.shape[2] != 3:
        return f'frame shape {image.shape}, expected HxWx3'
    if image.shape[0] == 0 or image.shape[1] == 0:
        return f'frame has zero size {image.shape}'
    return None


class CameraCore:
    """Reads frames from ``config.source`` with pacing, rate control and reconnection.

    ``clock`` (monotonic seconds), ``sleep``, ``wall_clock_ns`` and the backoff's jitter ``rng``
    are injectable for fake-clock tests; ``source_factory(config)`` builds the backend.
    """

    def __init__(self, config: CameraConfig, clock: Callable[[], float] = time.monotonic, *,
                 sleep: Callable[[float], None] = time.sleep,
                 wall_clock_ns: Callable[[], int] = time.time_ns,
                 source_factory: Callable[[CameraConfig], FrameSource] = create_source,
                 rng: random.Random | None = None):
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._wall_ns = wall_clock_ns
        self._factory = source_factory
        self._source: FrameSource | None = None
        self._source_template: FrameSource | None = None
        self._opened_at = 0.0
        self._description = config.source
        self._backend = ''
        self._paced = False
        self._opened = False
        self._finished = False
        self._state = STATE_OFFLINE
        self._reason = 'not started'
        self._since = clock()
        self._backoff = Backoff(
            min(config.reconnect_initial_s, config.reconnect_max_s), config.reconnect_max_s,
            healthy_after_s=config.healthy_after_s, rng=rng)
        self._retry_at = 0.0
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.counters = collections.Counter(
            frames_read=0, frames_published=0, frames_dropped=0, frames_corrupt=0, failures=0,
            reconnects=0)
        self._consecutive_corrupt = 0
        self._last_frame_at: float | None = None
        self._publish_times: collections.deque[float] = collections.deque(maxlen=64)
        self._size: tuple[int, int] | None = None
        self._seq = 0
        self._next_t: float | None = None
        self._media0: int | None = None
        self._clock0 = 0.0
        self._wall0 = 0
        self._loop_offset = 0
        self._last_media: int | None = None
        self._media_step = 0
        self._frames_since_rewind = 0

    # ------------------------------------------------------------------ lifecycle
    @property
    def finished(self) -> bool:
        """True once the source ended (no loop), failed fatally, gave up, or was closed."""
        return self._finished

    @property
    def paced(self) -> bool:
        """True for recorded sources (file, folder, bag) timed by their media clock; False for
        live ones (V4L2, CSI, RTSP, GStreamer) that deliver frames at their own rate."""
        return self._paced

    @property
    def state(self) -> str:
        """online, reconnecting or offline."""
        return self._state

    def open(self) -> bool:
        """Open the source; True when it is online.  Never raises for source problems."""
        self._opened = True
        try:
            source = self._factory(self.config)
        except SourceError as exc:
            self._fail(str(exc), fatal=True)
            return False
        self._description = source.describe()
        self._backend = source.backend
        self._paced = source.paced
        self._source_template = source
        return self._try_open()

    def close(self) -> None:
        """Release the source; the core is finished afterwards."""
        self._close_source()
        self._finished = True
        self._set_state(STATE_OFFLINE, 'closed')

    # ------------------------------------------------------------------ reading
    def read(self) -> Frame | None:
        """The next due frame, or None (no frame now, dropped, waiting to retry, finished)."""
        if self._finished or not self._opened:
            return None
        if self._source is None:
            wait = self._retry_at - self._clock()
            if wait > 0:
                self._sleep(min(wait, MAX_BLOCK_S))
                return None
            if not self._try_open():
                return None
        assert self._source is not None
        try:
            raw = self._source.read()
        except CorruptFrame as exc:
            self._corrupt(str(exc))
            return None
        except SourceEnded as exc:
            self._ended(exc)
            return None
        except SourceError as exc:
            self._fail(str(exc), fatal=exc.fatal)
            return None
        except Exception as exc:  # a backend bug must not kill the node
            self._fail(f'unexpected {type(exc).__name__}: {exc}')
            return None
        now = self._clock()
        if raw is None:
            idle = now - (self._last_frame_at if self._last_frame_at is not None
                          else self._opened_at)
            if idle >= self.config.stall_timeout_s:
                self._fail(f'stalled: no frame for {idle:.1f} s')
            else:
                self._sleep(POLL_S)
            return None
        problem = valid_image(raw.image)
        if problem:
            self._corrupt(problem)
            return None
        return self._accept(raw, now)

    def _accept(self, raw: RawFrame, now: float) -> Frame | None:
        self.counters['frames_read'] += 1
        self._consecutive_corrupt = 0
        if self._last_frame_at is None:
            self._backoff.succeeded(now)         # healthy from the first frame after an open
        self._last_frame_at = now
        self._frames_since_rewind += 1
        if self._state != STATE_ONLINE:
            self._set_state(STATE_ONLINE, '')
        media = None
        if self._paced and raw.media_ns is not None:
            media = raw.media_ns + self._loop_offset
            if self._last_media is not None and media > self._last_media:
                self._media_step = media - self._last_media
            self._last_media = media
            if self._media0 is None:
                self._media0, self._clock0, self._wall0 = media, now, self._wall_ns()
        t = (media / 1e9) if media is not None else now
        if not self._admit(t):
            self.counters['frames_dropped'] += 1
            return None
        if media is not None and self.config.realtime:
            due = self._clock0 + (media - self._media0) / 1e9
            if due > now:
                self._sleep(due - now)
                now = self._clock()
        if media is not None and not self.config.realtime:
            stamp = self._wall0 + (media - self._media0)
        else:
            stamp = self._wall_ns()
        self._seq += 1
        self.counters['frames_published'] += 1
        self._publish_times.append(now)
        self._size = (int(raw.image.shape[1]), int(raw.image.shape[0]))
        return Frame(raw.image, int(stamp), self._seq, self.config.frame_id)

    def _admit(self, t: float) -> bool:
        """Rate control on the frame time ``t`` (s): at most ``config.fps`` frames per second."""
        if self.config.fps <= 0:
            return True
        interval = 1.0 / self.config.fps
        if self._next_t is None or t < self._next_t - interval:
            self._next_t = t + interval          # first frame, or time went back (loop)
            return True
        if t >= self._next_t - 0.05 * interval:
            self._next_t += interval
            if self._next_t <= t:
                self._next_t = t + interval      # the source paused: restart the grid
            return True
        return False

    # ------------------------------------------------------------------ failures
    def _try_open(self) -> bool:
        source = self._source_template
        assert source is not None
        try:
            source.open()
        except SourceError as exc:
            self._fail(str(exc), fatal=exc.fatal)
            return False
        except Exception as exc:
            self._fail(f'unexpected {type(exc).__name__} while opening: {exc}')
            return False
        self._source = source
        if self._backoff.attempts:
            self.counters['reconnects'] += 1
            LOG.info('camera %s: reopened after %d failed attempt(s)', self._description,
                     self._backoff.attempts)
        self._last_frame_at = None
        self._opened_at = self._clock()       # the stall timer starts at open
        self._set_state(STATE_ONLINE, '')
        return True

    def _fail(self, reason: str, *, fatal: bool = False) -> None:
        self._close_source()
        self.counters['failures'] += 1
        if fatal:
            LOG.error('%s; giving up (not retryable)', self._say(reason))
            self._finished = True
            self._set_state(STATE_OFFLINE, reason)
            return
        now = self._clock()
        # counts the attempt (reset first if it was healthy)
        delay = self._backoff.next_delay(now)
        attempts, limit = self._backoff.attempts, self.config.max_reconnects
        if limit > 0 and attempts > limit:
            LOG.error('%s; giving up after %d attempts', self._say(reason), attempts)
            self._finished = True
            self._set_state(STATE_OFFLINE, f'gave up after {attempts} attempts: {reason}')
            return
        self._retry_at = now + delay
        LOG.warning('%s; retry %d in %.2f s', self._say(reason), attempts, delay)
        self._set_state(STATE_RECONNECTING, reason)

    def _corrupt(self, reason: str) -> None:
        self.counters['frames_corrupt'] += 1
        self._consecutive_corrupt += 1
        if self._consecutive_corrupt == 1:
            LOG.warning('%s (corrupt frame; counted, skipped)', self._say(reason))
        limit = self.config.max_consecutive_corrupt
        if not self._paced and limit > 0 and self._consecutive_corrupt >= limit:
            self._consecutive_corrupt = 0
            self._fail(f'decoder errors: {limit} corrupt frames in a row ({reason})')

    def _ended(self, exc: SourceEnded) -> None:
        if self.config.loop and self._frames_since_rewind > 0 and self._source is not None:
            try:
                self._source.rewind()
            except SourceError as err:
                self._fail(f'cannot restart for loop: {err}', fatal=True)
                return
            if self._last_media is not None:
                self._loop_offset = self._last_media + max(self._media_step, 1)
            self._frames_since_rewind = 0
            LOG.info('%s; looping', self._say(str(exc)))
            return
        if exc.complete:
            LOG.info('%s', self._say(str(exc)))
        else:
            LOG.warning('%s', self._say(str(exc)))
        self._close_source()
        self._finished = True
        self._set_state(STATE_OFFLINE, str(exc))

    def _say(self, reason: str) -> str:
        """A log line naming the source once."""
        if self._description and self._description in reason:
            return f'camera: {reason}'
        return f'camera {self._description}: {reason}'

    def _close_source(self) -> None:
        if self._source is not None:
            try:
                self._source.close()
            except Exception as exc:  # closing a dead device may fail too
                LOG.debug('camera %s: close failed: %s', self._description, exc)
            self._source = None

    # ------------------------------------------------------------------ status
    def _set_state(self, state: str, reason: str) -> None:
        if state == self._state and reason == self._reason:
            return
        self._state, self._reason, self._since = state, reason, self._clock()
        with self._lock:
            self._events.append((TOPIC_CAMERA_STATUS, self.status()))

    def take_events(self) -> list[tuple[str, dict[str, Any]]]:
        """(topic, payload) pairs queued since the last call: a status on each state change."""
        with self._lock:
            events, self._events = self._events, []
        return events

    def measured_fps(self) -> float:
        """Published frames per second over the last two seconds."""
        now = self._clock()
        times = [t for t in list(self._publish_times) if now - t <= 2.0]
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def status(self) -> dict[str, Any]:
        """The camera-status payload (JSON-able), also published on TOPIC_CAMERA_STATUS."""
        now = self._clock()
        age = now - self._last_frame_at if self._last_frame_at is not None else None
        reference = self._last_frame_at if self._last_frame_at is not None else self._opened_at
        # a live read blocked inside the driver cannot reach the stall check in read(): say so here
        stalled = (self._state == STATE_ONLINE and not self._paced and not self._finished
                   and self._source is not None
                   and now - reference > self.config.stall_timeout_s)
        reason = self._reason or None
        if stalled:
            reason = f'no frame for {now - reference:.1f} s (source read blocked)'
        fields: dict[str, Any] = {
            'state': self._state,
            'reason': reason,
            'stalled': stalled,
            'since_s': round(now - self._since, 3),
            'source': self._description,
            'backend': self._backend,
            'fps': round(self.measured_fps(), 2),
            'target_fps': self.config.fps,
            'width': self._size[0] if self._size else None,
            'height': self._size[1] if self._size else None,
            'last_frame_age_s': round(age, 3) if age is not None else None,
            'retry_in_s': (
                round(max(0.0, self._retry_at - now), 3)
                if self._state == STATE_RECONNECTING and self._source is None
                else None
            ),
            'attempts': self._backoff.attempts,
            'finished': self._finished,
        }
        fields.update(self.counters)
        return make_event(STATUS_EVENT, fields, rvm_id=self.config.rvm_id)
