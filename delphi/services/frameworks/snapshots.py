"""An element and everything under it as plain data, and back: what lets a drop or a merge decided between
rounds be undone, putting the element where it was with its wording as it was."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Domain, FrameworkVersion, Indicator, Level, Subdomain
from delphi.services.frameworks.editing import find_element
from delphi.services.frameworks.versions import require_draft

ELEMENTS = (Domain, Subdomain, Indicator)
CHILD = {Domain: Subdomain, Subdomain: Indicator}
KIND = {Domain: "domain", Subdomain: "subdomain", Indicator: "indicator"}


def snapshot(version: FrameworkVersion, code: str) -> dict[str, Any]:
    """An element and everything under it as plain data, with its place (parent and position), so that a drop
    or a merge decided between rounds can be undone by restore()."""
    element = find_element(version, code)
    parent = (element.domain.code if isinstance(element, Subdomain)
              else element.subdomain.code if isinstance(element, Indicator) else None)
    return {"kind": KIND[type(element)], "parent": parent, "position": element.position, "tree": _tree(element)}


def _tree(element: Domain | Subdomain | Indicator) -> dict[str, Any]:
    if isinstance(element, Domain):
        return {"code": element.code, "title": element.title, "children": [_tree(s) for s in element.subdomains]}
    if isinstance(element, Subdomain):
        return {"code": element.code, "title": element.title, "children": [_tree(i) for i in element.indicators]}
    return {"code": element.code, "statement": element.statement, "guidance": element.guidance,
            "levels": [lv.description for lv in element.levels]}


def restore(version: FrameworkVersion, snap: dict[str, Any]) -> None:
    """Put a snapshot back where it was; the siblings after it move down one place."""
    require_draft(version)
    code = snap["tree"]["code"]
    taken = [c for c in _codes(snap["tree"]) if any(
        db.session.scalar(select(m.id).where(m.version_id == version.id, m.code == c)) for m in ELEMENTS)]
    if taken:
        raise InvalidInput(_("%(taken)s is in the draft again already, so %(code)s cannot be put back; remove or "
                             "rename it in the editor first.", taken=taken[0], code=code))
    model = {"domain": Domain, "subdomain": Subdomain, "indicator": Indicator}[snap["kind"]]
    parent = find_element(version, snap["parent"]) if snap["parent"] else None
    parent_column = {Domain: None, Subdomain: Subdomain.domain_id, Indicator: Indicator.subdomain_id}[model]
    siblings = select(model).where(model.version_id == version.id, model.position >= snap["position"])
    if parent_column is not None:
        siblings = siblings.where(parent_column == parent.id)
    for sibling in db.session.scalars(siblings):
        sibling.position += 1
    _insert_tree(version, model, snap["tree"], parent, snap["position"])
    db.session.flush()
    if parent is not None:
        db.session.expire(parent)
    else:
        db.session.expire(version, ["domains"])


def _insert_tree(version: FrameworkVersion, model: type, tree: dict[str, Any], parent, position: int) -> None:
    vid = version.id
    if model is Domain:
        row = Domain(version_id=vid, code=tree["code"], title=tree["title"], position=position)
    elif model is Subdomain:
        row = Subdomain(version_id=vid, domain_id=parent.id, code=tree["code"], title=tree["title"],
                        position=position)
    else:
        row = Indicator(version_id=vid, subdomain_id=parent.id, code=tree["code"], statement=tree["statement"],
                        guidance=tree.get("guidance"), position=position)
    db.session.add(row)
    db.session.flush()
    if model is Indicator:
        db.session.add_all(Level(version_id=vid, indicator_id=row.id, level=n, description=text)
                           for n, text in enumerate(tree["levels"], 1))
        return
    for i, child in enumerate(tree.get("children", [])):
        _insert_tree(version, CHILD[model], child, row, i)


def _codes(tree: dict[str, Any]) -> list[str]:
    return [tree["code"], *(c for child in tree.get("children", []) for c in _codes(child))]
