"""The runner's frame feed with the real camera core: keep-newest for live sources, every frame
for recorded ones played as fast as possible."""
import time

import cv2
import numpy as np
import pytest

from rvm_bringup.frame_feed import FrameFeed
from rvm_camera.camera_config import CameraConfig
from rvm_camera.camera_core import CameraCore
from rvm_camera.sources.base import FrameSource, RawFrame, SourceError

N_FRAMES = 60


class TimedLiveSource(FrameSource):
    """A live source delivering ``n`` numbered frames at ``rate_hz``, then unplugged (fatal)."""

    backend = 'test-live'
    paced = False

    def __init__(self, n: int, rate_hz: float):
        self.n, self.period, self.sent = n, 1.0 / rate_hz, 0

    def open(self) -> None:
        self.sent = 0

    def read(self) -> RawFrame:
        if self.sent >= self.n:
            raise SourceError('unplugged', fatal=True)
        time.sleep(self.period)
        image = np.full((8, 8, 3), 0, np.uint8)
        image[0, 0, 0] = self.sent
        self.sent += 1
        return RawFrame(image)

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return 'timed live test source'


def live_camera(rate_hz):
    camera = CameraCore(CameraConfig(source='live-test', fps=0.0),
                        source_factory=lambda config: TimedLiveSource(N_FRAMES, rate_hz))
    assert camera.open() and not camera.paced
    return camera


def consume(feed, work_s, deadline_s=20.0):
    """Process frames like the runner's loop (``work_s`` per frame); the frame numbers seen."""
    seen, end = [], time.monotonic() + deadline_s
    feed.start()
    try:
        while time.monotonic() < end:
            frame = feed.next()
            if frame is None:
                if feed.finished:
                    break
                continue
            seen.append(int(frame.image[0, 0, 0]))
            time.sleep(work_s)
    finally:
        feed.stop()
    assert feed.finished, 'the feed did not finish before the deadline'
    return seen


def test_live_source_slower_detector_skips_stale_frames_and_keeps_the_newest():
    camera = live_camera(rate_hz=200.0)              # a frame every 5 ms
    feed = FrameFeed.for_camera(camera, realtime=False)
    assert feed.mode == 'threaded'
    seen = consume(feed, work_s=0.03)                # a detector needing 30 ms per frame
    stats = feed.stats()
    assert stats['received'] == N_FRAMES == camera.counters['frames_published']
    assert stats['skipped_stale'] > N_FRAMES // 3
    assert len(seen) + stats['skipped_stale'] == N_FRAMES     # nothing lost without a count
    assert seen == sorted(set(seen))                 # never an old frame after a newer one
    assert seen[-1] == N_FRAMES - 1                  # the newest frame is processed
    assert stats['reader_error'] is None


def test_live_source_fast_detector_gets_every_frame_through_the_thread():
    feed = FrameFeed.for_camera(live_camera(rate_hz=100.0), realtime=False)
    seen = consume(feed, work_s=0.0)
    assert seen == list(range(N_FRAMES)) and feed.stats()['skipped_stale'] == 0


def test_inline_feed_processes_every_frame_in_order():
    feed = FrameFeed(live_camera(rate_hz=1000.0), threaded=False)
    seen = consume(feed, work_s=0.002)
    assert feed.mode == 'inline' and seen == list(range(N_FRAMES))
    assert feed.stats()['received'] == 0             # no hand-over slot in inline mode


@pytest.fixture
def folder_camera(tmp_path):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f'{i:03d}.png'), np.full((8, 8, 3), i, np.uint8))
    camera = CameraCore(CameraConfig(source=str(tmp_path), realtime=False, fps=0.0))
    assert camera.open() and camera.paced
    yield camera
    camera.close()


def test_mode_follows_the_source_and_realtime(folder_camera):
    assert FrameFeed.for_camera(folder_camera, realtime=False).mode == 'inline'
    assert FrameFeed.for_camera(folder_camera, realtime=True).mode == 'threaded'


def test_stop_ends_the_reader_of_a_source_that_never_ends():
    camera = CameraCore(CameraConfig(source='live-test', fps=0.0),
                        source_factory=lambda config: TimedLiveSource(10 ** 9, 500.0))
    camera.open()
    feed = FrameFeed.for_camera(camera, realtime=False)
    feed.start()
    assert feed.next(timeout=2.0) is not None
    feed.stop()
    assert not feed.reader_running
    feed.next(timeout=0.0)                           # at most one frame was still pending
    assert feed.next(timeout=0.5) is None and feed.finished
