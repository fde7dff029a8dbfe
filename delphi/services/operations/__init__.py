"""Operating an installation: backup and restore of the whole database, the demo data `make run` seeds, and the
heavy downloads built off the request (outputs).

May import: any service package (it sits above them all); the CLI, the jobs and the download routes import it.
"""
