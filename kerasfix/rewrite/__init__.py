"""Rewriting a user's script: apply edits as minimal, formatting-preserving libcst changes.

``apply_edits(source, edits)`` finds each edit's nodes by source position
(``Origin`` spans, never text search), changes only those nodes, reuses the
file's own naming and formatting, and adds imports with libcst's
``AddImportsVisitor``. It is all or nothing: an edit that cannot be placed raises
``RewriteError`` and no source is returned. A value the call reads from a name is
written where the script defines it (``provenance.py``); ``write_edits`` says where.
"""

from kerasfix.rewrite.errors import RewriteError
from kerasfix.rewrite.transform import Written, apply_edits, write_edits

__all__ = ["RewriteError", "Written", "apply_edits", "write_edits"]
