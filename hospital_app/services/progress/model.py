"""What progress returns (R7–R13): rows, months, the report (plain dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from hospital_app.domain.targets import half_up_quotient


def ratio4(value: Fraction | None) -> float | None:
    """A fraction for output: rounded half up to 4 decimals (CLI.md ratios)."""
    if value is None:
        return None
    # Exact: half up on the fraction itself, no intermediate decimal rounding.
    if not isinstance(value, (int, Fraction)):
        value = Fraction(value)
    return half_up_quotient(value.numerator * 10_000, value.denominator) / 10_000


@dataclass
class MonthFigure:
    """One month of a period: R7 target vs counted purchases; R12 marks."""

    label: str  # 2025-03
    first_day: date
    last_day: date
    target: int
    purchased: int  # counted (R8), verified emergency purchases included
    clustered: bool = False
    empty: bool = False
    emergency: int = 0  # of ``purchased``: verified backup purchases (R11), left out of R12

    def as_dict(self) -> dict:
        return {"month": self.label, "first_day": self.first_day, "last_day": self.last_day,
                "target": self.target, "purchased": self.purchased,
                "clustered": self.clustered, "empty": self.empty}


@dataclass
class ProgressRow:
    product_id: int
    batch: str | None
    generic_name: str
    dosage_form: str | None
    spec: str | None
    manufacturer: str | None
    unit: str | None
    period_start: date
    period_end: date
    agreed_volume: int
    target_to_date: int
    purchased: int
    completion: Fraction
    schedule: Fraction
    status: str
    shortfall: int
    nonselected_share: Fraction
    flags: list[str] = field(default_factory=list)
    # CLI.md version 2 keys (R8 v2):
    remaining: int = 0
    over_purchase: int = 0
    period_days_left: int = 0
    lag_reason: str | None = None
    failed_reasons: list[str] = field(default_factory=list)
    # Beyond the CLI.md keys (GUI, PDF, alerts):
    ended: bool = False  # the period ended before as_of: its final assessment (R8 v2)
    first_start: date | None = None  # the product's own first period start (R8 v2 3rd month)
    agreement_end: tuple[int, int] | None = None  # (units left, per remaining month) (R8 v2)
    batch_id: int | None = None
    batch_kind: str | None = None
    period_id: int | None = None
    generic_name_norm: str = ""
    execution_start: date | None = None
    months: list[MonthFigure] = field(default_factory=list, repr=False)
    share_selected: int = 0
    share_nonselected: int = 0
    share_threshold: Decimal = Decimal("0.30")
    share_over_since: date | None = None
    behind_since: date | None = None
    purchased_before_period: bool = False  # counted purchase since the product's first start before this period
    cluster_k: Decimal = Decimal(2)
    severe_gap: Decimal = Decimal("0.10")
    supply_role: str | None = None
    marks: dict = field(default_factory=dict)
    manufacturer_id: int | None = None
    group_name: str | None = None
    group_members: list[int] = field(default_factory=list)  # R11 merged consumables (ids)
    group_completion: Fraction | None = None  # the group's C(d) when merged
    group_schedule: Fraction | None = None
    group_shortfall: int = 0
    suspended_on: date | None = None
    suspension_reason: str | None = None
    exempt: bool = False
    # Working figures of the engine (R9 "since", R12 empty months, R8 agreement end):
    share_months: dict = field(default_factory=dict, repr=False, compare=False)
    own_months: dict = field(default_factory=dict, repr=False, compare=False)
    agreement_end_days: int = 60

    def as_dict(self) -> dict:
        """Exactly the keys of CLI.md ``progress --json`` (version 2 keys last), in its order."""
        return {
            "product_id": self.product_id,
            "batch": self.batch,
            "generic_name": self.generic_name,
            "dosage_form": self.dosage_form,
            "spec": self.spec,
            "manufacturer": self.manufacturer,
            "unit": self.unit,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "agreed_volume": self.agreed_volume,
            "target_to_date": self.target_to_date,
            "purchased": self.purchased,
            "completion": ratio4(self.completion),
            "schedule": ratio4(self.schedule),
            "status": self.status,
            "shortfall": self.shortfall,
            "nonselected_share": ratio4(self.nonselected_share),
            "flags": list(self.flags),
            "remaining": self.remaining,
            "over_purchase": self.over_purchase,
            "period_days_left": self.period_days_left,
            "lag_reason": self.lag_reason,
            "failed_reasons": list(self.failed_reasons),
        }


@dataclass
class ProgressReport:
    as_of: date
    rows: list[ProgressRow]
    batch: str | None = None  # only this batch's rows (None: every batch)
    #: units bought per product from each period start to ``as_of`` (every product sharing a
    #: generic name with a row of that start, selected or not; absent = none bought): the
    #: figures behind the rows, reused by the R20 indicators instead of a second count.
    units_since: dict[date, dict[int, int]] = field(default_factory=dict, repr=False, compare=False)
    #: False: the assessment only (no month figures, no flags or dates drawn from them) — never
    #: reused where those are shown or alerted on (``alerts.collect_alerts`` checks it).
    months: bool = True
    #: every ended period of the same read of the periods (``engine.ended_rows`` reuses them);
    #: None for one batch's report, which reads another batch's periods not at all
    ended_periods: list | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "rows": [r.as_dict() for r in self.rows]}

    @property
    def current(self) -> list[ProgressRow]:
        """Rows of periods running on as_of (not the final assessments of ended ones)."""
        return [r for r in self.rows if not r.ended]

    def __iter__(self):  # callers may treat the report as its rows
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)
