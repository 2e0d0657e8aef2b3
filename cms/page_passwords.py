"""A limit on guessing a page's password: Wagtail's password form, counted per client address.

Wagtail checks a PageViewRestriction password in its own view and lets anyone try forever.
This view wraps it (same URL, so Wagtail's forms post here): after
PAGE_PASSWORD_FAILURE_LIMIT wrong passwords for one restriction from one address, that
address is refused for PAGE_PASSWORD_COOLOFF_MINUTES with the form and a message saying so.
Counted per restriction (one password guards its whole subtree) and per address (one reader
mistyping does not lock others out); django-axes is not used because its IP-wide lockout
would then lock a reader's address out of the admin login too.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from wagtail import views as wagtail_views
from wagtail.forms import PasswordViewRestrictionForm
from wagtail.models import Page, PageViewRestriction

from ops.client_ip import client_ip

from .models import PagePasswordFailure


def window_start():
    return timezone.now() - timedelta(minutes=settings.PAGE_PASSWORD_COOLOFF_MINUTES)


def is_locked_out(restriction_id: int, address: str) -> bool:
    return PagePasswordFailure.objects.filter(
        restriction_id=restriction_id,
        ip_address=address,
        since__gte=window_start(),
        failures__gte=settings.PAGE_PASSWORD_FAILURE_LIMIT,
    ).exists()


def record_failure(restriction_id: int, address: str) -> None:
    with transaction.atomic():
        row, created = PagePasswordFailure.objects.select_for_update().get_or_create(
            restriction_id=restriction_id,
            ip_address=address,
            defaults={"failures": 1, "since": timezone.now()},
        )
        if created:
            return
        if row.since < window_start():  # the old window is over: start a new one
            row.failures, row.since = 1, timezone.now()
        else:
            row.failures = F("failures") + 1
        row.save(update_fields=["failures", "since"])


def locked_out_response(request: HttpRequest, restriction_id: int, page_id: int) -> HttpResponse:
    """Wagtail's password form for the page, with the reason it is refused, as a 429."""
    restriction = get_object_or_404(PageViewRestriction, id=restriction_id)
    page = get_object_or_404(Page, id=page_id).specific
    form = PasswordViewRestrictionForm(
        instance=restriction, initial={"return_url": request.POST.get("return_url", "")}
    )
    # Unbound (the password is not checked): no field errors; `add_error` needs both dicts.
    form.full_clean()
    form.cleaned_data = {}
    minutes = settings.PAGE_PASSWORD_COOLOFF_MINUTES
    form.add_error(
        None,
        f"Too many wrong passwords for this page. Try again in {minutes} minutes.",
    )
    action_url = reverse("wagtailcore_authenticate_with_password", args=[restriction.id, page.id])
    response = page.serve_password_required_response(request, form, action_url)
    response.render()
    response.status_code = 429
    response["Retry-After"] = str(minutes * 60)
    return response


def authenticate_with_password(
    request: HttpRequest, page_view_restriction_id: int, page_id: int
) -> HttpResponse:
    if request.method != "POST":
        return wagtail_views.authenticate_with_password(request, page_view_restriction_id, page_id)
    address = client_ip(request)
    if is_locked_out(page_view_restriction_id, address):
        return locked_out_response(request, page_view_restriction_id, page_id)
    response = wagtail_views.authenticate_with_password(request, page_view_restriction_id, page_id)
    # Wagtail redirects on the right password and shows the form again on a wrong one.
    if response.status_code == 200:
        record_failure(page_view_restriction_id, address)
    elif response.status_code in (301, 302):
        PagePasswordFailure.objects.filter(
            restriction_id=page_view_restriction_id, ip_address=address
        ).delete()
    return response
