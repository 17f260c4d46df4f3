"""``Fix``: the edits for one finding (or a combined plan), how far they are trusted, and applying them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kerasfix.applicability import applicability
from kerasfix.edits import apply_data_edits, apply_fix_to_model
from kerasfix.types import DATA_EDITS, Applicability, CompileArgs, Edit, Finding


@dataclass(frozen=True)
class Fix:
    """A verified (or, if not, display-only) set of edits for one finding.

    ``steps`` holds the single-finding fixes a combined plan was made from.
    ``verified`` means: in code, the repaired model took a training step on the
    sample; on the command line, the patched script ran through its call sites.
    """

    finding: Finding
    edits: tuple[Edit, ...]
    summary: str
    applicability: Applicability
    verified: bool
    steps: tuple[Fix, ...] = ()
    compile_args: CompileArgs | None = None
    loss_after: float | None = None
    #: ``(name, class)`` of each layer of the model the fix was planned for (declared inputs first), so that
    #: ``apply`` finds them in an equivalent model whose automatic names differ (rebuilt in the same session).
    #: Not part of the fix as data: never serialised (``to_jsonable``), not compared.
    layers: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False, metadata={"serialize": False})

    @property
    def changes_data(self) -> bool:
        return any(isinstance(e, DATA_EDITS) for e in self.edits)

    @property
    def parts(self) -> tuple[Fix, ...]:
        """The single-finding fixes this one is made of (itself when it is one)."""
        return self.steps or (self,)

    def apply(self, model: Any) -> Any:
        """Return a new model with this fix's model edits applied, compiled like the original.

        ``model`` may also be the list of layers the fix was planned for. The
        given model is never modified. An equivalent model whose layers got
        other automatic names (``dense_4`` rebuilt as ``dense_6``) is matched
        layer by layer, by position and class; a model that is not equivalent
        is a ``ValueError`` saying why in one sentence.
        """
        return apply_fix_to_model(self.edits, self.compile_args, model, planned=self.layers)

    def apply_data(self, x: Any, y: Any = None) -> tuple[Any, Any]:
        """Return ``(x, y)`` changed as this fix's data edits say (unchanged otherwise)."""
        return apply_data_edits(self.edits, x, y)


def combine(steps: Sequence[Fix], *, verified: bool, loss_after: float | None = None) -> Fix:
    """One fix from fixes applied one after another (each step's edits refer to the state before it)."""
    if len(steps) == 1:
        only = steps[0]
        return Fix(only.finding, only.edits, only.summary, applicability(only.edits, verified), verified,
                   only.steps, only.compile_args, loss_after if loss_after is not None else only.loss_after)
    flat = tuple(part for s in steps for part in s.parts)
    edits = tuple(e for s in flat for e in s.edits)
    summary = f"{len(flat)} fixes: " + "; ".join(s.summary for s in flat)
    return Fix(flat[0].finding, edits, summary, applicability(edits, verified), verified, flat,
               flat[0].compile_args, loss_after)


__all__ = ["Fix", "combine"]
