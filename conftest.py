"""This standalone repository's pytest root: its own suites' sandbox fixtures. Not part of the exported folder
(in Autohive's monorepo the root conftest.py is the monorepo's)."""

pytest_plugins = ("sandbox.fixtures",)
