"""Keras-2-era scripts through ``kerasfix apply``: do they run under Keras 3 afterwards, and is the model right?

    python bench/keras2.py                      # every script in bench/keras2/
    python bench/keras2.py --only lstm --jobs 2
    python bench/keras2.py --validate           # check the set itself (see below); kerasfix is not run

For every ``bench/keras2/<name>.py`` (and its ``<name>.intended.json``):

  1. copy the script alone into a temp dir and run ``python -m kerasfix apply <copy>`` there
     (environment passed through; exit 0 = fixed, 1 = findings left, 2 = could not run);
  2. run the resulting file with plain python under ``bench/_keras2_probe.py``, which records the model at
     each ``fit`` (layers with their key config, loss, output activation, the labels' kind) and whether the
     script ran to its end;
  3. judge:
       runs to end     the resulting script runs to its end under Keras 3;
       intended        the model at its last ``fit`` satisfies the intended facts, and that ``fit`` completed;
       model repaired  intended, counted over the scripts with a model fault;
       per API         each Keras-2 API the script uses is ``migrated`` (its pattern is gone from the file and
                       the file runs to its end), ``left`` (still there) or ``gone`` (gone, but the file does
                       not run to its end, so the migration is unconfirmed). A few breakages can only be seen
                       at run time (``Dense(np.int64)``, a TF op on a KerasTensor): those count as migrated
                       when the file runs to its end.

The intended facts are checked against the model the script trains, never against the text of
``<name>.migrated.py`` (the hand-migrated reference, used only by ``--validate``).

``--validate`` checks the set instead: each original script, run as is, fails where its JSON says
(``first_failure``); each ``.migrated.py`` runs to its end and satisfies the facts; every API listed is found
by its detector in the original and (for the detectable ones) not in the migrated reference.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SET = HERE / "keras2"
PROBE = HERE / "_keras2_probe.py"

# ---------------------------------------------------------------------------------------------------------
# Keras-2 APIs: a static detector each (does the file still use it?), or None when only a run can tell.
# ---------------------------------------------------------------------------------------------------------

KERAS3_BACKEND = {"backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format", "is_float_dtype",
                  "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon", "set_floatx",
                  "set_image_data_format", "standardize_dtype"}
OPTIMIZERS = {"SGD", "Adam", "RMSprop", "Adadelta", "Adagrad", "Adamax", "Nadam", "AdamW", "Ftrl"}
RNNS = {"SimpleRNN", "LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU", "ConvLSTM2D"}
FIT_LIKE = {"fit", "fit_generator", "evaluate", "evaluate_generator", "predict", "predict_generator"}
NP_ALIASES = {"float", "int", "bool", "object", "str", "complex"}
NOT_MODELS = {"np", "numpy", "joblib", "pickle", "torch", "tf.saved_model"}
DIM_ORDERING = {"image_dim_ordering", "set_image_dim_ordering"}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _calls(tree: ast.AST, names: set[str] | None = None):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (names is None or _name(node.func) in names):
            yield node


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _strings(node: ast.AST | None) -> list[str]:
    if node is None:
        return []
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _target_strings(tree: ast.AST, node: ast.AST | None) -> list[str]:
    """String constants of a path argument; a plain name is looked up in its (last) assignment."""
    if isinstance(node, ast.Name):
        values = [a.value for a in ast.walk(tree) if isinstance(a, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
        return _strings(values[-1]) if values else []
    return _strings(node)


def _imported(tree: ast.AST) -> set[str]:
    """Dotted names the file imports: modules, and module.name for ``from module import name``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _import_detector(module: str, tf_too: bool = True):
    def detect(tree: ast.AST) -> bool:
        names = _imported(tree)
        wanted = {module, f"tensorflow.{module}"} if tf_too else {module}
        return any(n == w or n.startswith(w + ".") for n in names for w in wanted)
    return detect


def _kw_detector(keyword: str, funcs: set[str] | None = None):
    return lambda tree: any(_kw(c, keyword) is not None for c in _calls(tree, funcs))


def _attr_call_detector(attr: str):
    return lambda tree: any(isinstance(c.func, ast.Attribute) and c.func.attr == attr for c in _calls(tree))


def _optimizer_lr(opt: str):
    return lambda tree: any(_kw(c, "lr") is not None for c in _calls(tree, {opt}))


def _conv_positional(tree: ast.AST) -> bool:
    for c in _calls(tree, {"Conv2D", "Convolution2D"}):
        if len(c.args) >= 3 and not isinstance(c.args[2], (ast.Tuple, ast.List)):
            return True
    return False


def _float_steps(tree: ast.AST) -> bool:
    for c in _calls(tree):
        for k in ("steps_per_epoch", "validation_steps", "steps"):
            v = _kw(c, k)
            if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Div):
                return True
    return False


def _model_input_output(tree: ast.AST) -> bool:
    return any(_kw(c, "input") is not None or _kw(c, "output") is not None for c in _calls(tree, {"Model"}))


def _merge_mode(tree: ast.AST) -> bool:
    return any(isinstance(c.func, ast.Name) and c.func.id == "merge" for c in _calls(tree))


def _reset_states(tree: ast.AST) -> bool:
    models = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and _name(node.value.func) in {"Sequential", "Model"} for t in node.targets if isinstance(t, ast.Name)}
    return any(isinstance(c.func, ast.Attribute) and c.func.attr == "reset_states" and _name(c.func.value) in models
               for c in _calls(tree))


def _standalone_backend(tree: ast.AST) -> bool:
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "keras":
            aliases.update(a.asname or a.name for a in node.names if a.name == "backend")
        elif isinstance(node, ast.Import):
            aliases.update(a.asname for a in node.names if a.name == "keras.backend" and a.asname)
    standalone_keras = any(a.name == "keras" for node in ast.walk(tree) if isinstance(node, ast.Import)
                           for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr not in KERAS3_BACKEND | DIM_ORDERING:
            base = _dotted(node.value)
            if base in aliases or (standalone_keras and base == "keras.backend"):
                return True
    return False


def _dim_ordering_fn(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in DIM_ORDERING for n in ast.walk(tree))


def _tf1_session(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in ("ConfigProto", "Session", "GPUOptions", "InteractiveSession")
               and _dotted(n.value) == "tf" for n in ast.walk(tree))


def _np_alias(tree: ast.AST) -> bool:
    nps = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
           if a.name == "numpy"}
    return any(isinstance(n, ast.Attribute) and n.attr in NP_ALIASES and _dotted(n.value) in nps
               for n in ast.walk(tree))


def _save_weights_h5(tree: ast.AST) -> bool:
    for c in _calls(tree, {"save_weights", "load_weights"}):
        target = c.args[0] if c.args else _kw(c, "filepath")
        s = _target_strings(tree, target)
        if s and not s[-1].endswith(".weights.h5"):
            return True
    return False


def _model_save_dir(tree: ast.AST) -> bool:
    for c in _calls(tree, {"save"}):
        if not isinstance(c.func, ast.Attribute) or _dotted(c.func.value) in NOT_MODELS:
            continue
        target = c.args[0] if c.args else _kw(c, "filepath")
        s = _target_strings(tree, target)
        if (s and not s[-1].endswith((".keras", ".h5"))) or _kw(c, "save_format") is not None:
            return True
    return False


def _checkpoint_path(tree: ast.AST) -> bool:
    for c in _calls(tree, {"ModelCheckpoint"}):
        target = c.args[0] if c.args else _kw(c, "filepath")
        s = _target_strings(tree, target)
        weights_only = _kw(c, "save_weights_only")
        wo = isinstance(weights_only, ast.Constant) and weights_only.value is True
        if s and not (s[-1].endswith(".weights.h5") if wo else s[-1].endswith((".keras", ".h5"))):
            return True
    return False


def _acc_names(tree: ast.AST) -> bool:
    metrics = [s for c in _calls(tree, {"compile"}) for s in _strings(_kw(c, "metrics"))]
    if "acc" in metrics:
        return False  # the logs really are called acc/val_acc
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and (
                n.value in ("acc", "val_acc") or re.search(r"\{(val_)?acc[:}]", n.value)):
            return True
    return False


@dataclass(frozen=True)
class Api:
    tag: str
    detect: object  # (ast.AST) -> bool, or None: only a run can tell
    kind: str = "crash"  # crash | silent (trains something else) | warn (deprecated, still works)


APIS = {a.tag: a for a in [
    # modules that are gone
    *(Api(m, _import_detector(m)) for m in (
        "keras.layers.core", "keras.layers.convolutional", "keras.layers.recurrent", "keras.layers.embeddings",
        "keras.layers.normalization", "keras.layers.advanced_activations", "keras.layers.wrappers",
        "keras.engine.topology", "keras.utils.np_utils", "keras.wrappers.scikit_learn",
        "keras.backend.tensorflow_backend")),
    Api("keras.preprocessing.text", _import_detector("keras.preprocessing.text", tf_too=False)),
    Api("keras.preprocessing.image.ImageDataGenerator",
        _import_detector("keras.preprocessing.image.ImageDataGenerator", tf_too=False)),
    Api("tensorflow.keras.layers.experimental", lambda t: _import_detector("tensorflow.keras.layers.experimental",
                                                                         tf_too=False)(t)
        or any(_dotted(n) == "tf.keras.layers.experimental" for n in ast.walk(t))),
    # training calls
    Api("fit(nb_epoch=)", _kw_detector("nb_epoch")),
    Api("fit(samples_per_epoch=)", _kw_detector("samples_per_epoch")),
    Api("fit(nb_val_samples=)", _kw_detector("nb_val_samples")),
    Api("val_samples=", _kw_detector("val_samples")),
    Api("fit(workers=)", _kw_detector("workers", FIT_LIKE)),
    Api("fit(use_multiprocessing=)", _kw_detector("use_multiprocessing", FIT_LIKE)),
    Api("fit(max_queue_size=)", _kw_detector("max_queue_size", FIT_LIKE)),
    Api("fit_generator", _attr_call_detector("fit_generator")),
    Api("evaluate_generator", _attr_call_detector("evaluate_generator")),
    Api("predict_generator", _attr_call_detector("predict_generator")),
    Api("steps_per_epoch=float", _float_steps),
    Api("predict_classes", _attr_call_detector("predict_classes")),
    Api("predict_proba", _attr_call_detector("predict_proba")),
    Api("Model.reset_states()", _reset_states),
    Api("compile(sample_weight_mode=)", _kw_detector("sample_weight_mode")),
    Api("history['acc']", _acc_names),
    # optimizers
    *(Api(f"{o}(lr=)", _optimizer_lr(o)) for o in ("Adam", "SGD", "RMSprop", "Adadelta")),
    Api("optimizer(decay=)", _kw_detector("decay", OPTIMIZERS), "silent"),
    # models and layers
    Api("Model(input=, output=)", _model_input_output),
    Api("merge(mode=)", _merge_mode),
    Api("Dense(output_dim=)", _kw_detector("output_dim", {"Dense"})),
    Api("RNN(output_dim=)", _kw_detector("output_dim", RNNS)),
    Api("init=", _kw_detector("init")),
    Api("inner_init=", _kw_detector("inner_init")),
    Api("border_mode=", _kw_detector("border_mode")),
    Api("subsample=", _kw_detector("subsample")),
    Api("dim_ordering=", _kw_detector("dim_ordering")),
    Api("W_regularizer=", _kw_detector("W_regularizer")),
    Api("Dropout(p=)", _kw_detector("p", {"Dropout"})),
    Api("BatchNormalization(mode=)", _kw_detector("mode", {"BatchNormalization"})),
    Api("LSTM(dropout_W=, dropout_U=)", lambda t: _kw_detector("dropout_W", RNNS)(t)
        or _kw_detector("dropout_U", RNNS)(t)),
    Api("LSTM(consume_less=)", _kw_detector("consume_less", RNNS)),
    Api("Conv1D(nb_filter=, filter_length=)", lambda t: _kw_detector("nb_filter")(t)
        or _kw_detector("filter_length")(t)),
    Api("MaxPooling1D(pool_length=)", _kw_detector("pool_length")),
    Api("Conv2D(f, r, c)", _conv_positional, "silent"),
    Api("batch_input_shape=", _kw_detector("batch_input_shape")),
    Api("RNN(input_dim=, input_length=)", lambda t: _kw_detector("input_length", RNNS)(t)
        or _kw_detector("input_dim", RNNS)(t)),
    Api("Embedding(input_length=)", _kw_detector("input_length", {"Embedding"}), "warn"),
    Api("Embedding(dropout=)", _kw_detector("dropout", {"Embedding"})),
    Api("to_categorical(nb_classes=)", _kw_detector("nb_classes", {"to_categorical"})),
    Api("Dense(np.int64)", None),
    # backend, TF, numpy
    Api("keras.backend math (K.*)", _standalone_backend),
    Api("K.image_dim_ordering", _dim_ordering_fn),
    Api("tf.Session/tf.ConfigProto", _tf1_session),
    Api("tf op on KerasTensor", None),
    Api("np.float/np.int/np.bool", _np_alias),
    # saving and callbacks
    Api("save_weights(.h5)", _save_weights_h5),
    Api("model.save(dir)", _model_save_dir),
    Api("ModelCheckpoint(filepath)", _checkpoint_path),
    Api("ModelCheckpoint(period=)", _kw_detector("period", {"ModelCheckpoint"})),
]}


def apis_present(source: str) -> set[str] | None:
    """The statically detectable Keras-2 APIs in ``source`` (None: it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return {tag for tag, api in APIS.items() if api.detect is not None and api.detect(tree)}


# ---------------------------------------------------------------------------------------------------------
# Intended facts
# ---------------------------------------------------------------------------------------------------------

CE = {"categorical_crossentropy", "sparse_categorical_crossentropy"}
LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "bce": "binary_crossentropy"}


def _canon_loss(name: str | None, labels: dict | None) -> str | None:
    """The two class cross-entropies are one loss when the labels fit them (one-hot / class ids)."""
    name = LOSS_ALIASES.get(name, name)
    if name not in CE:
        return name
    kind = (labels or {}).get("kind", "unknown")
    if kind == "unknown" or (name == "categorical_crossentropy" and kind == "onehot") or \
            (name == "sparse_categorical_crossentropy" and kind in ("ids", "binary")):
        return "class crossentropy"
    return f"{name} on {kind} labels"


def _norm(v):
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    if isinstance(v, str):
        return v.lower()
    return v


def _layer_matches(spec: dict, row: dict) -> bool:
    classes = spec["class"] if isinstance(spec["class"], list) else [spec["class"]]
    if row.get("class") not in classes:
        return False
    for k, v in spec.items():
        if k == "class":
            continue
        have = row.get(k)
        if k in ("kernel_size", "strides", "pool_size", "dilation_rate") and isinstance(v, int):
            v = [v] * (len(have) if isinstance(have, list) else 1)
        if _norm(have) != _norm(v):
            return False
    return True


def _spec_str(spec: dict) -> str:
    cls = "|".join(spec["class"]) if isinstance(spec["class"], list) else spec["class"]
    rest = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "class")
    return f"{cls}({rest})"


def _row_str(row: dict) -> str:
    keys = ("units", "filters", "kernel_size", "strides", "activation")
    return f"{row.get('class')}({', '.join(f'{k}={row[k]}' for k in keys if k in row)})"


def check_facts(facts: dict, rec: dict) -> list[str]:
    """Reasons the recorded model (one probe record) does not satisfy ``facts``; [] when it does."""
    problems: list[str] = []
    rows = rec.get("layers") or []
    i = 0
    for spec in facts.get("layers", []):
        while i < len(rows) and not _layer_matches(spec, rows[i]):
            i += 1
        if i == len(rows):
            same = [r for r in rows if r.get("class") in (spec["class"] if isinstance(spec["class"], list)
                                                          else [spec["class"]])]
            problems.append(f"no {_spec_str(spec)} in order" +
                            (f" (has {', '.join(_row_str(r) for r in same[:3])})" if same else ""))
            break
        i += 1
    if "loss" in facts:
        want = _canon_loss(facts["loss"], None)
        have = _canon_loss(rec.get("loss"), rec.get("labels"))
        if want != have:
            problems.append(f"loss {have} (intended {facts['loss']})")
    if "from_logits" in facts and bool(rec.get("from_logits")) != facts["from_logits"]:
        problems.append(f"from_logits={rec.get('from_logits')} (intended {facts['from_logits']})")
    if "output_activation" in facts:
        want = facts["output_activation"]
        want = want if isinstance(want, list) else [want]
        if rec.get("output_activation") not in want:
            problems.append(f"output activation {rec.get('output_activation')} (intended {'|'.join(want)})")
    for key, rkey in (("input_shape", "inputs"), ("output_shape", "outputs")):
        if key in facts:
            have = (rec.get(rkey) or [None])[0]
            if have != facts[key]:
                problems.append(f"{key} {have} (intended {facts[key]})")
    if "any_of" in facts:
        alternatives = [check_facts(alt, rec) for alt in facts["any_of"]]
        if all(alternatives):
            problems.append(" / ".join("; ".join(a) for a in alternatives))
    return problems


def judge_model(intended: dict, probe: dict) -> tuple[bool, str]:
    """Does the model at the script's last completed-or-not fit satisfy the facts?"""
    fits = probe.get("fits") or []
    if not fits:
        return False, "never reached fit"
    rec = fits[-1]
    if "probe_error" in rec:
        return False, f"probe could not read the model: {rec['probe_error']}"
    problems = check_facts(intended, rec)
    if not rec.get("completed"):
        problems.insert(0, f"its last {rec.get('call', 'fit')} did not complete")
    return not problems, "; ".join(problems)


# ---------------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    script: Path
    spec: dict

    @property
    def fault(self) -> bool:
        return bool(self.spec.get("model_fault"))


@dataclass
class Result:
    case: Case
    apply_code: int | None = None
    apply_note: str = ""
    runs: bool = False
    intended: bool = False
    model_note: str = ""
    run_error: str = ""
    api_status: dict = field(default_factory=dict)
    seconds: float = 0.0
    probe: dict = field(default_factory=dict)


def load_cases(only: str | None, folder: Path = SET) -> list[Case]:
    cases = []
    for script in sorted(folder.glob("*.py")):
        if script.name.endswith(".migrated.py"):
            continue
        name = script.stem
        if only and not (fnmatch.fnmatch(name, only) or only in name):
            continue
        spec = json.loads((folder / f"{name}.intended.json").read_text(encoding="utf-8"))
        unknown = [t for t in spec["keras2_apis"] if t not in APIS]
        if unknown:
            raise SystemExit(f"{name}.intended.json: unknown API tags {unknown} (known: see APIS in {__file__})")
        cases.append(Case(name, script, spec))
    return cases


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    return env


def run_probe(path: Path, cwd: Path, timeout: float) -> dict:
    out = cwd / "_probe.json"
    try:
        proc = subprocess.run([sys.executable, str(PROBE), str(path), str(out)], cwd=cwd, env=_env(),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        tail = (proc.stderr or "").strip().splitlines()[-1:] or [""]
    except subprocess.TimeoutExpired:
        tail = [f"timeout after {timeout:g} s"]
    data = {"fits": [], "ran_to_end": False, "error": None}
    if out.exists():
        with contextlib.suppress(ValueError):
            data = json.loads(out.read_text(encoding="utf-8"))
    if not data.get("ran_to_end") and not data.get("error"):
        data["error"] = {"type": "?", "message": tail[0], "line": None}
    return data


def _error_str(err: dict | None) -> str:
    if not err:
        return ""
    msg = err.get("message", "")
    msg = msg if len(msg) <= 140 else msg[:137] + "..."
    where = f"line {err['line']}: " if err.get("line") else ""
    return f"{where}{err.get('type')}: {msg}"


def api_statuses(case: Case, source: str | None, runs: bool) -> dict[str, str]:
    present = apis_present(source) if source is not None else None
    out = {}
    for tag in case.spec["keras2_apis"]:
        api = APIS[tag]
        if api.detect is None or present is None:
            out[tag] = "migrated" if runs else "gone"
        elif tag in present:
            out[tag] = "left"
        else:
            out[tag] = "migrated" if runs else "gone"
    return out


def bench_one(case: Case, args) -> Result:
    res = Result(case)
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="kf-keras2-") as tmp:
        tmpd = Path(tmp)
        path = tmpd / case.script.name
        shutil.copyfile(case.script, path)
        try:
            proc = subprocess.run([sys.executable, "-m", "kerasfix", "apply", str(path)], cwd=tmpd, env=_env(),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=args.apply_timeout)
            res.apply_code = proc.returncode
            lines = [ln for ln in (proc.stderr or "").strip().splitlines() if ln.strip()]
            res.apply_note = lines[-1] if lines else ""
        except subprocess.TimeoutExpired:
            res.apply_code, res.apply_note = None, f"apply timed out after {args.apply_timeout:g} s"
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            source = None
        changed = source != case.script.read_text(encoding="utf-8")
        probe = run_probe(path, tmpd, args.run_timeout)
        res.probe = probe
        res.runs = bool(probe.get("ran_to_end"))
        res.run_error = _error_str(probe.get("error"))
        res.intended, res.model_note = judge_model(case.spec["intended"], probe)
        res.api_status = api_statuses(case, source, res.runs)
        res.apply_note = (f"{'changed' if changed else 'unchanged'}; " + res.apply_note).strip("; ")
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, keep / case.script.name)
            (keep / f"{case.name}.probe.json").write_text(json.dumps(probe, indent=1), encoding="utf-8")
    res.seconds = time.time() - start
    return res


def header(argv: list[str]) -> str:
    from importlib.metadata import version

    try:
        child = subprocess.run([sys.executable, "-c", "import kerasfix; print(kerasfix.__file__)"], env=_env(),
                               capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir())
        kf_file = child.stdout.strip() or f"(import failed: {(child.stderr.strip().splitlines() or ['?'])[-1]})"
    except subprocess.TimeoutExpired:
        kf_file = "(timeout)"
    repo = Path(kf_file).parent.parent if kf_file.startswith("/") else ROOT

    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(repo), *a], capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "kerasfix")
    cmd = " ".join(["python", *[os.path.relpath(a, ROOT) if a.endswith(".py") else a for a in argv]])
    pp = os.environ.get("PYTHONPATH")
    return (f"$ {'PYTHONPATH=' + pp + ' ' if pp else ''}{cmd}\n"
            f"# {datetime.datetime.now().isoformat(timespec='seconds')}  kerasfix @ {head}"
            f"{' (+uncommitted changes in kerasfix/)' if dirty else ''} ({repo})  keras {version('keras')}"
            f"  tensorflow {version('tensorflow')}  numpy {version('numpy')}  python {sys.version.split()[0]}"
            f"  cpus {os.cpu_count()}  load {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n"
            f"# kerasfix as imported by a child process: {kf_file}")


def pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100.0 * a / b:.1f} %)" if b else "0/0"


def report(results: list[Result]) -> None:
    print()
    print(f"{'script':36} {'fault':5} {'apply':5} {'runs':4} {'intended':8} {'APIs migrated':13} {'secs':>5}")
    print("-" * 84)
    for r in results:
        migrated = sum(s == "migrated" for s in r.api_status.values())
        code = "t/o" if r.apply_code is None else str(r.apply_code)
        print(f"{r.case.name:36} {'yes' if r.case.fault else '-':5} {code:5} {'yes' if r.runs else 'no':4} "
              f"{'yes' if r.intended else 'no':8} {f'{migrated}/{len(r.api_status)}':13} {r.seconds:5.0f}")
    n = len(results)
    faulty = [r for r in results if r.case.fault]
    codes = {}
    for r in results:
        codes[r.apply_code] = codes.get(r.apply_code, 0) + 1
    print()
    print(f"runs to end       {pct(sum(r.runs for r in results), n)}   scripts that apply turned into scripts "
          "that run to their end under Keras 3")
    print(f"model repaired    {pct(sum(r.intended for r in faulty), len(faulty))}   scripts with a model fault "
          "whose final model satisfies the intended facts")
    print(f"intended (all)    {pct(sum(r.intended for r in results), n)}   every script: the final model "
          "satisfies the intended facts")
    print(f"  correct models  {pct(sum(r.intended for r in results if not r.case.fault), n - len(faulty))}")
    print("apply exit codes  " + "  ".join(f"{'timeout' if k is None else k}: {v}"
                                            for k, v in sorted(codes.items(), key=lambda kv: str(kv[0]))))
    tags: dict[str, list[str]] = {}
    for r in results:
        for tag, status in r.api_status.items():
            tags.setdefault(tag, []).append(status)
    print()
    print("Per API (migrated = gone from the file and the file runs to its end; left = still in the file;")
    print("gone = gone but the file does not run to its end; * = seen only at run time)")
    print(f"{'api':46} {'kind':6} {'n':>3} {'migrated':>8} {'left':>5} {'gone':>5}")
    for tag in sorted(tags, key=lambda t: (-len(tags[t]), t)):
        st = tags[tag]
        api = APIS[tag]
        label = tag + (" *" if api.detect is None else "")
        print(f"{label:46} {api.kind:6} {len(st):3} {st.count('migrated'):8} {st.count('left'):5} "
              f"{st.count('gone'):5}")
    total = [s for st in tags.values() for s in st]
    print(f"{'ALL (script, API) pairs':46} {'':6} {len(total):3} {total.count('migrated'):8} "
          f"{total.count('left'):5} {total.count('gone'):5}")
    print()
    print("Failures")
    for r in results:
        reasons = []
        if not r.runs:
            reasons.append(f"does not run to its end ({r.run_error or 'no error recorded'})")
        if not r.intended:
            reasons.append(f"model: {r.model_note}")
        if reasons:
            left = [t for t, s in r.api_status.items() if s == "left"]
            apply = f"apply {'timed out' if r.apply_code is None else 'exit ' + str(r.apply_code)}"
            note = f" [{r.apply_note}]" if r.apply_note else ""
            print(f"  {r.case.name}: {apply}{note}; " + "; ".join(reasons) +
                  (f"; left: {', '.join(left)}" if left else ""))


# ---------------------------------------------------------------------------------------------------------
# --validate: the set itself
# ---------------------------------------------------------------------------------------------------------

def _norm_msg(s: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", s).strip()


def validate_one(case: Case, args) -> tuple[bool, list[str], float]:
    notes: list[str] = []
    ok = True
    start = time.time()
    src = case.script.read_text(encoding="utf-8")
    migrated = case.script.with_name(f"{case.name}.migrated.py")
    present = apis_present(src) or set()
    for tag in case.spec["keras2_apis"]:
        if APIS[tag].detect is not None and tag not in present:
            ok = False
            notes.append(f"API {tag!r} listed but not detected in the script")
    undeclared = present - set(case.spec["keras2_apis"])
    if undeclared:
        ok = False
        notes.append(f"detected but not listed: {sorted(undeclared)}")
    with tempfile.TemporaryDirectory(prefix="kf-keras2-v-") as tmp:
        tmpd = Path(tmp)
        path = tmpd / case.script.name
        shutil.copyfile(case.script, path)
        orig = run_probe(path, tmpd, args.run_timeout)
        want = case.spec["first_failure"]
        err = orig.get("error") or {}
        got = f"{err.get('type')}: {err.get('message')}"
        if orig.get("ran_to_end"):
            ok = False
            notes.append("the original runs to its end under Keras 3")
        elif err.get("line") != want["line"] or not _norm_msg(got).startswith(_norm_msg(want["error"]).rstrip(".…")):
            ok = False
            notes.append(f"first failure is line {err.get('line')}: {got[:200]!r}, JSON says line {want['line']}: "
                         f"{want['error'][:200]!r}")
        if not migrated.exists():
            return False, notes + ["no .migrated.py"], time.time() - start
        msrc = migrated.read_text(encoding="utf-8")
        left = (apis_present(msrc) or set()) & set(case.spec["keras2_apis"])
        if left:
            ok = False
            notes.append(f"the migrated reference still uses {sorted(left)}")
        shutil.copyfile(migrated, path)
        t0 = time.time()
        mig = run_probe(path, tmpd, args.run_timeout)
        secs = time.time() - t0
        if not mig.get("ran_to_end"):
            ok = False
            notes.append(f"the migrated reference does not run to its end: {_error_str(mig.get('error'))}")
        good, why = judge_model(case.spec["intended"], mig)
        if not good:
            ok = False
            notes.append(f"the migrated reference misses the intended facts: {why}")
        notes.append(f"migrated runs in {secs:.1f} s ({mig.get('cpu_seconds', '?')} s CPU)")
        leftovers = sorted(p.name for p in tmpd.iterdir() if p.name not in (case.script.name, "_probe.json"))
        if leftovers:
            notes.append(f"files left behind in the working dir: {leftovers}")
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"{case.name}.orig.json").write_text(json.dumps(orig, indent=1), encoding="utf-8")
            (keep / f"{case.name}.migrated.json").write_text(json.dumps(mig, indent=1), encoding="utf-8")
    return ok, notes, time.time() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="only scripts whose name contains PATTERN (or matches it as a glob)")
    ap.add_argument("--jobs", type=int, default=2, help="scripts processed in parallel (default 2)")
    ap.add_argument("--apply-timeout", type=float, default=900.0, help="seconds for one kerasfix apply")
    ap.add_argument("--run-timeout", type=float, default=300.0, help="seconds for one run of a script")
    ap.add_argument("--keep", metavar="DIR", help="keep the resulting scripts and probe records in DIR")
    ap.add_argument("--validate", action="store_true", help="check the set itself (originals, references, JSON)")
    ap.add_argument("--set", default=str(SET), help=f"the folder of scripts (default {os.path.relpath(SET, ROOT)}/)")
    args = ap.parse_args(argv)
    folder = Path(args.set).resolve()
    cases = load_cases(args.only, folder)
    print(header([sys.argv[0], *(argv if argv is not None else sys.argv[1:])]), flush=True)
    print(f"# {len(cases)} scripts in {os.path.relpath(folder, ROOT)}/, "
          f"{sum(c.fault for c in cases)} with a model fault, jobs {args.jobs}", flush=True)
    if args.validate:
        bad = 0
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for case, (ok, notes, secs) in zip(cases, pool.map(lambda c: validate_one(c, args), cases), strict=True):
                bad += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {case.name:36} {secs:5.0f}s  " + " | ".join(notes), flush=True)
        print(f"\n{len(cases) - bad}/{len(cases)} scripts valid")
        return 1 if bad else 0
    results: list[Result] = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for r in pool.map(lambda c: bench_one(c, args), cases):
            results.append(r)
            print(f"  {r.case.name}: apply {r.apply_code}, runs {'yes' if r.runs else 'no'}, intended "
                  f"{'yes' if r.intended else 'no'} ({r.seconds:.0f} s)", file=sys.stderr, flush=True)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
