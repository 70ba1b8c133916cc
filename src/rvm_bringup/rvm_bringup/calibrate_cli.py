"""``rvm-edge calibrate``: record the empty chamber (reference, ROI, entry and exit zones).

    rvm-edge calibrate --source sample                    # the bundled sample's opening frames
    rvm-edge calibrate --source /dev/video0 --out /etc/rvm/chamber.calibration.yaml
    rvm-edge calibrate --source cam.mp4 --roi 80,30,640,30,640,440,80,440 --entry-side left

Reads ``--frames`` frames (default 8) after ``--skip`` from the source while the chamber is
empty, takes their per-pixel median as the reference (noise and a passing flicker do not
survive a median), detects the ROI (the lit chamber floor) unless ``--roi`` gives it, cuts the
entry and exit zones from it and writes the YAML plus the reference PNG beside it. The
detector's ``calibration_file`` parameter names the YAML; ``rvm-edge run --source sample`` uses
the bundled sample's calibration when the params name none.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from rvm_common.params import ConfigError
from rvm_detector import calibration

SAMPLE_CALIBRATION = 'rvm_sample.calibration.yaml'
SAMPLE_VIDEO = 'rvm_sample.mp4'
#: a frame differing from the median on more than this share of the ROI was not of an empty,
#: still chamber
MOVING_SHARE = 0.02


def add_calibrate_command(sub: Any) -> None:
    """The ``calibrate`` sub-command of ``rvm-edge``."""
    cmd = sub.add_parser('calibrate', help='record the empty chamber (reference, ROI, zones)',
                         description=__doc__.split('\n\n')[0])
    cmd.add_argument('--source', required=True,
                     help="video file, camera device (/dev/video0 or an index) or 'sample'")
    cmd.add_argument('--out', default=None, help='calibration YAML to write (default: '
                     f'{SAMPLE_CALIBRATION} beside the sample, else ./chamber.calibration.yaml)')
    cmd.add_argument('--roi', default=None, help='chamber opening x,y,x,y,... px (default: '
                                                 'detected from the reference)')
    cmd.add_argument('--frames', type=int, default=8, help='empty frames to take (median)')
    cmd.add_argument('--skip', type=int, default=0, help='frames to skip first')
    cmd.add_argument('--entry-side', default='left', choices=calibration.ENTRY_SIDES,
                     help='frame edge of the entry flap')


def read_frames(source: str, count: int, skip: int = 0) -> list[np.ndarray]:
    """``count`` BGR frames after ``skip`` from a video file or camera device."""
    import cv2

    if count < 1:
        raise calibration.CalibrationError(f'--frames must be at least 1, got {count}')
    target: Any = int(source) if source.isdigit() else source
    if isinstance(target, str) and not target.startswith('/dev/') and not Path(target).exists():
        raise calibration.CalibrationError(f'source {source} does not exist')
    capture = cv2.VideoCapture(target)
    if not capture.isOpened():
        raise calibration.CalibrationError(f'cannot open {source} with OpenCV')
    frames: list[np.ndarray] = []
    try:
        index = 0
        while len(frames) < count:
            ok, frame = capture.read()
            if not ok:
                break
            if index >= skip:
                frames.append(frame)
            index += 1
    finally:
        capture.release()
    if len(frames) < count:
        raise calibration.CalibrationError(
            f'{source} gave {len(frames)} frames after skipping {skip}; {count} needed')
    return frames


def moving_frames(frames: list[np.ndarray], reference: np.ndarray) -> list[int]:
    """Indexes of frames that differ from the median reference (something moved)."""
    out = []
    for i, frame in enumerate(frames):
        diff = np.abs(frame.astype(np.int16) - reference.astype(np.int16)).max(axis=2)
        if (diff > 40).mean() > MOVING_SHARE:
            out.append(i)
    return out


def run_calibrate(args: argparse.Namespace, out=print) -> int:
    """Record and write a calibration; prints what it found. Raises CalibrationError."""
    from rvm_bringup.run_config import SAMPLE_WORD, find_sample

    source = str(find_sample()) if args.source == SAMPLE_WORD else args.source
    target = Path(args.out) if args.out else (
        Path(source).with_name(SAMPLE_CALIBRATION) if args.source == SAMPLE_WORD
        else Path('chamber.calibration.yaml'))
    frames = read_frames(source, args.frames, args.skip)
    roi = calibration.parse_roi(args.roi) if args.roi else None
    shown = args.source if args.source == SAMPLE_WORD else source
    cal = calibration.record(frames, roi=roi, entry_side=args.entry_side, source=shown)
    moving = moving_frames(frames, cal.reference)
    path = calibration.save(cal, target)
    width, height = cal.size
    out(f'calibration: {len(frames)} frames of {width}x{height} from {shown}')
    out(f'  roi        {_fmt(cal.roi)} ({"given" if roi is not None else "detected"})')
    out(f'  entry zone {_fmt(cal.entry_zone)} ({cal.entry_side})')
    out(f'  exit zone  {_fmt(cal.exit_zone)}')
    if moving:
        out(f'  warning: frames {moving} differ from the median: was the chamber empty and still?'
            ' (the median ignores a minority of them)')
    out(f'wrote {path} and {path.with_suffix(".png").name}; set the detector parameter '
        f'calibration_file: {path}')
    return 0


def _fmt(polygon: np.ndarray) -> str:
    return ' '.join(f'({x:.0f},{y:.0f})' for x, y in polygon)


def with_calibration(detector: Any, source: str, origin: str) -> Any:
    """``detector`` config checked: its calibration loads; the sample's used for the sample."""
    path = detector.calibration_file
    if not path and Path(source).name == SAMPLE_VIDEO:
        bundled = Path(source).with_name(SAMPLE_CALIBRATION)
        if bundled.exists():
            detector = dataclasses.replace(detector, calibration_file=str(bundled))
            path = str(bundled)
    if path:
        check_calibration(path, f'{origin} detector.calibration_file')
    return detector


def check_calibration(path: str, origin: str) -> None:
    """Raise :class:`ConfigError` (naming ``origin``) unless the calibration file loads."""
    try:
        calibration.load(path)
    except calibration.CalibrationError as exc:
        raise ConfigError(f'{exc} ({origin})') from None
