"""gunicorn settings for many concurrent, mostly waiting connections (App Service fronts the app)."""

import multiprocessing
import os

# App Service tells a custom container its port with WEBSITES_PORT; PORT is the common fallback.
port = os.environ.get("WEBSITES_PORT") or os.environ.get("PORT") or "8000"
# All interfaces inside a container (the platform's front end connects from outside it). A container on
# the host's network (the sandbox's --container-network host, local benches) sets BIND_HOST=127.0.0.1.
bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{port}"

# gevent: each worker multiplexes thousands of connections on greenlets, so 1000 concurrent users need
# a couple of processes, not 1000 threads. One worker per core keeps CPU-bound template work parallel.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
workers = int(os.environ.get("GUNICORN_WORKERS", str(max(2, multiprocessing.cpu_count()))))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
backlog = 2048
keepalive = 75  # longer than Azure's front-end idle timeout would cut, so connections are reused
timeout = 30
graceful_timeout = 20
max_requests = 0
accesslog = None  # the app writes its own JSON request log
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = "*"


def post_fork(server, worker):
    # psycopg2 blocks in C; this callback makes it yield to gevent's hub while waiting on the socket.
    if worker_class == "gevent":
        import psycopg2.extensions
        from gevent.socket import wait_read, wait_write

        def gevent_wait_callback(conn, timeout=None):
            while True:
                state = conn.poll()
                if state == psycopg2.extensions.POLL_OK:
                    break
                if state == psycopg2.extensions.POLL_READ:
                    wait_read(conn.fileno(), timeout=timeout)
                elif state == psycopg2.extensions.POLL_WRITE:
                    wait_write(conn.fileno(), timeout=timeout)
                else:
                    raise psycopg2.OperationalError(f"bad poll state {state}")

        psycopg2.extensions.set_wait_callback(gevent_wait_callback)
