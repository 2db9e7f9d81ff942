"""The OpenAPI 3 schema: generated from the code without a warning, valid, and
the committed copy (docs/openapi.yaml) up to date. The schema and its
documentation page (self-hosted Swagger UI) are served to staff users."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests import factories as f
from tests.test_api_helpers import client_for

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
UPDATE = (
    ".venv/bin/python manage.py spectacular --lang en --validate --fail-on-warn"
    " --file docs/openapi.yaml"
)


def test_the_schema_is_valid_warning_free_and_committed(tmp_path):
    fresh = tmp_path / "openapi.yaml"
    # --fail-on-warn: any warning (or a schema that does not validate) raises.
    call_command(
        "spectacular", "--lang", "en", "--validate", "--fail-on-warn", "--file", str(fresh)
    )
    assert fresh.read_text() == COMMITTED.read_text(), (
        f"docs/openapi.yaml is out of date with the code. Update it with: {UPDATE}"
    )


@pytest.mark.django_db
def test_the_schema_and_docs_page_for_tokens_and_signed_in_staff(client, coordinator, settings):
    settings.API_RATE = "1/minute"
    api = client_for(coordinator)
    schema = api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi")
    assert schema.status_code == 200 and b"/api/v1/volunteers/" in schema.content
    # Making the schema costs the server about a second: a token's rate limit applies.
    assert api.get(reverse("api:schema")).status_code == 429
    client.force_login(coordinator)
    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    # Self-hosted (sidecar), and the inline script moved to a file of this site:
    # the Content-Security-Policy needs no exception.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "cdn" not in html.lower()
    nonce = page["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in html
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    client.force_login(f.user("ingen@kommune.dk"))  # no role
    assert client.get(reverse("api:docs")).status_code == 404
