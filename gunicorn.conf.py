"""Gunicorn reads this file from the directory it starts in (the project's).

Everything else (bind address, workers) is given on the command line or in
GUNICORN_CMD_ARGS; this file only makes gunicorn's own log lines (request lines,
worker errors) go through Pollcrew's filter: no personal-link token, phone number
or email address in them (pollcrew/gunicorn_logging.py)."""

logger_class = "pollcrew.gunicorn_logging.ScrubbedLogger"
