"""Cluster parts: redis-server on a free loopback port, each node's Redis adapter settings."""

import pytest

from rvm_bringup.soketi import SoketiNotInstalled, find_soketi
from rvm_fleet.cluster import SoketiCluster, redis_adapter_env
from rvm_fleet.redis_server import RedisServer, find_redis


def _redis_or_skip():
    try:
        find_redis()
    except RuntimeError as exc:
        pytest.skip(str(exc))


def test_redis_server_starts_answers_and_stops(tmp_path):
    _redis_or_skip()
    server = RedisServer(log_path=tmp_path / 'redis.log')
    assert not server.ping()
    with server:
        assert server.running and server.ping()
        pid = server.pid
    assert not server.running and not server.ping() and pid


def _soketi_or_skip():
    try:
        find_soketi()
    except SoketiNotInstalled as exc:      # redis-server present, npm packages not installed
        pytest.skip(str(exc))


def test_every_node_gets_the_same_redis_adapter_settings(tmp_path):
    _redis_or_skip()
    _soketi_or_skip()
    cluster = SoketiCluster(
        nodes=2, log_dir=tmp_path, extra_env={'SOKETI_DEFAULT_APP_WEBHOOKS': '[]'})
    a, b = cluster.node(0), cluster.node(1)
    assert a.port != b.port and (a.app_id, a.key, a.secret) == (b.app_id, b.key, b.secret)
    env_a, env_b = a._env(), b._env()
    for env in (env_a, env_b):
        assert env['SOKETI_ADAPTER_DRIVER'] == 'redis' and env['SOKETI_DB_REDIS_PORT'] == str(
            cluster.redis.port)
        assert (
            env['SOKETI_ADAPTER_REDIS_PREFIX'] == cluster.prefix
            and env['SOKETI_DEFAULT_APP_WEBHOOKS'] == '[]'
        )
    assert env_a['SOKETI_PORT'] != env_b['SOKETI_PORT']
    assert cluster.pids() == {}                                # nothing started yet
    assert redis_adapter_env(cluster.redis, 'p')['SOKETI_DB_REDIS_HOST'] == '127.0.0.1'


def test_a_cluster_needs_a_node():
    with pytest.raises(ValueError, match='at least one node'):
        SoketiCluster(nodes=0)
