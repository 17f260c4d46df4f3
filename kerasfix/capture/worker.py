"""The warm worker every capture runs in: what it preloads, and starting it before it is needed.

Light on purpose (the standard library and ``kerasfix.capture.pool`` only): the command line imports it
before anything else of ours, so that the worker's Keras import overlaps our own start-up.
"""

from __future__ import annotations

from kerasfix.capture.pool import shared_pool

#: What the warm worker imports once: Keras, the capture code, and TensorFlow under another backend when it
#: is installed (``warm``: Keras would import it in every run). None of it runs a TensorFlow op at import.
PRELOAD = ("keras", "kerasfix.capture.child", "kerasfix.capture.warm")


def prestart(jobs: int = 1) -> None:
    """Start the warm worker that ``capture`` will use, without waiting for its Keras import.

    Call it as soon as a run is known to be needed: the worker's import (seconds) then overlaps
    whatever the caller does before its first ``capture``. Costless when the worker is already up.
    """
    shared_pool(jobs, preload=PRELOAD).start()
