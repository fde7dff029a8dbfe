"""Maturity-model frameworks in the database: versions (import, read back as documents, drafts, release,
retire), editing a draft element by element, and file import/export (upload and download in every format).

May import: accounts (audit), models, the pure `framework` library.
"""
