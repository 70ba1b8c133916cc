"""Configuration of the camera core and node (one frozen dataclass = the ROS parameters)."""
from __future__ import annotations

from dataclasses import dataclass

from rvm_common.params import param


@dataclass(frozen=True)
class CameraConfig:
    """Parameters of ``rvm_camera``; the ROS node declares each field as a parameter."""

    source: str = param(
        '/dev/video0',
        'Frame source: /dev/videoN or an integer (V4L2), csi://N (Jetson CSI), gst:<pipeline'
        ' ending in appsink>, rtsp://, http(s)://, a video file, an image folder (or glob) or a'
        ' rosbag2 folder',
        read_only=True,
    )
    frame_id: str = param('camera_optical_frame', 'header.frame_id of published images')
    fps: float = param(15.0, 'Target publish rate in frames/s; never faster than the source '
                             'delivers; 0 = every frame the source delivers', minimum=0.0)
    width: int = param(
        640, 'Requested capture width (V4L2/CSI); 0 = device default', read_only=True, minimum=0)
    height: int = param(
        480, 'Requested capture height (V4L2/CSI); 0 = device default', read_only=True, minimum=0)
    capture_fps: float = param(
        30.0, 'Requested device frame rate (V4L2/CSI); also the frame rate of an image folder',
        read_only=True, minimum=0.0)
    fourcc: str = param(
        'MJPG', 'V4L2 pixel format FOURCC (e.g. MJPG, YUYV); empty = device default',
        read_only=True)
    csi_sensor_mode: int = param(-1, 'nvarguscamerasrc sensor-mode for csi://N; -1 = automatic',
                                 read_only=True)
    csi_flip_method: int = param(0, 'nvvidconv flip-method for csi://N (0 none, 2 rotate 180, '
                                    '4 horizontal flip, 6 vertical flip)', read_only=True)
    loop: bool = param(False, 'Restart video files, image folders and bags at their end')
    realtime: bool = param(
        True,
        'Pace file/folder/bag sources at their recorded rate; false = as '
        'fast as possible (batch processing, stamps follow the media time)',
    )
    folder_glob: str = param(
        '*', 'Glob of image files inside an image-folder source (sorted by name)', read_only=True)
    bag_topic: str = param('', 'Topic to replay from a rosbag2 source; empty = the first '
                               'sensor_msgs/Image or CompressedImage topic', read_only=True)
    stall_timeout_s: float = param(5.0, 'A live source that delivers no frame for this long is '
                                        'reconnected', minimum=0.001)
    open_timeout_s: float = param(10.0, 'Open/read timeout of network streams (rtsp/http)',
                                  read_only=True, minimum=0.001)
    reconnect_initial_s: float = param(
        0.5,
        'First reconnect delay; doubles per failed attempt '
        '(each delay jittered down by up to half)',
        read_only=True, minimum=0.001)
    reconnect_max_s: float = param(30.0, 'Cap of the reconnect delay', read_only=True,
                                   minimum=0.001)
    healthy_after_s: float = param(
        5.0,
        'The reconnect delays start again from reconnect_initial_s only '
        'after the source has delivered frames this long; a source that '
        'opens and fails sooner keeps backing off',
        read_only=True, minimum=0.0)
    max_reconnects: int = param(
        0,
        'Give up (state offline) after this many failed attempts in a row '
        '(without a healthy period between them); 0 = retry forever',
        minimum=0)
    max_consecutive_corrupt: int = param(
        30, 'This many corrupt frames in a row count as a decoder failure and reopen the source',
        minimum=1)
    publish_compressed: bool = param(False, 'Also publish sensor_msgs/CompressedImage (JPEG) on '
                                            'image_raw/compressed')
    jpeg_quality: int = param(90, 'JPEG quality (1-100) of the compressed image', minimum=1,
                              maximum=100)
    camera_info_file: str = param('', 'Calibration YAML (ROS camera_info format); set = publish '
                                      'sensor_msgs/CameraInfo on camera_info', read_only=True)
    qos_reliability: str = param('best_effort', 'Reliability of the image publishers',
                                 read_only=True, choices=('best_effort', 'reliable'))
    qos_depth: int = param(5, 'History depth of the image publishers', read_only=True, minimum=1)
    status_period_s: float = param(
        1.0, 'Period of camera/status messages (also sent on each state change)', minimum=0.001)
    wait_for_detector: bool = param(
        True,
        'ROS node only: recorded sources (file, folder, bag) publish '
        'no frame before detector/status reports ready',
        read_only=True)
    rvm_id: str = param('', 'Machine id put in every event envelope', read_only=True)
