# Will it run? — production image. The steps live in scripts/ so the test suite runs them too.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PORT=8000
RUN useradd --create-home --uid 1000 app
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN bash scripts/container-build.sh && chown -R app:app /app
USER app
EXPOSE 8000
CMD ["bash", "scripts/container-start.sh"]
