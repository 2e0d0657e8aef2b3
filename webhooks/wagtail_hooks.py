"""Webhooks in the Wagtail admin: endpoints editors manage, and the delivery log."""

from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import Delivery, Endpoint
from .views import resend_view


class EndpointViewSet(ModelViewSet):
    model = Endpoint
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
    list_display = ["name", "url", "active"]
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
def register_resend_url() -> list:
    return [path("webhooks/deliveries/<uuid:pk>/resend/", resend_view, name="webhooks_resend")]
