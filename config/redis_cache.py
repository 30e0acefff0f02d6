"""Django's Redis cache with one client object per connection pool, kept for the life of the process.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` around the same pool for every cache
call, and redis-py 8's `Redis.__init__` fills its table of ~200 response callbacks each time: ~90 µs of
CPU, more than the round trip it serves (~65 µs for a GET on loopback). An answer makes a few cache
calls and a kept page one or two, so under bench/load.py's mix with Redis that was ~8% of the workers'
CPU (cProfile, `bench/cpu.py --mix`). A `redis.Redis` is safe to share between threads (a command takes a
connection from the pool and gives it back), and its pool opens new connections after a fork.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
