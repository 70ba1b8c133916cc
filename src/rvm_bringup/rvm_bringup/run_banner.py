"""What ``rvm-edge run`` tells at start: machine, source, params file, server, outbox, model."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from rvm_common.events import resolve_rvm_id
from rvm_common.log_redact import redact, shorten_url


def server_text(bridge: Any) -> str:
    """``wss://host:port (app key K)`` (+ API base) or ``offline: outbox only``; no secret."""
    if not bridge.host:
        return 'offline: outbox only (no --bridge-host / bridge.host)'
    scheme = 'wss' if bridge.tls else 'ws'
    text = f'{scheme}://{bridge.host}:{bridge.port} (app key {bridge.app_key or "?"})'
    if bridge.api_base:
        text += f', API {shorten_url(bridge.api_base)}'
    return text


def start_facts(configs: Any, queued: int) -> list[tuple[str, str]]:
    """(name, value) lines printed before the model loads."""
    camera, bridge = configs.camera, configs.bridge
    params = str(configs.params_file) if configs.params_file else 'none (built-in defaults)'
    mode = 'paced at its frame rate' if camera.realtime else 'as fast as possible'
    source = redact(camera.source)
    origin = f', from {configs.source_origin}' if configs.source_origin else ''
    outbox = bridge.outbox_path if bridge.outbox_path == ':memory:' else str(
        Path(bridge.outbox_path).expanduser())
    waiting = ''
    if camera.source.startswith('/dev/') and not Path(camera.source).exists():
        waiting = '; not present: waiting for it (--source sample plays the bundled video)'
    return [
        ('machine', resolve_rvm_id(bridge.rvm_id)),
        ('source', f'{source} ({mode}{", loop" if camera.loop else ""}{origin}{waiting})'),
        ('params', params),
        ('server', server_text(bridge)),
        ('outbox', f'{outbox} ({queued} queued)'),
        ('evidence', evidence_text(configs.detector)),
        ('model', f'loading {configs.detector.model_path or "the bundled model"} ...'),
    ]


def evidence_text(detector: Any) -> str:
    """Where the verdicts' frames and crops are kept (``rvm-edge evidence ID`` finds one)."""
    if not detector.evidence:
        return 'off (detector.evidence: false): verdicts carry no crop'
    if not detector.evidence_dir:
        return 'crop on every verdict; frames not kept (no detector.evidence_dir)'
    folder = Path(detector.evidence_dir).expanduser()
    return (f'{folder} (frame + crop of the last verdicts, up to '
            f'{detector.evidence_max_mb:g} MB; rvm-edge evidence ID)')


def model_facts(detector: Any, seconds: float) -> list[tuple[str, str]]:
    """The model line once loaded: file, size, device, input size and load time."""
    seg = detector.segmenter
    path = getattr(seg, 'path', None)
    size = f', {Path(path).stat().st_size / 1e6:.1f} MB' if path and Path(path).is_file() else ''
    sam = f', SAM2 {detector.refiner.name}' if getattr(detector, 'refiner', None) else ''
    return [('model', f'{seg.name}{size}, device {seg.device}, imgsz {seg.imgsz}{sam} '
                      f'(ready in {seconds:.1f} s)')]
