from django.apps import AppConfig


class PollcrewConfig(AppConfig):
    name = "pollcrew"
    verbose_name = "Pollcrew"

    def ready(self) -> None:
        # Registers SQLite functions on every new connection, and the any_of lookup.
        from pollcrew import db  # noqa: F401
