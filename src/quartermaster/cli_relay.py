"""`qm relay`: the outbox relay as a process of its own (external mode)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated

import typer

from quartermaster.cli_common import _fail, _load_settings, console
from quartermaster.cli_embedded import _connect, _owner_url


def relay(
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            "--metrics-port",
            min=1,
            max=65535,
            envvar="QM_RELAY_PORT",
            help="Serve /healthz, /readyz and /metrics on this port.",
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Interface of the probes (default QM_HOST).")
    ] = None,
) -> None:
    """Publish committed outbox events to Redis until SIGTERM/SIGINT (external mode: run
    one or more beside the API; embedded `qm serve` runs one itself). Connects as
    QM_RELAY_DATABASE_URL or else QM_DATABASE_OWNER_URL: it reads every tenant's events,
    and LISTENs, so that connection must not go through pgbouncer in transaction mode."""
    import asyncio

    from quartermaster.cli_ops import role_probes
    from quartermaster.core.redis import create_redis
    from quartermaster.core.relay import OutboxRelay, RelayMetrics, RelayMisconfigured
    from quartermaster.core.tracing import setup_tracing, shutdown_tracing
    from quartermaster.realtime.public import channel_of

    settings = _load_settings()
    if settings.database_pgbouncer and not settings.relay_database_url:
        raise _fail(
            "QM_DATABASE_PGBOUNCER=true: set QM_RELAY_DATABASE_URL to a direct PostgreSQL "
            "connection (not through pgbouncer) for the relay. It LISTENs for commits, which "
            "pgbouncer in transaction mode cannot carry."
        )
    with ExitStack() as stack:
        settings = _connect(settings, stack)
        relay_url = settings.relay_database_url or _owner_url(settings)
        redis_url = settings.redis_url
        assert redis_url is not None
        metrics = RelayMetrics()

        async def run() -> None:
            import signal as signals

            setup_tracing(settings, "quartermaster-relay")
            redis = create_redis(redis_url)
            outbox_relay = OutboxRelay(
                relay_url,
                redis,
                channel_of,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval_seconds,
                stream_maxlen=settings.realtime_stream_maxlen,
                metrics=metrics,
            )
            loop = asyncio.get_running_loop()
            for sig in (signals.SIGTERM, signals.SIGINT):
                loop.add_signal_handler(sig, outbox_relay.request_stop)

            async def database() -> str:
                return "ok" if outbox_relay.listening else "down"

            async def redis_ping() -> str:
                await redis.ping()
                return "ok"

            checks = {"database": database, "redis": redis_ping}
            try:
                async with role_probes(
                    host or settings.host, port, metrics.registry, checks, settings
                ):
                    await outbox_relay.run()
            finally:
                await redis.aclose()
                shutdown_tracing()

        console.print("Relaying outbox events to Redis; Ctrl-C or SIGTERM stops.")
        try:
            import uvloop  # as the API's loop: the relay's lag is mostly event-loop time

            uvloop.run(run())
        except RelayMisconfigured as exc:
            raise _fail(str(exc)) from exc
    console.print("Relay stopped.")
