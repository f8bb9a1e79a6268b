"""A response cache in Redis. Redis is an accelerator, not a dependency of correctness: when it is down
the API answers from PostgreSQL (X-Cache: BYPASS) and only readiness reports the problem."""

import json

import redis


class ResponseCache:
    def __init__(
        self,
        url: str,
        ttl_seconds: int = 30,
        timeout_seconds: float = 0.5,
        max_connections: int = 100,
        pool_wait_seconds: float = 5.0,
    ):
        # A bounded pool: a burst of concurrent requests waits for a connection rather than opening
        # one socket per request.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            # Waiting for a free connection is queueing behind other requests, not a Redis failure.
            timeout=pool_wait_seconds,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            health_check_interval=30,
        )
        self._client = redis.Redis(connection_pool=pool)
        self._ttl = ttl_seconds
        self.prefix = "portal:v1:"

    def get(self, key: str):
        """The cached JSON value, None on a miss; raises redis.RedisError when Redis is unreachable."""
        raw = self._client.get(self.prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value) -> None:
        self._client.set(self.prefix + key, json.dumps(value), ex=self._ttl)

    def invalidate(self, pattern: str = "*") -> None:
        keys = list(self._client.scan_iter(self.prefix + pattern, count=500))
        if keys:
            self._client.delete(*keys)

    def ping(self) -> None:
        self._client.ping()

    def close(self) -> None:
        self._client.close()
