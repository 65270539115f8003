"""The configuration files of pgbouncer and nginx, generated for one topology."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def pgbouncer_ini(
    directory: Path,
    *,
    listen_port: int,
    postgres_host: str,
    postgres_port: int,
    database: str,
    run_as: str | None,
    pool_size: int,
) -> str:
    """Transaction pooling: a server connection is lent for one transaction, so nothing
    may outlive a transaction on it — session settings, LISTEN, session advisory locks,
    named prepared statements. Quartermaster sets the tenant per transaction
    (``set_config(…, true)``), takes only transaction-scoped advisory locks, names its
    prepared statements uniquely and caches none (QM_DATABASE_PGBOUNCER=true); the relay,
    which LISTENs, connects directly (QM_RELAY_DATABASE_URL)."""
    lines = [
        "[databases]",
        f"{database} = host={postgres_host} port={postgres_port} dbname={database}",
        "",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {listen_port}",
        "unix_socket_dir =",
        "auth_type = scram-sha-256",
        f"auth_file = {directory / 'userlist.txt'}",
        "pool_mode = transaction",
        "max_client_conn = 1000",
        # Fewer server connections than the clients' pools hold, so server connections
        # really are shared between clients' transactions (what breaks, breaks here).
        f"default_pool_size = {pool_size}",
        "reserve_pool_size = 2",
        "server_reset_query =",
        # Statements SQLAlchemy prepared (uniquely named) and whose Close reached another
        # server connection stay on theirs until it is replaced: bound their number.
        "server_lifetime = 600",
        "ignore_startup_parameters = extra_float_digits",
        "admin_users = pgbouncer_admin",
        "stats_users = pgbouncer_admin",
        f"logfile = {directory / 'pgbouncer.log'}",
        f"pidfile = {directory / 'pgbouncer.pid'}",
        "log_connections = 0",
        "log_disconnections = 0",
    ]
    if run_as:
        lines.append(f"user = {run_as}")
    return "\n".join(lines) + "\n"


def pgbouncer_userlist(users: dict[str, str]) -> str:
    # Plain-text passwords: pgbouncer checks the client's SCRAM exchange against them and
    # can then authenticate itself to PostgreSQL with SCRAM too.
    return "".join(f'"{name}" "{password}"\n' for name, password in users.items())


def nginx_conf(
    directory: Path,
    *,
    listen_port: int,
    replicas: Sequence[tuple[str, int]],
    active: Sequence[str],
) -> str:
    """nginx in front of the API replicas: HTTP keep-alive to the upstreams, WebSocket
    upgrades, no buffering of event streams, read timeouts above the 20 s heartbeat.

    Requests are balanced over the ``active`` replicas (a rolling restart takes one out
    first, as a Kubernetes Service drops a pod that is terminating). The test harness
    may pin a request to one replica with ``X-QM-Replica: <name>`` (still through
    nginx); every response says which upstream served it (``X-QM-Upstream``)."""
    active_pool = [
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;"
        for name, port in replicas
        if name in active
    ] or ["    server 127.0.0.1:9 down;"]
    upstreams = [
        "  upstream qm_api {",
        *active_pool,
        "    keepalive 64;",
        "    keepalive_timeout 60s;",
        "  }",
    ]
    pins = []
    for name, port in replicas:
        upstreams += [f"  upstream qm_{name} {{", f"    server 127.0.0.1:{port};", "  }"]
        pins.append(f"    {name} qm_{name};")
    temp = directory / "nginx-temp"
    return "\n".join(
        [
            "worker_processes 2;",
            f"pid {directory / 'nginx.pid'};",
            f"error_log {directory / 'nginx-error.log'} warn;",
            "daemon off;",
            "events { worker_connections 4096; }",
            "http {",
            "  access_log off;",
            f"  client_body_temp_path {temp / 'body'};",
            f"  proxy_temp_path {temp / 'proxy'};",
            f"  fastcgi_temp_path {temp / 'fastcgi'};",
            f"  uwsgi_temp_path {temp / 'uwsgi'};",
            f"  scgi_temp_path {temp / 'scgi'};",
            "  client_max_body_size 200m;",
            "  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }",
            "  map $http_x_qm_replica $qm_upstream {",
            "    default qm_api;",
            *pins,
            "  }",
            *upstreams,
            "  server {",
            f"    listen 127.0.0.1:{listen_port};",
            "    location / {",
            "      proxy_pass http://$qm_upstream;",
            "      proxy_http_version 1.1;",
            "      proxy_set_header Host $host;",
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "      proxy_set_header X-Forwarded-Proto $scheme;",
            "      proxy_set_header Upgrade $http_upgrade;",
            "      proxy_set_header Connection $connection_upgrade;",
            "      proxy_read_timeout 75s;",
            "      proxy_send_timeout 75s;",
            "      proxy_buffering off;",
            # A replica that refuses the connection (down, restarting) is skipped; a
            # request it already received is never sent twice (POST is not idempotent:
            # clients retry those with their Idempotency-Key).
            "      proxy_next_upstream error timeout;",
            "      proxy_next_upstream_tries 2;",
            "      add_header X-QM-Upstream $upstream_addr always;",
            "    }",
            "  }",
            "}",
            "",
        ]
    )
