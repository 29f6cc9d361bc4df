"""Queue views: the standard ones every agent has, plus named views from the config file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from csm_console.domain.query import Query, Sort, parse_query
from csm_console.domain.rights import Actor
from csm_console.errors import QueryError, UsageError

ACTIVE = "status:new,open,pending,on_hold"


@dataclass(frozen=True, slots=True)
class View:
    name: str
    query: str
    sort: str = "sla"

    def parsed(self) -> tuple[Query, Sort]:
        try:
            return parse_query(self.query), Sort.parse(self.sort)
        except QueryError as error:
            raise QueryError(f"view {self.name!r}: {error.message}") from None


def standard_views(actor: Actor | None) -> list[View]:
    views = [
        View("My tickets", f"assignee:me {ACTIVE}"),
        View("Unassigned", "assignee:none status:new,open"),
    ]
    if actor is not None and actor.team:
        views.append(View("My team", f'team:"{actor.team}" {ACTIVE}'))
    views += [
        View("Breaching SLA", "sla:breached"),
        View("All", ""),
    ]
    return views


def all_views(actor: Actor | None, configured: Iterable[tuple[str, str, str]] = ()) -> list[View]:
    """Standard views, then configured (name, query, sort) ones; each one must parse."""
    views = standard_views(actor)
    names = {v.name.lower() for v in views}
    for name, query, sort in configured:
        view = View(name, query, sort)
        view.parsed()  # a bad configured view is refused up front, with its name
        if name.lower() in names:
            raise UsageError(f"view {name!r} is defined twice")
        names.add(name.lower())
        views.append(view)
    return views


def find_view(views: Iterable[View], name: str) -> View:
    views = list(views)
    for view in views:
        if view.name.lower() == name.strip().lower():
            return view
    raise UsageError(f"no view named {name!r}; views: {', '.join(v.name for v in views)}")


def combine(view_query: Query, filter_query: Query) -> Query:
    """The filter bar narrows the current view."""
    text = " ".join(part for part in (view_query.text, filter_query.text) if part)
    return Query(view_query.terms + filter_query.terms, text)
