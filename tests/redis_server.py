"""The Redis the tests that need a real one use: ``RAPORTAL_TEST_REDIS_URL``, by default
database 15 of a local server."""

import os

import pytest

REDIS_URL = os.environ.get("RAPORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> None:
    """CI runs the tests that need Redis (.ci/run sets RAPORTAL_TEST_REQUIRE_REDIS=1: no Redis
    is a failure there); elsewhere a missing Redis skips them, saying how to start one."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        reason = (
            f"Redis is not reachable at {REDIS_URL} ({exc}); start it with "
            "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''` "
            "or point RAPORTAL_TEST_REDIS_URL at one"
        )
        if os.environ.get("RAPORTAL_TEST_REQUIRE_REDIS", "").lower() in {"1", "true", "yes"}:
            pytest.fail(reason)
        pytest.skip(reason)
