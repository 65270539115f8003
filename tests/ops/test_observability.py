"""The metrics are named and documented; the alerting rules pass promtool (syntax and
their own unit tests); the dashboard and the rules refer only to metrics that exist."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry

from quartermaster.core.metrics import HttpMetrics, pool_metrics_of
from quartermaster.core.relay import RelayMetrics
from quartermaster.jobs.metrics import JobMetrics
from quartermaster.realtime.gateway import GatewayMetrics
from topology import tools

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "quartermaster.json"
OPERATIONS = ROOT / "docs" / "operations.md"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}


def families() -> dict[str, str]:
    """Every metric family Quartermaster's processes export: name → type."""
    registry = CollectorRegistry(auto_describe=True)
    HttpMetrics(registry)
    RelayMetrics(registry)
    GatewayMetrics(registry)
    JobMetrics(registry)
    pool_metrics_of(registry)
    return {family.name: family.type for family in registry.collect()}


def series_names() -> set[str]:
    return {name + suffix for name, kind in families().items() for suffix in SUFFIXES[kind]}


def referenced(text: str) -> set[str]:
    return set(re.findall(r"\bqm_[a-z_]+\b", text))


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        tools.ensure(tools.PROMTOOL)
    except tools.MissingTool as exc:
        pytest.fail(str(exc), pytrace=False)
    return subprocess.run(
        [tools.path_of(tools.PROMTOOL), *args],
        capture_output=True,
        text=True,
        cwd=RULES.parent,
        check=False,
    )


def test_the_metrics_that_matter_exist() -> None:
    assert set(families()) >= {
        "qm_http_requests",
        "qm_http_request_duration_seconds",
        "qm_db_pool_connections",
        "qm_db_pool_capacity",
        "qm_relay_lag_seconds",
        "qm_relay_published_events",
        "qm_outbox_pending_events",
        "qm_outbox_oldest_pending_age_seconds",
        "qm_realtime_stream_length",
        "qm_realtime_connections",
        "qm_jobs_queued",
        "qm_jobs_finished",
        "qm_jobs_retried",
    }


def test_every_metric_is_documented_and_every_documented_metric_exists() -> None:
    text = OPERATIONS.read_text()
    table = {m.group(1) for m in re.finditer(r"^\| `(qm_[a-z_]+)`", text, re.MULTILINE)}
    documented = {
        name.removesuffix("_total") if families().get(name.removesuffix("_total")) else name
        for name in table
    }
    assert documented == set(families())


def test_promtool_accepts_the_rules_and_their_unit_tests_pass() -> None:
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout
    tested = promtool("test", "rules", "alerts.test.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_rules_refer_only_to_exported_series() -> None:
    rules = yaml.safe_load(RULES.read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = set().union(*(referenced(expr) for expr in expressions))
    assert used <= series_names(), used - series_names()
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {
        "QuartermasterRelayLagHigh",
        "QuartermasterOutboxBacklog",
        "QuartermasterHigh5xxRate",
        "QuartermasterJobsFailing",
    } <= alerts


def test_the_dashboard_is_grafana_json_over_exported_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    expressions = [target["expr"] for panel in panels for target in panel["targets"]]
    assert all(expressions)
    used = set().union(*(referenced(expr) for expr in expressions))
    assert used <= series_names(), used - series_names()
    # Every metric family that matters has a panel.
    assert {re.sub(r"_(total|bucket)$", "", name) for name in used} >= {
        "qm_http_requests",
        "qm_http_request_duration_seconds",
        "qm_db_pool_connections",
        "qm_relay_lag_seconds",
        "qm_outbox_pending_events",
        "qm_realtime_stream_length",
        "qm_realtime_connections",
        "qm_jobs_queued",
        "qm_jobs_finished",
    }
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}"
