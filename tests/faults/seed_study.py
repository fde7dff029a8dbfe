"""TEST ONLY: migrate the database of TEST_DATABASE_URL and open round 1 of a small study; prints JSON.

Run by the PostgreSQL fault tests (`python -m tests.faults.seed_study`) on a database of their own.
"""
from __future__ import annotations

import json

from flask_migrate import upgrade

from delphi import create_app
from delphi.extensions import db
from tests.study_helpers import make_study, open_first_round


def main() -> None:
    app = create_app("testing")
    with app.app_context():
        upgrade()
        study = make_study(n_experts=2, kinds=("domain", "subdomain", "indicator"))
        rnd = open_first_round(study)
        db.session.commit()
        print(json.dumps({"study_id": study.id, "round_id": rnd.id,
                          "domain": rnd.round_items[0].item.domain_code}))


if __name__ == "__main__":
    main()
