#!/usr/bin/env python3
"""Detector benchmark: runtimes (torch/ONNX Runtime/OpenVINO), stages, core overhead, SAM2, RSS.

Prints figures and ratios measured in the same run; never asserts.  The runtimes are compared on
the same frames through the detector's own loader (pre-processing, inference and post-processing
with outlines), interleaved frame by frame so that load on a shared machine hits each alike; the
exports are made in the run with rvm-export's code (dynamic-shape ONNX and OpenVINO).

    source scripts/env.sh
    python bench/bench_detector.py                  # CPU, bundled model (else random yolo11n-seg)
    python bench/bench_detector.py --device cuda:0  # when a GPU is lent
    python bench/bench_detector.py --model path.pt --sam2-weights ~/models/sam2.1_t.pt
    python bench/bench_detector.py --quick          # 3 frames, small SAM2 run: does it still run?

Targets: core / bare predict <= 1.05x, SAM2 3 boxes / 1 box <= 1.2x (issue 6); the fastest
export >= 1.8x torch frames/s at imgsz 320 on the 2-core CPU (issue 23).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ['YOLO_OFFLINE'] = '1'
os.environ.setdefault('YOLO_AUTOINSTALL', 'False')

import numpy as np  # noqa: E402


def peak_rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def frames_for_bench(n: int, width: int, height: int) -> list[np.ndarray]:
    """Frames of the synthetic RVM scene (items resting in the chamber), else random noise."""
    try:
        from rvm_training.synthetic_scene import render_sequence
        # a few frames (--quick) come from one item: rendering all four takes ~8 s
        items = 4 if n >= 8 else 1
        frames = [f.image for f in render_sequence(seed=3, width=width, height=height,
                                                   n_items=items)
                  if f.phase == 'resting']
        if len(frames) >= n:
            step = len(frames) // n
            return [np.ascontiguousarray(f) for f in frames[::step][:n]]
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (height, width, 3), dtype=np.uint8) for _ in range(n)]


def random_model(path: Path) -> str:
    from ultralytics import YOLO
    from ultralytics.nn.tasks import SegmentationModel
    model = YOLO('yolo11n-seg.yaml')
    net = SegmentationModel('yolo11n-seg.yaml', nc=4, verbose=False)
    net.names = {0: 'pet_bottle', 1: 'aluminium_can', 2: 'glass_bottle', 3: 'other'}
    net.task = 'segment'
    net.args = {**model.model.args, 'task': 'segment'}
    model.model = net
    model.save(str(path))
    return str(path)


def onnx_session_default(seg, path: str) -> bool:
    """Put Ultralytics' default ONNX Runtime session (spinning threads) back into a segmenter."""
    import onnxruntime as ort
    backend = getattr(getattr(seg.model.predictor, 'model', None), 'backend', None)
    if backend is None or not hasattr(backend, 'session'):
        return False       # another Ultralytics layout: the row is left out
    backend.session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    return True


def compare_runtimes(model_path: str, frames: list, args, conf: float) -> None:
    """Frames/s of torch, ONNX Runtime and OpenVINO on the same frames, ratio vs torch."""
    import importlib.util

    from rvm_detector.model_loader import YoloSegmenter
    from rvm_training.export import export_model

    threads = args.threads or os.cpu_count() or 1
    out = Path(tempfile.mkdtemp(prefix='bench-exports-'))
    rows = [('torch', model_path, None)]
    for fmt, module in (('onnx', 'onnxruntime'), ('openvino', 'openvino')):
        if importlib.util.find_spec(module) is None:
            print(f'{module} not installed: its row is left out (requirements/dev.txt)')
            continue
        t0 = time.perf_counter()
        path = str(export_model(model_path, fmt, out, imgsz=args.imgsz))
        print(f'export {fmt:<9} {(time.perf_counter() - t0):5.1f} s  {Path(path).name}')
        rows.append((f'{module} (detector)' if fmt == 'onnx' else module, path, None))
        if fmt == 'onnx':
            rows.append(('onnxruntime (Ultralytics default)', path, 'default'))
    segs = []
    for name, path, variant in rows:
        seg = YoloSegmenter(weights=path, device='cpu', imgsz=args.imgsz, conf=conf, max_det=10,
                            cpu_threads=threads)
        seg.load(warmup=True)
        if variant == 'default' and not onnx_session_default(seg, path):
            continue
        segs.append((name, seg))
    for _, seg in segs:
        for f in frames[:3]:
            seg.predict(f)
    times = {name: [] for name, _ in segs}
    classes = {name: [] for name, _ in segs}
    for i, f in enumerate(frames):
        turn = segs[i % len(segs):] + segs[:i % len(segs)]     # rotate who runs first
        for name, seg in turn:
            t = time.perf_counter()
            dets = seg.predict(f).detections
            times[name].append((time.perf_counter() - t) * 1000)
            classes[name].append([d.class_name for d in dets])
    base = statistics.median(times['torch'])
    print(f'\n## runtimes on the same {len(frames)} frames (pre + inference + post with '
          f'outlines; CPU, {threads} threads, imgsz {args.imgsz}, interleaved)')
    print(f'{"runtime":<32} {"frames/s":>8} {"median":>10} {"p90":>9} {"vs torch":>9} '
          f'{"same classes":>13}')
    best = 0.0
    for name, _ in segs:
        med = statistics.median(times[name])
        same = sum(a == b for a, b in zip(classes[name], classes['torch']))
        ratio = base / med
        best = max(best, ratio if name != 'torch' else 0.0)
        p90 = np.percentile(times[name], 90)
        print(f'{name:<32} {1000 / med:8.1f} {med:7.1f} ms {p90:6.1f} ms {ratio:8.2f}x '
              f'{same:>6}/{len(frames)}')
    print(f'fastest export vs torch: {best:.2f}x   (target >= 1.8x at imgsz 320 on 2 CPU cores)')
    import shutil
    shutil.rmtree(out, ignore_errors=True)


def ms(values: list[float]) -> str:
    if not values:
        return '   n/a'
    return f'{statistics.median(values):7.1f} ms (p90 {np.percentile(values, 90):7.1f})'


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        '--model', default='', help="YOLO seg weights ('' = bundled, else random yolo11n-seg)")
    ap.add_argument('--device', default='cpu', help='cpu | cuda | cuda:N | auto')
    ap.add_argument('--imgsz', type=int, default=320)
    ap.add_argument('--frames', type=int, default=30)
    ap.add_argument('--width', type=int, default=640)
    ap.add_argument('--height', type=int, default=480)
    ap.add_argument(
        '--sam2-weights', default='', help="SAM2 checkpoint ('' = SAM2-tiny random weights)")
    ap.add_argument('--sam2-imgsz', type=int, default=1024)
    ap.add_argument('--sam2-runs', type=int, default=3)
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0 = all cores)')
    ap.add_argument('--skip-sam2', action='store_true', help='only the YOLO / core figures')
    ap.add_argument('--skip-runtimes', action='store_true',
                    help='leave out the torch / ONNX Runtime / OpenVINO comparison')
    ap.add_argument('--runtimes-only', action='store_true',
                    help='only the torch / ONNX Runtime / OpenVINO comparison')
    ap.add_argument(
        '--quick', action='store_true',
        help='3 frames and one SAM2 run at imgsz 256: checks the benchmark runs (test suite)')
    args = ap.parse_args(argv)
    if args.quick:
        args.frames, args.sam2_runs, args.sam2_imgsz = 3, 1, min(args.sam2_imgsz, 256)

    import torch

    from rvm_common.events import dumps
    from rvm_common.typestore import humble_typestore, rosbags_factory
    from rvm_detector.annotate import annotate, label_mask
    from rvm_detector.detection import Detection
    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.detector_core import DetectorCore
    from rvm_detector.model_loader import BUNDLED_MODEL, YoloSegmenter
    from rvm_detector.ros_conversions import detections_to_msg
    from rvm_detector.sam2_refiner import Sam2Refiner

    tmp = tempfile.TemporaryDirectory()
    model_path = args.model or (str(BUNDLED_MODEL) if BUNDLED_MODEL.exists()
                                else random_model(Path(tmp.name) / 'random_yolo11n_seg.pt'))
    threads = args.threads or os.cpu_count() or 1
    print(f'# rvm_detector benchmark  torch {torch.__version__}  threads {threads}  '
          f'cpu_count {os.cpu_count()}  device {args.device}')
    if torch.cuda.is_available():
        print(f'# GPU: {torch.cuda.get_device_name(0)}')
    print(
        f'# model {model_path}  imgsz {args.imgsz}  frames {args.frames} x'
        f' {args.width}x{args.height}'
    )

    conf = 0.25 if args.model or BUNDLED_MODEL.exists() else 1e-6
    seg = YoloSegmenter(
        weights=model_path, device=args.device, imgsz=args.imgsz, conf=conf, max_det=10,
        cpu_threads=threads)
    t0 = time.perf_counter()
    seg.load(warmup=True)
    print(
        f'load + warm-up: {(time.perf_counter() - t0) * 1000:.0f} ms  ({seg.device},'
        f' half={seg.half})'
    )
    cfg = dataclasses.replace(
        DetectorConfig(), model_path=model_path, device=args.device, imgsz=args.imgsz, conf=conf,
        refine='off')
    core = DetectorCore(cfg, segmenter=seg)
    core.load()
    frames = frames_for_bench(args.frames, args.width, args.height)
    sync = torch.cuda.synchronize if seg.device.startswith('cuda') else (lambda: None)
    if not args.skip_runtimes and not seg.device.startswith('cuda'):
        compare_runtimes(model_path, frames, args, conf)
    if args.runtimes_only:
        print(f'\npeak RSS            {peak_rss_mb():.0f} MB')
        tmp.cleanup()
        return 0

    # -- core vs bare predict, interleaved on the same frames --------------------------------
    for f in frames[:3]:
        seg.predict_raw(f)
        core.process(f, 0, 0.0)
    bare, full, stages = [], [], {k: [] for k in ('preprocess', 'inference', 'postprocess')}
    n_dets = []
    serial, annot = [], []
    factory, store = rosbags_factory(), humble_typestore()
    for i, f in enumerate(frames):
        # alternate which runs first: the second call on a frame is faster (warm caches)
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            sync()
            t = time.perf_counter()
            if which == 0:
                seg.predict_raw(f)
            else:
                res = core.process(f, i, float(i))
            sync()
            (bare if which == 0 else full).append((time.perf_counter() - t) * 1000)
        for k in stages:
            stages[k].append(res.timings_ms[k])
        n_dets.append(len(res.detections))
        t = time.perf_counter()
        msg = detections_to_msg(factory, res.detections, i, 'cam')
        store.serialize_cdr(msg, 'vision_msgs/msg/Detection2DArray')
        for _, payload in res.events:
            dumps(payload)
        dumps(core.status())
        serial.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        annotate(f, res.detections, res.item_state)
        label_mask(res.height, res.width, res.detections)
        annot.append((time.perf_counter() - t) * 1000)
    print(
        '\n## YOLO stages (DetectorCore, refine=off), detections/frame median'
        f' {statistics.median(n_dets)}'
    )
    print(f'preprocess          {ms(stages["preprocess"])}')
    print(f'YOLO inference      {ms(stages["inference"])}')
    print(f'postprocess (+poly) {ms(stages["postprocess"])}')
    print(f'serialization       {ms(serial)}   (Detection2DArray CDR + event/status JSON)')
    print(f'annotate+label mask {ms(annot)}   (adapter, only when published)')
    ratio = statistics.median(full) / statistics.median(bare)
    print('\n## core vs bare model.predict (same frames, interleaved, alternating order)')
    print(f'bare model.predict  {ms(bare)}')
    print(f'DetectorCore.process{ms(full)}')
    print(f'ratio core / bare   {ratio:.3f}x   (target <= 1.05x)')

    if args.skip_sam2:
        print(f'\npeak RSS            {peak_rss_mb():.0f} MB')
        tmp.cleanup()
        return 0

    # -- SAM2: 1 box vs 3 boxes ----------------------------------------------------------------
    network = None
    if not args.sam2_weights:
        from ultralytics.models.sam.build import build_sam2_t
        network = build_sam2_t(checkpoint=None)
    refiner = Sam2Refiner(weights=args.sam2_weights, device=args.device, imgsz=args.sam2_imgsz,
                          network=network)
    refiner.load()
    torch.set_num_threads(threads)
    f = frames[0]
    h, w = f.shape[:2]
    boxes = [(w * 0.3, h * 0.2, w * 0.6, h * 0.9), (w * 0.05, h * 0.1, w * 0.25, h * 0.5),
             (w * 0.65, h * 0.4, w * 0.95, h * 0.95)]

    def dets(n):
        return [
            Detection(class_id=0, class_name='pet_bottle', confidence=0.9, bbox=b)
            for b in boxes[:n]
        ]

    refiner.refine(f, dets(1))  # warm-up
    timing = {1: [], 3: []}
    encode, decode = {1: [], 3: []}, {1: [], 3: []}
    predictor = refiner.predictor
    for _ in range(args.sam2_runs):
        for n in (1, 3):
            sync()
            t = time.perf_counter()
            refiner.refine(f, dets(n))
            sync()
            timing[n].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            predictor.set_image(f)
            sync()
            encode[n].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            predictor(bboxes=[list(b) for b in boxes[:n]])
            sync()
            decode[n].append((time.perf_counter() - t) * 1000)
            predictor.reset_image()
    name = args.sam2_weights or 'SAM2-tiny (random weights, same compute)'
    print(f'\n## SAM2 refinement ({name}, imgsz {args.sam2_imgsz}, one embedding per frame)')
    print(f'refine 1 box        {ms(timing[1])}')
    print(f'refine 3 boxes      {ms(timing[3])}')
    print(f'  image encoder     {ms(encode[1] + encode[3])}')
    print(f'  decoder 1 box     {ms(decode[1])}')
    print(f'  decoder 3 boxes   {ms(decode[3])}')
    print(
        f'ratio 3 / 1 boxes   {statistics.median(timing[3]) / statistics.median(timing[1]):.3f}x  '
        ' (target <= 1.2x; decoder alone'
        f' {statistics.median(decode[3]) / statistics.median(decode[1]):.2f}x)'
    )
    print(f'\npeak RSS            {peak_rss_mb():.0f} MB')
    if seg.device.startswith('cuda'):
        print(f'peak CUDA memory    {torch.cuda.max_memory_allocated() / 2**20:.0f} MB')
    tmp.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())
