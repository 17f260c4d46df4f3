"""The keras2 family: Keras-1/2-era API that Keras 3 removed, renamed or reads differently.

Found statically, from the source alone (``kerasfix.keras2`` resolves names
through the file's imports), and repaired by rewriting the API first: only then
can the script reach its model, whose faults the other families repair. What
static analysis cannot tell is recognised from the runtime error instead.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from kerasfix.applicability import applicability
from kerasfix.faults.base import Entry, finding
from kerasfix.fix import Fix, combine
from kerasfix.keras2 import Migration, apply_migrations, classify_runtime_error, find_migrations
from kerasfix.kinds import Family, Kind
from kerasfix.rewrite.errors import RewriteError
from kerasfix.types import Applicability, Detail, Finding, Migrate, Origin, Severity

#: Rules whose old spelling Keras 3 accepts and reads differently, or only warns about: silent.
SILENT_RULES = frozenset({"conv_kernel_positional", "embedding_input_length", "optimizer_decay"})


@dataclass(frozen=True)
class MigrationDetail(Detail):
    """One Keras-2 API use: which rule, what replaces it, and how far that rewrite may be trusted."""

    rule: str
    replacement: str
    applicability: Literal["safe", "review", "display"]
    #: Found from the runtime error rather than the source (it cannot be rewritten automatically).
    runtime: bool = False


@functools.lru_cache(maxsize=16)
def _migrations(source: str) -> tuple[Migration, ...]:
    try:
        return find_migrations(source)
    except RewriteError:  # a file that does not parse is reported as such elsewhere
        return ()


def _finding(m: Migration, path: str) -> Finding:
    kind = Kind(m.kind)
    origin = Origin(path, m.line, m.column, m.end_line, m.end_column)
    severity = Severity.WARNING if m.rule in SILENT_RULES else Severity.ERROR
    applicability: Literal["safe", "review", "display"] = m.applicability  # type: ignore[assignment]
    return finding(kind, m.message, MigrationDetail(m.rule, m.replacement, applicability), origin=origin,
                   expected=m.replacement, severity=severity)


def _scanner(kind: Kind) -> functools.partial[list[Finding]]:
    return functools.partial(_scan_kind, kind)


def _scan_kind(kind: Kind, source: str, path: str) -> list[Finding]:
    return [_finding(m, path) for m in _migrations(source) if m.kind == kind.value]


def scan(source: str, path: str) -> tuple[Finding, ...]:
    """Every Keras-2 finding in ``source``, in position order."""
    return tuple(_finding(m, path) for m in _migrations(source))


def migration_fix(findings: tuple[Finding, ...], *, safe_only: bool = False) -> Fix | None:
    """One fix that migrates every finding with a mechanical rewrite (only the ``safe`` ones under ``safe_only``).

    Not verified here: a migration is verified by running the migrated script.
    """
    chosen = [
        (f, f.detail, f.origin) for f in findings
        if isinstance(f.detail, MigrationDetail) and not f.detail.runtime and f.detail.applicability != "display"
        and f.origin is not None and not (safe_only and f.detail.applicability != "safe")
    ]
    if not chosen:
        return None
    parts = [
        Fix(f, (edit,), d.replacement, applicability((edit,), False), False)
        for f, d, origin in chosen
        for edit in [Migrate(d.rule, origin, d.applicability == "safe")]
    ]
    return combine(parts, verified=False)


def write_migrations(source: str, edits: tuple[Migrate, ...]) -> str:
    """``source`` with the given migrations rewritten (all or nothing; RewriteError if one cannot be)."""
    wanted = {(m.rule, m.at.line, m.at.column) for m in edits}
    return apply_migrations(source, include=lambda m: (m.rule, m.line, m.column) in wanted)


def kind_of_rule(rule: str) -> Kind:
    """The kind a runtime-recognised rule belongs to."""
    if rule.endswith("_module") or rule == "scikit_learn_wrapper":
        return Kind.KERAS2_IMPORT
    if rule in ("save_weights_suffix", "checkpoint_suffix", "save_model_suffix", "checkpoint_period"):
        return Kind.KERAS2_SAVING
    if rule == "conv_kernel_positional":
        return Kind.KERAS1_CONV_ARGS
    if rule.endswith(("_generator", "_alias")) or rule.startswith(("predict_", "backend_", "np_")) or rule in (
        "model_reset_states", "yaml", "layer_output_shape", "optimizer_lr_attribute", "multi_gpu_model",
        "tf_op_on_keras_tensor", "removed_layer", "history_acc_key",
    ):
        return Kind.KERAS2_API
    return Kind.KERAS2_ARGUMENT


def runtime_finding(error_type: str, message: str, line: int | None, source: str, path: str) -> Finding | None:
    """A Keras-2 finding for the error a script died of, when static analysis did not see it coming."""
    lines = source.splitlines()
    text = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
    rule = classify_runtime_error(error_type, message, text)
    if rule is None:
        return None
    origin = Origin(path, line, len(text) - len(text.lstrip()), line, len(text)) if line is not None else None
    detail = MigrationDetail(rule, "see the Keras 3 migration guide for this API", "display", runtime=True)
    return finding(kind_of_rule(rule), f"{error_type}: {message} — Keras 2 API that Keras 3 removed ({rule})",
                   detail, origin=origin)


_WORDS = {
    Kind.KERAS2_IMPORT: (
        "an import from a module Keras 3 removed (keras.layers.core, keras.utils.np_utils, …)",
        "Keras 3 flattened the module tree: `keras.layers.core`, `keras.layers.convolutional`, "
        "`keras.utils.np_utils` and their kind no longer exist. What they held lives in `keras.layers` and "
        "`keras.utils`. ImageDataGenerator and Tokenizer survive only under `tensorflow.keras.preprocessing`.",
        "from keras.layers.core import Dense, Dropout",
        "from keras.layers import Dense, Dropout",
        "rename the import (safe)",
        Applicability.SAFE,
    ),
    Kind.KERAS2_ARGUMENT: (
        "a Keras 1/2 argument name Keras 3 rejects (nb_epoch, lr, output_dim, border_mode, init, …)",
        "Keras 2 renamed many Keras 1 arguments and Keras 3 removed the old names: `nb_epoch` is `epochs`, "
        "`lr` is `learning_rate`, `border_mode` is `padding`, `output_dim` is `units`. The script fails before "
        "its model is ever built.",
        "model.fit(x, y, nb_epoch=10)\nopt = Adam(lr=0.001)",
        "model.fit(x, y, epochs=10)\nopt = Adam(learning_rate=0.001)",
        "rename the argument (safe); semantic ones such as samples_per_epoch or decay= are review",
        Applicability.SAFE,
    ),
    Kind.KERAS2_API: (
        "a model method, backend function or NumPy alias Keras 3 (or NumPy 2) removed",
        "`fit_generator` became `fit`, `predict_classes` became an argmax (or a threshold) of `predict`, "
        "`K.mean` and friends are `keras.ops`, `np.float` is `float`. Each fails with an AttributeError "
        "under Keras 3.",
        "model.fit_generator(gen, steps_per_epoch=10)\nlabels = model.predict_classes(x)",
        "model.fit(gen, steps_per_epoch=10)\nlabels = np.argmax(model.predict(x), axis=-1)",
        "the Keras 3 spelling (safe for renames, review where behaviour depends on the model)",
        Applicability.SAFE,
    ),
    Kind.KERAS2_SAVING: (
        "a file name Keras 3 refuses to save to (w.h5 for weights, best.hdf5 checkpoints, a bare directory)",
        "Keras 3 saves whole models as `.keras` and weights as `.weights.h5`; older suffixes raise a "
        "ValueError when the script first saves. The matching load in the same file is renamed too.",
        'model.save_weights("weights.h5")',
        'model.save_weights("weights.weights.h5")',
        "rename the file (review: another program may read the old name)",
        Applicability.REVIEW,
    ),
    Kind.KERAS1_CONV_ARGS: (
        "Conv2D(filters, rows, cols) in the Keras 1 style: Keras 3 silently reads the third number as strides",
        "`Conv2D(32, 3, 3)` meant a 3x3 kernel in Keras 1. Keras 3 reads it as `kernel_size=3, strides=3`: the "
        "model trains on maps a third the size, or fails later with 'negative dimension'.",
        "Conv2D(32, 3, 3, activation='relu')",
        "Conv2D(32, (3, 3), activation='relu')",
        "kernel_size=(rows, cols) (review: the model changes)",
        Applicability.REVIEW,
    ),
}


def _entry(kind: Kind) -> Entry:
    summary, explanation, before, after, fix, applicability = _WORDS[kind]
    return Entry(kind, Family.KERAS2, MigrationDetail, summary=summary, explanation=explanation, before=before,
                 after=after, fix=fix, applicability=applicability, scan=_scanner(kind))


ENTRIES = tuple(_entry(k) for k in (Kind.KERAS2_IMPORT, Kind.KERAS2_ARGUMENT, Kind.KERAS2_API, Kind.KERAS2_SAVING,
                                    Kind.KERAS1_CONV_ARGS))

__all__ = ["ENTRIES", "MigrationDetail", "kind_of_rule", "migration_fix", "runtime_finding", "scan", "write_migrations"]
