"""GStreamer pipeline strings for OpenCV's CAP_GSTREAMER backend (Jetson CSI and raw pipelines)."""
from __future__ import annotations

import re
from functools import lru_cache

#: appsink settings: keep only the newest frame, never block the pipeline on the reader
APPSINK = 'appsink drop=true max-buffers=1 sync=false'

FLIP_METHODS = {0: 'none', 1: 'counterclockwise', 2: 'rotate-180', 3: 'clockwise',
                4: 'horizontal-flip', 5: 'upper-right-diagonal', 6: 'vertical-flip',
                7: 'upper-left-diagonal'}


def csi_pipeline(sensor_id: int, width: int = 1280, height: int = 720, fps: float = 30.0,
                 sensor_mode: int = -1, flip_method: int = 0) -> str:
    """The ``nvarguscamerasrc`` pipeline of a Jetson CSI camera, ending in a BGR appsink.

    Argus captures NV12 into NVMM memory at ``width``x``height``@``fps``;
    ``nvvidconv`` flips (``flip_method``, see FLIP_METHODS) and copies to system
    memory as BGRx; ``videoconvert`` drops the pad byte for OpenCV.
    ``sensor_mode`` -1 lets Argus pick the mode matching the caps.
    """
    if sensor_id < 0:
        raise ValueError(f'CSI sensor id must be >= 0, got {sensor_id}')
    if flip_method not in FLIP_METHODS:
        raise ValueError(f'flip method must be 0..7, got {flip_method}')
    if width <= 0 or height <= 0:
        raise ValueError(f'CSI capture needs an explicit size, got {width}x{height}')
    rate = _fraction(fps if fps > 0 else 30.0)
    src = f'nvarguscamerasrc sensor-id={sensor_id}'
    if sensor_mode >= 0:
        src += f' sensor-mode={sensor_mode}'
    return (f'{src} ! video/x-raw(memory:NVMM), width=(int){width}, height=(int){height}, '
            f'framerate=(fraction){rate}, format=(string)NV12 ! '
            f'nvvidconv flip-method={flip_method} ! '
            f'video/x-raw, width=(int){width}, height=(int){height}, format=(string)BGRx ! '
            f'videoconvert ! video/x-raw, format=(string)BGR ! {APPSINK}')


def check_appsink_pipeline(pipeline: str) -> str:
    """``pipeline`` stripped; ValueError unless its last element is an appsink."""
    text = pipeline.strip()
    elements = [e.strip() for e in re.split(r'(?<!\\)!', text) if e.strip()]
    if not elements:
        raise ValueError('GStreamer pipeline is empty')
    last = elements[-1].split()[0]
    if last != 'appsink':
        raise ValueError(f'GStreamer pipeline must end in appsink (OpenCV reads from it), '
                         f'ends in {last!r}')
    return text


@lru_cache(maxsize=1)
def opencv_has_gstreamer() -> bool:
    """Whether this OpenCV build was compiled with GStreamer (``cv2.getBuildInformation()``)."""
    import cv2

    for line in cv2.getBuildInformation().splitlines():
        if line.strip().startswith('GStreamer:'):
            return line.split(':', 1)[1].strip().upper().startswith('YES')
    return False


def _fraction(fps: float) -> str:
    """GStreamer fraction for a frame rate (30 -> '30/1', 29.97 -> '2997/100')."""
    if float(fps).is_integer():
        return f'{int(fps)}/1'
    return f'{round(fps * 100)}/100'
