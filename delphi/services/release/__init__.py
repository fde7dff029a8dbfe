"""After the last round: publication of the validated framework (the citable release), the methods-and-results
report (as data, its PDF) and the data package for re-analysis.

May import: studies, frameworks, accounts, models, delphi.stats.
"""
