from django.conf import settings
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.graphql.views import APIView
from cms.views import docs

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("docs/", docs, name="docs"),
    # The API takes no cookies' authority, so a cross-site form cannot act through it.
    path("graphql/", csrf_exempt(APIView.as_view()), name="graphql"),
]

if settings.GRAPHIQL_ENABLED:
    urlpatterns.append(
        path("graphiql/", csrf_exempt(APIView.as_view(graphiql=True)), name="graphiql")
    )

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Last: Wagtail serves a page at its own URL, or redirects there on the frontend when one is
# configured (cms/preview.py).
urlpatterns.append(path("", include(wagtail_urls)))
