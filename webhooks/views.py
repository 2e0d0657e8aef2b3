"""Admin views beyond the viewsets: resending a logged delivery, resuming a paused endpoint."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .delivery import resend, resume
from .models import Delivery, Endpoint


def resend_view(request, pk):
    """GET asks for confirmation; POST queues a new delivery of the same event and body."""
    if not request.user.has_perm("webhooks.change_endpoint"):
        raise PermissionDenied
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=pk)
    if request.method == "POST":
        copy = resend(delivery)
        messages.success(request, f"Delivery queued again as {copy.pk}.")
        return redirect(reverse("webhook_deliveries:index"))
    return TemplateResponse(request, "webhooks/resend.html", {"delivery": delivery})


def resume_view(request, pk):
    """GET asks for confirmation; POST resumes a paused endpoint: its waiting deliveries go."""
    if not request.user.has_perm("webhooks.change_endpoint"):
        raise PermissionDenied
    endpoint = get_object_or_404(Endpoint, pk=pk)
    if request.method == "POST":
        resume(endpoint)
        messages.success(request, f"{endpoint} resumed; its waiting deliveries are being sent.")
        return redirect(reverse("webhook_endpoints:index"))
    waiting = endpoint.deliveries.filter(status__in=["pending", "retrying"]).count()
    return TemplateResponse(
        request, "webhooks/resume.html", {"endpoint": endpoint, "waiting": waiting}
    )
