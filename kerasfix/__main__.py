"""``python -m kerasfix`` works as the ``kerasfix`` command does."""

from kerasfix.launch import entry

entry()
