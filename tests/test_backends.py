"""Backend parity (issue 16): representative fixtures repaired under ``KERAS_BACKEND=jax`` as under TensorFlow.

Each fixture is copied to a temporary folder and repaired by ``python -m kerasfix apply --json`` in a child
process with ``KERAS_BACKEND=jax`` (Keras reads the backend once, at import: it cannot be switched in this
process). The file written must be the fixture's ``.fixed.py`` byte for byte (a clean fixture: left as it was),
and the findings and applied fixes must be those of the same file repaired here, under TensorFlow.

Skipped when JAX is not installed (``pip install 'jax[cpu]'``). Cost, measured on 2 cores: see
``bench/README.md`` ("Backends").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import FIXTURES

pytest.importorskip("jax", reason="JAX is not installed; pip install 'jax[cpu]' to run the backend parity tests")

from kerasfix.pipeline import Options, process  # noqa: E402
from kerasfix.types import to_jsonable  # noqa: E402

#: One fixture per family that behaves differently across backends: a crash in the symbolic walk (rank; a
#: subclassed model, which JAX traces with a symbolic batch size), a silent
#: fault found on the traced output (units), a data fault (string labels), a loss fault, a predict-only script and
#: a correct script (no false alarm).
REPRESENTATIVE = [
    "rank_mismatch/cnn_no_flatten.py",
    "rank_mismatch/subclassed_no_flatten.py",
    "units_mismatch/seed_5_classes.py",
    "dtype_mismatch/string_labels.py",
    "loss_label_mismatch/cce_int_labels.py",
    "data_shape_mismatch/predict_single_image.py",
    "clean/mnist_cnn.py",
]

#: Long enough for a JAX run on a loaded 2-core machine (each eager op compiles once per shape).
TIMEOUT = 600


def _facts(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What must not depend on the backend: not the messages, which quote each backend's own error text."""
    return sorted(
        (f["kind"], (f.get("origin") or {}).get("line"), f.get("layer"), f.get("producer"), f.get("severity"))
        for f in findings
    )


def _apply_under(backend: str, path: Path) -> dict[str, Any]:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    # Run from the file's folder: ``-m`` puts the working directory first on sys.path, and the worker inherits it.
    proc = subprocess.run([sys.executable, "-m", "kerasfix", "apply", "--json", path.name], cwd=path.parent,
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode in (0, 1), f"exit {proc.returncode} under {backend}:\n{proc.stderr[-3000:]}"
    report = json.loads(proc.stdout)
    assert len(report["files"]) == 1
    return report["files"][0]


@pytest.mark.parametrize("rel", REPRESENTATIVE, ids=lambda r: r.removesuffix(".py"))
def test_jax_repairs_like_tensorflow(rel: str, tmp_path: Path) -> None:
    src = FIXTURES / rel
    fixed = src.with_name(src.stem + ".fixed.py")
    (tmp_path / "jax").mkdir()
    (tmp_path / "tf").mkdir()
    on_jax, on_tf = tmp_path / "jax" / src.name, tmp_path / "tf" / src.name
    shutil.copyfile(src, on_jax)
    shutil.copyfile(src, on_tf)

    got = _apply_under("jax", on_jax)
    want = fixed.read_bytes() if fixed.exists() else src.read_bytes()
    assert on_jax.read_bytes() == want, f"{got['status']}: {got['message'] or got['why_not']}"
    assert got["status"] == ("fixed" if fixed.exists() else "clean"), got["message"] or got["why_not"]

    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("the reference run is TensorFlow's; this session's worker uses another backend")
    ref = process(str(on_tf), Options(write=True))  # this process's warm worker: TensorFlow
    assert on_tf.read_bytes() == want
    assert _facts(got["findings"]) == _facts(to_jsonable(ref.findings))
    assert got["applied"] == [f.summary for f in ref.applied]



def _run_under_jax(tmp_path: Path, script: str, probe_tail: str) -> list[str]:
    """Capture ``script`` in a fresh JAX process with the worker's preload; the probe's last printed words."""
    path = tmp_path / "script.py"
    path.write_text(script, encoding="utf-8")
    probe = ("import sys, importlib\n"
             "from kerasfix.capture.runner import PRELOAD\n"
             "for name in PRELOAD:\n    importlib.import_module(name)\n"
             "before = 'tensorflow' in sys.modules\n"
             "from kerasfix.capture.child import run\n"
             f"result = run({str(path)!r})\n" + probe_tail)
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.split()


def test_a_run_under_jax_imports_tensorflow_only_if_the_script_does(tmp_path: Path) -> None:
    """A plain JAX run of a Keras-only script never imports TensorFlow (seconds); kerasfix reads layers with
    Keras's serializer and seeds the run, both of which would import it: the worker and the run must not."""
    script = ("import numpy as np\nimport keras\n"
              "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation='softmax')])\n"
              "m.compile(loss='sparse_categorical_crossentropy')\n"
              "m.fit(np.zeros((8, 3)), np.arange(8) % 5, verbose=0)\n")  # 5 classes, 2 units: a fix is planned
    words = _run_under_jax(tmp_path, script, "print(result['status'], bool(result['fixes']), before, "
                                             "'tensorflow' in sys.modules)\n")
    assert words[-4:] == ["ok", "True", "False", "False"], words


def test_tensorflow_imported_by_a_jax_script_is_seeded_as_before(tmp_path: Path) -> None:
    """TensorFlow is not imported up front any more, so it is not seeded up front: the script's own import of
    it is, with Keras's seed. The first batch of a shuffled ``tf.data`` pipeline is the same on every run."""
    script = ("import numpy as np\nimport keras\nimport tensorflow as tf\n"
              "ds = tf.data.Dataset.range(1000).shuffle(1000)\n"
              "print('FIRST', ' '.join(str(int(v)) for v in ds.take(5)))\n"
              "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
              "m.compile(loss='mse')\nm.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)\n")
    first = _run_under_jax(tmp_path, script, "print(result['status'])\n")
    second = _run_under_jax(tmp_path, script, "print(result['status'])\n")
    assert first[-1] == "ok"
    at = first.index("FIRST")
    assert first[at: at + 6] == second[at: at + 6]


def _captures_under_jax(tmp_path: Path, script: str, runs: int, xla_flags: str | None = None) -> list[str]:
    """Capture ``script`` ``runs`` times through one warm worker under JAX; each run's output tail."""
    import ast

    path = tmp_path / "script.py"
    path.write_text(script, encoding="utf-8")
    probe = ("from kerasfix.capture.runner import capture\n"
             f"for _ in range({runs}):\n"
             f"    print(repr(capture({str(path)!r}).output))\n")
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    env.pop("XLA_FLAGS", None)
    if xla_flags is not None:
        env["XLA_FLAGS"] = xla_flags
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [ast.literal_eval(line) for line in proc.stdout.splitlines() if line.startswith(("'", '"'))][-runs:]


_REPORTS_COMPILING = (
    "import os\nimport numpy as np\nimport jax\nimport keras\n"
    "folder = jax.config.jax_compilation_cache_dir\n"
    "print('FLAGS', os.environ.get('XLA_FLAGS'))\n"
    "print('KEPT', len(os.listdir(folder)) if folder else None)\n"
    "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
    "m.compile(loss='mse')\nm.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)\n"
)


def test_runs_of_one_script_under_jax_compile_quickly_and_share_what_they_compiled(tmp_path: Path) -> None:
    """A run cut to one batch compiles at LLVM's level 0; what the first run of a script compiled is kept where
    the next run of that script (the patched one) finds it."""
    first, second = _captures_under_jax(tmp_path, _REPORTS_COMPILING, 2)
    assert "FLAGS --xla_backend_optimization_level=0\n" in first
    assert "KEPT 0\n" in first
    kept = int(second.split("KEPT ")[1].split()[0])
    assert kept > 0, second


def test_an_xla_level_the_user_set_is_kept(tmp_path: Path) -> None:
    (out,) = _captures_under_jax(tmp_path, _REPORTS_COMPILING, 1, xla_flags="--xla_backend_optimization_level=3")
    assert "FLAGS --xla_backend_optimization_level=3\n" in out


_STEP_PARITY = '''
import json
import numpy as np
import keras
from keras import layers
from kerasfix.jax_compile import training_step_loss

class IntCounter(layers.Layer):
    """A trainable integer weight: JAX cannot differentiate it, so the training step fails (the forward pass runs)."""
    def build(self, shape):
        self.count = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=True)
    def call(self, x):
        return x + keras.ops.cast(self.count, x.dtype)

rng = np.random.default_rng(0)
img, seq = rng.random((12, 16, 16, 3)).astype("float32"), rng.random((12, 10, 4)).astype("float32")
cases = {
    "cnn, batch norm, dropout": (lambda: [keras.Input((16, 16, 3)), layers.Conv2D(4, 3, activation="relu"),
                                          layers.BatchNormalization(), layers.Flatten(), layers.Dropout(0.5),
                                          layers.Dense(5, activation="softmax")],
                                 img, rng.integers(0, 5, 12), "sparse_categorical_crossentropy"),
    "lstm, l2": (lambda: [keras.Input((10, 4)), layers.LSTM(8, kernel_regularizer="l2"), layers.Dense(1)],
                 seq, rng.random((12, 1)).astype("float32"), "mse"),
    "integer weight": (lambda: [keras.Input((3,)), IntCounter(), layers.Dense(1)],
                       rng.random((12, 3)).astype("float32"), rng.random((12, 1)).astype("float32"), "mse"),
}
out = {}
for name, (make, x, y, loss) in cases.items():
    got = []
    for way in ("train_on_batch", "traced"):
        keras.utils.set_random_seed(7)  # the same weights and the same dropout mask in both
        model = keras.Sequential(make())
        model.compile(optimizer="adam", loss=loss)
        try:
            value = model.train_on_batch(x, y) if way == "train_on_batch" else training_step_loss(model, x, y)
            got.append(float(np.asarray(value)))
        except Exception as exc:
            got.append(type(exc).__name__)
    out[name] = got
print("RESULT " + json.dumps(out))
'''


def test_a_jax_training_step_traced_gives_train_on_batchs_loss_and_failures(tmp_path: Path) -> None:
    """Under JAX the planner's training step is traced whole and only its forward pass and loss are compiled
    (``kerasfix.jax_compile.training_step_loss``): the loss must be the one ``train_on_batch`` returns (dropout,
    batch statistics and a regularizer included) and a step that cannot be traced must fail as it does."""
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", _STEP_PARITY], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[7:])
    for name in ("cnn, batch norm, dropout", "lstm, l2"):
        real, traced = result[name]
        assert isinstance(real, float) and isinstance(traced, float), (name, real, traced)
        assert traced == pytest.approx(real, rel=1e-4), name
    real, traced = result["integer weight"]
    assert isinstance(real, str) and traced == real, result["integer weight"]


def test_suggest_fixes_under_jax_verifies_what_tensorflow_verifies(tmp_path: Path) -> None:
    """The in-code door under JAX: the same fix, verified, with a finite loss after it."""
    from kerasfix import suggest_fixes

    code = ("import json, numpy as np, keras\nfrom keras import layers\nfrom kerasfix import suggest_fixes\n"
            "rng = np.random.default_rng(0)\n"
            "m = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3), layers.MaxPooling2D(),\n"
            "                      layers.Dense(10, activation='softmax')])\n"
            "m.compile('adam', 'sparse_categorical_crossentropy')\n"
            "x, y = rng.random((24, 16, 16, 3)).astype('float32'), rng.integers(0, 10, 24)\n"
            "fixes = suggest_fixes(m, x, y)\n"
            "print('RESULT ' + json.dumps([[f.summary.split(' between')[0], f.verified, f.loss_after] for f in fixes]))\n")
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    under_jax = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[7:])

    import keras
    from keras import layers

    rng = np.random.default_rng(0)
    m = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3), layers.MaxPooling2D(),
                          layers.Dense(10, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    x, y = rng.random((24, 16, 16, 3)).astype("float32"), rng.integers(0, 10, 24)
    under_tf = [[f.summary.split(" between")[0], f.verified] for f in suggest_fixes(m, x, y)]
    assert [row[:2] for row in under_jax] == under_tf
    assert under_jax[0][1] is True and isinstance(under_jax[0][2], float) and np.isfinite(under_jax[0][2])
