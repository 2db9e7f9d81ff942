from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by a municipality admin, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
