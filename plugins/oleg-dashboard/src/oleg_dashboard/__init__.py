"""Watching an oleg deployment from its store: a read-only web dashboard (``oleg dashboard``)
and the ``oleg stats`` and ``oleg feed`` reports, all from the SQL aggregates of
:mod:`oleg_dashboard.queries`."""
