"""Self-assessment of a healthcare system against a released framework: lifecycle (start, settings, the tree,
finalise), answers (solo and team), the action plan, results and charts, progress across assessments, the
anonymous benchmark, exports, glossary highlighting and the demo assessment.

May import: frameworks, accounts, models.
"""
