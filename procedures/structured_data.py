"""A procedure as schema.org's MedicalProcedure, from the facts a source states and nothing else.

Stated: the seed's source sentence states it (not inferred by definition), or an editor quoted
a citation for it and a medical reviewer approved the revision readers see. Facts schema.org
has no MedicalProcedure property for (permanence, recovery in days, sessions, onset, ideal
candidates) are left out, as is every fact the page does not state.
"""

from reviews.structured_data import medical_web_page

from .enums import Approach, Invasiveness, Tissue
from .facts import FactEvidence, display_value, fact_sources
from .models import ProcedurePage, live_muscles

# The one MedicalProcedureType member a fact names: percutaneous is not "minimally invasive".
NONINVASIVE_PROCEDURE = "https://schema.org/NoninvasiveProcedure"


def stated_facts(page: ProcedurePage, *, reviewed: bool) -> dict[str, FactEvidence]:
    """The page's facts a source states, by model field name; `reviewed`: a medical reviewer
    approved the revision shown (what makes an editor's cited fact count)."""
    return {
        entry.fact: entry
        for entry in fact_sources(page)
        if not entry.inferred and entry.source() is not None and (entry.from_seed or reviewed)
    }


def medical_procedure(page: ProcedurePage, *, reviewed: bool) -> dict:
    """`about` of the procedure's page: its name and summary, and its stated facts as
    `@type` (SurgicalProcedure), `procedureType`, `howPerformed` (the invasiveness), `bodyLocation`
    (targeted tissues and muscles) and `followup` (the recovery time, as written)."""
    facts = stated_facts(page, reviewed=reviewed)
    surgical = "approach" in facts and page.approach == Approach.SURGICAL
    data = {
        "@type": "SurgicalProcedure" if surgical else "MedicalProcedure",
        "name": page.title,
        "description": page.summary,
    }
    if "invasiveness" in facts:
        if page.invasiveness == Invasiveness.NONINVASIVE:
            data["procedureType"] = NONINVASIVE_PROCEDURE
        data["howPerformed"] = display_value(page, "invasiveness")
    locations = []
    if "targets" in facts:
        locations += [Tissue(value).label for value in page.targets]
    if "muscles" in facts:
        locations += [muscle.name for muscle in live_muscles(page.muscles)]
    if locations:
        data["bodyLocation"] = locations
    if "recovery_time" in facts:
        data["followup"] = page.recovery_time
    return data


def procedure_json_ld(page: ProcedurePage, context) -> str:
    return medical_web_page(page, context, about=medical_procedure)
