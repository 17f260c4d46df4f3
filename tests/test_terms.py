"""No written fix puts a number where the script had a name or an expression for it (issue 14).

The fixtures' ``.fixed.py`` files are what kerasfix must write, exactly (``test_fixtures``), so holding each
of them to ``literal_over_expression`` holds every written fix to it.
"""

from __future__ import annotations

import ast

import pytest
from conftest import fixture_cases

from kerasfix.rewrite.terms import _is_number, _size_slots, literal_over_expression

PAIRS = [c for c in fixture_cases() if c.fixed is not None]


@pytest.mark.parametrize("case", PAIRS, ids=[c.id for c in PAIRS])
def test_no_fixture_fix_writes_a_number_over_an_expression(case) -> None:
    before = case.path.read_text(encoding="utf-8")
    after = case.fixed.read_text(encoding="utf-8")
    assert literal_over_expression(before, after) == []


def test_the_fixtures_do_change_sizes_written_as_expressions() -> None:
    # The check above is only worth something if fixtures change such arguments, in both forms.
    as_expression = as_number = 0
    for case in PAIRS:
        before = {(c, s): ast.unparse(v) for (_, c, s), v in _size_slots(case.path.read_text(encoding="utf-8"))}
        for (_, callee, slot), value in _size_slots(case.fixed.read_text(encoding="utf-8")):
            old = before.get((callee, slot))
            if old is not None and old != ast.unparse(value):
                as_number += _is_number(value)
                as_expression += not _is_number(value)
    assert as_expression >= 3 and as_number >= 10, (as_expression, as_number)


ARGPARSE = '''\
import argparse
import keras
parser = argparse.ArgumentParser()
parser.add_argument("--num-classes", type=int, default=3)
args = parser.parse_args()
model = keras.Sequential([
    keras.Input(shape=X.shape),
    keras.layers.Dense(args.num_classes, activation="softmax"),
])
'''


def test_a_number_over_a_flag_or_a_shape_is_named() -> None:
    literal = ARGPARSE.replace("Dense(args.num_classes", "Dense(4").replace("shape=X.shape", "shape=(8,)")
    assert literal_over_expression(ARGPARSE, literal) == [
        "line 7: Input(…) shape: `X.shape` became `(8,)`",
        "line 8: Dense(…) argument 1: `args.num_classes` became `4`",
    ]


def test_the_fix_in_the_users_terms_passes() -> None:
    own = ARGPARSE.replace("default=3", "default=4").replace("shape=X.shape", "shape=X.shape[1:]")
    assert literal_over_expression(ARGPARSE, own) == []
    # A number replacing a number, or a layer the fix adds, is not judged.
    added = ARGPARSE.replace('    keras.layers.Dense(args', '    keras.layers.Flatten(),\n    keras.layers.Dense(args')
    assert literal_over_expression(ARGPARSE, added) == []


def test_named_sizes_lists_what_a_fix_could_lose() -> None:
    from kerasfix.rewrite.terms import named_sizes

    assert named_sizes(ARGPARSE) == [
        "line 7: Input(…) shape: `X.shape`",
        "line 8: Dense(…) argument 1: `args.num_classes`",
    ]
    assert named_sizes("import keras\nkeras.layers.Dense(3)\n") == []
