"""Fleet test fixtures: a two-node Soketi cluster over Redis with the stored-ack receiver."""

from __future__ import annotations

import pytest

from bridge.bridge_support import SECRET_ENV, TOKEN
from rvm_fleet.cluster import SoketiCluster
from support.stored_ack_receiver import StoredAckReceiver


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    """(receiver, cluster): nodes A and B share Redis; the receiver (MyRVM) triggers via node B."""
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', TOKEN)
    receiver = StoredAckReceiver(token=TOKEN).start()
    servers = SoketiCluster(log_dir=tmp_path / 'logs', extra_env=receiver.soketi_env())
    try:
        servers.start(60.0)
    except Exception:
        receiver.close()
        raise
    receiver.attach(servers.node(1))
    monkeypatch.setenv(SECRET_ENV, servers.secret)
    yield receiver, servers
    servers.stop()
    receiver.close()
