"""Locales: which one a client asked for, the chain it falls back along, and which translation of
each page (or muscle) is served for it.

Wagtail keeps one page tree per locale, pages of one content sharing a `translation_key`, and
wagtail-localize keeps an alias of each untranslated page in every locale's tree. For a
requested locale the API serves, per translation key, the first locale of the chain with a
servable translation: the requested one, `API_LOCALE_FALLBACKS`, then the site's default. A
translation is servable under the publication rule of its own tree and of its source's: a
page unpublished, private or hidden in the default locale is hidden in every locale.
"""

import re
from dataclasses import dataclass

import graphene
from django.conf import settings
from django.db.models import Q, QuerySet
from wagtail.models import Locale, Page

from freshness.memo import per_generation

from .arguments import bad_input

FOREVER = float("inf")
# What else a page of another locale than the site's default must meet to be served, as SQL
# conditions on pages; the reviews app adds that a medical review covers its live revision.
TRANSLATION_CONDITIONS: list = []
# A BCP 47 language tag as apps send them: a language, then optional subtags (ko, ko-KR,
# zh-Hant-TW); Wagtail's codes are the lower-case form (ko, zh-hant).
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
REQUESTED_ATTRIBUTE = "_requested_locale"


def locale_argument() -> graphene.Argument:
    return graphene.Argument(
        graphene.String,
        description="A BCP 47 language tag, e.g. `ko`; default the site's default locale. "
        "Pages not translated into it fall back (see `locale` and `requestedLocale`).",
    )


@dataclass(frozen=True)
class LocaleChain:
    """The locale asked for and the locales served in its place, in order."""

    requested: Locale
    locales: tuple[Locale, ...]

    @property
    def default(self) -> Locale:
        return self.locales[-1]

    @property
    def ids(self) -> list[int]:
        return [locale.pk for locale in self.locales]


def locales_by_code(context=None) -> dict[str, Locale]:
    """Every locale, by lower-case language code (read once per content generation)."""
    return per_generation.get(
        context.generation if context is not None else None,
        "locales",
        lambda: (
            {locale.language_code.lower(): locale for locale in Locale.objects.all()},
            FOREVER,
        ),
    )


def available_codes(context) -> str:
    return ", ".join(sorted(locales_by_code(context)))


def find_locale(tag: str, context) -> Locale:
    """The locale a language tag names: exactly, else by its language (`ko-KR` -> `ko`)."""
    if not LANGUAGE_TAG.fullmatch(tag):
        raise bad_input(
            f'locale "{tag}" is not a BCP 47 language tag such as "ko"; '
            f"available: {available_codes(context)}."
        )
    known = locales_by_code(context)
    subtags = tag.lower().split("-")
    for end in range(len(subtags), 0, -1):
        locale = known.get("-".join(subtags[:end]))
        if locale is not None:
            return locale
    raise bad_input(f'Unknown locale "{tag}"; available: {available_codes(context)}.')


def chain_for(context, tag: str | None) -> LocaleChain | None:
    """The chain for a root field's `locale` argument; None without one (the site's default
    locale alone, with no query). A page's `requestedLocale` reads the last one."""
    if tag is None:
        return None
    default = default_locale(context)
    requested = find_locale(tag, context)
    locales = [requested]
    known = locales_by_code(context)
    for code in settings.API_LOCALE_FALLBACKS.get(requested.language_code, []):
        if code.lower() in known:
            locales.append(known[code.lower()])
    locales.append(default)
    chain = LocaleChain(requested, tuple(dict.fromkeys(locales)))
    context.locale_chain = chain
    if requested != default:
        context.requested_codes.add(requested.language_code)
    return chain


def default_locale(context) -> Locale:
    return locale_by_id(context, context.default_locale_id)


def locale_by_id(context, pk: int) -> Locale:
    for locale in locales_by_code(context).values():
        if locale.pk == pk:
            return locale
    return Locale.objects.get(pk=pk)  # created since the generation was read


def localized(qs: QuerySet, chain: LocaleChain, context) -> QuerySet:
    """`qs` (servable pages, any locale) cut to one page per translation key: the first
    locale of `chain` with a servable translation; in SQL, so lists paginate and count."""
    ids = chain.ids
    qs = servable_translations(qs.filter(locale_id__in=ids), chain)
    if len(ids) == 1:
        return qs
    servable = servable_translations(
        context.visibility.filter(Page.objects.filter(locale_id__in=ids)), chain
    )
    for position in range(1, len(ids)):
        earlier = servable.filter(locale_id__in=ids[:position]).values("translation_key")
        qs = qs.exclude(Q(locale_id=ids[position]) & Q(translation_key__in=earlier))
    return qs.exclude(translation_key__in=hidden_in_default_locale(context))


def servable_translations(qs: QuerySet, chain: LocaleChain | None, context=None) -> QuerySet:
    """`qs` minus the pages of other locales than the default that miss a condition of
    `TRANSLATION_CONDITIONS`."""
    default_id = chain.default.pk if chain else context.default_locale_id
    for condition in TRANSLATION_CONDITIONS:
        qs = qs.filter(Q(locale_id=default_id) | condition())
    return qs


def translations_of(keys, context) -> QuerySet:
    """Every page of the translation keys `keys` that some locale serves itself."""
    qs = context.visibility.filter(Page.objects.filter(translation_key__in=keys))
    qs = servable_translations(qs, None, context)
    return qs.exclude(translation_key__in=hidden_in_default_locale(context))


# Where `prefetch_translations` leaves a page's translations for `translations` to read.
PLANNED_TRANSLATIONS = "_planned_translations"


def prefetch_translations(pages: list, context) -> None:
    """The `translations` of every page in `pages` in one query, not one per page (a list's
    locale switcher)."""
    by_key: dict = {}
    keys = {page.translation_key for page in pages}
    for other in translations_of(keys, context).only("locale_id", "url_path", "translation_key"):
        by_key.setdefault(other.translation_key, []).append(other)
    for page in pages:
        setattr(page, PLANNED_TRANSLATIONS, by_key.get(page.translation_key, []))


def hidden_in_default_locale(context) -> QuerySet:
    """Translation keys whose page in the default locale an anonymous reader may not see: the
    source's rule holds for its translations."""
    default_pages = Page.objects.filter(locale_id=context.default_locale_id, depth__gt=1)
    return default_pages.exclude(
        pk__in=context.visibility.filter(default_pages).values("pk")
    ).values("translation_key")


def localized_rows(qs: QuerySet, chain: LocaleChain | None, default_locale_id) -> QuerySet:
    """Rows of a translatable model other than pages (muscles): the default locale's, or for
    a chain, per translation key the first locale's row among `qs`."""
    if chain is None:
        return qs.filter(locale_id=default_locale_id)
    ids = chain.ids
    qs = qs.filter(locale_id__in=ids)
    for position in range(1, len(ids)):
        earlier = qs.filter(locale_id__in=ids[:position]).values("translation_key")
        qs = qs.exclude(Q(locale_id=ids[position]) & Q(translation_key__in=earlier))
    return qs


def localized_keys(qs: QuerySet, chain: LocaleChain, context) -> QuerySet:
    """The served page of each translation key that `qs` has a page of, in any locale of the
    chain (a lookup by the English slug finds the Korean translation)."""
    keys = qs.filter(locale_id__in=chain.ids).values("translation_key")
    base = context.visibility.filter(qs.model.objects.filter(translation_key__in=keys))
    return localized(base, chain, context)


def translated(pages: list, chain: LocaleChain | None, context) -> list:
    """Each page (of the default locale) in its served translation for `chain`, in one query
    per page type."""
    if chain is None or not pages:
        return pages
    if len(chain.locales) > 1:
        keys = [page.translation_key for page in pages]
        base = context.visibility.filter(Page.objects.filter(translation_key__in=keys))
        served = {
            page.translation_key: page
            for page in localized(base, chain, context)
            .exclude(locale_id=chain.default.pk)
            .specific()
        }
        pages = [served.get(page.translation_key, page) for page in pages]
    return mark_requested(pages, chain)


def mark_requested(pages, chain: LocaleChain):
    for page in pages:
        if page is not None:
            setattr(page, REQUESTED_ATTRIBUTE, chain.requested)
    return pages


def requested_locale(page, context) -> Locale:
    """The locale asked for where `page` was found; else by the query's last root field with a
    `locale`; else the site's default."""
    requested = getattr(page, REQUESTED_ATTRIBUTE, None)
    if requested is None:
        chain = getattr(context, "locale_chain", None)
        requested = chain.requested if chain else default_locale(context)
    return requested
