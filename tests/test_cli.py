"""`qm` as a user runs it: real processes, real ports, real signals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_string
from email import policy as email_policy
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from quartermaster import __version__
from quartermaster.core.migrate import head_revision

from .builders import problem
from .conftest import TestServices, plain

STARTUP_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    # QM_EMBEDDED_SYSTEM_DIR stays: the session's (tests/conftest.py), not /var/lib's.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QM_") or k == "QM_EMBEDDED_SYSTEM_DIR"
    }
    env.update(extra)
    return env


def qm(*args: str) -> list[str]:
    return [sys.executable, "-m", "quartermaster", *args]


def wait_ready(proc: subprocess.Popen[str], port: int, timeout: float = STARTUP_TIMEOUT) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"qm serve exited with {proc.returncode}:\n{out}\n{err}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"qm serve was not ready within {timeout} s")


def processes_using(path: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(path) in cmdline and proc.pid != os.getpid():
            found.append(proc)
    return found


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out + err


def wait_for_mail(maildir: Path, subject: str, timeout: float = STARTUP_TIMEOUT) -> str:
    """The first message with this subject that arrives in a Maildir (its new/ directory)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        arrived = sorted((maildir / "new").glob("*")) if (maildir / "new").exists() else []
        for path in arrived:
            text = path.read_text()
            if message_from_string(text, policy=email_policy.default)["Subject"] == subject:
                return text
        time.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} in {maildir} within {timeout} s")


@pytest.fixture
def serve_cwd(tmp_path: Path) -> Path:
    # A directory without a .env file, so only the environment we pass counts.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return cwd


def test_version_prints_the_package_version() -> None:
    result = subprocess.run(qm("version"), capture_output=True, text=True, check=True)
    assert result.stdout.strip() == __version__


def test_unknown_module_is_refused_with_the_available_list(serve_cwd: Path) -> None:
    result = subprocess.run(
        qm("serve", "--modules", "nonsense"),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=clean_env(
            QM_DATABASE_URL="postgresql://x@127.0.0.1:9/x", QM_REDIS_URL="redis://127.0.0.1:9"
        ),
        timeout=60,
    )
    assert result.returncode == 1
    assert "Unknown module(s): nonsense" in result.stderr


def test_production_refuses_to_start_without_a_secret(serve_cwd: Path) -> None:
    result = subprocess.run(
        qm("serve"),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=clean_env(QM_ENV="production"),
        timeout=60,
    )
    assert result.returncode == 1
    assert "QM_SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_serve_against_external_services_answers_and_stops_on_sigterm(
    services: TestServices, serve_cwd: Path, tmp_path: Path
) -> None:
    port = free_port()
    proc = subprocess.Popen(
        qm("serve", "--port", str(port)),
        cwd=serve_cwd,
        env=clean_env(
            QM_DATABASE_URL=services.app_url,
            QM_DATABASE_OWNER_URL=services.owner_url,
            QM_REDIS_URL=services.redis_url,
            QM_DATA_DIR=str(tmp_path / "unused"),
            QM_LOG_FORMAT="json",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(proc, port)
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "rs-1"})
        assert response.headers["x-request-id"] == "rs-1"
        missing = httpx.get(f"http://127.0.0.1:{port}/api/v1/missing")
        problem(missing, 404, "not-found")
    finally:
        code, output = stop(proc)
    assert code == 0, output
    assert "Mode     external PostgreSQL and Redis" in output
    assert "Mail in" not in output  # the SMTP listener stays off until configured
    # External mode starts nothing under the data dir.
    assert not (tmp_path / "unused").exists()
    # One JSON access-log line per request, with route template and request id.
    assert '"request_id": "rs-1"' in output
    assert '"route": "/healthz"' in output


@pytest.fixture
def embedded_data_dir(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "data"
    yield data_dir
    for proc in processes_using(data_dir):  # never leave servers behind, even on failure
        proc.kill()


@pytest.mark.slow
def test_embedded_serve_starts_everything_and_sigterm_leaves_no_process(
    embedded_data_dir: Path, serve_cwd: Path
) -> None:
    port = free_port()
    env = clean_env(QM_DATA_DIR=str(embedded_data_dir))
    proc = subprocess.Popen(
        # The demo data takes a while; tests/test_demo.py covers it (first start included).
        qm("serve", "--port", str(port), "--no-demo-data"),
        cwd=serve_cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(proc, port)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json() == {
            "database": "ok",
            "redis": "ok",
            "live": "ok",
        }
        assert processes_using(embedded_data_dir), "expected embedded servers to be running"

        url = subprocess.run(
            qm("db-url", "--owner"),
            capture_output=True,
            text=True,
            cwd=serve_cwd,
            env=env,
            check=True,
        ).stdout.strip()
        assert url.startswith("postgresql://qm_owner:")

        async def revision() -> str:
            connection = await asyncpg.connect(url)
            try:
                value: str = await connection.fetchval("SELECT version_num FROM alembic_version")
                return value
            finally:
                await connection.close()

        import asyncio

        assert asyncio.run(revision()) == head_revision()

        # The first start seeded the demo organization; its printed login works.
        demo = json.loads((embedded_data_dir / "demo-login.json").read_text())
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data={"username": demo["email"], "password": demo["password"]},
        )
        assert token.status_code == 200, token.text
        me = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/me",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        ).json()
        assert me["tenant"]["name"] == "Acme Supplies"
        assert me["role"] == "owner"

        # The inbound SMTP listener runs on a free port; mail to the organization's
        # address becomes a ticket.
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        inbound = httpx.get(f"http://127.0.0.1:{port}/api/v1/inbound/address", headers=headers)
        assert inbound.json()["smtp_enabled"] is True, inbound.text
        with smtplib.SMTP("127.0.0.1", inbound.json()["smtp_port"], timeout=30) as smtp:
            smtp.sendmail(
                "pat@example.net",
                [inbound.json()["address"]],
                b"From: Pat <pat@example.net>\r\nSubject: Hello desk\r\n\r\nIt works.\r\n",
            )
        tickets = httpx.get(f"http://127.0.0.1:{port}/api/v1/tickets", headers=headers).json()
        assert [t["subject"] for t in tickets["items"]] == ["Hello desk"]
        assert oct((embedded_data_dir / "secret_key").stat().st_mode & 0o777) == "0o600"

        # Without QM_SMTP_URL, mail goes to the local capture mailbox, through the worker.
        reset = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/password-reset", json={"email": demo["email"]}
        )
        assert reset.status_code == 202, reset.text
        captured = message_from_string(
            wait_for_mail(embedded_data_dir / "mailbox", "Reset your Quartermaster password"),
            policy=email_policy.default,
        )
        assert captured["Subject"] == "Reset your Quartermaster password"
        assert captured["X-QM-Envelope-To"] == demo["email"]
        assert "/reset-password#token=qmp_" in captured.get_body(("plain",)).get_content()
        listed = subprocess.run(
            qm("mail", "list"), capture_output=True, text=True, cwd=serve_cwd, env=env, check=True
        ).stdout
        assert "identity.password_reset" in listed
        assert "sent" in listed

        second = subprocess.run(
            qm("serve", "--port", str(free_port())),
            capture_output=True,
            text=True,
            cwd=serve_cwd,
            env=env,
            timeout=60,
        )
        assert second.returncode == 1
        assert str(proc.pid) in second.stderr
    finally:
        code, output = stop(proc)
    assert code == 0, output
    assert "http://127.0.0.1:" in output
    assert "/docs" in output
    assert "Mode     embedded PostgreSQL + Redis" in output
    assert "Demo     demo@example.com / " in output
    assert "Mail     captured, not sent:" in output
    assert "Mail in  smtp://127.0.0.1:" in output
    assert f"Data     {embedded_data_dir.resolve()}" in output
    assert processes_using(embedded_data_dir) == []

    # Migrations roll back and forward with nothing else running.
    down = subprocess.run(
        qm("migrate", "--down", "1"),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=env,
        timeout=120,
    )
    assert down.returncode == 0, down.stderr
    up = subprocess.run(
        qm("migrate"), capture_output=True, text=True, cwd=serve_cwd, env=env, timeout=120
    )
    assert up.returncode == 0, up.stderr
    assert f"Database is at {head_revision()}" in up.stderr
    assert processes_using(embedded_data_dir) == []


@pytest.mark.slow
def test_embedded_serve_restarts_on_existing_data(embedded_data_dir: Path, serve_cwd: Path) -> None:
    env = clean_env(QM_DATA_DIR=str(embedded_data_dir))
    for _ in range(2):  # the second start finds the database initialised and migrated
        port = free_port()
        proc = subprocess.Popen(
            qm("serve", "--port", str(port), "--no-demo-data"),
            cwd=serve_cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_ready(proc, port)
        finally:
            code, output = stop(proc)
        assert code == 0, output
        assert processes_using(embedded_data_dir) == []


def test_create_user_makes_an_organization_whose_owner_can_log_in(
    services: TestServices, serve_cwd: Path
) -> None:
    env = clean_env(
        QM_DATABASE_URL=services.app_url,
        QM_DATABASE_OWNER_URL=services.owner_url,
        QM_REDIS_URL=services.redis_url,
    )
    args = ["create-user", "--email", "Boss@Corp.example.org", "--organization", "Corp Ltd"]
    created = subprocess.run(
        qm(*args, "--password", "a-long-password-1"),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=env,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    assert "Created boss@corp.example.org (owner) in Corp Ltd (slug corp-ltd)" in created.stderr

    again = subprocess.run(
        qm(*args, "--password", "a-long-password-1"),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=env,
        timeout=120,
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr

    weak = subprocess.run(
        qm(
            "create-user",
            "--email",
            "w@corp.example.org",
            "--organization",
            "W",
            "--password",
            "short",
        ),
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=env,
        timeout=120,
    )
    assert weak.returncode == 1
    assert "at least 10 characters" in weak.stderr

    small = ("--products", "20", "--movements", "120", "--days", "5", "--tickets", "12")
    seeded = subprocess.run(
        qm("seed-demo", *small), capture_output=True, text=True, cwd=serve_cwd, env=env, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr
    password = seeded.stdout.split("Password: ")[1].splitlines()[0].strip()
    assert "Seeded Acme Supplies" in seeded.stderr
    assert "20 products" in seeded.stderr
    assert "12 tickets" in seeded.stderr

    # Again: the account and its data are left as they are.
    again_demo = subprocess.run(
        qm("seed-demo", *small), capture_output=True, text=True, cwd=serve_cwd, env=env, timeout=120
    )
    assert again_demo.returncode == 0, again_demo.stderr
    assert "demo@example.com already exists; its password is unchanged" in again_demo.stdout
    assert "already seeded" in again_demo.stderr

    async def login(email: str, secret: str) -> int:
        from httpx import ASGITransport, AsyncClient

        from quartermaster.api import create_app
        from quartermaster.core.settings import Settings

        app = create_app(
            Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=services.app_url,
                redis_url=services.redis_url,
            )
        )
        async with (
            app.router.lifespan_context(app),
            AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http,
        ):
            response = await http.post(
                "/api/v1/auth/token", data={"username": email, "password": secret}
            )
            return response.status_code

    import asyncio

    assert asyncio.run(login("boss@corp.example.org", "a-long-password-1")) == 200
    assert asyncio.run(login("demo@example.com", password)) == 200


def test_serve_refuses_the_placeholder_secret_on_a_public_address(serve_cwd: Path) -> None:
    result = subprocess.run(
        qm("serve", "--host", "0.0.0.0"),  # noqa: S104 - the point of the test
        capture_output=True,
        text=True,
        cwd=serve_cwd,
        env=clean_env(
            QM_DATABASE_URL="postgresql://x@127.0.0.1:9/x", QM_REDIS_URL="redis://127.0.0.1:9"
        ),
        timeout=60,
    )
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert result.returncode == 1
    assert "QM_SECRET_KEY" in message
    assert "not a loopback address" in message
    assert "token_urlsafe" in message


def test_qm_mail_lists_shows_and_decides(services: TestServices, serve_cwd: Path) -> None:
    import asyncio
    import uuid

    from quartermaster.core.db import Database
    from quartermaster.core.mail import OutboundMail, queue_mail

    async def arrange() -> str:
        connection = await asyncpg.connect(services.owner_url.replace("+asyncpg", ""))
        tenant_id = uuid.uuid4()
        try:
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('app.tenant_id', $1, true)", str(tenant_id)
                )
                await connection.execute(
                    "INSERT INTO tenants (id, name, slug) VALUES ($1, 'Mailers', $2)",
                    tenant_id,
                    f"mailers-{tenant_id.hex[:6]}",
                )
        finally:
            await connection.close()
        database = Database(services.app_url, pool_size=1, max_overflow=0)
        try:
            async with database.transaction(tenant_id) as session:
                mail_id = await queue_mail(
                    session,
                    OutboundMail(
                        to=["ops@example.org"],
                        subject="Nightly digest",
                        text="Everything is fine.",
                        kind="test.digest",
                    ),
                    tenant_id=tenant_id,
                )
        finally:
            await database.dispose()
        return str(mail_id)

    mail_id = asyncio.run(arrange())
    env = clean_env(
        QM_DATABASE_URL=services.app_url,
        QM_DATABASE_OWNER_URL=services.owner_url,
        QM_REDIS_URL=services.redis_url,
    )

    def mail(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            qm("mail", *args), capture_output=True, text=True, cwd=serve_cwd, env=env, timeout=120
        )

    listed = mail("list")
    shown = mail("show", mail_id)
    retry_queued = mail("retry", mail_id)
    cancelled = mail("cancel", mail_id)
    after = mail("list", "--status", "cancelled")
    unknown = mail("show", str(uuid.uuid4()))

    assert listed.returncode == 0, listed.stderr
    assert "test.digest" in listed.stdout
    assert "Nightly digest" in listed.stdout
    assert shown.returncode == 0, shown.stderr
    assert "To:          ops@example.org" in shown.stdout
    assert "Everything is fine." in shown.stdout
    assert retry_queued.returncode == 1
    assert "queued cannot be retried" in retry_queued.stderr
    assert cancelled.returncode == 0, cancelled.stderr
    assert mail_id[:8] in after.stdout
    assert unknown.returncode == 1


# ./qm and the psql commands: what the README and the banner tell people to type.

ROOT = Path(__file__).resolve().parent.parent


def path_without_uv() -> str:
    """PATH with every directory that holds a `uv` left out (python3 stays)."""
    return os.pathsep.join(
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry) / "uv").exists()
    )


def wrapper(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "qm"), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


class TestDatabaseUrlFailsLoudly:
    """`psql "$(./qm db-url)"` must never get a URL that is not this checkout's running
    server: without one, db-url prints nothing, says why on stderr and exits 1."""

    def test_nothing_running_for_the_data_dir(self, tmp_path: Path, serve_cwd: Path) -> None:
        env = clean_env(QM_DATA_DIR=str(tmp_path / "data"), PATH=path_without_uv())
        result = wrapper("db-url", env=env, cwd=serve_cwd)
        assert result.returncode == 1
        assert result.stdout == ""
        assert f"the embedded PostgreSQL for {tmp_path / 'data'} is not running" in result.stderr

    def test_a_stale_pid_file_of_a_dead_server_is_not_trusted(
        self, tmp_path: Path, serve_cwd: Path
    ) -> None:
        from quartermaster.runtime.layout import DataDirLayout, load_or_create_credentials

        layout = DataDirLayout.of(tmp_path / "data")
        layout.root.mkdir(parents=True)
        load_or_create_credentials(layout)
        layout.pgdata.mkdir(parents=True)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        # What a killed server leaves: its pid (now gone) and the port it had.
        (layout.pgdata / "postmaster.pid").write_text(
            f"{dead.pid}\n{layout.pgdata}\n1700000000\n5432\n/tmp\n127.0.0.1\n0 0\nready\n"
        )
        env = clean_env(QM_DATA_DIR=str(layout.root), PATH=path_without_uv())
        result = wrapper("db-url", "--owner", env=env, cwd=serve_cwd)
        assert (result.returncode, result.stdout) == (1, "")
        assert "is not running" in result.stderr

    def test_qm_psql_never_starts_psql_without_the_url(
        self, tmp_path: Path, serve_cwd: Path, services: TestServices
    ) -> None:
        fake = tmp_path / "bin"
        fake.mkdir()
        marker = tmp_path / "psql-args"
        (fake / "psql").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{marker}"\n')
        (fake / "psql").chmod(0o755)
        path = f"{fake}{os.pathsep}{path_without_uv()}"

        refused = wrapper(
            "psql", env=clean_env(QM_DATA_DIR=str(tmp_path / "d"), PATH=path), cwd=serve_cwd
        )
        assert (refused.returncode, refused.stdout) == (1, "")
        assert not marker.exists()

        external = clean_env(
            QM_DATABASE_URL=services.app_url, QM_REDIS_URL=services.redis_url, PATH=path
        )
        ran = wrapper("psql", "-c", "select 1", env=external, cwd=serve_cwd)
        assert ran.returncode == 0, ran.stderr
        url, *rest = marker.read_text().splitlines()
        assert url == plain(services.app_url)
        assert rest == ["-c", "select 1"]


class TestWrapper:
    """./qm in a checkout: .venv/bin/qm without uv once synced, from the checkout's
    directory, with what it says itself on stderr."""

    @pytest.fixture
    def checkout(self, tmp_path: Path) -> Path:
        """A copy of the wrapper beside a fake .venv whose qm and python report calls."""
        root = tmp_path / "checkout"
        (root / ".venv" / "bin").mkdir(parents=True)
        (root / "src").mkdir()
        (root / "src" / "module.py").write_text("")
        shutil.copy(ROOT / "qm", root / "qm")
        for name in ("uv.lock", "pyproject.toml"):
            (root / name).write_text("")
        calls = root / "calls"
        for name in ("qm", "python"):
            script = root / ".venv" / "bin" / name
            script.write_text(f'#!/bin/sh\necho "{name} $PWD $*" >> "{calls}"\necho "{name} ran"\n')
            script.chmod(0o755)
        stamp = root / ".venv" / ".qm-synced"
        stamp.touch()
        past = time.time() - 60
        for path in (root / "uv.lock", root / "pyproject.toml", root / "src" / "module.py"):
            os.utime(path, (past, past))
        return root

    def test_a_synced_checkout_runs_its_venv_qm_from_its_directory_without_uv(
        self, checkout: Path, tmp_path: Path
    ) -> None:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        result = subprocess.run(
            [str(checkout / "qm"), "db-url", "--owner"],
            capture_output=True,
            text=True,
            cwd=elsewhere,
            env=clean_env(PATH=path_without_uv()),
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "qm ran\n"
        assert (checkout / "calls").read_text() == f"qm {checkout} db-url --owner\n"

    def test_changed_sources_are_compiled_once_and_quietly(self, checkout: Path) -> None:
        (checkout / "src" / "module.py").write_text("x = 1\n")  # newer than the stamp
        first = subprocess.run(
            [str(checkout / "qm"), "version"],
            capture_output=True,
            text=True,
            env=clean_env(PATH=path_without_uv()),
            timeout=60,
        )
        assert first.stdout == "qm ran\n"  # the compiler's output went to stderr
        calls = (checkout / "calls").read_text().splitlines()
        assert calls[0].startswith("python ")
        assert "-m compileall" in calls[0]
        assert calls[1].endswith("version")
        subprocess.run(
            [str(checkout / "qm"), "version"], env=clean_env(), capture_output=True, check=True
        )
        assert len((checkout / "calls").read_text().splitlines()) == 3  # no second compile


class TestInboundSmtpPort:
    """The service desk's SMTP listener: off in production until a port is configured; an
    embedded ``qm serve`` picks a free port (issue 14)."""

    def test_off_in_production_until_configured(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from quartermaster.cli import _inbound_smtp_port
        from quartermaster.core.settings import Settings

        # Recorded, so the value the function sets is undone after the test.
        monkeypatch.setenv("QM_INBOUND_SMTP_PORT", "")
        monkeypatch.delenv("QM_INBOUND_SMTP_PORT")
        settings = Settings.model_construct(inbound_smtp_port=None, inbound_smtp_host="127.0.0.1")
        assert _inbound_smtp_port(settings, embedded=False) is None
        assert "QM_INBOUND_SMTP_PORT" not in os.environ
        configured = settings.model_copy(update={"inbound_smtp_port": 2525})
        assert _inbound_smtp_port(configured, embedded=False) == 2525
        assert os.environ["QM_INBOUND_SMTP_PORT"] == "2525"

    def test_embedded_picks_a_free_port(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from quartermaster.cli import _inbound_smtp_port
        from quartermaster.core.settings import Settings

        # Recorded, so the value the function sets is undone after the test.
        monkeypatch.setenv("QM_INBOUND_SMTP_PORT", "")
        monkeypatch.delenv("QM_INBOUND_SMTP_PORT")
        settings = Settings.model_construct(inbound_smtp_port=None, inbound_smtp_host="127.0.0.1")
        port = _inbound_smtp_port(settings, embedded=True)
        assert port is not None
        assert port > 0
        assert os.environ["QM_INBOUND_SMTP_PORT"] == str(port)
