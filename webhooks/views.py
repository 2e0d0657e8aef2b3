"""Admin views beyond the viewsets: resending a logged delivery."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .models import Delivery
from .tasks import resend


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
