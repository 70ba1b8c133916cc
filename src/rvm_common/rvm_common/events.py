"""The event contract between rvm-edge cores, ROS topics and Reverb channels.

Every outbound payload is a JSON object built by :func:`make_event`; it carries
``type``, ``version``, ``event_id``, ``rvm_id``, ``timestamp`` and (added by the
bridge for durable events) ``seq``.  The JSON Schemas in ``rvm_common/schemas/`` (read by
:mod:`rvm_common.contract`) are the machine-readable form of this module; keep them in step.
"""
from __future__ import annotations

import json
import re
import socket
import uuid
from datetime import datetime, timezone
from typing import Any

SCHEMA_VERSION = 1

# Reverb channels and events (MyRVM design).  Which topic goes to which channel/event is decided
# once, by rvm_bridge's channel map (rvm_bridge/config/channel_map.yaml), for the ROS bridge node
# and the runner.
CHANNEL_STATUS = 'rvm-status'
CHANNEL_DETECTIONS = 'detection-results'
CHANNEL_TIMEZONE = 'timezone-updates'

EVENT_STATUS_UPDATED = 'status-updated'
EVENT_HEALTH_UPDATED = 'health-updated'
EVENT_DETECTION_COMPLETED = 'detection-completed'
EVENT_PROCESSING_UPDATED = 'processing-updated'
EVENT_SESSION_COMPLETED = 'session-completed'
EVENT_TIMEZONE_SYNCED = 'timezone-synced'
EVENT_MANUAL_SYNC = 'manual-sync'          # inbound, server -> edge
EVENT_COMMAND = 'command'                  # inbound, server -> edge (per-machine channel)

# ROS topics (relative; placed by namespace/remapping).  std_msgs/String topics carry JSON.
TOPIC_IMAGE = 'image_raw'
TOPIC_CAMERA_INFO = 'camera_info'
TOPIC_CAMERA_STATUS = 'camera/status'
TOPIC_DETECTIONS = 'detections'
TOPIC_ANNOTATED = 'detections/annotated'
TOPIC_LABEL_MASK = 'detections/label_mask'
TOPIC_VERDICT = 'items/verdict'
TOPIC_PROCESSING = 'items/processing'
TOPIC_SESSION = 'items/session'
TOPIC_ITEM_FAILED = 'items/failed'   # durable copy of `failed` processing updates
TOPIC_DETECTOR_STATUS = 'detector/status'
TOPIC_RVM_STATUS = 'status'       # under the namespace: /rvm/status
TOPIC_HEALTH = 'health'
TOPIC_BRIDGE_STATUS = 'bridge/status'
TOPIC_TIMEZONE = 'timezone/synced'
TOPIC_COMMAND = 'command'                  # inbound commands from the server, as JSON
TOPIC_MANUAL_SYNC = 'timezone/manual_sync'  # inbound manual-sync requests, as JSON

#: Reject reasons of an item verdict.
REJECT_REASONS = ('low_confidence', 'category_not_accepted', 'multiple_objects',
                  'size_out_of_range', 'no_mask', 'not_settled', 'withdrawn', 'not_cleared')

#: RVM states published by the health node.
RVM_STATES = ('online', 'idle', 'processing', 'maintenance', 'error', 'offline')


def utc_iso(ts: float | None = None) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z`` suffix."""
    moment = datetime.now(timezone.utc) if ts is None else datetime.fromtimestamp(ts, timezone.utc)
    return moment.isoformat(timespec='milliseconds').replace('+00:00', 'Z')


#: What a machine id may be: it ends Laravel's channel pattern ``rvm.{rvmId}``, whose
#: parameter cannot hold a dot, and the envelope schema's ``rvm_id`` pattern says the same.
RVM_ID_PATTERN = re.compile(r'^[A-Za-z0-9_-]{1,64}$')
RVM_ID_MAX_LEN = 64


def resolve_rvm_id(configured: str = '') -> str:
    """The machine id: the configured one, else ``rvm-<hostname>`` (never empty).

    A configured id must match :data:`RVM_ID_PATTERN` (``ValueError`` naming it
    otherwise); the host-derived id is sanitised to that pattern and capped at 64.
    """
    if configured:
        if not RVM_ID_PATTERN.match(configured):
            raise ValueError(
                f'rvm_id {configured!r} is not a valid machine id: use 1-64 characters from A-Z'
                ' a-z 0-9 _ - (no dots or spaces: Laravel\'s channel rvm.{rvmId} cannot match'
                ' them)'
            )
        return configured
    host = re.sub(r'[^A-Za-z0-9_-]+', '-', socket.gethostname()).strip('-') or 'unknown'
    return f'rvm-{host}'[:RVM_ID_MAX_LEN].rstrip('-')


def make_event(event_type: str, fields: dict[str, Any], *, rvm_id: str = '',
               timestamp: float | None = None, event_id: str | None = None) -> dict[str, Any]:
    """An outbound event payload: the common envelope followed by ``fields``.

    An empty ``rvm_id`` becomes :func:`resolve_rvm_id`'s host-based id, so every core of
    one machine stamps the same id without each of them configuring it.
    """
    event: dict[str, Any] = {
        'type': event_type,
        'version': SCHEMA_VERSION,
        'event_id': event_id or str(uuid.uuid4()),
        'rvm_id': resolve_rvm_id(rvm_id),
        'timestamp': utc_iso(timestamp),
    }
    event.update(fields)
    return event


def dumps(payload: Any) -> str:
    """Compact, deterministic JSON used on topics and on the wire."""
    return json.dumps(payload, separators=(',', ':'), ensure_ascii=False, allow_nan=False)
