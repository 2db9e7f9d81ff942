"""Gunicorn reads this file from the directory it starts in (the project's).

Everything else (bind address, workers) is given on the command line or in
GUNICORN_CMD_ARGS; this file only makes gunicorn's own log lines (request lines,
worker errors) go through Pollcrew's filter: no personal-link token, phone number
or email address in them (pollcrew/gunicorn_logging.py)."""

logger_class = "pollcrew.gunicorn_logging.ScrubbedLogger"
# A worker may spend this long on one request before gunicorn restarts it (its
# default is 30 s): an Excel export of a national register of volunteers takes
# about 20 s on 2 cores. The full data export runs as a Celery job, not here.
timeout = 90
