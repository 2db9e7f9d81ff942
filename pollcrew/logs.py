"""Log lines never carry personal data or secrets: personal-link tokens and
password-reset keys are cut out of every line (Django logs the path of every
4xx/5xx response, "Not Found: /v/<token>/…", runserver every request), and
phone numbers and email addresses are masked ("+45 •• •• •• 78",
"s•••@example.org"). The filter sits on every handler, Django's included."""

from __future__ import annotations

import logging

from pollcrew.redaction import scrub


class RedactPersonalData(logging.Filter):
    WITHHELD = "(log line withheld: it could not be checked for personal data)"

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._scrub(record)
        except Exception:  # a log line must never break the request, nor leak
            record.msg, record.args, record.exc_info, record.exc_text = (
                self.WITHHELD,
                (),
                None,
                None,
            )
        return True

    def _scrub(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        cleaned = scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
