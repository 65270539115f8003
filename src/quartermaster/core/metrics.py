"""Prometheus metrics, one registry per application instance.

A registry per app (not the global default) keeps several apps in one process (tests,
`--modules` splits) from fighting over metric names. With several uvicorn workers each
process exports its own figures; scrape each pod, as usual on Kubernetes.
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, make_wsgi_app
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "HttpMetrics", "MetricsServer", "metrics_token_matches"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class HttpMetrics:
    registry: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=True)
    )

    def __post_init__(self) -> None:
        self.requests = Counter(
            "qm_http_requests",
            "HTTP requests by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "qm_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ("method", "route", "status"),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        # The labelled children per (method, route template, status): looking them up in
        # the metric takes a lock and validates the labels on every request.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = self._children[key] = (
                self.requests.labels(*labels),
                self.latency.labels(*labels),
            )
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def metrics_token_matches(token: str, authorization: str | None) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    if not authorization or authorization[:7].lower() != "bearer ":
        return False
    return hmac.compare_digest(authorization[7:].strip().encode(), token.encode())


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not worth a log line each."""


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _guarded(app: WsgiApp, token: str | None) -> WsgiApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if token is not None and not metrics_token_matches(
            token, environ.get("HTTP_AUTHORIZATION")
        ):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")],
            )
            return [b"Metrics need 'Authorization: Bearer <QM_METRICS_TOKEN>'.\n"]
        return app(environ, start_response)

    return guarded


class MetricsServer:
    """``/metrics`` on a port of its own (QM_METRICS_PORT): prometheus_client's WSGI app
    on a threaded stdlib server, behind the bearer token when one is configured."""

    def __init__(
        self, registry: CollectorRegistry, *, host: str, port: int, token: str | None
    ) -> None:
        self._server = make_server(
            host,
            port,
            _guarded(make_wsgi_app(registry), token),
            server_class=_ThreadingServer6 if ":" in host else _ThreadingServer,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="qm-metrics", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
