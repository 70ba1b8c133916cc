"""rosbag2 record and ROS-free replay: round trip (mcap/sqlite3), Humble metadata, topic choice."""

import cv2
import numpy as np
import pytest
import yaml
from rosbags.rosbag2 import Reader, StoragePlugin, Writer

from rvm_camera.camera_config import CameraConfig
from rvm_camera.camera_core import CameraCore
from rvm_camera.messages import CameraCalibration
from rvm_camera.recorder import BagRecorder, main as record_main
from rvm_camera.sources import SourceError
from rvm_camera.sources.bag import BagSource
from rvm_common.image_conv import image_to_numpy, stamp_to_ns
from rvm_common.typestore import humble_typestore, rosbags_factory

CALIB = CameraCalibration(
    width=32, height=24, camera_name='rvm', distortion_model='plumb_bob',
    d=(0.1, -0.2, 0.0, 0.0, 0.0), k=(30.0, 0, 16, 0, 30.0, 12, 0, 0, 1),
    r=(1.0, 0, 0, 0, 1, 0, 0, 0, 1), p=(30.0, 0, 16, 0, 0, 30, 12, 0, 0, 0, 1, 0))


def frames(n=12, seed=3):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(n)]


def read_all(path, topic=None):
    store = humble_typestore()
    with Reader(path) as reader:
        conns = [c for c in reader.connections if topic is None or c.topic == topic]
        return [(c.topic, t, store.deserialize_cdr(raw, c.msgtype))
                for c, t, raw in reader.messages(connections=conns)]


@pytest.mark.parametrize('storage', ['mcap', 'sqlite3'])
def test_round_trip_pixels_counts_and_stamps(tmp_path, storage):
    images = frames()
    stamps = [1_700_000_000_000_000_000 + i * 66_666_667 for i in range(len(images))]
    bag = tmp_path / 'bag'
    with BagRecorder(bag, storage=storage, calibration=CALIB) as rec:
        for img, stamp in zip(images, stamps):
            rec.write(img, stamp, 'cam')
    assert rec.frames_written == len(images)
    msgs = read_all(bag, '/rvm/image_raw')
    assert len(msgs) == len(images)                          # frames written = frames read
    for (topic, t, msg), img, stamp in zip(msgs, images, stamps):
        assert np.array_equal(image_to_numpy(msg), img)      # pixels identical
        assert t == stamp == stamp_to_ns(msg.header.stamp)
        assert msg.encoding == 'bgr8' and msg.header.frame_id == 'cam'
    bag_stamps = [t for _, t, _ in msgs]
    assert all(b > a for a, b in zip(bag_stamps, bag_stamps[1:]))  # monotonic
    infos = read_all(bag, '/rvm/camera_info')
    assert len(infos) == len(images) and list(infos[0][2].k) == list(CALIB.k)

    source = BagSource(str(bag))                             # ROS-free replay, first image topic
    source.open()
    replay = []
    with pytest.raises(Exception, match='end of bag after 12 messages'):
        while True:
            replay.append(source.read())
    assert source.topic == '/rvm/image_raw' and len(replay) == len(images)
    assert all(np.array_equal(r.image, img) for r, img in zip(replay, images))
    assert [r.media_ns for r in replay] == stamps


def test_metadata_is_humble_layout(tmp_path):
    bag = tmp_path / 'bag'
    with BagRecorder(bag, reliability='best_effort', depth=7) as rec:
        rec.write(frames(1)[0], 5, 'cam')
    info = yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']
    assert info['version'] == 5 and info['storage_identifier'] == 'mcap'
    assert set(info) == {'version', 'storage_identifier', 'duration', 'starting_time',
                         'message_count', 'topics_with_message_count', 'compression_format',
                         'compression_mode', 'relative_file_paths', 'files'}
    meta = info['topics_with_message_count'][0]['topic_metadata']
    assert set(meta) == {'name', 'type', 'serialization_format', 'offered_qos_profiles'}
    assert meta['serialization_format'] == 'cdr' and meta['type'] == 'sensor_msgs/msg/Image'
    qos = yaml.safe_load(meta['offered_qos_profiles'])       # a YAML *string*, as Humble writes
    assert isinstance(meta['offered_qos_profiles'], str)
    assert qos[0]['reliability'] == 2 and qos[0]['depth'] == 7 and qos[0]['durability'] == 2
    assert info['relative_file_paths'] == ['bag.mcap'] and info['message_count'] == 1
    with Reader(bag) as reader:                              # still readable by rosbags
        assert reader.message_count == 1
        assert reader.connections[0].ext.offered_qos_profiles[0].depth == 7


def test_compressed_recording_replays_as_bgr(tmp_path):
    img = np.zeros((24, 32, 3), np.uint8)
    img[:, 16:] = (0, 0, 255)
    bag = tmp_path / 'bag'
    with BagRecorder(bag, compressed=True, jpeg_quality=95) as rec:
        rec.write(img, 10, 'cam')
    (_, _, msg), = read_all(bag)
    assert msg.format.endswith('jpeg compressed bgr8')
    source = BagSource(str(bag))
    source.open()
    out = source.read().image
    assert out.shape == img.shape and np.abs(out.astype(int) - img).mean() < 4


def test_bag_with_other_encodings_and_topic_selection(tmp_path):
    store, factory = humble_typestore(), rosbags_factory()
    from rvm_common.image_conv import numpy_to_image
    rgb = frames(1)[0]
    bag = tmp_path / 'multi'
    with Writer(bag, version=8, storage_plugin=StoragePlugin.SQLITE3) as writer:
        text = writer.add_connection('/chatter', 'std_msgs/msg/String', typestore=store)
        mono = writer.add_connection('/mono', 'sensor_msgs/msg/Image', typestore=store)
        color = writer.add_connection('/rgb', 'sensor_msgs/msg/Image', typestore=store)
        writer.write(text, 1, store.serialize_cdr(factory.new('std_msgs/msg/String', data='x'),
                                                  'std_msgs/msg/String'))
        gray = rgb[:, :, 0].copy()
        writer.write(mono, 2, store.serialize_cdr(
            numpy_to_image(factory, gray, 'mono8', 2, 'c'), 'sensor_msgs/msg/Image'))
        writer.write(color, 3, store.serialize_cdr(
            numpy_to_image(factory, rgb, 'rgb8', 3, 'c'), 'sensor_msgs/msg/Image'))
    first = BagSource(str(bag))
    first.open()
    assert first.topic == '/mono'                             # first image topic, not /chatter
    assert np.array_equal(first.read().image, cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    chosen = BagSource(str(bag), topic='rgb')
    chosen.open()
    assert np.array_equal(chosen.read().image, rgb[:, :, ::-1])
    for topic, words in (('/nope', 'no topic'), ('/chatter', 'not an Image')):
        with pytest.raises(SourceError, match=words) as info:
            BagSource(str(bag), topic=topic).open()
        assert info.value.fatal
    core = CameraCore(CameraConfig(source=str(bag), bag_topic='/missing'))
    assert core.open() is False and '/chatter (std_msgs/msg/String)' in core.status()['reason']


def test_record_cli_from_video_then_replay_through_the_core(tmp_path):
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 10.0, (32, 24))
    for i in range(15):
        writer.write(np.full((24, 32, 3), i * 10, np.uint8))
    writer.release()
    out = tmp_path / 'rec'
    assert record_main(['--source', str(video), '--output', str(out), '--max-frames', '12']) == 0
    assert record_main(['--source', str(video), '--output', str(out)]) == 2   # exists
    assert record_main(['--source', str(video), '--output', str(out), '--overwrite',
                        '--storage', 'sqlite3']) == 0
    msgs = read_all(out)
    assert len(msgs) == 15
    stamps = [t for _, t, _ in msgs]
    assert {b - a for a, b in zip(stamps, stamps[1:])} == {100_000_000}   # media time kept
    core = CameraCore(CameraConfig(source=str(out), fps=0.0, realtime=False))
    core.open()
    replay = [f for f in (core.read() for _ in range(20)) if f is not None]
    assert len(replay) == 15 and core.finished
    assert core.status()['backend'] == 'bag'
    assert record_main(['--source', str(tmp_path / 'none.mp4'), '--output',
                        str(tmp_path / 'x')]) == 1
    assert not (tmp_path / 'x').exists()                     # no empty bag left behind
    assert record_main(['--source', str(video), '--output', str(tmp_path / 'c'), '--compressed',
                        '--max-frames', '3']) == 0
    assert [(topic, m.format) for topic, _, m in read_all(tmp_path / 'c')][0] == \
        ('/rvm/image_raw/compressed', 'bgr8; jpeg compressed bgr8')
