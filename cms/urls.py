from django.conf import settings
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.admin.auth import require_admin_access
from wagtail.documents import urls as wagtaildocs_urls

from cms.graphql.views import APIView
from cms.media import serve_media, serve_rendition
from cms.page_creation import CreateWithoutAutosave
from cms.page_passwords import authenticate_with_password
from cms.views import docs
from reviews.translations import ReviewedUpdateTranslationsView

# The API takes no cookies' authority, so a cross-site form cannot act through it. Its
# responses hold no secret a compression side channel could reveal, so they are gzipped.
api = gzip_page(csrf_exempt(APIView.as_view()))

urlpatterns = [
    # Ahead of Wagtail's own route for the same URL: the Add form without autosave.
    path(
        "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/"
        "<int:parent_page_id>/",
        CreateWithoutAutosave.as_view(),
    ),
    # Ahead of wagtail-localize's own route for it: "Sync translated pages" publishes only
    # for medical reviewers (reviews/translations.py).
    path(
        "admin/localize/update/<int:translation_source_id>/",
        require_admin_access(ReviewedUpdateTranslationsView.as_view()),
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("docs/", docs, name="docs"),
    # A rendition not made yet (images/renditions.py); made on its first fetch.
    path(
        "renditions/<str:signature>/<int:image_id>/<str:spec>/<str:version>",
        serve_rendition,
        name="rendition",
    ),
    path("graphql/", api, name="graphql"),
    # Clients write the endpoint both ways; a redirect would turn a POST into a GET.
    path("graphql", api),
]

if settings.GRAPHIQL_ENABLED:
    urlpatterns.append(
        path("graphiql/", csrf_exempt(APIView.as_view(graphiql=True)), name="graphiql")
    )

if settings.SERVE_MEDIA:
    # Media on this machine's disk, on every settings module: public images only.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.+)$", serve_media, name="media"))

# An unreachable database outside any view (a middleware's query) is a 503, not a 500.
handler500 = "ops.faults.server_error"

# Before Wagtail's own URL for it: the same password form, with a limit on wrong passwords.
urlpatterns.append(
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        authenticate_with_password,
    )
)

# Last: Wagtail serves a page at its own URL, or redirects there on the frontend when one is
# configured (cms/preview.py).
urlpatterns.append(path("", include(wagtail_urls)))
