"""rvm_common.contract: the package's JSON Schemas are the one copy of the event contract."""
from pathlib import Path

import pytest

from rvm_common import contract, events

PACKAGE = Path(contract.__file__).resolve().parents[1]


def test_every_event_of_the_contract_has_a_schema_shipped_as_package_data():
    assert contract.event_names() == sorted(
        [
            events.EVENT_STATUS_UPDATED, events.EVENT_HEALTH_UPDATED,
            events.EVENT_DETECTION_COMPLETED, events.EVENT_PROCESSING_UPDATED,
            events.EVENT_SESSION_COMPLETED, events.EVENT_TIMEZONE_SYNCED, events.EVENT_MANUAL_SYNC,
            events.EVENT_COMMAND, 'events-stored']
    )
    assert sorted(p.suffix for p in contract.SCHEMA_DIR.iterdir() if p.is_file()) == ['.json'] * 10
    assert "package_data={package_name: ['schemas/*.json']}" in (PACKAGE / 'setup.py').read_text()


def test_no_second_copy_of_the_schemas_in_the_repository():
    root = PACKAGE.parents[1]
    if not (root / 'docs').is_dir():
        pytest.skip('package tested outside the repository')
    assert sorted(p.name for p in (root / 'docs' / 'schemas').iterdir()) == ['README.md']
    assert (
        'src/rvm_common/rvm_common/schemas/' in (
            root / 'docs' / 'schemas' / 'README.md').read_text()
    )


def test_validators_are_built_once_per_event():
    assert contract.validator('command') is contract.validator('command')
    assert contract.validator('command') is not contract.validator('manual-sync')


def test_errors_name_event_path_and_problem():
    assert contract.errors({'command': 'end_session'}, 'command') == []
    assert contract.errors({'command': 7}, 'command') == [
        "command: /command: 7 is not of type 'string'"]
    assert contract.errors({'type': 'teleported'}) == ["no schema for event type 'teleported'"]
    assert contract.errors({'type': 'envelope'}) == ["no schema for event type 'envelope'"]
    assert contract.errors('text') == ['no schema for event type None']


def test_validate_raises_with_every_problem():
    with pytest.raises(contract.ContractError) as caught:
        contract.validate({'type': 'events-stored', 'version': 2, 'event_ids': 'x'})
    assert len(caught.value.problems) == 2
    assert '/version' in str(caught.value) and '/event_ids' in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_outbound_events_from_make_event_validate():
    payload = events.make_event(
        events.EVENT_PROCESSING_UPDATED,
        {'item_id': 's1-1', 'session_id': 's1', 'status': 'queued', 'detail': None},
        rvm_id='rvm-001')
    contract.validate(payload)
    assert contract.errors(dict(payload, rvm_id='rvm.001'))
