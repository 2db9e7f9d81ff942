from django.apps import AppConfig


class PollcrewConfig(AppConfig):
    name = "pollcrew"
    verbose_name = "Pollcrew"

    def ready(self) -> None:
        # Registers SQLite functions on every new connection.
        from pollcrew import db  # noqa: F401
