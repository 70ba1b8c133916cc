"""JSON Schemas (draft 2020-12) of the detector's JSON outputs, version 1.

These are the machine-readable form of docs/detector.md; tests validate every
payload the core emits against them.
"""
from __future__ import annotations

from rvm_common.events import (REJECT_REASONS, SCHEMA_VERSION, TOPIC_DETECTOR_STATUS, TOPIC_PROCESSING,
                               TOPIC_SESSION, TOPIC_VERDICT)
from rvm_detector.chamber_state import Chamber

_ISO = {'type': 'string', 'pattern': r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$'}
_UUID = {'type': 'string', 'pattern': r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'}
_NUM = {'type': 'number'}


def _envelope(event_type: str, fields: dict, required: list[str]) -> dict:
    return {
        '$schema': 'https://json-schema.org/draft/2020-12/schema',
        'title': event_type,
        'type': 'object',
        'properties': {
            'type': {'const': event_type},
            'version': {'const': SCHEMA_VERSION},
            'event_id': _UUID,
            'rvm_id': {'type': 'string'},
            'timestamp': _ISO,
            'seq': {'type': 'integer', 'minimum': 0},
            **fields,
        },
        'required': ['type', 'version', 'event_id', 'rvm_id', 'timestamp', *required],
        'additionalProperties': False,
    }


VERDICT_SCHEMA = _envelope('detection-completed', {
    'item_id': _UUID,
    'episode_id': _UUID,
    'objects': {'type': 'object', 'properties': {
        'count': {'type': 'integer', 'minimum': 1},
        'categories': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 1}}},
        'required': ['count', 'categories'], 'additionalProperties': False},
    'session_id': _UUID,
    'category': {'type': 'string', 'minLength': 1},
    'class_name': {'type': 'string', 'minLength': 1},
    'confidence': {'type': 'number', 'minimum': 0, 'maximum': 1},
    'accepted': {'type': 'boolean'},
    'reason': {'enum': [None, *REJECT_REASONS]},
    'bbox': {'type': 'object', 'properties': {k: _NUM for k in ('x1', 'y1', 'x2', 'y2')},
             'required': ['x1', 'y1', 'x2', 'y2'], 'additionalProperties': False},
    'mask': {'oneOf': [{'type': 'null'}, {
        'type': 'object',
        'properties': {
            'polygon': {'type': 'array', 'minItems': 3, 'maxItems': 64,
                        'items': {'type': 'array', 'items': _NUM, 'minItems': 2, 'maxItems': 2}},
            'area_px': {'type': 'number', 'minimum': 0},
            'area_fraction': {'type': 'number', 'minimum': 0, 'maximum': 1},
        },
        'required': ['polygon', 'area_px', 'area_fraction'], 'additionalProperties': False}]},
    'frame': {'type': 'object', 'properties': {'width': {'type': 'integer', 'minimum': 1},
                                               'height': {'type': 'integer', 'minimum': 1}},
              'required': ['width', 'height'], 'additionalProperties': False},
    'capture_time': _ISO,
    'timings_ms': {'type': 'object',
                   'properties': {k: {'type': 'number', 'minimum': 0}
                                  for k in ('preprocess', 'inference', 'refine', 'postprocess', 'total')},
                   'required': ['preprocess', 'inference', 'refine', 'postprocess', 'total'],
                   'additionalProperties': False},
    'model': {'type': 'string'},
    'truncated': {'const': True},
}, ['item_id', 'episode_id', 'objects', 'session_id', 'category', 'class_name', 'confidence', 'accepted',
    'reason', 'bbox', 'mask', 'frame', 'capture_time', 'timings_ms', 'model'])
# accepted <=> reason is null
VERDICT_SCHEMA['if'] = {'properties': {'accepted': {'const': True}}}
VERDICT_SCHEMA['then'] = {'properties': {'reason': {'type': 'null'}}}
VERDICT_SCHEMA['else'] = {'properties': {'reason': {'enum': list(REJECT_REASONS)}}}

PROCESSING_SCHEMA = _envelope('processing-updated', {
    'item_id': _UUID,
    'session_id': _UUID,
    'status': {'enum': ['queued', 'processing', 'completed', 'failed']},
    'detail': {'type': 'string'},
}, ['item_id', 'session_id', 'status', 'detail'])

SESSION_SCHEMA = _envelope('session-completed', {
    'session_id': _UUID,
    'started_at': _ISO,
    'ended_at': _ISO,
    'reason': {'enum': ['idle_timeout', 'command', 'shutdown']},
    'counts': {'type': 'object', 'additionalProperties': {'type': 'integer', 'minimum': 0}},
    'accepted': {'type': 'integer', 'minimum': 0},
    'rejected': {'type': 'integer', 'minimum': 0},
    'total': {'type': 'integer', 'minimum': 0},
}, ['session_id', 'started_at', 'ended_at', 'reason', 'counts', 'accepted', 'rejected', 'total'])

STATUS_SCHEMA = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    'title': 'detector-status',
    'type': 'object',
    'properties': {
        'version': {'const': SCHEMA_VERSION},
        'state': {'enum': ['created', 'ready', 'error']},
        'last_error': {'type': 'string'},
        'model': {'type': 'string'},
        'device': {'type': 'string'},
        'half': {'type': 'boolean'},
        'refine': {'enum': ['off', 'sam2', 'item']},
        'sam2': {'type': ['string', 'null']},
        'frames_received': {'type': 'integer', 'minimum': 0},
        'frames_processed': {'type': 'integer', 'minimum': 0},
        'frames_dropped': {'type': 'integer', 'minimum': 0},
        'frames_bad': {'type': 'integer', 'minimum': 0},
        'fps': {'type': 'number', 'minimum': 0},
        'latency_ms': {'type': ['number', 'null']},
        'last_timings_ms': {'type': 'object', 'additionalProperties': {'type': 'number'}},
        'item_state': {'enum': [state.value for state in Chamber]},
        'session_id': {'oneOf': [{'type': 'null'}, _UUID]},
        'items_total': {'type': 'integer', 'minimum': 0},
        'items_failed': {'type': 'integer', 'minimum': 0},
        'verdicts': {'type': 'integer', 'minimum': 0},
    },
    'required': ['version', 'state', 'last_error', 'model', 'device', 'refine', 'frames_processed',
                 'frames_dropped', 'frames_bad', 'fps', 'item_state', 'session_id', 'verdicts'],
    'additionalProperties': False,
}

#: topic -> schema of its payloads
SCHEMAS_BY_TOPIC = {TOPIC_VERDICT: VERDICT_SCHEMA, TOPIC_PROCESSING: PROCESSING_SCHEMA,
                    TOPIC_SESSION: SESSION_SCHEMA, TOPIC_DETECTOR_STATUS: STATUS_SCHEMA}
