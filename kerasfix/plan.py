"""Repair planning: finding → the catalogue's candidates → prune on the sample → rank → ``Fix``.

Every candidate that is tried and not kept is recorded with its reason
(``Rejected``), so that "nothing was written" always comes with a why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kerasfix import faults
from kerasfix.applicability import applicability
from kerasfix.diagnosis import Examination, examine
from kerasfix.edits import layer_signature
from kerasfix.faults.base import Context
from kerasfix.faults.connection import RankDetail
from kerasfix.fix import Fix, combine
from kerasfix.memory import LARGE, release_freed, weights_of
from kerasfix.problem import Problem, problem_for
from kerasfix.sample import feature_shape
from kerasfix.structure import build_model
from kerasfix.trace import clean_message
from kerasfix.types import (
    Calls,
    CastData,
    Edit,
    EncodeLabels,
    Finding,
    FixWeightShape,
    InsertLayer,
    Rejected,
    ReplaceMetric,
    ReshapeData,
    ReturnFromCall,
    SetCompileArgument,
    SetInputShape,
    Severity,
)

MAX_ROUNDS = 5


@dataclass(frozen=True)
class PlanResult:
    """The fixes, best first (the first is the combined plan when several faults needed a step each),
    and every candidate that was tried and rejected, with its reason."""

    fixes: tuple[Fix, ...]
    rejected: tuple[Rejected, ...] = ()


def candidates(finding: Finding, ctx: Context, calls: Calls) -> list[tuple[Edit, ...]]:
    """Edit sets to try for ``finding``, in the catalogue's order of preference.

    On one head of a multi-output model only the head itself is changed: the
    compile loss, the metrics and the labels given to ``fit`` belong to every output.
    """
    make = faults.entry(finding.kind).candidates
    found = make(finding, ctx, calls) if make else []
    if ctx.head_of_many:
        found = [c for c in found if not any(isinstance(e, _SHARED_EDITS) for e in c)]
    return found


#: Edits that reach beyond one output of a multi-output model.
_SHARED_EDITS = (SetCompileArgument, ReplaceMetric, EncodeLabels, CastData, ReshapeData)


def unverified_fixes(finding: Finding, ctx: Context, calls: Calls) -> list[Fix]:
    """The catalogue's candidates as display-only fixes, for a model that cannot be rebuilt to prune them
    (a Functional model that failed to connect: the patched script is their test)."""
    return [Fix(finding, edits, summarize(finding, edits, ctx), applicability(edits, False), False)
            for edits in candidates(finding, ctx, calls)]


# ---------------------------------------------------------------------------
# Pruning a candidate on the sample.


def _same(a: Finding, b: Finding) -> bool:
    return a.kind == b.kind and a.layer == b.layer


@dataclass(frozen=True)
class Step:
    finding: Finding
    edits: tuple[Edit, ...]
    exam: Examination

    @property
    def problem(self) -> Problem:
        return self.exam.problem


def _describe(edits: Sequence[Edit]) -> str:
    return "; ".join(e.describe() for e in edits)


def _try(problem: Problem, ex: Examination, finding: Finding, edits: tuple[Edit, ...]) -> Step | Rejected:
    """The candidate applied and re-examined, or why it is not a fix."""
    def no(reason: str) -> Rejected:
        return Rejected(finding.kind, _describe(edits), reason)

    try:
        new = problem.apply(edits)
        ex2 = examine(new)
    except Exception as exc:  # the user's layers can raise anything when rebuilt; a candidate that cannot be made is not a fix
        return no(f"could not be applied to the model: {type(exc).__name__}: {clean_message(exc)}")
    if any(_same(finding, g) for g in ex2.findings):
        return no("the fault is still there afterwards")
    if ex2.trace.failure is not None and ex.trace.failure is None:
        return no(f"the model no longer connects: {ex2.trace.failure.message}")
    errors_before = sum(g.severity == Severity.ERROR for g in ex.findings)
    errors_after = sum(g.severity == Severity.ERROR for g in ex2.findings)
    if errors_after > errors_before:
        left = ", ".join(sorted({g.kind.value for g in ex2.findings if g.severity == Severity.ERROR}))
        return no(f"it leaves more errors than it removes ({left})")
    return Step(finding, edits, ex2)


def _best_steps(ex: Examination, finding: Finding, rejected: list[Rejected]) -> list[Step]:
    """All accepted candidates for ``finding``, best first: fewest errors and findings left, fewest edits."""
    problem = ex.problem
    scored: list[tuple[tuple[int, int, int, int], Step]] = []
    tried = candidates(finding, ex.context_for(finding), problem.calls)
    if not tried:
        rejected.append(Rejected(finding.kind, "", "kerasfix has no repair for this fault"))
    for order, edits in enumerate(tried):
        result = _try(problem, ex, finding, edits)
        if isinstance(result, Rejected):
            rejected.append(result)
            continue
        errors_after = sum(g.severity == Severity.ERROR for g in result.exam.findings)
        scored.append(((errors_after, len(result.exam.findings), _size(edits), order), result))
    scored.sort(key=lambda t: t[0])
    return [s for _, s in scored]


def _size(edits: Sequence[Edit]) -> int:
    """How many changes a candidate makes: a declared shape that only restates the reshaped data's is not one
    more (else declaring the channel axis alone, with Keras adding it to the data, would beat adding it)."""
    reshaped = any(isinstance(e, ReshapeData) and e.which == "x" for e in edits)
    return sum(1 for e in edits if not (reshaped and isinstance(e, SetInputShape)))


def summarize(finding: Finding, edits: Sequence[Edit], ctx: Context) -> str:
    """One line naming the layers and what changes."""
    parts = []
    rows = {r.layer.name: r for r in ctx.trace.rows} if ctx.trace is not None else {}
    for e in edits:
        if isinstance(e, InsertLayer):
            at_input = isinstance(finding.detail, RankDetail) and finding.detail.at == "input"
            expects = f" (expects {finding.expected})" if at_input and finding.expected else ""
            row = rows.get(e.before.name)
            k = e.input_index or 0
            prod: str | None
            if row is not None and len(row.producers) > k and len(row.inputs) > k:
                prod, shape = row.producers[k], f" {row.inputs[k]}"
            else:  # the consumer's row is not traced (it failed): the finding names what fed it
                prod = finding.producer
                prow = rows.get(prod or "")
                shape = f" {prow.outputs[0]}" if prow and prow.outputs else ""
            if prod and prod not in ("input", "labels"):
                parts.append(f"insert {e.layer} between {ctx.describe(prod, None)}{shape} and "
                             f"{e.before.describe()}{expects}")
            else:
                parts.append(f"insert {e.layer} before {e.before.describe()}{expects}")
        else:
            parts.append(e.describe())
    return "; ".join(parts)


# ---------------------------------------------------------------------------
# Verification on the sample (the in-code door; the command line re-runs the script).


def train_step(problem: Problem) -> float | str:
    """One real training step on the sample: the loss, or why it failed (a sentence)."""
    import keras

    s = problem.structure
    if s.kind == "functional":
        s = replace(s, edited=True)
    if weights_of(s.model) >= LARGE:
        release_freed()  # the copies examined before this one are gigabytes each
    shape = s.input_shape if s.input_shape is not None else feature_shape(problem.sample.x)
    try:
        model = build_model(s, shape)
        loss = problem.loss if problem.loss is not None else "mean_squared_error"
        # One step: TensorFlow runs it fastest eagerly; JAX and torch compile every op run eagerly, once each.
        backend = keras.backend.backend()
        model.compile(optimizer=keras.optimizers.get(problem.optimizer), loss=loss,
                      run_eagerly=backend == "tensorflow")
        x, y = problem.sample.x, problem.sample.y
        rows = s.batch_size or problem.sample.rows
        if isinstance(x, np.ndarray):
            x = np.resize(x[:rows], (rows, *x.shape[1:]))
        if isinstance(y, np.ndarray):
            y = np.resize(y[:rows], (rows, *y.shape[1:]))
        if backend == "jax":
            from kerasfix.jax_compile import training_step_loss

            value = training_step_loss(model, x, y)
        else:
            value = model.train_on_batch(x, y)
    except Exception as exc:  # the candidate does not train: unverified, never our crash
        return f"the training step fails: {type(exc).__name__}: {clean_message(exc)}"
    value = float(np.asarray(value if not isinstance(value, list) else value[0]))
    return value if math.isfinite(value) else f"the training step gives a loss of {value}"


def _verify(step_exam: Examination) -> tuple[bool, float | None, str | None]:
    """Verified means nothing left to find and one finite training step; with no labels (a ``predict``
    call), a clean forward pass. Returns (verified, loss, why not)."""
    if not step_exam.diagnosis.ok:
        left = ", ".join(f.kind.value for f in step_exam.findings)
        return False, None, f"findings are left after it ({left})"
    if step_exam.problem.sample.y is None:
        ok = step_exam.output is not None
        return ok, None, None if ok else "the repaired model does not run forward"
    result = train_step(step_exam.problem)
    if isinstance(result, str):
        return False, None, result
    return True, result, None


def plan(problem: Problem, exam: Examination | None = None, *, alternatives: int = 2) -> PlanResult:
    """Repair ``problem`` step by step until nothing is found; return fixes best first.

    ``exam`` is ``examine(problem)`` when the caller already has it (it is not cheap on large models).
    """
    ex = exam if exam is not None else examine(problem)
    if ex.diagnosis.ok:
        return PlanResult(())
    if ex.context.structure.kind == "subclassed":
        # Its structure is its code: no model can be rebuilt to try a candidate on; running the patched
        # script is the test (the command line does it; in code they are display-only).
        first = ex.findings[0]
        note = Rejected(first.kind, "", "a subclassed model is checked by running the patched script")
        return PlanResult(tuple(unverified_fixes(first, ex.context_for(first), problem.calls)), (note,))
    first = ex.findings[0]
    if any(isinstance(e, (FixWeightShape, ReturnFromCall))
           for c in candidates(first, ex.context_for(first), problem.calls) for e in c):
        # The fault is in a custom layer's own code: only the patched script can show the repair works.
        note = Rejected(first.kind, "", "a custom layer's code is checked by running the patched script")
        return PlanResult(tuple(unverified_fixes(first, ex.context_for(first), problem.calls)), (note,))
    compile_args = problem.compile_args
    rejected: list[Rejected] = []
    steps: list[Step] = []
    first_alternatives: list[Step] = []
    current = ex
    for _ in range(MAX_ROUNDS):
        accepted = _best_steps(current, current.findings[0], rejected)
        if not accepted:
            break
        if not steps:
            first_alternatives = accepted[1: 1 + alternatives]
        steps.append(accepted[0])
        current = accepted[0].exam
        if current.diagnosis.ok:
            break
    if not steps:
        return PlanResult((), tuple(rejected))
    verified, loss_after, why = _verify(current)
    if why is not None:
        rejected.append(Rejected(steps[0].finding.kind, _describe([e for s in steps for e in s.edits]), why))
    before = [ex, *(s.exam for s in steps)]
    parts = [
        Fix(s.finding, s.edits, summarize(s.finding, s.edits, before[i].context), applicability(s.edits, verified),
            verified, compile_args=compile_args)
        for i, s in enumerate(steps)
    ]
    fixes = [combine(parts, verified=verified, loss_after=loss_after)]
    for alt in first_alternatives:
        alt_verified, alt_loss, alt_why = _verify(alt.exam)
        if alt_why is not None:
            rejected.append(Rejected(alt.finding.kind, _describe(alt.edits), alt_why))
        fixes.append(Fix(alt.finding, alt.edits, summarize(alt.finding, alt.edits, ex.context),
                         applicability(alt.edits, alt_verified), alt_verified, compile_args=compile_args,
                         loss_after=alt_loss))
    return PlanResult(tuple(fixes), tuple(rejected))


def suggest_fixes(model: Any, x: Any, y: Any = None, *, loss: Any = None, optimizer: Any = None) -> list[Fix]:
    """Verified, ranked fixes for ``model`` on ``x``/``y``; empty when the model is fine.

    The first fix is the one to apply: when several faults are present it is the
    combined plan (``fix.steps`` lists each step). ``fix.apply(model)`` returns a
    repaired, compiled copy; ``fix.apply_data(x, y)`` the data it needs. ``loss``
    and ``optimizer`` default to what the model was compiled with.
    """
    from kerasfix.capture.hooks import tensorflow_on_demand

    with tensorflow_on_demand(seed=False):
        problem = problem_for(model, x, y, loss=loss, optimizer=optimizer)
        layers = layer_signature(problem.structure)  # lets fix.apply find the layers in a rebuilt, renamed model
        return [replace(f, layers=layers) for f in plan(problem).fixes]


__all__ = ["PlanResult", "candidates", "plan", "suggest_fixes", "summarize", "train_step", "unverified_fixes"]
