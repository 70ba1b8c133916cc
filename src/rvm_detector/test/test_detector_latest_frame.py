import threading

from rvm_detector.latest_frame import LatestFrame


def test_keeps_only_the_newest_frame_and_counts_drops():
    buf = LatestFrame()
    assert buf.take() is None
    assert buf.put(1) is False
    assert buf.put(2) is True
    assert buf.put(3) is True
    assert len(buf) == 1
    assert buf.take() == 3
    assert buf.take() is None
    assert (buf.received, buf.dropped) == (3, 2)


def test_take_waits_for_a_frame_from_another_thread():
    buf = LatestFrame()
    threading.Timer(0.05, buf.put, args=('frame',)).start()
    assert buf.take(timeout=2.0) == 'frame'


def test_close_wakes_a_waiting_take():
    buf = LatestFrame()
    threading.Timer(0.05, buf.close).start()
    assert buf.take(timeout=5.0) is None


def test_fast_producer_never_grows_the_buffer():
    buf = LatestFrame()
    seen = []
    for i in range(1000):
        buf.put(i)
        if i % 100 == 99:
            seen.append(buf.take())
    assert seen == list(range(99, 1000, 100))
    assert buf.received == 1000 and buf.dropped == 1000 - len(seen)
