"""Root fields that span page types: routing, sitemaps, search, redirects, previews, sync."""

from datetime import UTC, datetime, timedelta

import graphene
from django.db.models import Q, QuerySet
from django.utils import timezone
from graphene.utils.str_converters import to_snake_case
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page as WagtailPage

from cms.models import PageEvent
from cms.search import ranked_ids

from .arguments import bad_input
from .interfaces import PAGE_TYPES, Page, page_content_types, public_url_path
from .locales import (
    chain_for,
    locale_argument,
    localized,
    localized_keys,
    localized_rows,
    mark_requested,
)
from .pages import find_page, lookup_arguments, paginated_pages, preview_page
from .pagination import paginated_type, pagination_arguments
from .planning import prefetch_pages
from .publication import servable_pages

MAX_SEARCH_RESULTS = 100
# A page being published while a sync runs may commit with a slightly earlier timestamp;
# `until` stays this far behind now, so the next sync sees it (pages may come twice).
SYNC_OVERLAP = timedelta(seconds=10)
# The documented offline selection (docs/API.md) at this many entries stays under the cost
# limit; smaller selections may ask for up to the maximum.
DEFAULT_SYNC_LIMIT = 50
MAX_SYNC_LIMIT = 100


class Redirect_(graphene.ObjectType):  # noqa: N801 (the model's name is taken)
    """An old path that now leads elsewhere."""

    class Meta:
        name = "Redirect"

    old_path = graphene.String(required=True)
    new_path = graphene.String(
        description="A path on this site or an absolute URL; null when its target page is "
        "not live and public."
    )
    is_permanent = graphene.Boolean(required=True)


class RemovedPage(graphene.ObjectType):
    """A path that stopped serving a page (unpublished, deleted, moved, private or expired)."""

    id = graphene.ID(required=True)
    url_path = graphene.String(required=True)
    removed_at = graphene.DateTime(required=True)


class Changes(graphene.ObjectType):
    """What changed since a time. Apply the removals first (`removed` by `id` and `urlPath`,
    `removedMuscles` by id, `removedRedirects` by old path), then upsert `pages` (by `id`),
    `muscles` (by `id`) and `redirects` (by `oldPath`): a moved page is in both. A page that
    shows a changed page, muscle or image is in `pages` too. An entry may come again in the
    next call."""

    pages = graphene.List(graphene.NonNull(Page), required=True)
    removed = graphene.List(graphene.NonNull(RemovedPage), required=True)
    muscles = graphene.List(
        graphene.NonNull("procedures.api.MuscleNode"),
        required=True,
        description="Muscles published or edited: upsert by `id`.",
    )
    removed_muscles = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Ids of muscles deleted or unpublished: no longer in `muscles`.",
    )
    redirects = graphene.List(
        graphene.NonNull(Redirect_),
        required=True,
        description="Redirects of this site added or changed (or whose target page moved, "
        "or was hidden or shown): upsert by `oldPath`.",
    )
    removed_redirects = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Old paths that no longer redirect on this site.",
    )
    until = graphene.DateTime(required=True, description="Pass as `since` next time.")
    has_more = graphene.Boolean(required=True, description="Call again now with `until`.")


def page_type_enum() -> type[graphene.Enum]:
    """One value per page type (`PROCEDURE_PAGE`, ...), from the registered page types."""
    members = {
        to_snake_case(node._meta.name).upper(): f"{model._meta.app_label}.{model._meta.model_name}"
        for model, node in PAGE_TYPES.items()
    }
    return graphene.Enum("PageType", list(members.items()), description="A kind of page.")


def generic_query() -> type[graphene.ObjectType]:
    """The root fields of this module; built after the apps registered their page types."""
    page_type = page_type_enum()
    page_list = paginated_type(
        "PageList", Page, "One page of the site's pages and where it sits in the list."
    )

    class GenericQuery(graphene.ObjectType):
        page = graphene.Field(
            Page,
            description="Any live page by URL path or id (a catch-all route), or a draft by "
            "preview token.",
            **lookup_arguments(),
        )
        pages = graphene.Field(
            graphene.NonNull(page_list),
            description="Every live page in tree order, for sitemaps and static generation.",
            page_type=graphene.Argument(page_type, description="Only pages of this type."),
            **pagination_arguments(),
            locale=locale_argument(),
        )
        search = graphene.List(
            graphene.NonNull(Page),
            required=True,
            description="Live pages matching the words, best match first.",
            query=graphene.String(required=True),
            limit=graphene.Int(default_value=20, description=f"At most {MAX_SEARCH_RESULTS}."),
            locale=locale_argument(),
        )
        redirects = graphene.List(
            graphene.NonNull(Redirect_),
            required=True,
            description="Old paths of this site and where they lead now: to the target page's "
            "translation for `locale` where it has one.",
            locale=locale_argument(),
        )
        preview = graphene.Field(
            Page,
            token=graphene.String(required=True),
            description="The draft an editor's preview token points at; null when the token "
            "is wrong, expired or its page is gone.",
        )
        changes = graphene.Field(
            graphene.NonNull(Changes),
            since=graphene.DateTime(required=True),
            limit=graphene.Int(
                default_value=DEFAULT_SYNC_LIMIT,
                description=f"At most this many entries (≤ {MAX_SYNC_LIMIT}).",
            ),
            locale=locale_argument(),
            description="Pages, muscles and redirects changed and removed since a time, for "
            "offline sync of one locale: `pages` holds what that locale serves (translations, "
            "or their fallback), `removed` what it stopped serving.",
        )

        @staticmethod
        def resolve_page(root, info, **kwargs):
            page = find_page(WagtailPage, info, **kwargs)
            if page is not None and type(page) not in PAGE_TYPES:
                return None
            return prefetch_pages([page], info)[0]

        @staticmethod
        def resolve_pages(root, info, page_type=None, page=1, per_page=None, locale=None):
            context = info.context
            qs = servable_pages(WagtailPage.objects.filter(depth__gt=1), context)
            qs = qs.filter(
                content_type__in=page_content_types(page_type), locale_id=context.default_locale_id
            )
            return paginated_pages(qs.order_by("path").specific(), info, page, per_page, locale)

        @staticmethod
        def resolve_search(root, info, query, limit=20, locale=None):
            limit = 20 if limit is None else limit
            if not 1 <= limit <= MAX_SEARCH_RESULTS:
                raise bad_input(f"limit must be between 1 and {MAX_SEARCH_RESULTS}; got {limit}.")
            chain = chain_for(info.context, locale)
            ids = ranked_ids(WagtailPage.objects.all(), query)
            found = servable_in_order(ids, info.context, chain)[:limit]
            return prefetch_pages(mark_requested(found, chain) if chain else found, info)

        @staticmethod
        def resolve_redirects(root, info, locale=None):
            chain = chain_for(info.context, locale)
            return redirect_answers(site_redirects(info.context), info.context, chain)

        @staticmethod
        def resolve_preview(root, info, token):
            page = preview_page(WagtailPage, token)
            return page if page is not None and type(page) in PAGE_TYPES else None

        @staticmethod
        def resolve_changes(root, info, since: datetime, limit=DEFAULT_SYNC_LIMIT, locale=None):
            return changes_since(info, since, limit, chain_for(info.context, locale))

    return GenericQuery


def servable_in_order(ids: list[int], context, chain=None) -> list:
    """The servable pages of the API's types among `ids`, specific, in the order of `ids`: of
    the default locale, or, for a locale chain, each page's translation served in that locale
    (once, where the first of its translations came)."""
    pages = servable_pages(WagtailPage.objects.filter(pk__in=ids), context).filter(
        content_type__in=page_content_types()
    )
    if chain is None:
        pages = pages.filter(locale_id=context.default_locale_id)
    else:
        pages = localized_keys(pages, chain, context)
        keys = dict(WagtailPage.objects.filter(pk__in=ids).values_list("pk", "translation_key"))
        by_key = {page.translation_key: page for page in pages.specific()}
        ordered = (by_key.get(keys.get(pk)) for pk in ids)
        return list({page.pk: page for page in ordered if page is not None}.values())
    by_id = {page.pk: page for page in pages.specific()}
    return [by_id[pk] for pk in ids if pk in by_id]


def site_redirects(context) -> QuerySet:
    """The redirects of the request's site and of all sites."""
    site = context.site
    return Redirect.objects.filter(Q(site=site) | Q(site__isnull=True))


def redirect_answers(redirects: QuerySet, context, chain=None) -> list[Redirect_]:
    visibility = context.visibility
    redirects = list(redirects.select_related("redirect_page").order_by("old_path"))
    targets = [redirect.redirect_page for redirect in redirects if redirect.redirect_page]
    served = {page.pk: page for page in targets}
    if chain is not None and targets:
        # Each target as this locale serves it (its translation, else its fallback).
        by_key = {
            page.translation_key: page
            for page in localized_keys(
                WagtailPage.objects.filter(pk__in=[page.pk for page in targets]), chain, context
            )
        }
        served = {page.pk: by_key.get(page.translation_key) for page in targets}
    answer = []
    for redirect in redirects:
        target = served.get(redirect.redirect_page_id) if redirect.redirect_page_id else None
        if redirect.redirect_page_id is not None:
            new_path = (
                public_url_path(target)
                if target is not None and visibility.allows(target)
                else None
            )
            if new_path and redirect.redirect_page_route_path:
                new_path = new_path.rstrip("/") + redirect.redirect_page_route_path
        else:
            new_path = redirect.redirect_link or None
        answer.append(
            Redirect_(
                old_path=redirect.old_path,
                new_path=new_path,
                is_permanent=redirect.is_permanent,
            )
        )
    return answer


def visible_events(context, since: datetime, chain=None) -> list[PageEvent]:
    """The events of `[since, now)` this site's readers may learn of, oldest first: of the
    default locale's tree, or of every locale's for a locale chain (`changes_since` maps them
    to what that locale serves).

    A page's change counts only while the page is served (a draft's, a scheduled page's or a
    private page's events never shape the answer, `until` included); a removal only while the
    page is not served at that path again."""
    visibility = context.visibility
    roots = visibility.site_root_paths if chain else visibility.site_root_paths[:1]
    in_trees = Q()
    for root in roots:
        in_trees |= Q(tree_path__startswith=root)
    served = visibility.filter(
        WagtailPage.objects.filter(content_type__in=page_content_types())
    ).values("pk")
    events = list(
        PageEvent.objects.filter(at__gte=since)
        .filter(
            Q(subject=PageEvent.Subject.PAGE)
            & in_trees
            & (Q(kind=PageEvent.Kind.REMOVED) | Q(object_id__in=served))
            | Q(subject=PageEvent.Subject.MUSCLE)
            | Q(subject=PageEvent.Subject.REDIRECT)
            & (Q(tree_path="") | Q(tree_path__startswith=visibility.site_root_paths[0]))
        )
        .order_by("at", "pk")
    )
    removed_ids = {
        e.object_id
        for e in events
        if e.subject == PageEvent.Subject.PAGE and e.kind == PageEvent.Kind.REMOVED
    }
    serving = {
        (page.pk, public_url_path(page))
        for page in visibility.filter(WagtailPage.objects.filter(pk__in=removed_ids)).only(
            "pk", "url_path"
        )
    }
    return [
        event
        for event in events
        if not (
            event.subject == PageEvent.Subject.PAGE
            and event.kind == PageEvent.Kind.REMOVED
            and (event.object_id, event.url_path) in serving
        )
    ]


def served_for_events(events: list[PageEvent], context, chain) -> tuple[list, list]:
    """For a locale's replica: what it serves now for each content an event touched (the
    translation, else its fallback), and the other pages of that content it may hold, as
    removed (the fallback a new translation replaces, a translation hidden by its source)."""
    ids = list(dict.fromkeys(event.object_id for event in events))
    keys = dict(WagtailPage.objects.filter(pk__in=ids).values_list("pk", "translation_key"))
    when = {}
    for event in events:
        if event.object_id in keys:
            when[keys[event.object_id]] = event.at
    candidates = servable_pages(
        WagtailPage.objects.filter(
            translation_key__in=list(when), content_type__in=page_content_types()
        ),
        context,
    )
    winners = {
        page.translation_key: page for page in localized(candidates, chain, context).specific()
    }
    served = [winners[keys[pk]] for pk in ids if pk in keys and keys[pk] in winners]
    served = list({page.pk: page for page in served}.values())
    displaced = [
        RemovedPage(
            id=str(page.pk), url_path=public_url_path(page), removed_at=when[page.translation_key]
        )
        for page in candidates.filter(locale_id__in=chain.ids)
        .exclude(pk__in=[page.pk for page in served])
        .order_by("pk")
    ]
    return mark_requested(served, chain), displaced


def displaced_muscles(touched, muscles: list, chain) -> set[str]:
    """Muscles of a touched content a locale's replica may hold that it no longer serves."""
    if chain is None:
        return set()
    from procedures.models import Muscle

    others = Muscle.objects.filter(translation_key__in=touched, locale_id__in=chain.ids)
    return {
        str(pk)
        for pk in others.exclude(pk__in=[m.pk for m in muscles]).values_list("pk", flat=True)
    }


def event_entry(event: PageEvent) -> tuple:
    """What an event adds to the answer; events with the same entry count once."""
    if event.subject == PageEvent.Subject.REDIRECT:
        return (event.subject, event.url_path)
    if event.subject == PageEvent.Subject.MUSCLE:
        return (event.subject, event.object_id)
    if event.subject == PageEvent.Subject.PAGE and event.kind == PageEvent.Kind.REMOVED:
        return (event.subject, event.kind, event.object_id, event.url_path)
    return (event.subject, event.kind, event.object_id)


def changes_since(info, since: datetime, limit: int | None, chain=None) -> Changes:
    """Changed and removed entries in `[since, end)`, at most `limit`, except that the events
    of one instant (a move, a bulk edit) are never split across two answers."""
    from procedures.models import Muscle

    limit = DEFAULT_SYNC_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_SYNC_LIMIT:
        raise bad_input(f"limit must be between 1 and {MAX_SYNC_LIMIT}; got {limit}.")
    try:
        since = since if timezone.is_aware(since) else since.replace(tzinfo=UTC)
        since = since.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise bad_input(f"since is out of range: {error}.") from error
    context = info.context
    now = timezone.now()
    # The window is [since, end); when nothing is left, the next call starts a little before
    # `end`, so a change committing late with an earlier time is not missed.
    end, until, has_more = now, max(since, now - SYNC_OVERLAP), False
    entries: dict[tuple, PageEvent] = {}
    last_at = None
    for event in visible_events(context, since, chain):
        entry = event_entry(event)
        if entry in entries:
            continue
        if len(entries) >= limit and event.at != last_at:
            end = until = event.at
            has_more = True
            break
        last_at = event.at
        entries[entry] = event
    changed_ids = [
        e.object_id
        for e in entries.values()
        if e.subject == PageEvent.Subject.PAGE and e.kind == PageEvent.Kind.CHANGED
    ]
    removed = [
        RemovedPage(id=str(e.object_id), url_path=e.url_path, removed_at=e.at)
        for e in entries.values()
        if e.subject == PageEvent.Subject.PAGE and e.kind == PageEvent.Kind.REMOVED
    ]
    if chain is None:
        served = servable_in_order(list(dict.fromkeys(changed_ids)), context)
    else:
        page_events = [e for e in entries.values() if e.subject == PageEvent.Subject.PAGE]
        served, displaced = served_for_events(page_events, context, chain)
        removed += displaced
    # Expiry hides a page without any event: a public page whose expire_at fell in the window.
    expired = context.visibility.filter_public(
        WagtailPage.objects.filter(
            live=True,
            expire_at__gte=since,
            expire_at__lt=end,
            content_type__in=page_content_types(),
        )
    )
    if chain is None:
        expired = expired.filter(locale_id=context.default_locale_id)
    removed += [
        RemovedPage(id=str(page.pk), url_path=public_url_path(page), removed_at=page.expire_at)
        for page in expired.order_by("expire_at", "pk")
    ]
    muscle_ids = {e.object_id for e in entries.values() if e.subject == PageEvent.Subject.MUSCLE}
    # The published version only, as the `muscles` root field.
    touched = Muscle.objects.filter(pk__in=muscle_ids).values("translation_key")
    muscles = list(
        localized_rows(
            Muscle.objects.filter(translation_key__in=touched, live=True),
            chain,
            context.default_locale_id,
        ).order_by("name")
    )
    old_paths = {e.url_path for e in entries.values() if e.subject == PageEvent.Subject.REDIRECT}
    redirects = redirect_answers(
        site_redirects(context).filter(old_path__in=old_paths), context, chain
    )
    return Changes(
        pages=prefetch_pages(served, info, "pages"),
        removed=removed,
        muscles=muscles,
        removed_muscles=sorted(
            {str(pk) for pk in muscle_ids - {m.pk for m in muscles}}
            | displaced_muscles(touched, muscles, chain)
        ),
        redirects=redirects,
        removed_redirects=sorted(old_paths - {r.old_path for r in redirects}),
        until=until,
        has_more=has_more,
    )
