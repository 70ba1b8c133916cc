"""Helpers of the bridge real-peer tests: configs pointing at a SoketiServer, payload builders."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rvm_bridge.bridge_core import BridgeConfig
from rvm_common import events

SECRET_ENV = 'RVM_TEST_APP_SECRET'


def bridge_config(
    server, tmp_path: Path, *, port: int | None = None, **overrides: Any
) -> BridgeConfig:
    """A BridgeConfig for ``server`` (a SoketiServer); the secret travels in env var SECRET_ENV."""
    values = dict(host=server.host, port=port or server.port, tls=False, app_key=server.key,
                  app_id=server.app_id, app_secret_env=SECRET_ENV, rvm_id='rvm-test',
                  outbox_path=str(tmp_path / 'outbox.sqlite3'), timezone_sync_on_start=False,
                  retry_min_s=0.05, retry_max_s=0.5, http_timeout_s=2.0, status_period_s=0.0)
    values.update(overrides)
    return BridgeConfig(**values)


def verdict(
    i: int, *, rvm_id: str = 'rvm-test', polygon_points: int = 32, **extra: Any
) -> dict[str, Any]:
    """A detection-completed payload shaped like the detector's, with a deterministic event_id."""
    poly = [
        [
            round(320 + 100 * math.cos(2 * math.pi * k / polygon_points), 1),
            round(240 + 80 * math.sin(2 * math.pi * k / polygon_points), 1)]
        for k in range(polygon_points)
    ]
    fields = {
        'item_id': f'item-{i}', 'session_id': 'session-1', 'category': 'pet_bottle',
        'class_name': 'pet_bottle', 'confidence': 0.93, 'accepted': True, 'reason': None,
        'bbox': {'x1': 220.0, 'y1': 160.0, 'x2': 420.0, 'y2': 320.0},
        'mask': {'polygon': poly, 'area_px': 25000, 'area_fraction': 0.081},
        'frame': {'width': 640, 'height': 480}, 'capture_time': events.utc_iso(),
        'timings_ms': {
            'preprocess': 1.0, 'inference': 20.0, 'refine': 0.0, 'postprocess': 1.0, 'total': 22.0,
        },
        'model': 'yolo11n-seg', 'n': i}
    fields.update(extra)
    return events.make_event(events.EVENT_DETECTION_COMPLETED, fields, rvm_id=rvm_id,
                             event_id=f'00000000-0000-4000-8000-{i:012d}')


def outbound_only_map(tmp_path: Path) -> str:
    """The bundled channel map, outbound only, every route on the HTTP events API: no socket.

    Inbound subscriptions are dropped; durable routes go to their public channel, confirmed by
    "accepted for fan-out"."""
    import yaml
    from rvm_bridge.routing.channel_map import BUNDLED_MAP, FANOUT_MAP, load_channel_map
    data = yaml.safe_load(BUNDLED_MAP.read_text())
    data['inbound'] = []
    fanout = load_channel_map(str(FANOUT_MAP), rvm_id='r')      # every route on its public channel
    public = {topic: route.channel for topic, route in fanout.routes.items()}
    for route in data['outbound']:
        route['transport'] = 'http'
        route['channel'] = public[route['topic']]
    path = tmp_path / 'outbound_only.yaml'
    path.write_text(yaml.safe_dump(data))
    return str(path)


TOKEN = 'edge-token-123'


def start_stored_ack_stack(
    tmp_path: Path, *, client_messages: bool = True, soketi_port: int | None = None,
    max_payload_kb: float = 10.0,
):
    """(receiver, soketi): a StoredAckReceiver as MyRVM; Soketi sends it client_event webhooks."""
    from rvm_bringup.soketi import SoketiServer
    from support.stored_ack_receiver import StoredAckReceiver
    receiver = StoredAckReceiver(token=TOKEN).start()
    soketi = SoketiServer(
        log_path=tmp_path / 'soketi.log', client_messages=client_messages, port=soketi_port,
        max_payload_kb=max_payload_kb, extra_env=receiver.soketi_env())
    receiver.attach(soketi)
    soketi.start()
    return receiver, soketi


def stored_ack_config(soketi, receiver, tmp_path: Path, **overrides: Any) -> BridgeConfig:
    """A bridge on the bundled channel map (durable: client events + stored ack) for ``soketi``."""
    values = dict(api_base=receiver.api_base, auth_retry_s=0.5, ack_timeout_s=5.0)
    values.update(overrides)
    return bridge_config(soketi, tmp_path, **values)
