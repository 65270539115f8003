"""The image, compose file and Kubernetes manifests, checked without a container engine
or a cluster (none runs where this is developed): by construction — what they copy
exists, the commands and settings they name are real — against the Kubernetes schemas
(kubernetes-validate, offline), with nginx's own config test, and with checkov."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import typer
import yaml

from quartermaster.cli import app
from quartermaster.core.settings import Settings
from tests.ops import kustomize
from topology import tools

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
RENDERED = KUBERNETES / "rendered" / "production.yaml"
KUBERNETES_VERSION = "1.31"
SECRETS_DIR = "QM_SECRETS_DIR"
DIRECT = "QM_DATABASE_OWNER_DIRECT_URL"

# Variables read by something other than a Settings field: the directory of secret files
# (core.settings.SECRETS_DIR_ENV).
FOREIGN_ENV = {"QM_SECRETS_DIR"}
# The web app (web/, QM_WEB_DIR) is built on the `web` branch; until it is merged, the
# Dockerfile's web stage names sources and a setting this checkout does not have yet.
WEB_PENDING = not (ROOT / "web" / "package.json").exists()
WEB_SOURCES = {"web/package.json", "web/package-lock.json", "web/"}
WEB_SETTINGS = {"QM_WEB_DIR"}


def setting_names() -> set[str]:
    return {f"QM_{name.upper()}" for name in Settings.model_fields}


def known_env(name: str) -> bool:
    if name in FOREIGN_ENV or name in setting_names():
        return True
    return WEB_PENDING and name in WEB_SETTINGS


def qm_command(argv: list[str]) -> Any:
    """The `qm` subcommand ``argv`` runs, after checking its options exist."""
    group: Any = typer.main.get_command(app)
    command = group.commands.get(argv[0])
    assert command is not None, f"`qm {argv[0]}` is not a command"
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for arg in argv[1:]:
        if arg.startswith("--"):
            assert arg.split("=")[0] in options, f"`qm {argv[0]}` has no option {arg}"
    return command


# --- Dockerfile ---------------------------------------------------------------------------


@dataclass
class Instruction:
    stage: str
    keyword: str
    arguments: str


def dockerfile() -> list[Instruction]:
    text = (ROOT / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    stage = ""
    found = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.search(r"\bAS\s+(\S+)", arguments, re.IGNORECASE)
            stage = match.group(1) if match else arguments
        found.append(Instruction(stage, keyword, arguments.strip()))
    return found


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """Whether .dockerignore leaves ``path`` out of the build context (its patterns, with
    ``**/`` for any depth and a trailing ``/`` for directories; ``!`` re-includes)."""
    result = False
    path = path.rstrip("/")
    for pattern in dockerignore():
        negate = pattern.startswith("!")
        bare = pattern.lstrip("!").rstrip("/")
        candidates = [bare] + ([bare[3:]] if bare.startswith("**/") else [])
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        hit = any(
            fnmatch.fnmatch(prefix, candidate) or fnmatch.fnmatch(part, candidate)
            for candidate in candidates
            for prefix, part in zip(prefixes, parts, strict=True)
        )
        if hit:
            result = not negate
    return result


def copy_sources(instruction: Instruction) -> list[str]:
    words = [w for w in instruction.arguments.split() if not w.startswith("--")]
    return words[:-1]


class TestDockerfile:
    def test_every_copied_source_exists_and_is_in_the_build_context(self) -> None:
        missing = []
        for instruction in dockerfile():
            if instruction.keyword != "COPY" or "--from=" in instruction.arguments:
                continue
            for source in copy_sources(instruction):
                assert not ignored(source), f".dockerignore excludes {source}, which is copied"
                if not (ROOT / source).exists():
                    missing.append(source)
        # Only the web app's files may be missing, and only until the web branch lands.
        assert set(missing) == (WEB_SOURCES if WEB_PENDING else set()), missing

    def test_stages_copy_only_from_earlier_stages(self) -> None:
        seen: list[str] = []
        for instruction in dockerfile():
            if instruction.keyword == "FROM":
                seen.append(instruction.stage)
            if instruction.keyword == "COPY" and "--from=" in instruction.arguments:
                source = re.search(r"--from=(\S+)", instruction.arguments)
                assert source is not None
                assert source.group(1) in seen[:-1], instruction

    def test_the_final_image_runs_qm_as_an_unprivileged_user_without_compilers(self) -> None:
        instructions = dockerfile()
        final = instructions[-1].stage
        last = [i for i in instructions if i.stage == final]
        users = [i.arguments for i in last if i.keyword == "USER"]
        assert users, "the final stage sets no USER"
        uid = users[-1].split(":")[0]
        assert uid.isdigit(), users
        assert int(uid) >= 10000, users
        runs = " ".join(i.arguments for i in last if i.keyword == "RUN")
        for tool in ("gcc", "g++", "build-essential", "make ", "npm", "uv "):
            assert tool not in runs, f"the final stage installs or runs {tool.strip()}"
        assert not any(i.keyword == "ADD" for i in instructions), "ADD fetches; use COPY"
        assert any(i.keyword == "HEALTHCHECK" for i in last)
        entrypoint = next(i.arguments for i in last if i.keyword == "ENTRYPOINT")
        command = next(i.arguments for i in last if i.keyword == "CMD")
        assert json.loads(entrypoint) == ["qm"]
        qm_command(json.loads(command))

    def test_environment_names_real_settings(self) -> None:
        for instruction in dockerfile():
            if instruction.keyword != "ENV":
                continue
            for name in re.findall(r"(\bQM_[A-Z_]+)=", instruction.arguments):
                assert known_env(name), f"ENV {name} is not a setting"

    def test_the_python_image_satisfies_requires_python(self) -> None:
        text = (ROOT / "Dockerfile").read_text()
        images = re.findall(r"^FROM python:(\d+)\.(\d+)", text, re.MULTILINE)
        assert images, "no python base image"
        image = ("", *images[-1])
        assert image is not None
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        floor = re.search(r">=\s*(\d+)\.(\d+)", project["requires-python"])
        assert floor is not None
        assert (int(image[1]), int(image[2])) >= (int(floor[1]), int(floor[2]))

    def test_dockerignore_keeps_local_state_out(self) -> None:
        for path in (".venv", ".git", ".qm", ".env", "web/node_modules", "tests/ops"):
            assert ignored(path), path
        for path in ("src/quartermaster/api.py", "uv.lock", "pyproject.toml", ".env.example"):
            assert not ignored(path), path


# --- compose.yaml ------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


class TestCompose:
    def test_it_runs_the_roles_of_the_topology(self) -> None:
        services = compose()["services"]
        assert set(services) == {
            "postgres",
            "pgbouncer",
            "redis",
            "migrate",
            "api-1",
            "api-2",
            "relay",
            "worker",
            "nginx",
        }
        for name in ("migrate", "api-1", "api-2", "relay", "worker"):
            qm_command(services[name]["command"])
            assert services[name]["read_only"] is True
        assert services["api-1"]["command"][0] == "api"
        assert services["relay"]["command"][0] == "relay"
        assert services["migrate"]["command"] == ["migrate"]

    def test_settings_exist_and_only_the_relay_and_migrations_bypass_pgbouncer(self) -> None:
        services = compose()["services"]
        for name in ("migrate", "api-1", "api-2", "relay", "worker"):
            environment = services[name]["environment"]
            for key in environment:
                assert known_env(key), f"{name}: {key} is not a setting"
            assert environment["QM_DATABASE_PGBOUNCER"] == "true"
            assert "@pgbouncer:6432/" in environment["QM_DATABASE_URL"]
            assert "@postgres:5432/" in environment["QM_RELAY_DATABASE_URL"]
        assert "@postgres:5432/" in services["migrate"]["environment"]["QM_DATABASE_OWNER_URL"]
        assert "@pgbouncer:6432/" in services["worker"]["environment"]["QM_DATABASE_OWNER_URL"]

    def test_mounted_files_exist_and_images_are_pinned(self) -> None:
        for name, service in compose()["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("."):
                    assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            image = service.get("image", "")
            if image and image != "quartermaster:local":
                tag = image.rpartition(":")[2]
                assert re.search(r"\d+\.\d+", tag), f"{name}: pin {image} to a version"

    def test_pgbouncer_pools_transactions(self) -> None:
        ini = (ROOT / "deploy" / "compose" / "pgbouncer.ini").read_text()
        assert re.search(r"^pool_mode\s*=\s*transaction$", ini, re.MULTILINE)

    def test_nginx_accepts_the_configuration(self, tmp_path: Path) -> None:
        try:
            tools.ensure(tools.NGINX)
        except tools.MissingTool as exc:
            pytest.fail(str(exc), pytrace=False)
        conf = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
        # Compose's service names resolve only on its network; the syntax is what counts.
        conf = conf.replace("api-1:8000", "127.0.0.1:8001").replace("api-2:8000", "127.0.0.1:8002")
        conf = conf.replace("events {", f"pid {tmp_path / 'nginx.pid'};\nevents {{", 1)
        (tmp_path / "nginx.conf").write_text(conf)
        result = subprocess.run(
            [
                tools.path_of(tools.NGINX),
                "-t",
                "-p",
                str(tmp_path),
                "-e",
                str(tmp_path / "error.log"),
                "-c",
                str(tmp_path / "nginx.conf"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "upgrade" in conf
        assert "proxy_read_timeout 75s" in conf


# --- Kubernetes ---------------------------------------------------------------------------


def rendered() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(RENDERED.read_text()) if doc]


def base_secret() -> dict[str, Any]:
    """The Secret's template (placeholders): the keys every role's pods read."""
    secret: dict[str, Any] = yaml.safe_load((KUBERNETES / "base" / "secret.yaml").read_text())
    return secret


def pod_specs() -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for doc in rendered()
        if doc["kind"] in ("Deployment", "Job")
    }


class TestKubernetes:
    def test_the_committed_rendering_is_the_production_overlay(self) -> None:
        expected = kustomize.by_identity(kustomize.render(KUBERNETES / "overlays" / "production"))
        actual = kustomize.by_identity(rendered())
        assert actual.keys() == expected.keys()
        for identity, resource in expected.items():
            assert actual[identity] == resource, (
                f"{identity} differs: regenerate with `kubectl kustomize "
                "deploy/kubernetes/overlays/production` (see the file's header)"
            )

    def test_every_resource_is_valid_for_kubernetes(self) -> None:
        kinds = set()
        for document in rendered():
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            kinds.add(document["kind"])
        assert kinds >= {
            "Deployment",
            "Job",
            "Service",
            "Ingress",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "ConfigMap",
            "PersistentVolumeClaim",
            "NetworkPolicy",
        }
        # The Secret is created out of band: applying must never overwrite it.
        assert "Secret" not in kinds
        kubernetes_validate.validate(base_secret(), KUBERNETES_VERSION, strict=True)

    def test_roles_run_real_commands_with_probes_resources_and_no_privileges(self) -> None:
        for name, spec in pod_specs().items():
            assert spec["securityContext"]["runAsNonRoot"] is True, name
            assert spec["automountServiceAccountToken"] is False, name
            for container in spec["containers"]:
                qm_command(container["args"])
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] is True, name
                assert context["allowPrivilegeEscalation"] is False, name
                assert context["capabilities"]["drop"] == ["ALL"], name
                assert container["resources"]["requests"], name
                mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
                assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"
                if name == "quartermaster-migrate":
                    continue
                assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
                assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name

    def test_settings_and_secrets_referenced_exist(self) -> None:
        documents = kustomize.by_identity(rendered())
        config = documents[("ConfigMap", "quartermaster")]["data"]
        secret = base_secret()["stringData"]
        for name in config:
            assert known_env(name), f"ConfigMap: {name} is not a setting"
        files_by_pod = {}
        for name, spec in pod_specs().items():
            volumes = {volume["name"]: volume for volume in spec["volumes"]}
            for container in spec["containers"]:
                env = {v["name"]: v.get("value") for v in container.get("env", [])}
                for variable in env:
                    assert known_env(variable), f"{name}: {variable}"
                for source in container.get("envFrom", []):
                    assert "secretRef" not in source, f"{name}: secrets go in files"
                    ref = source["configMapRef"]["name"]
                    assert ("ConfigMap", ref) in documents
                # Secrets arrive as files named after settings (QM_SECRETS_DIR).
                mount = next(
                    m for m in container["volumeMounts"] if m["mountPath"] == env[SECRETS_DIR]
                )
                volume = volumes[mount["name"]]["secret"]
                assert volume["secretName"] == base_secret()["metadata"]["name"]
                items = volume.get("items") or [{"key": k, "path": k} for k in secret]
                for item in items:
                    assert item["key"] in secret, f"{name}: no key {item['key']}"
                files_by_pod[name] = {item["path"]: item["key"] for item in items}
                for path in files_by_pod[name]:
                    assert known_env(path) or path == "QM_DATABASE_OWNER_DIRECT_URL", path
        # Every role gets the secret key (production refuses to start without it); the
        # relay and the migration Job get the owner's direct URL, the others pgbouncer's.
        for files in files_by_pod.values():
            assert "QM_SECRET_KEY" in files
        assert files_by_pod["quartermaster-relay"]["QM_RELAY_DATABASE_URL"] == DIRECT
        assert files_by_pod["quartermaster-migrate"]["QM_DATABASE_OWNER_URL"] == DIRECT
        for role in ("quartermaster-api", "quartermaster-worker"):
            assert files_by_pod[role]["QM_DATABASE_OWNER_URL"] == "QM_DATABASE_OWNER_URL"
        assert "@pgbouncer:" in secret["QM_DATABASE_OWNER_URL"]
        assert "@pgbouncer:" not in secret[DIRECT]

    def test_the_pieces_refer_to_each_other(self) -> None:
        documents = kustomize.by_identity(rendered())
        labels = {
            name: documents[("Deployment", name)]["spec"]["template"]["metadata"]["labels"]
            for kind, name in documents
            if kind == "Deployment"
        }

        def selects(selector: dict[str, str]) -> list[str]:
            return [n for n, pod in labels.items() if selector.items() <= pod.items()]

        assert selects(documents[("Service", "quartermaster-api")]["spec"]["selector"]) == [
            "quartermaster-api"
        ]
        for kind, name in documents:
            if kind == "PodDisruptionBudget":
                assert selects(documents[(kind, name)]["spec"]["selector"]["matchLabels"]) == [name]
        hpa = documents[("HorizontalPodAutoscaler", "quartermaster-api")]["spec"]
        assert ("Deployment", hpa["scaleTargetRef"]["name"]) in documents
        ingress = documents[("Ingress", "quartermaster")]
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert ("Service", backend["name"]) in documents
        assert ingress["spec"]["tls"], "TLS ends at the ingress"
        annotations = ingress["metadata"]["annotations"]
        timeout = annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]
        assert int(timeout) > 20, "above the 20 s live heartbeat"
        for spec in pod_specs().values():
            for volume in spec.get("volumes", []):
                claim = volume.get("persistentVolumeClaim")
                if claim:
                    assert ("PersistentVolumeClaim", claim["claimName"]) in documents


# --- checkov -------------------------------------------------------------------------------


def test_checkov_finds_no_failed_check(tmp_path: Path) -> None:
    """The security linter over the image and the rendered manifests; the checks skipped
    (.checkov.yaml) each say why."""
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    shutil.copy(RENDERED, tmp_path / "production.yaml")
    checkov = Path(sys.executable).with_name("checkov")
    result = subprocess.run(
        [
            str(checkov),
            "--config-file",
            str(ROOT / ".checkov.yaml"),
            "--directory",
            str(tmp_path),
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        (report["check_type"], check["check_id"], check["resource"])
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    assert {report["check_type"] for report in reports} == {"dockerfile", "kubernetes"}
    assert passed > 50
    assert failed == [], failed
