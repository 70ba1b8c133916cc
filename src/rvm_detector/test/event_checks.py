"""Schema checks of the detector tests.

Server events (verdict, processing, session) are checked against the event contract
(:mod:`rvm_common.contract`), after a JSON round trip as on the wire, plus what the detector
promises beyond the contract (every verdict carries ``episode_id`` and ``objects``).  The
``detector/status`` topic is internal (camera and runner read it, the server never sees it), so its
schema lives here with the tests.
"""
from __future__ import annotations

import json

import jsonschema
from rvm_common import contract
from rvm_common.events import SCHEMA_VERSION, TOPIC_DETECTOR_STATUS, TOPIC_VERDICT, dumps

from rvm_detector.chamber_state import Chamber

_UUID = {
    'type': 'string', 'pattern': r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'}

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
        'phantoms': {'type': 'integer', 'minimum': 0},
        'refine_errors': {'type': 'integer', 'minimum': 0},
        'calibration': {'oneOf': [{'type': 'null'}, {
            'type': 'object',
            'properties': {
                'file': {'type': 'string'}, 'created_at': {'type': 'string'},
                'age_s': {'type': ['number', 'null'], 'minimum': 0},
                'drift': {'type': 'number', 'minimum': 0, 'maximum': 1},
                'gain': {'type': 'number', 'minimum': 0},
                'size_mismatch': {'type': 'boolean'}},
            'required': ['file', 'age_s', 'drift', 'gain'], 'additionalProperties': False}]},
    },
    'required': ['version', 'state', 'last_error', 'model', 'device', 'refine', 'frames_processed',
                 'frames_dropped', 'frames_bad', 'fps', 'item_state', 'session_id', 'verdicts'],
    'additionalProperties': False,
}


def check_event(topic: str, payload: dict) -> None:
    """Raise unless ``payload`` (published on ``topic``) matches its schema."""
    if topic == TOPIC_DETECTOR_STATUS:
        jsonschema.validate(payload, STATUS_SCHEMA)
        return
    contract.validate(json.loads(dumps(payload)))
    if topic == TOPIC_VERDICT and not payload.get('truncated'):
        missing = {'episode_id', 'objects'} - payload.keys()
        assert not missing, f'verdict without {sorted(missing)}'
