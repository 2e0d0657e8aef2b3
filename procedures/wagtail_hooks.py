from wagtail import hooks

from .schema import ProcedureQuery


@hooks.register("register_schema_query")
def add_procedure_queries(query_mixins: list) -> None:
    query_mixins.append(ProcedureQuery)
