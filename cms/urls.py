from django.conf import settings
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.graphql.views import APIView

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
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

# An unreachable database outside any view (a middleware's query) is a 503, not a 500.
handler500 = "ops.faults.server_error"

# Last: Wagtail redirects a page's own URL to the frontend (headless serve).
urlpatterns.append(path("", include(wagtail_urls)))
