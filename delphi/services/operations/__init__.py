"""Operating an installation: backup and restore of the whole database, and the demo data `make run` seeds.

May import: any service package (it sits above them all); nothing imports it but the CLI.
"""
