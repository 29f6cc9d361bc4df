"""Every failure in the console becomes a message: never a traceback on the operator's screen."""

from __future__ import annotations

from csm_console.errors import CsmError


def user_error(caught: BaseException) -> CsmError:
    """The error as the operator should read it.  Unexpected ones keep their type and first
    line so they can be reported."""
    if isinstance(caught, CsmError):
        return caught
    lines = str(caught).strip().splitlines()
    detail = lines[0] if lines else ""
    return CsmError(f"unexpected error (please report it): {type(caught).__name__}: {detail}")
