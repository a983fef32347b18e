"""The test suite: ``make test`` (or ``python -m pytest``) from the repository's root.

Shared pieces: fixtures in ``conftest.py`` (the session's served ``mirror``, ``crawl_mirror``), the objects
tests build in ``factories.py``, saved pages and raw HTTP in ``support/``.  No test reaches the internet.
"""
