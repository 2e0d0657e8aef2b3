"""Builds the site from `home/seed/calf_reduction.json`: idempotent, and kind to editors.

A page, muscle or image that already exists is left exactly as an editor left it, unless
`reset` is asked for; then its seed-managed fields are restored and a new revision published.
What the loader created once and an editor deleted is not brought back (`SeedRecord`), except
by `reset`; links an editor added (muscles, related procedures) are never removed.
"""

import json
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from django.core.files.images import ImageFile
from django.db import transaction
from django.utils.html import escape
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import features as feature_registry

from cms.models import SeedRecord
from images.models import CMSImage
from procedures.facts import FactSource
from procedures.models import BODY_FEATURES, Muscle, ProcedureIndexPage, ProcedurePage

from .blocks import PARAGRAPH_FEATURES
from .models import ArticleBenefit, ArticlePage, HomePage

SEED_FILE = Path(__file__).resolve().parent / "seed" / "calf_reduction.json"
LINK_FIELDS = ("muscles", "target_muscles", "related_procedures")
FACT_FIELDS = (
    "approach",
    "invasiveness",
    "permanence",
    "targets",
    "recovery_time",
    "recovery_days",
    "sessions",
    "onset",
    "ideal_candidates",
)


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"created {len(self.created)}, kept {len(self.kept)}, reset {len(self.reset)}"


def paragraphs_html(paragraphs: list[str], features: list[str] = PARAGRAPH_FEATURES) -> str:
    """Paragraphs as the editor's rich text field would save them.

    Draftail stores each block with a `data-block-key`; HTML without them is rewritten on the
    first save, and Compare would show every paragraph as changed.
    """
    converter = ContentstateConverter(features or feature_registry.get_default_features())
    html = "".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    return converter.to_database_format(converter.from_database_format(html))


def load_seed(*, reset: bool = False, data: dict | None = None) -> SeedReport:
    data = data or json.loads(SEED_FILE.read_text(encoding="utf-8"))
    loader = SeedLoader(reset=reset)
    with transaction.atomic():
        loader.load(data)
    return loader.report


class SeedLoader:
    def __init__(self, *, reset: bool) -> None:
        self.reset = reset
        self.report = SeedReport()

    def load(self, data: dict) -> None:
        muscles = {item["slug"]: self.ensure_muscle(item) for item in data["muscles"]}
        muscles = {slug: muscle for slug, muscle in muscles.items() if muscle is not None}
        home = self.ensure_home(data["home"])
        index = self.ensure_page(
            home, ProcedureIndexPage, data["procedure_index"]["slug"], dict(data["procedure_index"])
        )
        if index is None:
            return
        procedures = {
            item["slug"]: self.ensure_page(
                index, ProcedurePage, item["slug"], self.procedure_fields(item, muscles)
            )
            for item in data["procedures"]
        }
        procedures = {slug: page for slug, page in procedures.items() if page is not None}
        for item in data["procedures"]:
            if item["slug"] in procedures:
                self.ensure_fact_sources(procedures[item["slug"]], item["facts"])
                self.link_related(
                    procedures[item["slug"]],
                    [procedures[slug] for slug in item["related"] if slug in procedures],
                )
        article = data["article"]
        self.ensure_page(
            home, ArticlePage, article["slug"], self.article_fields(article, muscles, procedures)
        )

    # Pieces ---------------------------------------------------------------------------------

    def deleted_by_editor(self, key: str, exists: bool) -> bool:
        """Whether an editor deleted what the loader once created; records what exists."""
        if exists:
            SeedRecord.objects.get_or_create(key=key)
            return False
        if self.reset:
            return False
        return SeedRecord.objects.filter(key=key).exists()

    def ensure_muscle(self, item: dict) -> Muscle | None:
        key = f"muscle {item['slug']}"
        # The seed is English: a Korean translation of the muscle is not the seed's.
        muscle = Muscle.objects.filter(slug=item["slug"], locale=Locale.get_default()).first()
        if self.deleted_by_editor(key, muscle is not None):
            self.report.kept.append(f"{key} (deleted by an editor)")
            return None
        if muscle is None:
            self.report.created.append(key)
            SeedRecord.objects.get_or_create(key=key)
            muscle = Muscle.objects.create(**item)
            muscle.save_revision(log_action=True).publish()
            return muscle
        if self.reset and muscle.name != item["name"]:
            muscle.name = item["name"]
            muscle.save_revision(log_action=True).publish()
            self.report.reset.append(f"muscle {item['slug']}")
        else:
            self.report.kept.append(f"muscle {item['slug']}")
        return muscle

    def ensure_image(self, item: dict) -> CMSImage:
        image = CMSImage.objects.filter(title=item["title"]).first()
        if image is not None:
            if self.reset and image.description != item["alt"]:
                image.description = item["alt"]
                image.save()
            return image
        self.report.created.append(f"image {item['title']}")
        return CMSImage.objects.create(
            title=item["title"],
            description=item["alt"],
            file=ImageFile(placeholder_png(item), name=f"{slugify(item['title'])}.png"),
        )

    def ensure_home(self, item: dict) -> HomePage:
        home = HomePage.objects.first()
        if home is not None:
            self.report.kept.append("page home")
            return home
        root = Page.get_first_root_node()
        # Wagtail's first migration leaves a "Welcome" page where our home page belongs.
        for welcome in root.get_children().filter(content_type__model="page", numchild=0):
            welcome.delete()
        home = HomePage(**item)
        root.add_child(instance=home)
        home.save_revision(log_action=True).publish()
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
        else:
            site.root_page = home
            site.save()
        self.report.created.append("page home")
        return home

    def ensure_page(self, parent: Page, model: type[Page], slug: str, fields: dict) -> Page | None:
        key = f"page {slug}"
        page = model.objects.child_of(parent).filter(slug=slug).first()
        if self.deleted_by_editor(key, page is not None):
            self.report.kept.append(f"{key} (deleted by an editor)")
            return None
        if page is not None and not self.reset:
            self.report.kept.append(key)
            return page
        if page is None:
            page = model()
            self.assign(page, fields)
            parent.add_child(instance=page)
            SeedRecord.objects.get_or_create(key=key)
            self.report.created.append(key)
        else:
            page = page.get_latest_revision_as_object()
            self.assign(page, fields, keep_links=True)
            self.report.reset.append(key)
        # A logged revision, as an editor's save makes, so History can show and restore it.
        page.save_revision(log_action=True).publish()
        return page

    @staticmethod
    def assign(page: Page, fields: dict, *, keep_links: bool = False) -> None:
        for name, value in fields.items():
            if keep_links and name in LINK_FIELDS:
                # A reset restores the seed's links without removing the ones editors added.
                value = list(dict.fromkeys([*getattr(page, name).all(), *value]))
            setattr(page, name, value)

    def link_related(self, page: ProcedurePage, related: list[ProcedurePage]) -> None:
        """Related links are set on a new page (or on reset), never over an editor's choice."""
        if f"page {page.slug}" in self.report.kept:
            return
        current = [p for p in page.related_procedures.all() if p.pk != page.pk]
        page.related_procedures = list(dict.fromkeys([*current, *related]))
        page.save_revision(log_action=True).publish()

    def ensure_fact_sources(self, page: ProcedurePage, facts: dict) -> None:
        """The seed's evidence for each stated fact; what it supports is kept with it."""
        for name, fact in facts.items():
            if not fact:
                continue
            defaults = {
                "sentence": fact["source"],
                "definition": fact.get("inferred", ""),
                "inferred": bool(fact.get("inferred")),
                "value": fact["value"],
            }
            if self.reset:
                FactSource.objects.update_or_create(page=page, fact=name, defaults=defaults)
            else:
                FactSource.objects.get_or_create(page=page, fact=name, defaults=defaults)

    # Field values from the data file -----------------------------------------------------------

    def procedure_fields(self, item: dict, muscles: dict[str, Muscle]) -> dict:
        facts = item["facts"]
        fields = {
            "title": item["title"],
            "slug": item["slug"],
            "summary": item["summary"],
            "body": paragraphs_html(item["body"], BODY_FEATURES),
            "image": self.ensure_image(item["image"]),
        }
        for name in FACT_FIELDS:
            fact = facts.get(name)
            fields[name] = fact["value"] if fact else ([] if name == "targets" else None)
        muscle_fact = facts.get("muscles")
        slugs = muscle_fact["value"] if muscle_fact else []
        fields["muscles"] = [muscles[slug] for slug in slugs if slug in muscles]
        return fields

    def article_fields(self, item: dict, muscles: dict[str, Muscle], procedures: dict) -> dict:
        return {
            "title": item["title"],
            "slug": item["slug"],
            "intro": paragraphs_html(item["intro"]),
            "hero_image": self.ensure_image(item["hero_image"]),
            "benefits": [ArticleBenefit(text=text) for text in item["benefits"]],
            "target_muscles": [muscles[s] for s in item["target_muscles"] if s in muscles],
            "body": json.dumps(
                [
                    body_block(block, procedures)
                    for block in item["body"]
                    if block["type"] != "procedure" or block["value"] in procedures
                ]
            ),
        }


def body_block(block: dict, procedures: dict[str, ProcedurePage]) -> dict:
    kind, value = block["type"], block["value"]
    if kind == "paragraph":
        value = paragraphs_html([value])
    elif kind == "procedure":
        value = {"procedure": procedures[value].pk}
    return {"type": kind, "value": value}


def placeholder_png(item: dict) -> BytesIO:
    """A plain 1600x900 placeholder in the item's colour, titled, drawn the same every time."""
    image = PILImage.new("RGB", (1600, 900), tuple(item["colour"]))
    draw = ImageDraw.Draw(image)
    draw.text((80, 800), item["title"], fill=(255, 255, 255), font_size=48)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return buffer
