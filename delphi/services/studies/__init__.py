"""Delphi studies: design (creation, protocol, the items to rate), protocols (validation, analysis settings),
the panel (invitations, reminders, consent), rounds (open, extend, close), the round lock every rating write
takes, ratings (the Save button, submit, the long table), the autosave hot path, results (statistics at close,
controlled feedback), decisions between rounds and the exports.

May import: accounts, frameworks, models, delphi.stats.
"""
