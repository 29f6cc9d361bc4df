"""`csm audit verify`: walk the audit trail's hash chain and name the first broken row."""

from __future__ import annotations

import typer

from csm_console.cli.output import check_format, emit_json, info, out
from csm_console.cli.state import state
from csm_console.errors import AuditBroken, UsageError
from csm_console.services import audit

app = typer.Typer(help="The audit trail: verify its hash chain.", no_args_is_help=True)


@app.command("verify")
def verify(
    ctx: typer.Context,
    expect: str | None = typer.Option(
        None,
        "--expect",
        metavar="ID:HASH",
        help="A head printed by an earlier verify: check it is still in the chain.",
    ),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Recompute every audit row's hash in order; exit 7 naming the first broken row.  Prints
    the chain's head (ID:HASH): keep it outside the store and pass it to --expect next time,
    which catches even a rewrite of the whole chain.  An admin's run is recorded for the
    console."""
    check_format(format)
    st = state(ctx)
    expected = audit.parse_expect(expect) if expect else None
    try:
        actor = st.actor()
    except UsageError:  # no acting agent named: verify all the same, and record nothing
        actor = None
    report = audit.verify(st.store(), actor=actor, expect=expected)
    head = f"{report.head_id}:{report.head_hash}" if report.head_id is not None else None
    if format == "json":
        emit_json(
            {
                "intact": report.intact,
                "rows": report.rows,
                "head": head,
                "broken_at": report.broken.row_id if report.broken else None,
                "reason": report.broken.reason if report.broken else None,
            }
        )
    elif report.intact and head:
        out.print(head, markup=False)  # the data: what to keep, and pass to --expect
    if report.broken is not None:
        raise AuditBroken(
            f"the audit chain is broken at row #{report.broken.row_id}: {report.broken.reason} "
            f"({report.rows} rows before it are intact)"
        )
    info(f"the audit chain is intact: {report.rows} rows; head {head or '(none)'}")
