"""What a browser posts from a Wagtail edit form: every field as rendered, plus the button.

StreamFields are drawn by JavaScript, so a form with one (the article) needs the browser tests.
"""

from bs4 import BeautifulSoup


def rendered(field) -> bool:
    """Not inside a <template>, except one Wagtail's JavaScript moves into the page as is
    (the schedule dialog); the inline panels' blank-row templates are never posted."""
    template = field.find_parent("template")
    return template is None or template.get("data-controller") == "w-teleport"


def rendered_form_data(html: str, form_id: str = "page-edit-form") -> dict[str, list[str]]:
    """The values of the form's fields exactly as the page renders them (no JavaScript)."""
    form = BeautifulSoup(html, "html.parser").find("form", id=form_id)
    data: dict[str, list[str]] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.get("disabled") is not None or not rendered(field):
            continue
        kind = (field.get("type") or "").lower()
        if field.name == "input" and kind in ("submit", "button", "file", "image", "reset"):
            continue
        if kind in ("checkbox", "radio") and field.get("checked") is None:
            continue
        if field.name == "textarea":
            value = field.text
        elif field.name == "select":
            chosen = field.find_all("option", selected=True)
            for option in chosen:
                data.setdefault(name, []).append(option.get("value", option.text))
            continue
        else:
            value = field.get("value", "on" if kind in ("checkbox", "radio") else "")
        data.setdefault(name, []).append(value)
    return data
