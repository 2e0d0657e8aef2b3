"""GraphQL enums made from the fact vocabularies in `enums.py`, so both always agree."""

import graphene

from . import enums

ApproachEnum = graphene.Enum.from_enum(enums.Approach, description="Surgical or not.")
InvasivenessEnum = graphene.Enum.from_enum(
    enums.Invasiveness, description="How far the procedure enters the body."
)
PermanenceEnum = graphene.Enum.from_enum(
    enums.Permanence, description="Whether the result lasts or wears off."
)
TissueEnum = graphene.Enum.from_enum(enums.Tissue, description="A tissue a procedure acts on.")
SessionsEnum = graphene.Enum.from_enum(
    enums.Sessions, description="One treatment or several to reach the result."
)
OnsetEnum = graphene.Enum.from_enum(enums.Onset, description="When results show.")
