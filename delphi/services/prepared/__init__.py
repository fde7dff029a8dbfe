"""Prepared outputs: heavy downloads built by a job and kept in the database (models/prepared.py).

`store` holds the rows' life cycle (wanted → building → ready or failed, leases, progress); `fingerprints` digests
the inputs of a study's or an assessment's outputs, so a kept output is served only while its inputs are unchanged.
What each output is and how it is built lives above, in services/operations/outputs.py.

May import: no other service package (models only), so studies, release and assessments can ask for a build when
their inputs change.
"""
