"""Regions (区域) and the one rule of who sees what in them: 属地管理、分级负责.

Regions form a tree (省 -> 市 -> 县/区, any depth) under one root. Every station belongs to a
region; administrators and assessors belong to one too, station staff to their station.

The scoping rule lives here and nowhere else; every admin list, export, dashboard figure, API
look-up and assessor search goes through these clauses:

- the root administrator (an administrator of the root region) sees everything;
- any other administrator sees the stations of their region's subtree, their assessments and
  audit trails, the assessors of the subtree, the staff of its stations, and the administrators
  strictly below their own region (themselves too, but no peer);
- an assessor sees the stations of their region's subtree and the stations an administrator
  assigned them to, the assessments of those stations, and the assessments they worked on;
- station staff see their own station.

The caller commits; refusals raise `Refused`.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import FINALIZED, Assessment, Region, Station, StationAssignment, User, root_region
from app.services import audit
from app.services.refusals import Refused

CODE_MAX_LENGTH = 32
NAME_MAX_LENGTH = 100
PATH_SEPARATOR = " / "


# --- the tree ---------------------------------------------------------------------------------


def root() -> Region:
    return root_region(db.session)


def by_code(code: str | None) -> Region | None:
    if not code:
        return None
    return db.session.scalar(db.select(Region).filter_by(code=code))


def subtree_ids(region_id: int, *, strictly_below: bool = False):
    """The ids of a region and every region below it (a recursive query), or only those below."""
    tree = db.select(Region.id).where(Region.id == region_id).cte(recursive=True)
    tree = tree.union_all(db.select(Region.id).where(Region.parent_id == tree.c.id))
    statement = db.select(tree.c.id)
    if strictly_below:
        statement = statement.where(tree.c.id != region_id)
    return statement


def stations_clause_within(region: Region | None):
    """A WHERE clause on Station for a region's subtree; None when it stands for everything."""
    region = narrowing(region)
    return None if region is None else Station.region_id.in_(subtree_ids(region.id))


def _parents() -> dict[int, tuple[int | None, str, str]]:
    """Every region's parent, name and code; regions number in the thousands at most."""
    return {
        id_: (parent_id, name, code)
        for id_, parent_id, name, code in db.session.execute(
            db.select(Region.id, Region.parent_id, Region.name, Region.code)
        )
    }


def ancestry(region_id: int, parents: dict | None = None) -> list[int]:
    """The ids from the root down to the region itself."""
    parents = parents if parents is not None else _parents()
    chain, seen = [], set()
    current = region_id
    while current is not None and current not in seen:
        seen.add(current)
        chain.append(current)
        current = parents.get(current, (None,))[0]
    return list(reversed(chain))


def paths() -> dict[int, str]:
    """Each region's path of names below the root (湖南省 / 长沙市); the root is its own name."""
    parents = _parents()
    result = {}
    for region_id, (_parent, name, _code) in parents.items():
        chain = ancestry(region_id, parents)
        names = [parents[i][1] for i in chain[1:]] or [name]
        result[region_id] = PATH_SEPARATOR.join(names)
    return result


def path_of(region: Region | None) -> str:
    return paths().get(region.id, "") if region is not None else ""


@dataclass
class Node:
    region: Region
    depth: int
    path: str


def tree(within: Region) -> list[Node]:
    """The region and everything below it, each after its parent, children by code."""
    ids = set(db.session.scalars(subtree_ids(within.id)))
    regions = db.session.scalars(db.select(Region).where(Region.id.in_(ids)).order_by(Region.code)).all()
    children: dict[int | None, list[Region]] = {}
    for region in regions:
        children.setdefault(region.parent_id, []).append(region)
    all_paths = paths()
    nodes: list[Node] = []

    def walk(region: Region, depth: int) -> None:
        nodes.append(Node(region, depth, all_paths.get(region.id, region.name)))
        for child in children.get(region.id, []):
            walk(child, depth + 1)

    walk(within, 0)
    return nodes


# --- who sees what ----------------------------------------------------------------------------


def home(actor: User) -> Region | None:
    """The region whose subtree the actor sees: theirs, or their station's for station staff."""
    if actor.role == "staff":
        return actor.station.region if actor.station else None
    return actor.region


def is_root_admin(actor: User | None) -> bool:
    """The command line (no actor) and administrators of the root region see everything."""
    if actor is None:
        return True
    return actor.is_admin and actor.region is not None and actor.region.is_root


def station_clause(actor: User | None):
    """The stations the actor sees, as a WHERE clause on Station."""
    if is_root_admin(actor):
        return db.true()
    if actor.role == "staff":
        return Station.id == actor.station_id
    if actor.region_id is None:
        return db.false()
    within = Station.region_id.in_(subtree_ids(actor.region_id))
    if actor.is_admin:
        return within
    assigned = db.select(StationAssignment.station_id).where(StationAssignment.user_id == actor.id)
    return db.or_(within, Station.id.in_(assigned))


def assessment_clause(actor: User | None):
    """The assessments the actor sees, as a WHERE clause on Assessment."""
    if is_root_admin(actor):
        return db.true()
    stations = Assessment.station_id.in_(db.select(Station.id).where(station_clause(actor)))
    if actor.role == "staff":
        return db.and_(stations, Assessment.status == FINALIZED)
    if actor.is_admin:
        return stations
    return db.or_(stations, Assessment.team.any(User.id == actor.id))


def user_clause(actor: User | None):
    """The accounts an administrator sees and manages, as a WHERE clause on User."""
    if is_root_admin(actor):
        return db.true()
    if not actor.is_admin or actor.region_id is None:
        return User.id == actor.id
    return db.or_(
        User.id == actor.id,
        db.and_(User.role == "assessor", User.region_id.in_(subtree_ids(actor.region_id))),
        db.and_(User.role == "admin", User.region_id.in_(subtree_ids(actor.region_id, strictly_below=True))),
        db.and_(
            User.role == "staff",
            User.station_id.in_(
                db.select(Station.id).where(Station.region_id.in_(subtree_ids(actor.region_id)))
            ),
        ),
    )


def region_clause(actor: User | None):
    """The regions the actor sees: their own and everything below it."""
    if is_root_admin(actor):
        return db.true()
    region = home(actor)
    if region is None:
        return db.false()
    return Region.id.in_(subtree_ids(region.id))


def _exists(model, row_id: int, clause) -> bool:
    return bool(db.session.scalar(db.select(model.id).where(model.id == row_id, clause)))


def can_see_station(actor: User, station: Station) -> bool:
    return _exists(Station, station.id, station_clause(actor))


def can_see_assessment(actor: User, assessment: Assessment) -> bool:
    if actor.role == "staff":
        return assessment.station_id == actor.station_id and assessment.is_finalized
    return _exists(Assessment, assessment.id, assessment_clause(actor))


def can_manage_user(actor: User, user: User) -> bool:
    return _exists(User, user.id, user_clause(actor))


def can_see_region(actor: User, region: Region) -> bool:
    return _exists(Region, region.id, region_clause(actor))


def can_manage_region(actor: User | None, region: Region) -> bool:
    """A region strictly below the actor's own, or any for the root administrator."""
    if is_root_admin(actor):
        return True
    if not actor.is_admin or actor.region_id is None:
        return False
    return _exists(Region, region.id, Region.id.in_(subtree_ids(actor.region_id, strictly_below=True)))


def visible(actor: User | None) -> list[Node]:
    """The regions the actor sees, as a tree from their own region down."""
    if is_root_admin(actor):
        return tree(root())
    region = home(actor)
    return tree(region) if region is not None else []


def region_for(actor: User | None, code: str | None, *, field: str = "region_code") -> Region:
    """The region a code names, when the actor sees it; no code is the actor's own region (the
    root region on the command line). A region the actor does not see is refused as unknown."""
    if not code:
        return home(actor) if actor is not None and home(actor) is not None else root()
    region = by_code(code)
    if region is None or (actor is not None and not can_see_region(actor, region)):
        raise Refused(422, _l("There is no region with code %(code)s.", code=code), field=field)
    return region


def check_region_for_role(actor: User | None, role: str, region: Region | None) -> None:
    """Administrators are made only below their maker's own level; assessors within their subtree."""
    if role == "staff" or actor is None or is_root_admin(actor):
        return
    if region is None or not can_see_region(actor, region):
        raise Refused(422, _l("Choose a region within your own."), field="region_code")
    if role == "admin" and not can_manage_region(actor, region):
        raise Refused(
            422, _l("Administrators can only be made for regions below your own."), field="region_code"
        )


def narrowing(region: Region | None) -> Region | None:
    """A region that narrows a query, or None when it stands for everything (the root)."""
    return None if region is None or region.is_root else region


# --- changes ----------------------------------------------------------------------------------


def check_code_free(code: str, region: Region | None = None) -> None:
    if not code:
        raise Refused(422, _l("Enter the region's code."), field="code")
    if len(code) > CODE_MAX_LENGTH:
        raise Refused(422, _l("At most %(max)d characters.", max=CODE_MAX_LENGTH), field="code")
    other = by_code(code)
    if other is not None and other is not region:
        raise Refused(422, _l("A region with the code %(code)s exists already.", code=code), field="code")


def _check_name(name: str) -> None:
    if not name:
        raise Refused(422, _l("Enter the region's name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise Refused(422, _l("At most %(max)d characters.", max=NAME_MAX_LENGTH), field="name")


def _check_parent(actor: User | None, parent: Region) -> None:
    """A new region goes within the actor's subtree (their own region counts)."""
    if actor is not None and not can_see_region(actor, parent):
        raise Refused(
            422, _l("There is no region with code %(code)s.", code=parent.code), field="parent_code"
        )


def create(code: str, name: str, parent: Region | None, actor: User | None) -> Region:
    """A region below `parent` (the root when none is given)."""
    code, name = (code or "").strip(), (name or "").strip()
    check_code_free(code)
    _check_name(name)
    parent = parent or root()
    _check_parent(actor, parent)
    region = Region(code=code, name=name, parent=parent)
    db.session.add(region)
    db.session.flush()
    audit.record("region.create", subject=code, after=region.as_dict(), user=actor)
    return region


def update(region: Region, code: str, name: str, parent: Region | None, actor: User | None) -> None:
    """Rename a region, or move it under another region the actor sees (never below itself)."""
    if actor is not None and not can_manage_region(actor, region):
        raise Refused(404, _l("There is no such region."))
    code, name = (code or "").strip(), (name or "").strip()
    check_code_free(code, region)
    _check_name(name)
    if region.is_root:
        parent = None
    else:
        parent = parent or region.parent
        _check_parent(actor, parent)
        if parent.id in set(db.session.scalars(subtree_ids(region.id))):
            raise Refused(422, _l("A region cannot move below itself."), field="parent_code")
    before = region.as_dict()
    region.code, region.name = code, name
    if parent is not None:
        region.parent = parent
    after = region.as_dict()
    if after != before:
        audit.record("region.update", subject=code, before=before, after=after, user=actor)


def assign(station: Station, assessor: User, actor: User) -> None:
    """Send an assessor to a station: both must be within the administrator's subtree."""
    if assessor.role != "assessor" or not assessor.active or not can_manage_user(actor, assessor):
        raise Refused(422, _l("There is no assessor with this username."), field="username")
    if not can_see_station(actor, station):
        raise Refused(404, _l("There is no such station."))
    if db.session.get(StationAssignment, (station.id, assessor.id)) is not None:
        return
    db.session.add(StationAssignment(station=station, user=assessor, assigned_by=actor))
    audit.record("station.assign", subject=station.code, after={"assessor": assessor.username}, user=actor)


def unassign(station: Station, assessor: User, actor: User) -> None:
    assignment = db.session.get(StationAssignment, (station.id, assessor.id))
    if assignment is None:
        return
    db.session.delete(assignment)
    audit.record("station.unassign", subject=station.code, before={"assessor": assessor.username}, user=actor)


def assigned_to(station: Station, actor: User) -> list[User]:
    """The assessors assigned to a station whom the administrator sees."""
    return db.session.scalars(
        db.select(User)
        .join(StationAssignment, StationAssignment.user_id == User.id)
        .where(StationAssignment.station_id == station.id, user_clause(actor))
        .order_by(User.username)
    ).all()
