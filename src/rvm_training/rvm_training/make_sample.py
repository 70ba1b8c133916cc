"""Render the bundled sample: a synthetic RVM chamber video and a rosbag2 made from it.

``rvm-make-sample`` (or ``python -m rvm_training.make_sample``) writes into
``data/sample/``:

* ``rvm_sample.mp4``   - 640x480, MPEG-4 part 2 (``mp4v``, decodable by any OpenCV/FFmpeg),
  ``--items`` items (every class several times) entering, resting and leaving one at a time;
* ``rvm_sample_bag/``  - rosbag2 (mcap, Humble metadata) with the first ``--bag-items`` items
  (all four classes) as ``sensor_msgs/msg/CompressedImage`` JPEG on ``/rvm/image_raw/compressed``
  (raw 640x480 bgr8 is 0.9 MB a frame: raw frames would not fit the 5 MB budget);
* ``rvm_sample.json``  - ground truth per item (class, first/last frame, frame rate, seed).

Everything is deterministic for a given seed (fixed bag stamps starting 2026-01-01T00:00:00Z).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Sequence

SAMPLE_DIR = Path('data/sample')
VIDEO_NAME = 'rvm_sample.mp4'
BAG_NAME = 'rvm_sample_bag'
TRUTH_NAME = 'rvm_sample.json'
START_NS = 1_767_225_600 * 1_000_000_000     # 2026-01-01T00:00:00Z
MAX_BYTES = 5 * 1024 * 1024


def _items(phases: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """Ground-truth items from per-frame (phase, class) pairs."""
    items: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for index, (phase, class_name) in enumerate(phases):
        if phase == 'empty':
            current = None
            continue
        if current is None:
            current = {'class_name': class_name, 'first_frame': index, 'rest_frames': 0}
            items.append(current)
        current['last_frame'] = index
        if phase == 'resting':
            current['rest_frames'] += 1
        if class_name and current['class_name'] is None:
            current['class_name'] = class_name
    return items


def make_sample(out_dir: str | Path = SAMPLE_DIR, *, seed: int = 0, items: int = 11,
                fps: float = 12.0, bag_items: int = 4, jpeg_quality: int = 60,
                width: int = 640, height: int = 480) -> dict[str, Any]:
    """Render video, bag and ground truth into ``out_dir`` (replacing earlier ones); a summary."""
    import cv2

    from rvm_camera.recorder import DEFAULT_TOPIC, BagRecorder
    from rvm_training.synthetic_scene import render_sequence

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    video_path, bag_path = out / VIDEO_NAME, out / BAG_NAME
    if bag_path.exists():
        shutil.rmtree(bag_path)
    writer = cv2.VideoWriter(
        str(video_path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError('OpenCV cannot write mp4v video (FFmpeg backend missing)')
    recorder = BagRecorder(bag_path, topic=DEFAULT_TOPIC + '/compressed', compressed=True,
                           jpeg_quality=jpeg_quality)
    phases: list[tuple[str, str | None]] = []
    items_done = 0
    bag_frames = 0
    with recorder:
        for frame in render_sequence(seed=seed, width=width, height=height, n_items=items,
                                     hard=False, fps=fps):
            writer.write(frame.image)
            class_name = frame.objects[0].class_name if frame.objects else None
            if phases and phases[-1][0] == 'leaving' and frame.phase == 'empty':
                items_done += 1
            phases.append((frame.phase, class_name))
            if items_done < bag_items:
                stamp = START_NS + round(frame.index * 1e9 / fps)
                recorder.write(frame.image, stamp, 'camera_optical_frame')
                bag_frames += 1
    writer.release()
    truth = {'seed': seed, 'fps': fps, 'width': width, 'height': height, 'frames': len(phases),
             'bag_frames': bag_frames, 'items': _items(phases)}
    (out / TRUTH_NAME).write_text(json.dumps(truth, indent=1) + '\n', encoding='utf-8')
    bag_bytes = sum(p.stat().st_size for p in bag_path.iterdir())
    return {'video': str(video_path), 'video_bytes': video_path.stat().st_size,
            'bag': str(bag_path), 'bag_bytes': bag_bytes, 'frames': len(phases),
            'seconds': round(len(phases) / fps, 1), 'bag_frames': bag_frames,
            'classes': sorted({i['class_name'] for i in truth['items']}),
            'items': len(truth['items'])}


def main(argv: Sequence[str] | None = None) -> int:
    """``rvm-make-sample``: render the sample; exit 1 if a file exceeds 5 MB."""
    parser = argparse.ArgumentParser(prog='rvm-make-sample', description=__doc__.split('\n')[0])
    parser.add_argument('--output-dir', default=str(SAMPLE_DIR),
                        help='folder of the sample video and bag (default: data/sample)')
    parser.add_argument('--seed', type=int, default=0, help='scene seed of the sequence')
    parser.add_argument('--items', type=int, default=11, help='items in the video')
    parser.add_argument('--fps', type=float, default=12.0, help='frames per second of the video')
    parser.add_argument('--bag-items', type=int, default=4, help='items in the bag (first N)')
    parser.add_argument('--jpeg-quality', type=int, default=60,
                        help='JPEG quality of the bag\'s compressed images')
    args = parser.parse_args(argv)
    summary = make_sample(args.output_dir, seed=args.seed, items=args.items, fps=args.fps,
                          bag_items=args.bag_items, jpeg_quality=args.jpeg_quality)
    print(json.dumps(summary, indent=1))
    too_big = [k for k in ('video_bytes', 'bag_bytes') if summary[k] > MAX_BYTES]
    if too_big:
        print(f'rvm-make-sample: {", ".join(too_big)} over 5 MB', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
