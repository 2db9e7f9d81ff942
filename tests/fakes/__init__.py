"""Local stand-ins for the outside world (Twilio, SMTP), driven by the real clients."""
