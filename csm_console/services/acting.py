"""Who is acting, for reads that only need it for "me" (`assignee:me`, the view My tickets).

Apart from `services.agents` (which reads agents through the ORM) so that a read that names
nobody, such as `csm tickets list` on a SQLite store, loads neither the ORM nor the models.
"""

from __future__ import annotations

from csm_console.domain.rights import Actor
from csm_console.store.engine import Store


def known_actor(store: Store, handle: str | None) -> Actor | None:
    """The acting agent when one is known: the one `handle` names, else on PostgreSQL the
    agent bound to the login; None when neither says who is acting."""
    if not handle and not store.is_postgres:
        return None
    # the agents' reads (and with them the ORM and the models): only when someone is named
    from csm_console.services import agents

    if handle:
        return agents.resolve_actor(store, handle)
    return agents.login_actor(store)
