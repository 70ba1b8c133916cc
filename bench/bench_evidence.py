#!/usr/bin/env python3
"""Verdict evidence benchmark (printed, never asserted).

Per verdict, on frames of the bundled sample video (or noise, the hardest image for JPEG):

1. the crop (box + 15 %, <= 160 px, <= 3000 bytes: ``encode_evidence``) against one JPEG of the
   whole frame at quality 90 measured in the same run (the baseline: what keeping the frame in
   the payload would cost), as time and bytes;
2. the audit store's write (frame + crop + verdict.json, pruning at a small bound) per verdict.

(The wire size of a worst-case verdict with its crop is tests/e2e/test_evidence_payload.py's.)

Run: ``source scripts/env.sh && python bench/bench_evidence.py [--video PATH] [--quick]``
(``--quick``: a few frames only, to check the benchmark still runs; the test suite runs it.)
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from rvm_common.events import TOPIC_VERDICT
from rvm_detector.evidence import EvidenceHook, encode_evidence
from rvm_detector.evidence_store import EvidenceStore

ROOT = Path(__file__).resolve().parents[1]
BOXES = ((258, 173, 450, 288), (76, 174, 459, 304), (87, 172, 504, 332), (260, 216, 344, 266))


def frames_of(video: Path, count: int) -> list[np.ndarray]:
    """``count`` frames spread over ``video`` (noise frames when it cannot be read)."""
    cap = cv2.VideoCapture(str(video))
    out, index = [], 0
    while len(out) < count:
        ok, frame = cap.read()
        if not ok:
            break
        if index % 7 == 0:
            out.append(frame)
        index += 1
    cap.release()
    rng = np.random.default_rng(0)
    while len(out) < count:
        out.append(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
    return out


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000.0, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--video', type=Path, default=ROOT / 'data' / 'sample' / 'rvm_sample.mp4',
                        help='video to take frames from (default: the bundled sample)')
    parser.add_argument('--quick', action='store_true', help='a few frames only')
    args = parser.parse_args()
    frames = frames_of(args.video, 6 if args.quick else 60)
    noise = np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    rows = []
    for name, images in (('sample frames', frames), ('noise', [noise] * len(frames))):
        crop_ms, crop_bytes, base_ms, base_bytes = [], [], [], []
        for image in images:
            for box in BOXES:
                ms, evidence = timed(lambda: encode_evidence(image, box, None))
                crop_ms.append(ms)
                crop_bytes.append(len(evidence.jpeg))
            ms, (_, whole) = timed(
                lambda: cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, 90]))
            base_ms.append(ms)
            base_bytes.append(len(whole))
        rows.append((name, statistics.median(crop_ms), statistics.median(crop_bytes),
                     max(crop_bytes), statistics.median(base_ms), statistics.median(base_bytes)))
    print('# verdict evidence: crop (<= 160 px, <= 3000 bytes) vs the whole frame as JPEG q90')
    print(f"{'frames':<14}{'crop ms':>9}{'crop B':>9}{'max B':>8}{'frame ms':>10}{'frame B':>9}"
          f"{'time x':>8}{'bytes x':>9}")
    for name, c_ms, c_b, c_max, f_ms, f_b in rows:
        print(f'{name:<14}{c_ms:>9.2f}{c_b:>9.0f}{c_max:>8}{f_ms:>10.2f}{f_b:>9.0f}'
              f'{c_ms / f_ms:>8.2f}{c_b / f_b:>9.3f}')
    with tempfile.TemporaryDirectory() as folder:
        store = EvidenceStore(folder, max_mb=2.0)      # ~50 verdicts: pruning runs
        hook = EvidenceHook(save=store.save)
        save_ms = []
        for i, image in enumerate(frames * (1 if args.quick else 3)):
            x1, y1, x2, y2 = BOXES[i % len(BOXES)]
            verdict = {'event_id': f'ev-{i:05d}', 'item_id': f'it-{i}', 'mask': None,
                       'bbox': {'x1': x1, 'y1': y1, 'x2': x2, 'y2': y2}}
            ms, _ = timed(lambda: hook.attach(None, [(TOPIC_VERDICT, verdict)], image))
            save_ms.append(ms)
        kept = store.entries()
        print(f'# audit store: crop + frame + verdict.json per verdict: median '
              f'{statistics.median(save_ms):.2f} ms, max {max(save_ms):.2f} ms; '
              f'{store.total_bytes() / max(1, len(kept)) / 1000:.1f} kB per verdict, '
              f'{len(kept)} kept, {store.removed} pruned')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
