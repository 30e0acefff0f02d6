"""config/redis_cache.py: Django's Redis cache, one client per connection pool (no server needed: a
client connects at its first command)."""

import pytest

from config.redis_cache import RedisCache


def test_every_cache_call_of_a_process_gets_the_same_client_and_pool():
    pytest.importorskip("redis")
    backend = RedisCache("redis://127.0.0.1:6399/0", {})._cache
    client = backend.get_client()
    assert backend.get_client("some-key", write=True) is client
    assert client.connection_pool is backend._get_connection_pool(write=False)
