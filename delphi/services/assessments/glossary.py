"""Glossary terms on the answer pages: the class is shared with the experts' rating pages (frameworks/glossary)."""
from delphi.services.frameworks.glossary import Glossary

__all__ = ["Glossary"]
