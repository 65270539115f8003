# syntax=docker/dockerfile:1
# Quartermaster's image: one image, every role (`qm api`, `qm relay`, `qm worker`,
# `qm migrate`); the command picks the role. Three stages: the web app is built with
# Node, the Python environment with uv, and the final image holds neither Node nor uv
# nor any compiler — only Python, the locked dependencies and the built web app, run as
# an unprivileged user. No Docker engine runs where this is developed: the file is checked
# statically (tests/ops/test_packaging.py: its sources exist, checkov, the commands and
# settings it names are real); see docs/operations.md.

# Base images are pinned by version here; pin them by digest (@sha256:…) in your own
# registry mirror for reproducible builds.

# --- the browser app: web/ (package.json + package-lock.json) -> web/dist -----------------
FROM node:20.18.1-bookworm-slim AS web
WORKDIR /build/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- the Python environment: dependencies from uv.lock, then the project -------------------
FROM python:3.11.11-slim-bookworm AS python
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m pip install "uv==0.13.9"
WORKDIR /build
# Dependencies first (a layer that changes only with the lock file).
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src/ ./src/
RUN uv sync --frozen --no-dev --no-editable

# --- the image that runs ----------------------------------------------------------------
FROM python:3.11.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="Quartermaster" \
      org.opencontainers.image.description="Inventory, service desk and knowledge base, live." \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 quartermaster \
 && useradd --system --uid 10001 --gid quartermaster --home-dir /app \
      --no-create-home --shell /usr/sbin/nologin quartermaster
COPY --from=python --chown=root:root /app/.venv /app/.venv
COPY --from=web --chown=root:root /build/web/dist /app/web
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    QM_ENV=production \
    QM_HOST=0.0.0.0 \
    QM_PORT=8000 \
    QM_DATA_DIR=/tmp/quartermaster \
    QM_JOBS_FILES_DIR=/var/lib/quartermaster/jobs \
    QM_WEB_DIR=/app/web
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# The API role's liveness; the relay and worker roles serve the same path on their
# --port (compose.yaml and the Kubernetes manifests override the check for them).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('QM_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["qm"]
CMD ["api"]
