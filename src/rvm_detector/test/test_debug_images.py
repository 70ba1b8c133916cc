"""Debug images drawn off the inference thread: keep-newest hand-over, the newest frame drawn."""
import logging
import threading

import numpy as np
from item_sequences import det

from rvm_detector.debug_images import (ANNOTATED, LABEL_MASK, DebugFrame, DebugImageWorker,
                                       draw)


def frame(stamp_ns, annotated=True, mask=True):
    d = det(20, 20, 60, 60, 'glass_bottle', 0.9)
    d.category = 'glass_bottle'
    return DebugFrame(np.full((80, 100, 3), 30, np.uint8), [d], 100, 80, 'settling', 'abcdef0123',
                      stamp_ns, 'cam', annotated, mask)


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, kind, image, encoding, frame):
        self.calls.append((kind, encoding, frame.stamp_ns, image.shape))


def test_the_worker_draws_only_the_newest_frame_and_counts_the_dropped_ones():
    published = Recorder()
    worker = DebugImageWorker(published)
    for stamp in (1, 2, 3):
        worker.submit(frame(stamp))
    assert published.calls == [], 'submit never draws: the inference thread only hands over'
    assert worker.draw_next() is True
    assert published.calls == [
        (ANNOTATED, 'bgr8', 3, (80, 100, 3)), (LABEL_MASK, 'mono8', 3, (80, 100))]
    assert (worker.drawn, worker.dropped) == (1, 2)
    assert worker.draw_next() is False      # nothing pending


def test_drawn_images_are_the_annotated_frame_and_the_label_mask():
    images = {kind: image for kind, image, _enc in draw(frame(7))}
    assert set(images) == {ANNOTATED, LABEL_MASK}
    assert not np.array_equal(images[ANNOTATED][40, 40], [30, 30, 30])     # tinted under the item
    # glass_bottle: id 2 + 1
    assert images[LABEL_MASK][40, 40] == 3 and images[LABEL_MASK][75, 95] == 0


def test_only_the_wanted_images_are_drawn_and_none_when_neither_is_wanted():
    assert [kind for kind, _i, _e in draw(frame(1, annotated=False))] == [LABEL_MASK]
    assert [kind for kind, _i, _e in draw(frame(1, mask=False))] == [ANNOTATED]
    worker = DebugImageWorker(Recorder())
    worker.submit(frame(1, annotated=False, mask=False))
    assert worker.slot.received == 0 and worker.draw_next() is False


def test_a_slow_drawing_never_blocks_the_submitting_thread():
    release, drawing, done = threading.Event(), threading.Event(), threading.Event()
    published = []

    def slow_draw(f):
        drawing.set()
        assert release.wait(10.0)
        return draw(f)

    def publish(kind, image, encoding, f):
        published.append((kind, f.stamp_ns))
        if f.stamp_ns == 4 and kind == LABEL_MASK:
            done.set()

    worker = DebugImageWorker(publish, draw_frame=slow_draw)
    worker.start()
    try:
        worker.submit(frame(1))
        assert drawing.wait(10.0), 'the worker picked up frame 1'
        for stamp in (2, 3, 4):                 # the inference side goes on while frame 1 is drawn
            worker.submit(frame(stamp))
        assert published == [] and worker.dropped == 2
        release.set()
        assert done.wait(10.0), f'frame 4 not drawn: {published}'
    finally:
        release.set()
        worker.stop()
    assert [stamp for _kind, stamp in published] == [1, 1, 4, 4]


def test_a_failing_publish_is_logged_and_counted_and_the_next_frame_still_drawn(caplog):
    calls = []

    def publish(kind, image, encoding, f):
        calls.append(f.stamp_ns)
        if f.stamp_ns == 1:
            raise RuntimeError('publisher gone')

    worker = DebugImageWorker(publish)
    worker.submit(frame(1))
    with caplog.at_level(logging.WARNING, logger='rvm_detector'):
        assert worker.draw_next()
    assert (
        worker.errors == 1 and 'frame 1 not published: RuntimeError: publisher gone' in caplog.text
    )
    worker.submit(frame(2))
    assert worker.draw_next() and worker.drawn == 1 and calls[-1] == 2
