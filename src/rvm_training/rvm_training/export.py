"""Export a YOLO-seg model for faster inference (``rvm-export``): ONNX, OpenVINO, TensorRT.

Ultralytics' own exporter (``model.export(format=...)``), offline, run in a scratch folder and the
results moved to ``--out``; each export is then loaded back through the detector's model loader
(the same ``model_path`` the detector takes) to check that its task and class names survived.

    rvm-export                                   # bundled model -> var/exported/ (ONNX + OpenVINO)
    rvm-export --model runs/best.pt --format onnx --out models/
    rvm-export --format engine --half --device cuda:0      # on the Jetson (TensorRT)

ONNX and OpenVINO are exported with dynamic input shapes, so they get the same letterboxed input as
the .pt (320 x 256 for a 640 x 480 frame at imgsz 320) and give the same detections; a square
fixed-size export would pad differently and move confidences by up to ~0.1.  A TensorRT engine has
a fixed size (``--imgsz``, default the detector's 320) and the detector refuses one whose size
differs from its ``imgsz``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

FORMATS = {'onnx': '.onnx', 'openvino': '_openvino_model', 'engine': '.engine'}
DEFAULT_FORMATS = ('onnx', 'openvino')


class ExportError(RuntimeError):
    """An export that cannot be made here, or whose result does not load as the model did."""


def export_name(weights: Path, fmt: str) -> str:
    """File or folder name an export of ``weights`` gets (``rvm.onnx``, ``rvm_openvino_model``)."""
    return weights.stem + FORMATS[fmt]


def export_model(weights: str | Path, fmt: str, out: str | Path, imgsz: int = 320,
                 half: bool = False, device: str = 'cpu') -> Path:
    """Export ``weights`` (.pt) to ``fmt`` in ``out``; returns the path the detector loads."""
    from rvm_detector.model_loader import offline_ultralytics, resolve_weights
    if fmt not in FORMATS:
        raise ExportError(f'format {fmt!r}: expected one of {", ".join(FORMATS)}')
    source = resolve_weights(weights, ('.pt',), what='source')
    if fmt == 'engine':
        import torch
        if not torch.cuda.is_available() or not device.startswith(('cuda', '0')):
            raise ExportError(
                'a TensorRT .engine is built on the machine that runs it (CUDA + TensorRT, e.g. '
                'the Jetson): run rvm-export --format engine --half --device cuda:0 there')
    offline_ultralytics()
    from ultralytics import YOLO
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    target = out / export_name(source, fmt)
    with tempfile.TemporaryDirectory(prefix='rvm-export-') as scratch:
        copy = Path(scratch) / source.name
        shutil.copy2(source, copy)
        try:
            with warnings.catch_warnings():
                # Ultralytics' OpenVINO route traces with torch.jit, which torch marks
                # deprecated: a note for Ultralytics, not for whoever exports a model
                warnings.filterwarnings('ignore', message='`torch.jit.trace',
                                        category=FutureWarning)
                made = YOLO(str(copy), task='segment').export(
                    format=fmt, imgsz=imgsz, half=half, dynamic=fmt != 'engine', simplify=True,
                    device=device.replace('cuda:', '') if fmt == 'engine' else 'cpu',
                    verbose=False)
        except Exception as exc:     # Ultralytics raises many types (missing package, op...)
            raise ExportError(f'{fmt} export of {source} failed: {type(exc).__name__}: '
                              f'{exc}') from exc
        made = Path(str(made))
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        shutil.move(str(made), str(target))
    return target


def check_export(path: Path, source: Path, imgsz: int, device: str = 'cpu') -> dict:
    """Load ``path`` as the detector would; ExportError unless task and names match ``source``."""
    from rvm_detector.model_loader import ModelLoadError, YoloSegmenter
    loaded = {}
    for name, weights in (('source', source), ('export', path)):
        seg = YoloSegmenter(weights=str(weights), device=device, imgsz=imgsz, cpu_threads=0)
        try:
            seg.load(warmup=True)
        except ModelLoadError as exc:
            raise ExportError(f'{path} does not load through the detector: {exc}') from exc
        loaded[name] = seg.names
    if loaded['export'] != loaded['source']:
        raise ExportError(f'{path}: class names {loaded["export"]} differ from the source '
                          f'model {loaded["source"]}')
    return loaded['export']


def main(argv=None) -> int:
    """Console script ``rvm-export``."""
    from rvm_detector.detector_config import DetectorConfig
    from rvm_detector.model_loader import BUNDLED_MODEL, ModelLoadError, resolve_weights
    parser = argparse.ArgumentParser(
        prog='rvm-export', description='Export a YOLO-seg .pt to ONNX, OpenVINO or TensorRT.')
    parser.add_argument('--model', default='', help="source .pt ('' = the bundled model)")
    parser.add_argument('--format', nargs='+', choices=sorted(FORMATS), default=DEFAULT_FORMATS,
                        help='onnx (ONNX Runtime, CPU), openvino (Intel CPU), engine (TensorRT, '
                             'on the Jetson)')
    parser.add_argument('--imgsz', type=int, default=DetectorConfig().imgsz,
                        help='input size (an engine is fixed to it: the detector\'s imgsz)')
    parser.add_argument('--out', default='var/exported',
                        help='folder for the exports (var/ is ignored by git)')
    parser.add_argument('--half', action='store_true', help='FP16 (TensorRT on CUDA)')
    parser.add_argument('--device', default='cpu', help='cpu, or cuda:0 for --format engine')
    parser.add_argument('--no-check', action='store_true',
                        help='skip loading each export back through the detector loader')
    args = parser.parse_args(argv)
    try:
        source = resolve_weights(args.model or BUNDLED_MODEL, ('.pt',), what='source')
        for fmt in args.format:
            start = time.perf_counter()
            path = export_model(source, fmt, args.out, args.imgsz, args.half, args.device)
            names = '' if args.no_check else (
                ' classes ' + ', '.join(check_export(path, source, args.imgsz, args.device)
                                        .values()))
            print(f'{fmt:<9} {path}  ({time.perf_counter() - start:.1f} s){names}')
    except (ExportError, ModelLoadError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    print(f'use one as the detector\'s model_path (imgsz {args.imgsz}), e.g. rvm-edge run '
          f'--model {Path(args.out) / export_name(source, args.format[0])}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
