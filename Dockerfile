# Valrummet: the app with production settings, one process per port (VALRUMMET_PORTS).
# Put nginx (deploy/nginx/valrummet.conf) in front for TLS, sticky sessions and gzip; see
# docs/deploy.md. The host's nginx reaches the container from Docker's bridge network, whose
# X-Real-IP the app believes (VALRUMMET_TRUSTED_PROXIES); each open tab holds a descriptor, so
# run it with `--ulimit nofile=65536:65536`. Secrets are mounted at run time, never built in:
#   docker run -p 127.0.0.1:8501-8502:8501-8502 --ulimit nofile=65536:65536 \
#     -v /srv/valrummet/secrets.toml:/app/.streamlit/secrets.toml:ro \
#     -v /srv/valrummet/activity-store:/app/data/activity/store \
#     -v /srv/valrummet/calendar:/app/data/calendar valrummet
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VALRUMMET_ADDRESS=0.0.0.0 \
    VALRUMMET_PORTS="8501 8502" \
    VALRUMMET_TRUSTED_PROXIES="127.0.0.1,::1,172.16.0.0/12"

WORKDIR /app
RUN useradd --create-home --uid 1000 valrummet

# Dependencies first: this layer is rebuilt only when they change.
COPY requirements.txt pyproject.toml ./
COPY src ./src
RUN pip install -r requirements.txt

COPY app.py ./
COPY pages ./pages
COPY .streamlit/config.toml ./.streamlit/config.toml
COPY data ./data
COPY deploy ./deploy
RUN mkdir -p data/activity/store data/calendar && chown -R valrummet:valrummet data/activity data/calendar

USER valrummet
EXPOSE 8501 8502
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["bash", "deploy/run-backends.sh"]
