"""OpenTelemetry tracing: off unless QM_OTLP_ENDPOINT is set.

When on (:func:`setup_tracing`, once per process), each process has its own tracer
provider that exports spans over OTLP/HTTP in batches: HTTP requests and WebSocket
sessions (the ASGI middleware :func:`add_http_tracing` installs), SQL (asyncpg, which
also carries SQLAlchemy's statements), Redis (redis-py), and our own spans — a job's run
and the relay's publication of each event.

A trace crosses processes through the database: :func:`current_traceparent` gives the
W3C ``traceparent`` of the current span, which the outbox row (``emit``) and the job row
(``submit_job``) store; the relay and the worker continue that trace
(:func:`context_from`), so a request, the events it committed and the jobs it started are
one trace. Off, nothing is stored and no span is made: the calls are cheap no-ops.

The provider is held here rather than installed globally, so a test can set up tracing
with an in-memory exporter and take it down again (:func:`shutdown_tracing`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from quartermaster import __version__

if TYPE_CHECKING:
    from quartermaster.core.settings import Settings

_PROPAGATOR = TraceContextTextMapPropagator()
_NO_OP = trace.NoOpTracerProvider().get_tracer("quartermaster")
# Probes and scrapes would drown the requests that matter.
UNTRACED_PATHS = "healthz,readyz,metrics"


class _State:
    provider: TracerProvider | None = None
    tracer: trace.Tracer = _NO_OP


def setup_tracing(
    settings: Settings, service: str, *, exporter: SpanExporter | None = None
) -> bool:
    """Turn tracing on for this process (idempotent); whether it is on. ``exporter``
    (tests) replaces the OTLP exporter and exports each span as it ends."""
    if _State.provider is not None:
        return True
    if exporter is None and not settings.otlp_endpoint:
        return False
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.version": __version__}),
        sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)),
    )
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        assert settings.otlp_endpoint is not None
        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)
    _State.provider = provider
    _State.tracer = provider.get_tracer("quartermaster", __version__)
    return True


def shutdown_tracing() -> None:
    """Export what is pending and turn tracing off again."""
    provider = _State.provider
    if provider is None:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    RedisInstrumentor().uninstrument()
    provider.shutdown()
    _State.provider = None
    _State.tracer = _NO_OP


def flush_tracing() -> None:
    if _State.provider is not None:
        _State.provider.force_flush()


def tracing_enabled() -> bool:
    return _State.provider is not None


def tracer() -> trace.Tracer:
    return _State.tracer


def add_http_tracing(app: Any) -> None:
    """A server span per HTTP request and WebSocket session of ``app`` (a FastAPI app),
    continuing the caller's ``traceparent``; the outermost middleware."""
    if _State.provider is None:
        return
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=_State.provider,
        excluded_urls=UNTRACED_PATHS,
    )


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span (None when tracing is off or there is
    no recording span), to store with work another process picks up."""
    if _State.provider is None:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from(traceparent: str | None) -> Context | None:
    """The context a stored ``traceparent`` continues (None: start a new trace)."""
    if not traceparent or _State.provider is None:
        return None
    return _PROPAGATOR.extract({"traceparent": traceparent})
