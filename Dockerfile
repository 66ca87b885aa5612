# The portal's image: one image for web, worker, beat and the migrate job (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them; every file is checked
# against the lock's hashes.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app

COPY --chown=app:app . .
# var/media is created here so that the named volume mounted on it starts owned by app.
RUN mkdir -p var/media && chown -R app:app var
USER app

# Static files are built into the image (WhiteNoise serves them); the key only lets settings load.
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf var/broker

EXPOSE 8000
CMD ["gunicorn", "msp_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-", "--no-control-socket"]
