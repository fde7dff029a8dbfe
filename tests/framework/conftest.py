import copy
import json
from typing import Any

import pytest

import framework
from framework import Framework


@pytest.fixture(scope="session")
def mlm() -> Framework:
    return framework.load_shipped("1plusmg-mlm")


@pytest.fixture(scope="session")
def _mlm_document() -> dict[str, Any]:
    return json.loads(framework.data_path("1plusmg-mlm").read_bytes())


@pytest.fixture
def mlm_document(_mlm_document: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the shipped JSON document, free to edit."""
    return copy.deepcopy(_mlm_document)


@pytest.fixture
def minimal_document() -> dict[str, Any]:
    return {
        "name": "Tiny",
        "domains": [
            {
                "code": "A",
                "title": "Domain A",
                "subdomains": [
                    {
                        "code": "A.1",
                        "title": "Subdomain A.1",
                        "indicators": [
                            {"code": "A.1.1", "statement": "First.", "levels": ["l1", "l2", "l3", "l4", "l5"]},
                            {"code": "A.1.2", "statement": "Second.", "levels": ["m1", "m2", "m3", "m4", "m5"]},
                        ],
                    }
                ],
            }
        ],
    }
