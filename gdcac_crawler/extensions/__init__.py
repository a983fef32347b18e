"""Extensions (``EXTENSIONS`` in ``settings.py``):

``health``  :class:`~.health.RunHealth` (500): the run's health assessed when it ends, the verdict in the stats,
            the log and, through the project's ``crawl`` command, the exit status (:class:`~.health.ExitStatus`).
"""
