"""The warm worker every capture runs in: what it preloads, and starting it before it is needed.

Light on purpose (the standard library and ``kerasfix.capture.pool`` only): the command line imports it
before anything else of ours, so that the worker's Keras import overlaps our own start-up.
"""

from __future__ import annotations

from kerasfix.capture.pool import shared_pool

#: What the warm worker imports once: Keras and the capture code (under JAX or torch, not TensorFlow: a run
#: imports it only if its script does, see ``hooks.tensorflow_on_demand``). None of it runs an op at import.
PRELOAD = ("keras", "kerasfix.capture.child")


def prestart(jobs: int = 1) -> None:
    """Start the warm worker that ``capture`` will use, without waiting for its Keras import.

    Call it as soon as a run is known to be needed: the worker's import (seconds) then overlaps
    whatever the caller does before its first ``capture``. Costless when the worker is already up.
    """
    shared_pool(jobs, preload=PRELOAD).start()
