"""kerasfix's own work in the user's session leaves no trace there: layer names, stderr and random state kept."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def _keras_names_kept() -> Iterator[None]:
    """Diagnosing builds layers; keep the session's automatic names (``dense_1``…) as they were."""
    uids = saved = None
    try:
        from keras.src.backend.common import global_state

        uids = global_state.get_global_attribute("object_name_uids")
        saved = dict(uids) if uids is not None else None
    except Exception:  # private API moved: the next layer names may merely shift
        uids = None
    try:
        yield
    finally:
        if uids is not None and saved is not None:
            with contextlib.suppress(Exception):
                uids.clear()
                uids.update(saved)


@contextlib.contextmanager
def _native_stderr_quiet() -> Iterator[None]:
    """Silence TensorFlow's C++ log lines while candidate fixes run (they would bury the explanation).

    Only file descriptor 2 is redirected, and always restored; Python's own
    ``sys.stderr`` object is untouched.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def _random_state_kept() -> Iterator[None]:
    """Leave every random generator as it was, so that training (shuffling, dropout, the initial weights of
    the layers made next) is the same with and without the check."""
    import random

    saved: list[Callable[[], None]] = []
    state = random.getstate()
    saved.append(lambda: random.setstate(state))
    np = sys.modules.get("numpy")
    if np is not None:
        np_state = np.random.get_state()
        saved.append(lambda: np.random.set_state(np_state))
    with contextlib.suppress(Exception):  # TensorFlow's op seeds under tf.random.set_seed (private)
        from tensorflow.python.eager import context as tf_context

        rng = tf_context.context()._rng
        if rng is not None:
            tf_state = rng.getstate()
            saved.append(lambda: rng.setstate(tf_state))
    with contextlib.suppress(Exception):  # Keras's global seed generator, if one exists (private)
        from keras.src.backend.common import global_state

        gen = global_state.get_global_attribute("global_seed_generator")
        if gen is None:
            saved.append(lambda: global_state.set_global_attribute("global_seed_generator", None))
        else:
            gen_state = gen.state.numpy()
            saved.append(lambda: gen.state.assign(gen_state))
    try:
        yield
    finally:
        for restore in reversed(saved):
            with contextlib.suppress(Exception):
                restore()
