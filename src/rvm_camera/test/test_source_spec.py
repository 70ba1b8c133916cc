"""The ``source`` string: classification, GStreamer pipelines, stream URLs, backend choice."""

import pytest

from rvm_camera.camera_config import CameraConfig
from rvm_camera.camera_core import CameraCore
from rvm_camera.sources import SourceError, create_source, parse_source, redact_url
from rvm_camera.sources.gstreamer import (check_appsink_pipeline, csi_pipeline,
                                          opencv_has_gstreamer)


@pytest.mark.parametrize('text, kind, location', [
    ('0', 'v4l2', '0'),
    ('/dev/video2', 'v4l2', '/dev/video2'),
    ('/dev/v4l/by-id/usb-cam-video-index0', 'v4l2', '/dev/v4l/by-id/usb-cam-video-index0'),
    ('csi://1', 'csi', '1'),
    ('gst:videotestsrc ! appsink', 'gstreamer', 'videotestsrc ! appsink'),
    ('rtsp://user:pw@10.0.0.5:554/stream1', 'stream', 'rtsp://user:pw@10.0.0.5:554/stream1'),
    ('http://cam.local/mjpg/video.mjpg', 'stream', 'http://cam.local/mjpg/video.mjpg'),
    ('https://cam.local/live.m3u8', 'stream', 'https://cam.local/live.m3u8'),
    ('/data/clip.mp4', 'video', '/data/clip.mp4'),
    ('file:///data/clip.mkv', 'video', '/data/clip.mkv'),
    ('/data/frames/*.png', 'folder', '/data/frames/*.png'),
    ('/data/bags/run1/run1_0.mcap', 'bag', '/data/bags/run1'),
])
def test_parse_source_kinds(text, kind, location):
    spec = parse_source(text)
    assert (spec.kind, spec.location) == (kind, location)
    assert spec.live == (kind in ('v4l2', 'csi', 'gstreamer', 'stream'))


def test_directories_are_bags_or_image_folders(tmp_path):
    (tmp_path / 'bag').mkdir()
    (tmp_path / 'bag' / 'metadata.yaml').write_text('x')
    (tmp_path / 'imgs').mkdir()
    assert parse_source(str(tmp_path / 'bag')).kind == 'bag'
    assert parse_source(str(tmp_path / 'imgs')).kind == 'folder'


@pytest.mark.parametrize('bad', ['', '   ', 'csi://left', 'gst:', 'rtsp:///nohost', 'ftp://x/y'])
def test_malformed_sources_are_rejected_with_a_reason(bad):
    with pytest.raises(ValueError):
        parse_source(bad)
    with pytest.raises(SourceError) as info:
        create_source(CameraConfig(source=bad))
    assert info.value.fatal


def test_redact_url_hides_only_the_password():
    assert (
        redact_url('rtsp://admin:s3cret@10.0.0.5:554/h264') == 'rtsp://admin:***@10.0.0.5:554/h264'
    )
    assert redact_url('http://cam/video.mjpg') == 'http://cam/video.mjpg'
    source = create_source(CameraConfig(source='rtsp://admin:s3cret@10.0.0.5/h264'))
    assert 's3cret' not in source.describe() and source.backend == 'stream'


def test_csi_pipeline_string():
    text = csi_pipeline(1, 1920, 1080, 30.0, sensor_mode=2, flip_method=2)
    assert text.startswith('nvarguscamerasrc sensor-id=1 sensor-mode=2 ! ')
    assert 'video/x-raw(memory:NVMM), width=(int)1920, height=(int)1080, ' \
           'framerate=(fraction)30/1, format=(string)NV12' in text
    assert 'nvvidconv flip-method=2 ! ' in text
    assert text.endswith('videoconvert ! video/x-raw, format=(string)BGR ! '
                         'appsink drop=true max-buffers=1 sync=false')
    auto = csi_pipeline(0, 1280, 720, 29.97)
    assert 'sensor-mode' not in auto and 'framerate=(fraction)2997/100' in auto
    check_appsink_pipeline(auto)
    for bad in (dict(sensor_id=-1), dict(sensor_id=0, flip_method=9),
                dict(sensor_id=0, width=0)):
        with pytest.raises(ValueError):
            csi_pipeline(**bad)


def test_csi_source_uses_config_parameters():
    source = create_source(CameraConfig(source='csi://0', width=1280, height=720, capture_fps=60.0,
                                        csi_sensor_mode=4, csi_flip_method=6))
    assert source.backend == 'csi' and source.describe() == 'CSI camera 0'
    assert source._target == csi_pipeline(0, 1280, 720, 60.0, 4, 6)


@pytest.mark.parametrize('pipeline, ok', [
    ('videotestsrc ! videoconvert ! appsink', True),
    ('v4l2src device=/dev/video0 ! image/jpeg ! jpegdec ! videoconvert ! appsink drop=1', True),
    ('videotestsrc ! autovideosink', False),
    ('videotestsrc ! appsink ! fakesink', False),
])
def test_raw_pipeline_must_end_in_appsink(pipeline, ok):
    if ok:
        assert check_appsink_pipeline(pipeline) == pipeline
        assert create_source(CameraConfig(source='gst:' + pipeline)).backend == 'gstreamer'
    else:
        with pytest.raises(ValueError, match='must end in appsink'):
            check_appsink_pipeline(pipeline)
        with pytest.raises(SourceError):
            create_source(CameraConfig(source='gst:' + pipeline))


def test_gstreamer_sources_without_gstreamer_fail_clearly_and_do_not_retry():
    if opencv_has_gstreamer():
        pytest.skip('this OpenCV build has GStreamer; covered by the videotestsrc test')
    core = CameraCore(CameraConfig(source='gst:videotestsrc ! videoconvert ! appsink'))
    assert core.open() is False
    assert core.finished and 'no GStreamer support' in core.status()['reason']


def test_videotestsrc_pipeline_delivers_frames():
    if not opencv_has_gstreamer():
        pytest.skip('OpenCV built without GStreamer (cv2.getBuildInformation)')
    core = CameraCore(CameraConfig(
        source='gst:videotestsrc num-buffers=20 ! video/x-raw,width=160,height=120 ! '
               'videoconvert ! video/x-raw,format=BGR ! appsink', fps=0.0, max_reconnects=1))
    assert core.open()
    frames = [f for f in (core.read() for _ in range(20)) if f is not None]
    core.close()
    assert frames and frames[0].image.shape == (120, 160, 3)


def test_v4l2_source_settings_and_missing_device_retries():
    source = create_source(CameraConfig(source='3', width=1280, height=720, capture_fps=30.0,
                                        fourcc='YUYV'))
    assert source.backend == 'v4l2' and source.describe() == 'V4L2 camera /dev/video3'
    names = [name for name, _ in source._settings]
    assert names == ['CAP_PROP_FOURCC', 'CAP_PROP_FRAME_WIDTH', 'CAP_PROP_FRAME_HEIGHT',
                     'CAP_PROP_FPS', 'CAP_PROP_BUFFERSIZE']
    with pytest.raises(SourceError):
        create_source(CameraConfig(source='0', fourcc='MJPEG'))
    core = CameraCore(CameraConfig(source='/dev/video63', reconnect_initial_s=0.05))
    assert core.open() is False
    assert core.state == 'reconnecting' and not core.finished
    assert 'cannot open V4L2 camera /dev/video63' in core.status()['reason']
    core.close()
