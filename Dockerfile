# Production image: one image for web (gunicorn), worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm

# WeasyPrint's native libraries and the CJK font that covers rare characters in names (docs/technical-notes.md: PDFs).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=retiree_mgmt.settings.production \
    DJANGO_STATIC_ROOT=/app/var/staticfiles \
    DJANGO_MEDIA_ROOT=/app/var/media

WORKDIR /app

# Dependencies first, from the lock only, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .

# An unprivileged user; var/ holds static files, uploaded files (a volume) and the beat schedule.
RUN useradd --system --create-home --uid 1000 app \
    && mkdir -p var/staticfiles var/media var/beat \
    && chown -R app:app var
USER app

EXPOSE 8000
CMD ["gunicorn", "retiree_mgmt.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
