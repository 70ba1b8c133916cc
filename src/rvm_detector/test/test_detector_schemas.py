"""Every JSON output of the detector matches its schema: the package's own (rvm_detector.schemas)
and, when the repository's docs/schemas/*.json are present, those too."""
import json
from pathlib import Path

import chamber_scripts as cs
import jsonschema
import pytest
from item_sequences import det, item_frames, new_session, run

from rvm_common.events import TOPIC_PROCESSING, TOPIC_SESSION, TOPIC_VERDICT
from rvm_detector.schemas import SCHEMAS_BY_TOPIC, VERDICT_SCHEMA


def _docs_schema_dir():
    for parent in Path(__file__).resolve().parents:
        candidate = parent / 'docs' / 'schemas'
        if (candidate / 'envelope.json').exists():
            return candidate
    return None


def all_event_kinds():
    """Events of every kind: accepted, each reject reason, failed item, both session reasons."""
    frames = item_frames() + item_frames(conf=0.3) + item_frames('other') + item_frames(size=(8, 10)) \
        + item_frames(with_polygon=False) \
        + item_frames(extra=lambda: det(20, 20, 120, 120, 'aluminium_can', 0.8)) \
        + [[det(x, 100, x + 100, 300)] for x in (0, 80, 160)] + [[]] * 4
    session, events = run(frames)
    events += session.end_session('command')
    session2, more = run(item_frames())
    more += session2.tick(session2.last_activity + 1e3)
    for script in (cs.withdrawn, cs.never_settles):
        frames, times = script()
        more += run(frames, times=times)[1]
    frames, times = cs.timed(cs.empty(3) + cs.enter() + cs.rest(6))   # judged, still in the chamber
    session3, judged = run(frames, session=new_session(), times=times)
    return events + more + judged + session3.end_session('shutdown')


def test_package_schemas_cover_every_event_kind():
    events = all_event_kinds()
    reasons = {p['reason'] for t, p in events if t == TOPIC_VERDICT}
    assert reasons == {None, 'low_confidence', 'category_not_accepted', 'size_out_of_range', 'no_mask',
                       'multiple_objects', 'not_settled', 'withdrawn', 'not_cleared'}
    assert {p['status'] for t, p in events if t == TOPIC_PROCESSING} == \
        {'queued', 'processing', 'completed', 'failed'}
    assert {p['reason'] for t, p in events if t == TOPIC_SESSION} == {'command', 'idle_timeout', 'shutdown'}
    for topic, payload in events:
        jsonschema.validate(payload, SCHEMAS_BY_TOPIC[topic])


def test_package_schema_rejects_broken_verdicts():
    (v,) = [p for t, p in run(item_frames())[1] if t == TOPIC_VERDICT]
    bad = [dict(v, accepted=True, reason='low_confidence'), dict(v, reason='because'),
           dict(v, mask={**v['mask'], 'polygon': [[0, 0]] * 65}), {k: x for k, x in v.items() if k != 'bbox'}]
    for payload in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(payload, VERDICT_SCHEMA)


@pytest.mark.skipif(_docs_schema_dir() is None,
                    reason='docs/schemas not found (package tested outside the repo)')
def test_events_match_the_documented_schemas():
    from referencing import Registry, Resource

    schema_dir = _docs_schema_dir()
    schemas = {p.stem: json.loads(p.read_text()) for p in schema_dir.glob('*.json')}
    registry = Registry().with_resources(
        [(s['$id'], Resource.from_contents(s)) for s in schemas.values()])
    checked = set()
    for topic, payload in all_event_kinds():
        validator = jsonschema.Draft202012Validator(schemas[payload['type']], registry=registry,
                                                    format_checker=jsonschema.FormatChecker())
        errors = [e.message for e in validator.iter_errors(json.loads(json.dumps(payload)))]
        assert errors == [], (payload['type'], errors)
        checked.add(payload['type'])
    assert checked == {'detection-completed', 'processing-updated', 'session-completed'}
