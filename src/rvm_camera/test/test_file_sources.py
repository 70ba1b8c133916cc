"""Real files through the real decoders: video (intact, looped, truncated, garbled), image folders,
HTTP streams from a loopback server, unreachable RTSP."""
import functools
import http.server
import logging
import socket
import threading

import cv2
import numpy as np
import pytest

from rvm_camera.camera_config import CameraConfig
from rvm_camera.camera_core import CameraCore
from rvm_camera.sources.folder import ImageFolderSource

W, H, N, FPS = 96, 64, 40, 20.0


def pattern(i):
    img = np.zeros((H, W, 3), np.uint8)
    img[:, :, 1] = 40
    cv2.rectangle(img, (i % (W - 10), 10), (i % (W - 10) + 10, 30), (255, 255, 255), -1)
    return img


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp('video') / 'clip.mp4'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), FPS, (W, H))
    for i in range(N):
        writer.write(pattern(i))
    writer.release()
    assert path.stat().st_size > 1000
    return path


def drain(core, limit=10_000):
    frames = []
    for _ in range(limit):
        if core.finished:
            break
        frame = core.read()
        if frame is not None:
            frames.append(frame)
    return frames


def batch(source, **kw):
    core = CameraCore(CameraConfig(source=str(source), fps=0.0, realtime=False, **kw))
    core.open()
    return core, drain(core)


def test_video_file_all_frames_in_batch_mode(video):
    core, frames = batch(video)
    assert len(frames) == N and [f.seq for f in frames] == list(range(1, N + 1))
    assert frames[0].image.shape == (H, W, 3) and frames[0].image.dtype == np.uint8
    spacing = {round((b.stamp_ns - a.stamp_ns) / 1e6) for a, b in zip(frames, frames[1:])}
    assert spacing == {50}                                   # 20 fps media time
    assert core.state == 'offline' and 'end of file after 40 frames' in core.status()['reason']


def test_video_file_loop_and_rate_control(video):
    core = CameraCore(CameraConfig(source=str(video), fps=10.0, realtime=False, loop=True))
    core.open()
    frames = []
    while core.counters['frames_read'] < 3 * N:              # three passes over the file
        frame = core.read()
        if frame is not None:
            frames.append(frame)
    assert not core.finished and len(frames) == 3 * N // 2  # 20 -> 10 fps: every other frame
    assert core.status()['frames_dropped'] == 3 * N // 2
    assert all(b.stamp_ns > a.stamp_ns for a, b in zip(frames, frames[1:]))
    core.close()


def test_realtime_video_is_paced_at_the_file_rate(video):
    core = CameraCore(CameraConfig(source=str(video), fps=0.0, realtime=True))
    core.open()
    t0 = core._clock()
    frames = [f for f in (core.read() for _ in range(11)) if f is not None]
    elapsed = core._clock() - t0
    assert len(frames) == 11 and elapsed >= 0.45             # 10 intervals of 50 ms
    core.close()


def test_truncated_video_ends_with_a_clear_reason(video, tmp_path, caplog):
    # mp4 from VideoWriter keeps its index (moov) at the end: cut in half it cannot be opened
    data = video.read_bytes()
    cut = tmp_path / 'cut.mp4'
    cut.write_bytes(data[:len(data) // 2])
    with caplog.at_level(logging.INFO, logger='rvm_camera'):
        core, frames = batch(cut)
    assert core.finished and core.state == 'offline' and not frames
    assert 'cannot decode video file' in core.status()['reason']
    # MJPG AVI announces its frame count in the header: the cut shows up as an early end
    avi = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(avi), cv2.VideoWriter_fourcc(*'MJPG'), FPS, (W, H))
    for i in range(N):
        writer.write(pattern(i))
    writer.release()
    data = avi.read_bytes()
    (tmp_path / 'cut.avi').write_bytes(data[:len(data) // 2])
    with caplog.at_level(logging.INFO, logger='rvm_camera'):
        core, frames = batch(tmp_path / 'cut.avi')
    assert 0 < len(frames) < N
    assert f'ended early at frame {len(frames)} of {N} (truncated' in core.status()['reason']
    assert all(r.exc_info is None for r in caplog.records)
    assert [r.levelname for r in caplog.records] == ['ERROR', 'WARNING']  # one line per failure


def test_garbled_video_never_crashes(video, tmp_path):
    data = bytearray(video.read_bytes())
    rng = np.random.default_rng(1)
    start = len(data) // 4
    data[start:start + len(data) // 2] = rng.integers(
        0, 256, len(data) // 2, dtype=np.uint8).tobytes()
    bad = tmp_path / 'garbled.mp4'
    bad.write_bytes(bytes(data))
    core, frames = batch(bad)
    assert core.finished and core.state == 'offline'
    assert all(f.image.shape == (H, W, 3) for f in frames)
    assert core.status()['frames_published'] == len(frames)


def test_not_a_video_and_missing_file_are_fatal(tmp_path):
    junk = tmp_path / 'junk.mp4'
    junk.write_bytes(b'not a video at all' * 100)
    for path, words in ((junk, 'cannot decode'), (tmp_path / 'missing.mp4', 'not found')):
        core = CameraCore(CameraConfig(source=str(path)))
        assert core.open() is False
        assert core.finished and words in core.status()['reason']


def test_image_folder_sorted_with_corrupt_image_skipped(tmp_path):
    for i in (2, 0, 1, 3):
        cv2.imwrite(str(tmp_path / f'frame_{i:03d}.png'), pattern(i * 7))
    (tmp_path / 'frame_004.jpg').write_bytes(b'\xff\xd8 broken jpeg')
    (tmp_path / 'notes.txt').write_text('ignored')
    source = ImageFolderSource(str(tmp_path), '*', fps=5.0)
    source.open()
    assert [p.name for p in source.files] == [f'frame_{i:03d}.{"png" if i < 4 else "jpg"}'
                                              for i in range(5)]
    core, frames = batch(tmp_path, capture_fps=5.0)
    assert len(frames) == 4 and core.status()['frames_corrupt'] == 1
    assert np.array_equal(frames[1].image, pattern(7))       # lossless PNG, sorted order
    assert frames[1].stamp_ns - frames[0].stamp_ns == 200_000_000
    core, frames = batch(tmp_path / 'frame_00[01].png')
    assert len(frames) == 2


def test_empty_folder_is_fatal(tmp_path):
    core = CameraCore(CameraConfig(source=str(tmp_path)))
    assert core.open() is False and 'no images' in core.status()['reason']


@pytest.fixture
def http_server(video):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(video.parent))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_http_stream_from_a_loopback_server(http_server, video):
    core = CameraCore(CameraConfig(source=f'{http_server}/{video.name}', fps=0.0,
                                   open_timeout_s=5.0, max_reconnects=1, reconnect_initial_s=0.1))
    assert core.open()
    frames = drain(core, limit=N + 10)
    assert core.status()['backend'] == 'stream'
    assert len(frames) >= N - 1 and frames[0].image.shape == (H, W, 3)
    core.close()


def test_unreachable_rtsp_stream_reconnects_instead_of_crashing():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]                         # closed again: nobody listens
    core = CameraCore(CameraConfig(source=f'rtsp://user:secret@127.0.0.1:{port}/cam',
                                   open_timeout_s=2.0, reconnect_initial_s=0.05))
    assert core.open() is False
    status = core.status()
    assert status['state'] == 'reconnecting' and not core.finished
    assert 'secret' not in status['reason'] and 'user:***@127.0.0.1' in status['reason']
    core.close()


def test_http_stream_dies_and_returns_with_real_ffmpeg(video):
    """Server gone mid-run -> reconnecting with failed reopen attempts -> back -> frames resume."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(video.parent))
    handler.log_message = lambda *a, **k: None

    def serve(port):
        server = http.server.ThreadingHTTPServer(('127.0.0.1', port), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        return server, thread

    server, thread = serve(0)
    port = server.server_address[1]
    core = CameraCore(CameraConfig(source=f'http://127.0.0.1:{port}/{video.name}', fps=0.0,
                                   open_timeout_s=2.0, reconnect_initial_s=0.05,
                                   reconnect_max_s=0.2))
    try:
        assert core.open()
        first = drain_until(core, lambda: core.state == 'reconnecting')   # EOF = stream lost
        server.shutdown()
        server.server_close()
        thread.join(5)
        drain_until(core, lambda: core.status()['attempts'] >= 2)         # reopen fails: down
        assert core.state == 'reconnecting' and not core.finished
        server, thread = serve(port)
        again = drain_until(
            core,
            lambda: core.counters['reconnects'] >= 2
            and core.state == 'online'
            and core.counters['frames_published'] > len(first) + 5,
        )
        assert len(first) >= N - 1 and len(again) > 5
        assert again[0].seq == first[-1].seq + 1
    finally:
        core.close()
        server.shutdown()
        server.server_close()
        thread.join(5)


def drain_until(core, condition, timeout=20.0):
    import time

    frames, deadline = [], time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, core.status()
        frame = core.read()
        if frame is not None:
            frames.append(frame)
    return frames
