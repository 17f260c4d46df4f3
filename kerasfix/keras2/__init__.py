"""The static Keras-2 → Keras-3 migration pass.

Keras-2-era scripts (and Keras-1 ones) fail under Keras 3 before their model is
built: renamed keywords (``nb_epoch``, ``lr``, ``border_mode``), removed methods
(``fit_generator``, ``predict_classes``), removed modules (``keras.layers.core``),
file names Keras 3 refuses to save to. ``find_migrations`` finds each use with
libcst, resolving names through the file's imports; ``apply_migrations`` rewrites
them with minimal edits that keep every other byte of the file.

Each migration has a kind (``keras2_import``, ``keras2_argument``, ``keras2_api``,
``keras2_saving``, ``keras1_conv_args``), a stable rule id, and an applicability:
``safe`` (a pure rename that keeps meaning), ``review`` (changes behaviour or file
names), ``display`` (no mechanical replacement; never written).
``classify_runtime_error`` maps an exception back to a rule, for what static
analysis could not tell.
"""

from kerasfix.keras2.find import apply_migrations, find_migrations
from kerasfix.keras2.migration import KINDS, Hints, Migration, ModelOutput
from kerasfix.keras2.runtime import classify_runtime_error

__all__ = [
    "KINDS",
    "Hints",
    "Migration",
    "ModelOutput",
    "apply_migrations",
    "classify_runtime_error",
    "find_migrations",
]
