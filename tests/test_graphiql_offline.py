"""GraphiQL loads only the project's own static files, so it works without internet."""

import re

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.django_db
def test_graphiql_loads_nothing_from_outside(client):
    response = client.get("/graphiql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    # No CDN host (a bare "cdn" may occur inside a random CSRF token or nonce).
    assert not re.search(r"//[\w.-]*cdn|unpkg\.com|jsdelivr", html.lower())
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, html
    for url in urls:
        assert url.startswith("/static/"), url
        # Each file is in the static files (`make install` copies them from npm).
        assert finders.find(url.removeprefix("/static/")), url
