from __future__ import annotations

import pytest

from quartermaster.core.settings import INSECURE_SECRET_KEY, InsecureSettings, Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_defaults_bind_loopback_port_8000_with_embedded_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("QM_DATABASE_URL", "QM_REDIS_URL", "QM_HOST", "QM_PORT", "QM_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = _settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.embedded
    assert settings.effective_log_format == "console"


@pytest.mark.parametrize("secret", [None, INSECURE_SECRET_KEY, "short"])
def test_production_refuses_a_missing_default_or_weak_secret(
    secret: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QM_SECRET_KEY", raising=False)
    values: dict[str, object] = {"env": "production"}
    if secret is not None:
        values["secret_key"] = secret
    with pytest.raises(InsecureSettings, match="QM_SECRET_KEY"):
        _settings(**values)


def test_production_accepts_a_strong_secret_and_logs_json() -> None:
    settings = _settings(env="production", secret_key="x" * 48)
    assert settings.is_production
    assert settings.effective_log_format == "json"


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QM_PORT", "9123")
    monkeypatch.setenv("QM_DATABASE_URL", "postgresql://a@db/x")
    monkeypatch.setenv("QM_REDIS_URL", "redis://cache:6379/0")
    settings = _settings()
    assert settings.port == 9123
    assert not settings.embedded
