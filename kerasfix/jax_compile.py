"""What kerasfix compiles under the JAX backend, and how: quickly, and never more than it runs.

XLA's optimisation passes pay off for a function run thousands of times. kerasfix runs each of its own
functions once, on a dozen rows (a candidate model's forward pass, its loss, one training step), so they are
compiled at optimisation level 0; most of a compile is those passes. The user's own functions and models are
never compiled here. Imported only under the JAX backend.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

#: XLA options for a function run once (as the ``XLA_FLAGS`` of the same names): the backend's optimisation
#: level, and the CPU fusion emitters (an MLIR pipeline per fusion; off, the compile of a small CNN's forward
#: pass falls from 0.21 s to 0.03 s and an LSTM's from 0.22 s to 0.05 s, outputs equal to 1e-7).
QUICK: dict[str, Any] = {"xla_backend_optimization_level": 0, "xla_cpu_use_fusion_emitters": False}


@functools.cache
def quick_options() -> dict[str, Any]:
    """The options of ``QUICK`` this jaxlib knows (an unknown one fails every compile that names it)."""
    import jax

    known = {}
    for key, value in QUICK.items():
        try:
            jax.jit(lambda: 0, compiler_options={key: value}).lower().compile()
        except Exception:  # an older or newer XLA: compile that way without this option
            continue
        known[key] = value
    return known


def quick_jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``jax.jit(fn)``, compiled with ``QUICK`` (numbers may differ from the default in their last bits)."""
    import jax

    return jax.jit(fn, compiler_options=quick_options())


def predict(model: Any, x: Any) -> Any:
    """What ``model.predict_on_batch(x)`` computes (a built model), compiled quickly, adding nothing to ``model``."""
    def call(trainable: Any, non_trainable: Any, x: Any) -> Any:
        out, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return out

    values = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])
    return quick_jit(call)(*values, x)


def training_step_loss(model: Any, x: Any, y: Any) -> Any:
    """What ``model.train_on_batch(x, y)`` returns for a compiled model without metrics (the loss), and what it
    raises, without compiling the gradients and the optimizer's update.

    A JAX training step can fail only while it is traced (shapes, dtypes, a layer that cannot be differentiated
    or updated), and the loss it returns is its forward pass's, taken before the update. So the whole step is
    traced (``jax.eval_shape``: every shape and dtype of the loss, the gradients and the update is checked) and
    only the forward pass and loss in training mode are compiled and run: a fifth of the compile, the same loss.
    A Keras without the trainer's stateless methods gets the real ``train_on_batch``.
    """
    import jax

    if not all(hasattr(model, a) for a in ("_symbolic_build", "_get_jax_state", "compute_loss_and_updates")):
        return model.train_on_batch(x, y)
    data = (x, y, None)
    model._symbolic_build(data_batch=data)  # builds the model, its metrics and its optimizer, as train_on_batch does
    state = model._get_jax_state(trainable_variables=True, non_trainable_variables=True, optimizer_variables=True,
                                 metrics_variables=True, purge_model_variables=False)
    jax.eval_shape(model.train_step, state, data)
    trainable, non_trainable, optimizer_variables, metrics = state

    def loss(trainable: Any, non_trainable: Any, metrics: Any, optimizer_variables: Any, x: Any, y: Any) -> Any:
        value, _ = model.compute_loss_and_updates(trainable, non_trainable, metrics, x, y, None, training=True,
                                                  optimizer_variables=optimizer_variables)
        return value

    return quick_jit(loss)(trainable, non_trainable, metrics, optimizer_variables, x, y)


__all__ = ["QUICK", "predict", "quick_jit", "quick_options", "training_step_loss"]
