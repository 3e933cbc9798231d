# Kortrijk 2040 monitoringsbord. One image, two roles (see docs/deploy.md):
#   public replica:  -e PUBLIC_MODE=1 -e DASHBOARD_SNAPSHOT_DIR=/snapshots  (read-only)
#   editor instance: -e DASHBOARD_EDITOR_PASSWORD_HASH=... -e DASHBOARD_SNAPSHOT_DIR=/snapshots
#                    -e STREAMLIT_SERVER_MAX_UPLOAD_SIZE=50   (the only role with uploads)
# The image's Streamlit configuration is deploy/config.toml, the public one (no uploads);
# secrets (.streamlit/secrets.toml) are mounted at run time, never copied (.dockerignore).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DASHBOARD_DB_PATH=/data/dashboard.duckdb DASHBOARD_GEO_DIR=/data/geo \
    DASHBOARD_STATIC_DIR=/app/static
WORKDIR /app
# Debian's chromium renders the exports (map PNG, PDF reports) offline.
RUN apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
ENV DASHBOARD_CHROMIUM=/usr/bin/chromium DASHBOARD_TIMEZONE=Europe/Brussels
COPY requirements.txt pyproject.toml ./
COPY src ./src
RUN pip install -r requirements.txt
COPY . .
COPY deploy/config.toml .streamlit/config.toml
RUN useradd --create-home --uid 10001 board && mkdir -p /data /snapshots static \
    && chown -R board /data /snapshots /app/static
USER board
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=3)"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
