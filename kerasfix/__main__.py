"""``python -m kerasfix`` works as the ``kerasfix`` command does."""

from kerasfix.cli import entry

entry()
