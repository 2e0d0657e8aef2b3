"""Webhooks in the Wagtail admin: endpoints editors manage, and the delivery log."""

from django.contrib import messages
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import Delivery, Endpoint
from .views import resend_view, resume_view


class EndpointIndexView(IndexView):
    """The endpoint listing, headed by a warning for each paused endpoint."""

    def get(self, request, *args, **kwargs):
        if not self.results_only:
            for endpoint in Endpoint.objects.filter(paused_at__isnull=False):
                messages.warning(
                    request,
                    format_html(
                        "{} is paused since {} after {} failed attempts in a row; its "
                        'deliveries wait. <a href="{}">Resume it</a>.',
                        endpoint.name,
                        endpoint.paused_at.strftime("%Y-%m-%d %H:%M UTC"),
                        endpoint.consecutive_failures,
                        reverse("webhooks_resume", args=[endpoint.pk]),
                    ),
                )
        return super().get(request, *args, **kwargs)


class StateColumn(Column):
    def get_value(self, instance):
        if not instance.active:
            return "off"
        if instance.paused_at:
            url = reverse("webhooks_resume", args=[instance.pk])
            return format_html('paused (<a href="{}">resume</a>)', url)
        return "on"


class EndpointViewSet(ModelViewSet):
    model = Endpoint
    index_view_class = EndpointIndexView
    icon = "link"
    form_fields = [
        "name",
        "url",
        "secret",
        "active",
        "on_published",
        "on_unpublished",
        "on_deleted",
        "on_moved",
        "page_types",
    ]
    list_display = ["name", "url", StateColumn("state", label="State")]
    copy_view_enabled = False

    def formfield_for_dbfield(self, db_field, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # Django 6's default, without the warning
        return super().formfield_for_dbfield(db_field, **kwargs)


class DeliveryLogPolicy(ModelPermissionPolicy):
    """The log is written by the worker: people may read it and resend, never edit it."""

    def user_has_permission(self, user, action):
        if action in ("add", "change", "copy"):
            return False
        return super().user_has_permission(user, action)


register_permission_policy(Delivery, DeliveryLogPolicy(Delivery))


class ResendColumn(Column):
    def get_value(self, instance):
        url = reverse("webhooks_resend", args=[instance.pk])
        return format_html('<a href="{}">Resend</a>', url)


class DeliveryViewSet(ModelViewSet):
    model = Delivery
    name = "webhook_deliveries"
    icon = "list-ul"
    menu_label = "Delivery log"
    form_fields = ["status"]
    list_display = [
        "created_at",
        "event",
        "page_id",
        "url_path",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        ResendColumn("resend", label="Resend"),
    ]
    list_filter = ["status", "event", "endpoint"]
    inspect_view_enabled = True
    copy_view_enabled = False


class WebhooksGroup(ViewSetGroup):
    menu_label = "Webhooks"
    menu_icon = "link"
    add_to_admin_menu = True
    items = (EndpointViewSet("webhook_endpoints"), DeliveryViewSet)


@hooks.register("register_admin_viewset")
def register_webhooks() -> WebhooksGroup:
    return WebhooksGroup()


@hooks.register("register_admin_urls")
def register_webhook_urls() -> list:
    return [
        path("webhooks/deliveries/<uuid:pk>/resend/", resend_view, name="webhooks_resend"),
        path("webhooks/endpoints/<int:pk>/resume/", resume_view, name="webhooks_resume"),
    ]
