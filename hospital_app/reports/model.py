"""Plain data the documents print, defined on the reports side (issue 21: no import cycle).

``hospital_app.services.documents`` gathers these from the services; the renderers in
``hospital_app.reports`` import nothing from ``hospital_app.services``. Money is
``Decimal``, ratios are floats rounded to 4 places (as ``progress --json``), dates are
``date``. Product rows of the self-check are the ``progress --json`` dicts plus
``lag_reason`` and ``failed_reasons`` (CLI.md version 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Identity:
    """R19: who the document is from — never an operating-system login."""

    name: str
    department: str = ""
    responsible: str = ""
    contact: str = ""
    code: str = ""
    bureau: str = ""


@dataclass
class BatchSummary:
    """R8 per batch within one block of agreement periods."""

    name: str
    products: int
    by_status: dict[str, int]
    agreed: float | None  # 元 at the selected price (None when a product has no price on record)
    target: float | None  # 元 scheduled to date
    purchased: float | None  # 元 bought (counted purchases × selected price)
    completion: float | None  # purchased ÷ agreed, in the batch's weights
    schedule: float | None  # S(d) in the same weights (R7)
    failed: int = 0  # ended block: products failing the assessment
    burnup_labels: list[str] = field(default_factory=list)
    burnup_purchased: list[float] = field(default_factory=list)
    burnup_schedule: list[float] = field(default_factory=list)
    weighting: str = "amount"  # "amount" (元) or "products" (each product weighs the same)


@dataclass
class AgreementBlock:
    """Every product whose agreement period is ``start..end``, in one state.

    ``ended``: the period ended inside the report period; rows are its final assessment
    (computed as of ``end``) with ``failed_reasons``. Otherwise the period is running and
    the rows are its state on ``assessed_on`` (the report period's last day).
    """

    start: date
    end: date
    ended: bool
    assessed_on: date
    rows: list[dict]
    batches: list[BatchSummary]


@dataclass(frozen=True)
class SelectedShare:
    """The selected products' share of the purchases of their generic names (R9, R19)."""

    selected_quantity: int
    total_quantity: int
    selected_amount: Decimal
    total_amount: Decimal
    quantity_share: float | None
    amount_share: float | None


@dataclass(frozen=True)
class IssueLine:
    """R3: a supply issue as it stood on the report's day."""

    id: int
    product: str
    company: str
    type_label: str
    reported_at: datetime
    reply_due: date
    resolution_due: date
    status_label: str
    overdue: list[str]  # "reply", "resolution"
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class PaymentSummary:
    """R5 per company: deliveries whose payment fell due in the period."""

    company: str
    due: int
    on_time: int
    late: int
    unpaid: int
    rate: float | None
    amount_due: Decimal
    amount_unpaid: Decimal


@dataclass(frozen=True)
class OverduePayment:
    order_no: str
    company: str
    accepted_on: date | None
    due: date
    amount: Decimal


@dataclass(frozen=True)
class NoteLine:
    """R13: one volume-report line that needs a note, with its note's state."""

    report_name: str
    generic_name: str
    spec: str
    baseline: int
    reported: int
    change: float | None
    status: str  # none | draft | signed
    signed_on: str  # the date it was signed ("" while unsigned); never a user or login name


@dataclass(frozen=True)
class Suspension:
    """R17: a product suspended for quality reasons."""

    product: str
    since: date
    reason: str
    reported_to: str


@dataclass(frozen=True)
class Measure:
    """R19: a problem, its cause and the corrective measure, with department and date."""

    id: int | None
    problem: str
    cause: str
    measure: str
    department: str
    responsible: str
    due_date: date | None
    product_id: int | None = None
    version: int | None = None


# Sections other engineers are building (R15, R4 v2 scorecard, R21). Each has its plain
# row type here and one section builder in ``reports.self_check``; the service fills the
# list (None: the section is not printed yet).


@dataclass(frozen=True)
class PrepaymentLine:
    """R15: one batch and agreement year (CLI.md ``prepayment --json``)."""

    batch: str
    year: str
    agreed_amount: Decimal
    rate: float
    prepayment: Decimal
    offset: Decimal
    outstanding: Decimal
    period_start: date | None = None  # the agreement year's dates (the batch's products together)
    period_end: date | None = None
    recover_by: date | None = None  # what is not offset is recovered by this day (cycle end + 2 months)


@dataclass(frozen=True)
class SupplierLine:
    """R4 version 2: one supplier's scorecard (CLI.md ``suppliers --json``)."""

    company: str
    role: str
    period: str
    placed: int
    response_rate: float | None
    timeliness: float | None
    delivery_rate: float | None
    issues: int
    issues_on_time_rate: float | None
    escalations: int
    level: str | None


@dataclass(frozen=True)
class DepartmentLine:
    """R21: a department driving a lag or a non-selected share (R19: named in the self-check).

    One line per department behind one problem row; ``department`` is empty when no department
    used the generic name in the window. ``share`` is the department's non-selected share,
    ``hospital_share`` the generic name's (R9); ``shortfall`` the row's (0 unless it lags)."""

    department: str
    generic_name: str
    selected: int
    nonselected: int
    share: float | None
    shortfall_part: int
    product_id: int | None = None
    spec: str = ""
    period_start: date | None = None
    period_end: date | None = None
    lagging: bool = False
    share_over: bool = False
    shortfall: int = 0
    unit: str = ""
    hospital_share: float | None = None


@dataclass
class SelfCheckData:
    """Everything the self-check report prints (R19)."""

    period_key: str
    period_label: str
    period_start: date
    period_end: date
    as_of: date
    identity: Identity
    blocks: list[AgreementBlock]
    share: SelectedShare | None
    nonselected: list[dict]  # generic_name, share, threshold, over
    substitutes: list[dict]  # message lines of the substitute findings (R10)
    not_in_hospital: list[dict]  # progress rows flagged not_in_hospital
    clustered: list[dict]  # progress rows flagged clustered / empty months
    exemptions: list[dict]
    issues: list[IssueLine]
    orders: list[dict]  # ``orders stats --json`` rows
    payments: list[PaymentSummary]
    overdue_payments: list[OverduePayment]
    notes: list[NoteLine]
    suspensions: list[Suspension]
    measures: list[Measure]
    findings_text: str
    findings_stored: bool
    r9_threshold: Decimal = Decimal("0.30")
    prepayment: list[PrepaymentLine] | None = None
    suppliers: list[SupplierLine] | None = None
    departments: list[DepartmentLine] | None = None
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (kind of finding, message): the appendix


@dataclass(frozen=True)
class MissedDue:
    what: str  # reply | resolution
    due: date
    done: datetime | None  # when it finally happened (None: still not)
    working_days: int  # by how many working days (R2) it was missed, up to as_of


@dataclass(frozen=True)
class IssueDocData:
    """The complaint form and the escalation letter (R3). ``detail``: the issue with its
    timeline as ``supply_issues.get_issue`` returns it (frozen plain values: ``.issue`` with
    the ``issues list --json`` fields and names, ``.events``)."""

    detail: Any
    as_of: date
    identity: Identity
    product_code: str | None
    missed: list[MissedDue]

    @property
    def hospital_name(self) -> str:
        return self.identity.name

    @property
    def hospital_code(self) -> str:
        return self.identity.code

    @property
    def contact(self) -> str:
        return self.identity.contact

    @property
    def bureau(self) -> str:
        return self.identity.bureau


@dataclass(frozen=True)
class NoteDoc:
    """R13: one explanatory note as the notes PDF and workbook print it. ``text``: the note's
    paragraphs with placeholders removed; ``coverage``: the sentence saying which months the
    purchase data cover when they do not cover the baseline year or the 12 months shown
    (else empty); ``months_covered``: False when the 12 months are not all on record."""

    line_id: int
    report_name: str
    product_code: str
    generic_name: str
    dosage_form: str
    spec: str
    manufacturer: str
    baseline_year: int
    baseline: int
    reported: int
    change: Any  # Fraction | None
    reason: str | None  # decrease_over_20 | increase_over_150 | no_history
    months: list[tuple[str, int]]
    trend: str
    months_covered: bool
    coverage: str
    reasons: list[str]  # labels of the chosen reasons
    free_text: str
    text: list[str]
    status: str  # none | draft | signed
    signed_by: str
    signed_at: datetime | None
