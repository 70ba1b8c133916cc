"""ROS-free replay of sensor_msgs/Image or CompressedImage from a rosbag2 (sqlite3 or mcap)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from rvm_camera.sources.base import CorruptFrame, FrameSource, RawFrame, SourceEnded, SourceError

IMAGE_TYPES = ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage')


def image_message_to_bgr(msg: Any, msgtype: str) -> np.ndarray:
    """BGR uint8 array of an Image (view when already bgr8) or CompressedImage message.

    Raises :class:`CorruptFrame` when the message cannot be decoded.
    """
    import cv2

    from rvm_common.image_conv import ImageConversionError, image_to_numpy

    if msgtype.endswith('CompressedImage'):
        data = np.asarray(msg.data, dtype=np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if image is None:
            raise CorruptFrame(
                f'cannot decode CompressedImage ({msg.format!r}, {data.size} bytes)')
        return image
    try:
        array = image_to_numpy(msg)
    except ImageConversionError as exc:
        raise CorruptFrame(str(exc)) from None
    encoding = str(msg.encoding)
    if encoding in ('bgr8', '8UC3'):
        return array
    conversions = {'rgb8': cv2.COLOR_RGB2BGR, 'bgra8': cv2.COLOR_BGRA2BGR,
                   'rgba8': cv2.COLOR_RGBA2BGR, 'mono8': cv2.COLOR_GRAY2BGR,
                   '8UC1': cv2.COLOR_GRAY2BGR}
    if encoding not in conversions:
        raise CorruptFrame(f'image encoding {encoding!r} cannot be shown as bgr8')
    return cv2.cvtColor(np.ascontiguousarray(array), conversions[encoding])


class BagSource(FrameSource):
    """Frames of one image topic of a rosbag2 folder, read with ``rosbags``.

    ``topic`` empty = the first Image/CompressedImage topic.  ``media_ns`` =
    the bag's receive timestamp of each message.
    """

    backend = 'bag'
    paced = True

    def __init__(self, path: str, topic: str = ''):
        self.path = Path(path)
        self.requested_topic = topic
        self.topic = ''
        self.msgtype = ''
        self._reader: Any = None
        self._messages: Iterator[Any] | None = None
        self._count = 0

    def describe(self) -> str:
        return f'{self.path} [{self.topic or self.requested_topic or "first image topic"}]'

    def open(self) -> None:
        from rosbags.rosbag2 import Reader

        if not self.path.is_dir():
            raise SourceError(f'rosbag2 folder not found: {self.path}', fatal=True)
        try:
            reader = Reader(self.path)
            reader.open()
        except Exception as exc:  # rosbags raises several types for unreadable bags
            raise SourceError(f'cannot open rosbag2 {self.path}: {exc}', fatal=True) from None
        candidates = [c for c in reader.connections if c.msgtype in IMAGE_TYPES]
        if self.requested_topic:
            wanted = '/' + self.requested_topic.lstrip('/')
            chosen = [c for c in reader.connections if c.topic in (self.requested_topic, wanted)]
            if not chosen:
                topics = ', '.join(f'{c.topic} ({c.msgtype})' for c in reader.connections)
                reader.close()
                raise SourceError(f'{self.path}: no topic {self.requested_topic!r}; bag has '
                                  f'{topics or "no topics"}', fatal=True)
            if chosen[0].msgtype not in IMAGE_TYPES:
                reader.close()
                raise SourceError(f'{self.path}: topic {chosen[0].topic} is {chosen[0].msgtype}, '
                                  'not an Image/CompressedImage', fatal=True)
        else:
            if not candidates:
                reader.close()
                raise SourceError(f'{self.path}: no sensor_msgs/Image or CompressedImage topic',
                                  fatal=True)
            chosen = [c for c in candidates if c.topic == candidates[0].topic]
        self.topic, self.msgtype = chosen[0].topic, chosen[0].msgtype
        self._reader = reader
        self._messages = reader.messages(connections=chosen)
        self._count = 0

    def read(self) -> RawFrame | None:
        from rvm_common.typestore import humble_typestore

        if self._messages is None:
            raise SourceError(f'rosbag2 {self.path} is not open')
        try:
            connection, timestamp, raw = next(self._messages)
        except StopIteration:
            raise SourceEnded(f'{self.path}: end of bag after {self._count} messages on '
                              f'{self.topic}') from None
        except Exception as exc:  # a damaged storage file
            raise SourceEnded(f'{self.path}: bag unreadable after {self._count} messages '
                              f'({exc})', complete=False) from None
        self._count += 1
        try:
            msg = humble_typestore().deserialize_cdr(raw, connection.msgtype)
        except Exception as exc:
            raise CorruptFrame(f'cannot deserialize {connection.msgtype} #{self._count}: '
                               f'{exc}') from None
        return RawFrame(image_message_to_bgr(msg, connection.msgtype), int(timestamp))

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._messages = None
