"""Demo department usage (R21): HIS-style departments whose use explains the demo's lag.

Called by ``demo.generate_demo`` after everything else, with its own random generator so
the rest of the demo stays as it was. The hospital's dispensing mirrors its purchases,
month by month: each generic name is used by the departments that prescribe it (a
profile per drug class: 心血管内科 for statins, 内分泌科 for antidiabetics …). Non-selected
products are mostly prescribed by one department of the profile (its second one — e.g.
普外科 for 奥美拉唑, 急诊医学科 for 左氧氟沙星), which is what the departments page and the
department notice then show for the lagging products. A few lines are returns (退药).
"""

from __future__ import annotations

import calendar as _cal
import random
from datetime import date

from sqlalchemy import extract, func, select

from db.models import Department, DepartmentUsage, Product, Purchase
from hospital_app.domain.departments import apportion, normalize_department

# Keyword of the generic name → departments (first = main prescriber, second = the one that
# prefers the original/non-selected brands), with weights for selected products.
PROFILES: list[tuple[tuple[str, ...], tuple[tuple[str, int], ...]]] = [
    (("他汀", "氯吡格雷", "替格瑞洛", "沙坦", "地平", "普利", "利伐沙班"),
     (("心血管内科", 55), ("老年医学科", 20), ("神经内科", 15), ("全科医学科", 10))),
    (("二甲双胍", "格列", "阿卡波糖", "胰岛素"), (("内分泌科", 60), ("老年医学科", 25), ("肾内科", 15))),
    (("拉唑",), (("消化内科", 45), ("普外科", 35), ("心血管内科", 20))),
    (("头孢", "阿莫西林", "沙星"), (("呼吸与危重症医学科", 45), ("急诊医学科", 30), ("普外科", 25))),
    (("恩替卡韦", "干扰素"), (("感染性疾病科", 65), ("消化内科", 35))),
    (("奥氮平", "阿立哌唑", "帕罗西汀", "舍曲林"), (("精神心理科", 80), ("神经内科", 20))),
    (("左乙拉西坦",), (("神经内科", 70), ("儿科", 30))),
    (("孟鲁司特", "氨溴索"), (("儿科", 50), ("呼吸与危重症医学科", 50))),
    (("他克莫司", "吗替麦考酚酯"), (("肾内科", 70), ("器官移植科", 30))),
    (("塞来昔布", "布洛芬", "对乙酰氨基酚", "非布司他"), (("骨科", 45), ("疼痛科", 25), ("风湿免疫科", 30))),
    (("肝素",), (("骨科", 40), ("心血管内科", 40), ("重症医学科", 20))),
    (("支架", "球囊"), (("心血管内科", 85), ("重症医学科", 15))),
    (("关节",), (("骨科", 100),)),
    (("吻合器",), (("普外科", 70), ("胸外科", 30))),
    (("输液器", "留置针", "氯化钠"), (("急诊医学科", 30), ("普外科", 25), ("心血管内科", 25), ("重症医学科", 20))),
    (("蒙脱石",), (("儿科", 60), ("消化内科", 40))),
]
DEFAULT = (("全科医学科", 60), ("普外科", 40))


def profile(generic: str) -> tuple[tuple[str, int], ...]:
    for words, depts in PROFILES:
        if any(w in generic for w in words):
            return depts
    return DEFAULT


def build_department_usage(session, as_of: date, seed: int) -> int:
    """R21 demo: department usage lines from the purchases, month by month. Returns the count."""
    rng = random.Random(seed * 7919 + 21)
    year, month = extract("year", Purchase.purchase_date), extract("month", Purchase.purchase_date)
    monthly = session.execute(
        select(Purchase.product_id, year, month, func.sum(Purchase.quantity))
        .where(Purchase.purchase_date <= as_of).group_by(Purchase.product_id, year, month)
        .order_by(Purchase.product_id, year, month)).all()
    products = {pid: (generic, bool(sel)) for pid, generic, sel in
                session.execute(select(Product.id, Product.generic_name, Product.selected))}
    dept_ids: dict[str, int] = {}

    def dept(name: str) -> int:
        if name not in dept_ids:
            dept_ids[name] = session.connection().execute(
                Department.__table__.insert().returning(Department.__table__.c.id),
                {"name": name, "name_norm": normalize_department(name), "version": 1}).scalar_one()
        return dept_ids[name]

    rows: list[dict] = []
    for pid, y, m, qty in monthly:
        qty = int(qty or 0)
        if qty <= 0 or pid not in products:
            continue
        generic, selected = products[pid]
        depts = profile(generic)
        if selected or len(depts) == 1:
            weights = [w for _n, w in depts]
        else:  # non-selected brands: mostly the profile's second department
            weights = [75 if i == 1 else 25 // max(1, len(depts) - 1) for i in range(len(depts))]
        last = min(_cal.monthrange(int(y), int(m))[1], as_of.day if (int(y), int(m)) == (as_of.year, as_of.month)
                   else 31)
        for (name, _w), part in zip(depts, apportion(qty, weights)):
            if part <= 0:
                continue
            day = date(int(y), int(m), rng.randint(1, last))
            key = f"demo:{pid}:{int(y)}-{int(m):02d}:{name}"
            rows.append({"department_id": dept(name), "product_id": pid, "usage_date": day, "quantity": part,
                         "is_return": False, "dedup_key": key, "source_file": "demo"})
            if rng.random() < 0.03 and part >= 20:  # a return (退药) later the same month
                back = max(1, part // rng.randint(10, 20))
                rows.append({"department_id": dept(name), "product_id": pid,
                             "usage_date": date(int(y), int(m), rng.randint(day.day, last)), "quantity": -back,
                             "is_return": True, "dedup_key": key + ":r", "source_file": "demo"})
            if len(rows) >= 5000:
                session.connection().execute(DepartmentUsage.__table__.insert(), rows)
                rows.clear()
    total = len(rows)
    if rows:
        session.connection().execute(DepartmentUsage.__table__.insert(), rows)
    return session.scalar(select(func.count()).select_from(DepartmentUsage)) if total or dept_ids else 0
