from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    return {
        "MUNICIPALITY_NAME": settings.MUNICIPALITY_NAME,
        "ELECTION_OFFICE_CONTACT": settings.ELECTION_OFFICE_CONTACT,
    }
