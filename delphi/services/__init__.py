"""Business logic (use cases), one subpackage per aggregate. Views and CLI commands call these; services flush()
but never commit, so two of them compose into one transaction.

The subpackages import one way (tests/test_architecture.py holds this):

    accounts ← frameworks ← studies ← release
                 ↖ assessments          operations (backup, demo data, prepared outputs) may use any of them

`prepared` (the rows of prepared downloads) imports no other package; studies, release and assessments ask it
for builds when their inputs change.

No service imports a blueprint, and none imports Flask's request or session state.
"""
