"""The command line: arguments, exit codes, nothing else."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from kerasfix import config, pipeline
from kerasfix.capture.runner import DEFAULT_TIMEOUT
from kerasfix.config import ConfigError, Overrides
from kerasfix.pipeline import InputError, Options, Target, collect, is_test_file
from kerasfix.report import (
    EXIT_CLEAN,
    EXIT_ERROR,
    FORMATS,
    FileResult,
    Report,
    render_github,
    render_json,
    render_sarif,
    render_text,
)

EPILOG = """\
exit codes:
  0  nothing left to fix
  1  findings left (check), or --diff would change something
  2  could not run: bad path, a file that does not parse, a script that fails,
     hangs, exits or never builds a Keras model, or a file changed while fixing

kerasfix RUNS the scripts you give it (in a child process, with a timeout, in
the script's folder), to their end, with every fit()/evaluate()/predict() cut to
one batch. Files that never build, load or train a Keras model are not run.
Arguments after -- go to the script: kerasfix apply train.py -- --epochs 3

A finding you mean to keep is silenced on its line by a comment
# kerasfix: ignore[units_mismatch] (or a bare # kerasfix: ignore). Defaults for
--select, --ignore, --timeout, --safe-only, the script's arguments and folder
exclusions come from [tool.kerasfix] in the closest pyproject.toml above each
file; flags given here win (--show-settings prints what applies).
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kerasfix", description="Diagnose and repair Keras models in their own source file.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_text in (("check", "diagnose scripts; exit 1 when anything is found"),
                            ("apply", "write verified fixes into the scripts")):
        sp = sub.add_parser(name, help=help_text, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.add_argument("paths", nargs="+", metavar="PATH", help="Python files or directories")
        sp.add_argument("--output-format", choices=FORMATS, default="full", help="how to print results (default: full)")
        sp.add_argument("--json", action="store_const", const="json", dest="output_format", help="alias of --output-format json")
        sp.add_argument("--select", metavar="KINDS", default=None,
                        help="comma-separated finding kinds or families to look for (e.g. keras2; default: all)")
        sp.add_argument("--ignore", metavar="KINDS", default=None,
                        help="comma-separated finding kinds or families never to report (kerasfix rule --all lists them)")
        sp.add_argument("--cwd", metavar="DIR", help="working directory for the scripts' runs (default: each script's folder)")
        sp.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="files looked at in parallel (default: the number of CPUs)")
        sp.add_argument("--timeout", type=float, default=None,
                        help=f"seconds a script may run before it reaches fit (default: {DEFAULT_TIMEOUT:g})")
        sp.add_argument("--show-settings", action="store_true",
                        help="print the settings that apply to each PATH (configuration and flags) and exit")
        sp.add_argument("-v", "--verbose", action="store_true", help="show the scripts' own output, kerasfix's internal errors and Keras's layer names")
        sp.add_argument("-q", "--quiet", action="store_true", help="print only findings and errors; no summary")
        if name == "apply":
            sp.add_argument("--diff", action="store_true", help="print the unified diff; write nothing")
            sp.add_argument("--safe-only", action=argparse.BooleanOptionalAction, default=None,
                            help="write only fixes that merely make the model connect")
            sp.add_argument("--no-verify", action="store_true", help="do not re-run the patched script before writing")
            sp.add_argument("-i", "--interactive", action="store_true",
                            help="show each fix with its diff and ask y/n/q before writing it")
    _add_rule_parser(sub)
    _add_run_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it).

    Nothing of ours reaches the user as a traceback (unless ``--verbose``): a
    bug is one line and exit code 2, and a closed stdout (``| head``) is quiet.
    """
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["run"]:  # kerasfix run: everything after the script is the script's own, ``--`` included
        return _run_script(given[1:])
    # Everything after ``--`` is for the script (``kerasfix apply train.py -- --epochs 3``).
    script_args = given[given.index("--") + 1:] if "--" in given else []
    args = _parser().parse_args(given[: given.index("--")] if "--" in given else given)
    args.script_args = tuple(script_args) if "--" in given else None  # None: the configuration's args, if any
    try:
        return _run(args)
    except BrokenPipeError:  # stdout closed early: stop writing to it, without a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_ERROR
    except Exception as exc:  # a bug of ours outside the per-file loop: still one line
        print(f"kerasfix: internal error: {type(exc).__name__}: {exc} (run with --verbose for details)", file=sys.stderr)
        if getattr(args, "verbose", False):
            traceback.print_exc()
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    if args.command == "rule":
        return _rule(args)
    apply = args.command == "apply"
    interactive = apply and args.interactive
    options = Options(
        write=apply and not args.diff and not interactive, diff=apply and (args.diff or interactive),
        verify=not (apply and args.no_verify),
        cwd=os.path.abspath(args.cwd) if args.cwd else None, jobs=max(1, args.jobs),
    )
    report = Report(diff_mode=options.diff)
    err = sys.stderr
    try:
        config.clear_cache()  # read the configuration afresh on every run (main() may be called many times)
        overrides = _overrides(args)
        if args.show_settings:
            return _show_settings(args.paths, overrides)
        targets = list(collect(args.paths, excluded=config.is_excluded))
        per_file = {t.path: _options_for(t.path, options, overrides, apply) for t in targets}
    except (InputError, ConfigError) as exc:
        print(f"kerasfix: {exc}", file=err)
        return EXIT_ERROR
    status = _Status(enabled=err.isatty() and not args.quiet)

    def one(target: Target) -> tuple[FileResult, str | None]:
        path = target.path
        if target.in_folder and is_test_file(path):
            return FileResult(path, "skipped", why_not="a test file (not run)"), None
        try:
            return pipeline.process(path, per_file[path], progress=status.update), None
        except Exception as exc:  # our own bug: one line for this file (traceback with --verbose); go on
            message = _one_line(
                f"{path}: kerasfix internal error: {type(exc).__name__}: {exc} (run with --verbose for details)")
            return FileResult(path, "error", message=message), traceback.format_exc()

    try:
        with ThreadPoolExecutor(max_workers=min(options.jobs, len(targets))) as executor:
            for result, trace in executor.map(one, targets):  # results come back in file order
                report.add(result)
                if args.verbose and trace:
                    err.write(trace)
                if args.verbose and result.output:
                    err.write(f"── output of {result.path}\n{result.output}\n")
                if args.verbose and result.detail:
                    err.write(result.detail + "\n")
    except KeyboardInterrupt:
        status.stop()
        print("kerasfix: interrupted", file=err)
        return EXIT_ERROR
    status.stop()
    if interactive:
        from kerasfix.review import review

        report = Report(results=review(report.results, input, sys.stdout, color=sys.stdout.isatty()))
        options = Options(write=True)
    for r in report.results:  # a file that could not be analysed: its one line goes to stderr, in every format
        if r.status == "error":
            print(_one_line(r.message), file=err)
    shown = [r for r in report.results if r.status != "error"]
    fmt = args.output_format
    if fmt == "json":
        print(render_json(report))
    elif fmt == "sarif":
        print(render_sarif(report))
    elif fmt == "github":
        text = render_github(report)
        if text:
            print(text)
    else:
        if options.diff:
            from kerasfix.review import render_diff

            for r in report.results:
                if r.diff:
                    render_diff(r.diff, sys.stdout, color=sys.stdout.isatty())
            sys.stdout.flush()  # the diff before the summary on stderr, when both go to one terminal
            text = render_text(shown, full=False, verbose=args.verbose)
            if text:
                print(text, file=err)
        else:
            text = render_text(shown, full=fmt == "full" and not args.quiet and not interactive, verbose=args.verbose,
                               color=sys.stdout.isatty())
            if text:
                print(text)
    if not args.quiet:
        print(f"kerasfix: {report.summary()}", file=err)
    return report.exit_code


# ---------------------------------------------------------------------------
# Settings: the command line over [tool.kerasfix] over the defaults.


def _overrides(args: argparse.Namespace) -> Overrides:
    """What the command line says about the settings a configuration may also give (None: not given)."""
    def names(text: str | None, flag: str) -> tuple[str, ...] | None:
        return None if text is None else config.check_names(config.split_names(text), flag)

    return Overrides(
        select=names(args.select, "--select"), ignore=names(args.ignore, "--ignore"), timeout=args.timeout,
        safe_only=getattr(args, "safe_only", None), args=args.script_args,
    )


def _options_for(path: str, base: Options, overrides: Overrides, apply: bool) -> Options:
    """``base`` with the settings that apply to ``path``."""
    s = config.resolve(config.find(path), overrides, default_timeout=DEFAULT_TIMEOUT)
    return replace(base, select=frozenset(s.select), ignore=frozenset(s.ignore), timeout=s.timeout,
                   safe_only=apply and s.safe_only, argv=s.args)


def _show_settings(paths: list[str], overrides: Overrides) -> int:
    for i, path in enumerate(paths):
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file or directory")
        settings = config.resolve(config.find(path), overrides, default_timeout=DEFAULT_TIMEOUT)
        print(("\n" if i else "") + config.render(settings, path))
    return EXIT_CLEAN


# ---------------------------------------------------------------------------
# kerasfix rule KIND: the catalogue's documentation of a kind.


def _add_rule_parser(sub: Any) -> None:
    sp = sub.add_parser("rule", help="explain a finding kind: why it matters, an example, its fix",
                        description="Print the documentation of a finding kind (or family) from the catalogue.")
    sp.add_argument("kind", nargs="?", metavar="KIND", help="a finding kind (e.g. units_mismatch) or a family (e.g. keras2)")
    sp.add_argument("--all", action="store_true", help="every kind, in the catalogue's order")


def _rule(args: argparse.Namespace) -> int:
    from kerasfix import faults
    from kerasfix.report import render_rule

    if bool(args.kind) == bool(args.all):
        print("kerasfix: rule needs a KIND or --all (not both)", file=sys.stderr)
        return EXIT_ERROR
    entries = [e for e in faults.CATALOGUE if args.all or args.kind in (e.kind.value, e.family.value)]
    if not entries:
        known = ", ".join(e.kind.value for e in faults.CATALOGUE)
        print(f"kerasfix: unknown kind {args.kind!r} (known: {known})", file=sys.stderr)
        return EXIT_ERROR
    print("\n\n".join(render_rule(e) for e in entries))
    return EXIT_CLEAN


class _Status:
    """A transient progress line on a terminal; silent when stderr is not a TTY."""

    def __init__(self, enabled: bool) -> None:
        self._status = None
        if enabled:
            from rich.console import Console

            self._status = Console(stderr=True).status("starting")
            self._status.start()

    def update(self, message: str) -> None:
        if self._status is not None:
            self._status.update(message)

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def _one_line(message: str) -> str:
    return " ".join(line.strip() for line in message.splitlines() if line.strip()) or "kerasfix: unknown error"


# -- kerasfix run SCRIPT [ARGS...]: the script as python runs it, every fit() checked first (issue 17) -------


def _add_run_parser(sub: Any) -> None:
    rp = sub.add_parser(
        "run", help="run a script as python would, with every fit() checked for silent faults before it trains",
        description="Run SCRIPT as `python SCRIPT ARGS...` would (as __main__, exit code the script's), with every "
                    "model.fit checked first on a sample of its data: a silent fault prints one panel with the fix "
                    "and training goes on (or, with --mode raise, stops); Keras errors are explained.",
    )
    rp.add_argument("--mode", choices=("warn", "raise", "off"), default=None,
                    help="on a silent fault: warn and train, raise SilentFaultError, or check nothing "
                         "(default: $KERASFIX, else warn)")
    rp.add_argument("--budget-ms", type=float, default=None, metavar="MS",
                    help="do not check a model whose check is estimated to take longer (default: 3000)")
    rp.add_argument("-v", "--verbose", action="store_true",
                    help="kerasfix's own errors, skipped checks and each check's cost, one line each")
    rp.add_argument("script", metavar="SCRIPT", help="the Python file to run")
    rp.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the script's own arguments")


def _run_script(argv: list[str]) -> int:
    args = _parser().parse_args(["run", *argv])
    from kerasfix.session import run_script

    return run_script(args.script, args.args, mode=args.mode, verbose=args.verbose or None, budget_ms=args.budget_ms)


def entry() -> None:
    sys.exit(main())
