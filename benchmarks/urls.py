"""The site's URLs plus the benchmark's comparison endpoints (only under `benchmarks.settings`)."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from cms.graphql.views import APIView
from cms.urls import urlpatterns as site_urlpatterns

from . import plain

urlpatterns = [
    # "Stock": item by item, as grapple resolves, with no query planning and no response cache.
    path(
        "bench/stock/graphql/",
        csrf_exempt(APIView.as_view(query_planning=False, response_cache=False)),
    ),
    # Ours without the response cache: every request runs the planned query.
    path("bench/uncached/graphql/", csrf_exempt(APIView.as_view(response_cache=False))),
    path("bench/plain/procedures/", plain.procedures),
    path("bench/plain/procedure/", plain.procedure),
    path("bench/plain/article/", plain.article),
    path("bench/plain/hello/", plain.hello),
    # The leanest fair view of the same rows (`plain.Yardstick`): no per-request lookups.
    path("bench/yardstick/procedures/", plain.yardstick_procedures),
    path("bench/yardstick/procedure/", plain.yardstick_procedure),
    *site_urlpatterns,
]
