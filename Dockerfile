# Will it run? — production image. The steps live in scripts/ so the test suite runs them too.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PORT=8000
RUN useradd --create-home --uid 1000 app
WORKDIR /app
# The project installs no packages of its own (pyproject.toml lists only dependencies), so this layer
# needs nothing but pyproject.toml and is rebuilt only when it changes. [redis] for CACHE_URL=redis://.
# setup.py's optional C module is left out (the slim image has no compiler): it saves the kernel time of
# ~270 frame-stack chunk crossings per answer under pytest; gunicorn's workers cross ~10 (bench/README.md).
COPY pyproject.toml ./
RUN pip install --no-cache-dir ".[redis]"
COPY . .
RUN SKIP_INSTALL=1 bash scripts/container-build.sh && chown -R app:app /app
USER app
EXPOSE 8000
# Gunicorn's settings come from the environment: see gunicorn.conf.py and README.md "Deploying".
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "deploy/healthcheck.py", "/healthz"]
CMD ["bash", "scripts/container-start.sh"]
