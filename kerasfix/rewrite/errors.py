"""The one error the rewriter raises."""

from __future__ import annotations


class RewriteError(Exception):
    """An edit cannot be located or rendered in this source.

    The message is one sentence a user can act on; when it is raised, no part
    of the source has been changed.
    """
