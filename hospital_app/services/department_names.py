"""R21 departments by name: look-up while importing, list, rename and merge (audited).

A department is known by its normalised name (``domain.departments.normalize_department``:
full/half width and spaces do not matter). Renaming and merging keep the old spelling as an
alias (``merged_into_id``), so the next HIS export that still uses it lands on the right
department:

- ``rename(OLD, NEW)``: NEW becomes the department's name; OLD stays an alias of it;
- ``merge(FROM, INTO)``: FROM's usage moves to INTO; FROM (and its aliases) become aliases of INTO.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import Department, DepartmentUsage
from hospital_app.domain.departments import clean_department, normalize_department
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.i18n import tr
from hospital_app.services import audit


@dataclass
class DepartmentInfo:
    id: int
    name: str
    usage_rows: int
    aliases: list[str]

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "usage_rows": self.usage_rows, "aliases": list(self.aliases)}


class DepartmentResolver:
    """Name → surviving department id for one import run; new names are created (R21)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        rows = session.execute(select(Department.id, Department.name_norm, Department.merged_into_id)).all()
        into = {i: m for i, _n, m in rows}
        self.ids: dict[str, int] = {}
        for i, norm, _m in rows:
            self.ids[norm] = _survivor(i, into)
        self.created = 0

    def get(self, raw: str) -> int:
        norm = normalize_department(raw)
        found = self.ids.get(norm)
        if found is None:
            found = self.s.connection().execute(
                Department.__table__.insert().returning(Department.__table__.c.id),
                {"name": clean_department(raw), "name_norm": norm, "version": 1}).scalar_one()
            self.ids[norm] = found
            self.created += 1
        return found


def _survivor(dept_id: int, into: dict[int, int | None]) -> int:
    seen = set()
    while into.get(dept_id) is not None and dept_id not in seen:
        seen.add(dept_id)
        dept_id = into[dept_id]
    return dept_id


def _find(session: Session, name: str, what: str) -> Department:
    norm = normalize_department(name)
    if not norm:
        raise BadInput(tr("科室名称不能为空。", "The department name must not be empty."), column=what)
    dept = session.scalars(select(Department).where(Department.name_norm == norm)).first()
    if dept is None:
        raise NotFound(tr("找不到科室：{n}", "No such department: {n}", n=name), column=what)
    while dept.merged_into_id is not None:
        dept = session.get(Department, dept.merged_into_id)
    return dept


def find_department(session: Session, name: str) -> tuple[int, str]:
    """(id, name) of the department a name (or an alias) stands for; NotFound otherwise."""
    dept = _find(session, name, "NAME")
    return dept.id, dept.name


def list_departments(session: Session) -> list[DepartmentInfo]:
    """Every surviving department with its usage line count and its aliases."""
    counts = dict(session.execute(select(DepartmentUsage.department_id, func.count())
                                  .group_by(DepartmentUsage.department_id)).all())
    rows = session.execute(select(Department.id, Department.name, Department.merged_into_id)).all()
    into = {i: m for i, _n, m in rows}
    aliases: dict[int, list[str]] = {}
    for i, name, m in rows:
        if m is not None:
            aliases.setdefault(_survivor(i, into), []).append(name)
    return sorted((DepartmentInfo(i, name, counts.get(i, 0), sorted(aliases.get(i, [])))
                   for i, name, m in rows if m is None), key=lambda d: d.name)


def rename(session: Session, old: str, new: str, who: str | None = None) -> DepartmentInfo:
    """R21: the department called ``old`` is called ``new`` from now on; ``old`` stays an alias
    (a later export still using it lands here). ``new`` naming another department → Conflict
    (that is a merge)."""
    dept = _find(session, old, "OLD")
    new_clean, new_norm = clean_department(new), normalize_department(new)
    if not new_norm:
        raise BadInput(tr("新的科室名称不能为空。", "The new department name must not be empty."), column="NEW")
    other = session.scalars(select(Department).where(Department.name_norm == new_norm)).first()
    if other is not None and _find(session, new, "NEW").id != dept.id:
        raise Conflict(tr("已有名为“{n}”的科室；要把两个科室合并，请用“departments merge”。",
                          "A department named '{n}' already exists; to combine the two use 'departments merge'.",
                          n=new_clean))
    before = {"name": dept.name}
    if other is None:
        # The old spelling becomes an alias row; the department itself takes the new name.
        alias = Department(name=dept.name, name_norm=dept.name_norm, merged_into_id=dept.id)
        dept.name_norm = new_norm
        session.flush()
        session.add(alias)
    # else: ``new`` is already this department's key or one of its aliases: only the shown name changes.
    dept.name = new_clean
    session.flush()
    audit.record(session, who, "rename", "department", dept.id, before, {"name": new_clean})
    return next(d for d in list_departments(session) if d.id == dept.id)


def merge(session: Session, source: str, target: str, who: str | None = None) -> DepartmentInfo:
    """R21: ``source``'s usage lines move to ``target``; ``source`` and its aliases become
    aliases of ``target``. Merging a department into itself is refused."""
    src = _find(session, source, "FROM")
    dst = _find(session, target, "INTO")
    if src.id == dst.id:
        raise Conflict(tr("“{a}”和“{b}”已是同一个科室。", "'{a}' and '{b}' are already the same department.",
                          a=source, b=target))
    moved = session.execute(update(DepartmentUsage).where(DepartmentUsage.department_id == src.id)
                            .values(department_id=dst.id)).rowcount
    session.execute(update(Department).where(Department.merged_into_id == src.id).values(merged_into_id=dst.id))
    src.merged_into_id = dst.id
    session.flush()
    audit.record(session, who, "merge", "department", src.id, {"name": src.name},
                 {"merged_into": dst.name, "merged_into_id": dst.id, "usage_rows_moved": moved})
    return next(d for d in list_departments(session) if d.id == dst.id)
