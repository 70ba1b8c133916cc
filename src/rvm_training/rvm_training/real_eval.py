"""Evaluate a model on a folder of real photos (``rvm-eval-real``): how an operator checks a model.

Reads the folder with :mod:`rvm_training.real_folders` (YOLO, COCO, class-per-folder, and
``empty/`` or ``background/`` frames), maps its class names onto the RVM categories
(``--class-map``, the syntax of ``rvm-make-dataset``), runs the model the way the detector does
(class-agnostic NMS, its imgsz / conf / iou / max_det) and prints per category: detection rate,
top-1 class accuracy (class of the top detection matched to the item; a missed item counts as
wrong), the confusion matrix, box and mask mAP where the labels have boxes / outlines, and the
empty-frame false-positive rate. ``--json OUT`` writes the same figures. Unreadable images are
skipped, counted and named.

    rvm-eval-real --data ~/photos/holdout --class-map can=aluminium_can,pet=pet_bottle
    rvm-eval-real --data ~/photos/holdout --json out.json
    rvm-eval-real --data ~/photos/holdout --model var/exported/rvm_yolo11n_seg_openvino_model

mAP uses every detection from conf 0.001 (as a validator does); the rates use the detector's
``conf`` and ``max_det``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rvm_training import real_metrics as rm
from rvm_training.class_mapping import (
    DROP, ClassMapping, ClassMappingError, load_class_mapping, parse_inline)
from rvm_training.real_folders import RealDataError, RealFolder, load_image, read_folder
from rvm_training.real_report import format_report

IGNORE = 'ignore'         # taken as drop
MAP_CONF = 0.001          # detections kept for mAP (the rates filter at --conf)
MAP_MAX_DET = 100


def parse_mapping(values: list[str]) -> dict[str, str]:
    """``NAME=CATEGORY`` pairs (comma-separated or repeated) or YAML/JSON files -> {name: target}.

    The syntax of ``rvm-make-dataset --class-map`` (:mod:`rvm_training.class_mapping`); a target
    is a category or ``drop`` (``ignore`` is taken as ``drop``).
    """
    pairs: dict[str, str] = {}
    try:
        for value in values or []:
            if '=' not in value and Path(value).suffix.lower() in ('.yaml', '.yml', '.json'):
                pairs.update(load_class_mapping(str(Path(value).expanduser())).as_dict())
                continue
            for name, target in parse_inline(value).items():
                target = DROP if target.strip().lower() == IGNORE else target
                pairs.update(ClassMapping({name: target}).as_dict())
    except ClassMappingError as exc:
        raise RealDataError(f'--class-map: {exc}') from exc
    return pairs


def resolve_classes(names: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Category (or ``drop``) of every class name in the folder; errors name the unmapped ones."""
    known = ClassMapping({**{c: c for c in rm.CATEGORIES}, **mapping})
    out, unknown = {}, []
    for name in names:
        try:
            index = known.index(name)
        except ClassMappingError:
            unknown.append(name)
            continue
        out[name] = DROP if index is None else rm.CATEGORIES[index]
    if unknown:
        listed = ', '.join(repr(n) for n in unknown)
        raise RealDataError(
            f'class name(s) {listed} in the photos are not RVM categories; map them with '
            f'--class-map NAME=CATEGORY (CATEGORY one of {", ".join(rm.CATEGORIES)}, or {DROP} '
            f'to leave out the photos that show one), e.g. --class-map {unknown[0]}=other')
    return out


def _truths(image, width, height, categories):
    """Mapped items of one image in px, or None when one of its classes is dropped.

    As in the importer, a photo with a dropped item is left out whole: detections on that item
    would otherwise count against the model.
    """
    if any(categories[item.class_name] == DROP for item in image.items):
        return None
    return [rm.Truth(categories[item.class_name], *_box_and_outline(item, width, height))
            for item in image.items]


def _box_and_outline(item, width, height):
    item = item.in_pixels(width, height)
    return item.bbox, item.polygon


def evaluate_photos(folder: RealFolder, mapping: dict[str, str], segmenter, category_of,
                    conf: float = 0.25, max_det: int = 10, progress=None) -> dict:
    """Run ``segmenter`` on every photo; returns the report dict (see :func:`format_report`).

    ``segmenter.predict(bgr)`` gives detections from conf 0.001; ``category_of`` maps a model
    class name onto an RVM category.
    """
    categories = resolve_classes(folder.class_names, mapping)
    frames, skipped, dropped = [], [], 0
    started = time.perf_counter()
    for number, image in enumerate(folder.images, 1):
        pixels = load_image(image.path)
        if pixels is None:
            skipped.append({'path': str(image.path), 'reason': 'cannot be decoded as an image'})
            continue
        height, width = pixels.shape[:2]
        truths = _truths(image, width, height, categories)
        if truths is None:
            dropped += 1
            continue
        detections = segmenter.predict(pixels).detections
        predictions = [rm.Prediction(category_of(d.class_name), float(d.confidence),
                                     tuple(d.bbox), d.polygon) for d in detections]
        frames.append(rm.FrameResult(str(image.path), width, height, truths, predictions,
                                     empty=image.empty))
        if progress and number % 50 == 0:
            progress(f'{number}/{len(folder.images)} photos')
    if not frames:
        raise RealDataError(
            f'none of the {len(folder.images)} image(s) in {folder.root} could be evaluated '
            f'({len(skipped)} unreadable, {dropped} with a class mapped to {DROP})')
    at_conf = [_at_threshold(f, conf, max_det) for f in frames]
    report = rm.rates(rm.tally(at_conf))
    report.update({
        'data': str(folder.root), 'layouts': folder.layouts,
        'photos': {'found': len(folder.images), 'evaluated': len(frames),
                   'skipped_unreadable': len(skipped), 'dropped_by_map': dropped},
        'skipped': skipped,
        'class_mapping': dict(sorted(categories.items())),
        'box_map': rm.average_precision(frames, 'box'),
        'mask_map': rm.average_precision(frames, 'mask'),
        'seconds': round(time.perf_counter() - started, 1),
    })
    return report


def _at_threshold(frame: rm.FrameResult, conf: float, max_det: int) -> rm.FrameResult:
    kept = sorted((p for p in frame.predictions if p.confidence >= conf),
                  key=lambda p: -p.confidence)[:max_det]
    return rm.FrameResult(frame.name, frame.width, frame.height, frame.truths, kept, frame.empty)


def _parser() -> argparse.ArgumentParser:
    from rvm_detector.detector_config import DetectorConfig
    defaults = DetectorConfig()
    parser = argparse.ArgumentParser(
        prog='rvm-eval-real', description='Evaluate a model on a folder of real photos.',
        epilog='Layouts: images/+labels/ with data.yaml or classes.txt (YOLO), a COCO json, one '
               'sub-folder per class, empty/ or background/ for empty frames.')
    parser.add_argument('--data', required=True, help='folder of photos (see the layouts below)')
    parser.add_argument('--model', default='',
                        help="model: .pt, .onnx, *_openvino_model/ or .engine ('' = bundled)")
    parser.add_argument('--class-map', '--map', dest='class_map', action='append', default=[],
                        metavar='NAME=CATEGORY',
                        help='map class names of the photos onto pet_bottle, aluminium_can, '
                             'glass_bottle, other or drop, as rvm-make-dataset --class-map does '
                             '(a=b,c=d; repeatable; or a YAML/JSON file)')
    parser.add_argument('--imgsz', type=int, default=defaults.imgsz,
                        help="model input size in px (default: the detector's)")
    parser.add_argument('--conf', type=float, default=defaults.conf,
                        help='confidence from which a detection counts (the detector\'s conf)')
    parser.add_argument('--iou', type=float, default=defaults.iou, help='NMS IoU threshold')
    parser.add_argument('--max-det', type=int, default=defaults.max_det,
                        help="most detections per photo (default: the detector's)")
    parser.add_argument('--device', default='cpu', help='cpu | cuda:N | auto')
    parser.add_argument('--threads', type=int, default=0, help='CPU threads (0 = all cores)')
    parser.add_argument('--detector-class-map', default='',
                        help="detector class map YAML for the model's class names ('' = bundled)")
    parser.add_argument('--json', default='', metavar='OUT', help='also write the figures here')
    return parser


def main(argv=None) -> int:
    """Console script ``rvm-eval-real``."""
    args = _parser().parse_args(argv)
    from rvm_detector.class_map import ClassMap, ClassMapError
    from rvm_detector.model_loader import ModelLoadError, YoloSegmenter
    try:
        folder = read_folder(args.data)
        mapping = parse_mapping(args.class_map)
        resolve_classes(folder.class_names, mapping)   # fail before the model loads
        class_map = ClassMap.load(args.detector_class_map)
    except (RealDataError, ClassMapError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    segmenter = YoloSegmenter(
        weights=args.model, device=args.device, imgsz=args.imgsz, conf=MAP_CONF, iou=args.iou,
        max_det=MAP_MAX_DET, cpu_threads=args.threads, agnostic_nms=True)
    try:
        segmenter.load(warmup=True)
    except ModelLoadError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 3
    try:
        report = evaluate_photos(
            folder, mapping, segmenter, class_map.category_of, args.conf, args.max_det,
            progress=lambda text: print(text, file=sys.stderr, flush=True))
    except RealDataError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    report['model'] = str(segmenter.path)
    report['settings'] = {'imgsz': args.imgsz, 'conf': args.conf, 'iou': args.iou,
                          'max_det': args.max_det, 'agnostic_nms': True, 'map_conf': MAP_CONF,
                          'device': segmenter.device}
    print(format_report(report))
    if args.json:
        out = Path(args.json).expanduser()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + '\n', encoding='utf-8')
        print(f'figures written: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
