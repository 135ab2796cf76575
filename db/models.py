"""SQLAlchemy 2.0 models for the whole rule book (R1–R21, docs/RULES.md).

Conventions:
- Quantities are whole base units (片, 粒, 支 … or the unit a consumables batch names).
- Money is Decimal in FixedDecimal columns (see db/types.py), never float.
- Dates are ``date``; times are naive ``datetime`` in the hospital's local time
  (Asia/Shanghai), everywhere, so they compare without time-zone surprises.
- Tables a user edits carry ``version`` (optimistic locking, R-reliability): a stale
  write raises ``StaleDataError`` which services turn into ``Conflict``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    BigInteger,
    MetaData,
    column,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from db import order_summaries, summaries
from db.sql_time import micros_between
from db.types import AMOUNT, PRICE

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Versioned:
    """Optimistic locking: every UPDATE checks and bumps ``version``."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


# --------------------------------------------------------------------------- batches


class Batch(Versioned, Base):
    """A procurement batch (national, alliance or provincial) — R6."""

    __tablename__ = "batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="drug")  # drug | consumable
    level: Mapped[str | None] = mapped_column(String(40))  # national / alliance / provincial
    execution_start: Mapped[date | None] = mapped_column(Date)
    cycle_years: Mapped[int | None] = mapped_column(Integer)
    cycle_end: Mapped[date | None] = mapped_column(Date)
    extended_to: Mapped[date | None] = mapped_column(Date)  # 顺延
    # Batch-level policy overrides, e.g. {"r9_share_threshold": "0.25"} (settings.py keys)
    policy_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)

    products: Mapped[list[Product]] = relationship(back_populates="batch")


class Company(Versioned, Base):
    """A manufacturer (the "company") or distributor — names are unique as written."""

    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_manufacturer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_distributor: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))


# -------------------------------------------------------------------------- products


class Product(Versioned, Base):
    """Selected, non-selected or catalogue product.

    ``category``: ``selected`` (中选), ``nonselected`` (same generic name as a selected
    product), ``catalogue`` (anything else purchased; needed for baselines, R10, R13).
    """

    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_generic_norm_spec", "generic_name_norm", "spec_norm"),
        Index("ix_product_batch_selected", "batch_id", "selected"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"))
    code: Mapped[str | None] = mapped_column(String(80), index=True)  # platform code
    generic_name: Mapped[str] = mapped_column(String(200))  # as written
    generic_name_norm: Mapped[str] = mapped_column(String(200))  # R9 normalised
    dosage_form: Mapped[str | None] = mapped_column(String(60))
    # Consumable specs can be long ("规格型号" lists sizes and models): 500, widened in 0002
    spec: Mapped[str | None] = mapped_column(String(500))
    spec_norm: Mapped[str | None] = mapped_column(String(500))
    pack_desc: Mapped[str | None] = mapped_column(String(500))
    units_per_pack: Mapped[int | None] = mapped_column(Integer)
    base_unit: Mapped[str | None] = mapped_column(String(20))
    pack_unit: Mapped[str | None] = mapped_column(String(20))  # 盒, 瓶 …
    approval_number: Mapped[str | None] = mapped_column(String(80))
    manufacturer_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))

    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(String(20), default="catalogue")
    supply_role: Mapped[str | None] = mapped_column(String(20))  # primary | backup
    group_name: Mapped[str | None] = mapped_column(String(80))  # 组别 (consumables, R11)
    selected_price: Mapped[Decimal | None] = mapped_column(PRICE)  # 元 per base unit

    # Marks (R11, R17)
    is_shortage: Mapped[bool] = mapped_column(Boolean, default=False)
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    cheaper_equal_quality: Mapped[bool] = mapped_column(Boolean, default=False)
    key_monitoring: Mapped[bool] = mapped_column(Boolean, default=False)
    # Quality suspension (R17)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    suspension_reported_to: Mapped[list] = mapped_column(JSON, default=list)
    # The pharmacist's reason the product lags (未完成原因; R8, R19), shown in progress and the self-check
    lag_reason: Mapped[str | None] = mapped_column(Text)
    # A user-entered pre-VBP reference price per base unit (R18), used when history has none
    reference_price: Mapped[Decimal | None] = mapped_column(PRICE)

    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)

    batch: Mapped[Batch | None] = relationship(back_populates="products")
    manufacturer: Mapped[Company | None] = relationship()
    periods: Mapped[list[AgreementPeriod]] = relationship(
        back_populates="product", order_by="AgreementPeriod.start"
    )
    packs: Mapped[list[ProductPack]] = relationship(
        back_populates="product", order_by="ProductPack.id", cascade="all, delete-orphan"
    )


class ProductPack(Base):
    """One pack of a product with its price (IMPORT.md v2: 5mg×10片/盒 → 10 片 per 盒).

    A product keeps every pack a list gives it (14片/盒 and 20片/盒 at different prices);
    a purchase in packs is converted with its own pack, never the last one read.
    """

    __tablename__ = "product_pack"
    __table_args__ = (
        UniqueConstraint("product_id", "units_per_pack", "pack_unit", name="uq_product_pack_units"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    pack_desc: Mapped[str | None] = mapped_column(String(500))  # as written: "5mg×10片/盒"
    units_per_pack: Mapped[int] = mapped_column(Integer)  # base units in one pack
    pack_unit: Mapped[str | None] = mapped_column(String(20))  # 盒, 瓶 …
    price_per_pack: Mapped[Decimal | None] = mapped_column(PRICE)
    price_per_unit: Mapped[Decimal | None] = mapped_column(PRICE)  # 元 per base unit
    code: Mapped[str | None] = mapped_column(String(80), index=True)  # the list's code for this pack
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)

    product: Mapped[Product] = relationship(back_populates="packs")


class AgreementPeriod(Versioned, Base):
    """One agreement year of a selected product with its agreed volume — R6, R7."""

    __tablename__ = "agreement_period"
    __table_args__ = (UniqueConstraint("product_id", "start", name="uq_agreement_period_product_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    year_index: Mapped[int] = mapped_column(Integer, default=1)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    agreed_volume: Mapped[int] = mapped_column(BigInteger)
    signed_on: Mapped[date | None] = mapped_column(Date)
    # An extension period (顺延, R6 v2): compared per month, volume given or pro-rated
    is_extension: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    product: Mapped[Product] = relationship(back_populates="periods")


class ProductDistributor(Base):
    """A distributor recorded for a product in the pooling region — R16."""

    __tablename__ = "product_distributor"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), primary_key=True)


# ------------------------------------------------------------------ purchases, orders


class ImportRun(Base):
    """One import of one file (IMPORT.md): what, who, when, counts."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sheet: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    who: Mapped[str | None] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # --skip-invalid
    # Digest of the rows the run wrote (issue 23): `check` finds direct edits of imported data
    content_digest: Mapped[str | None] = mapped_column(String(64))


class ImportMapping(Base):
    """A saved column mapping (field → header) for one import kind."""

    __tablename__ = "import_mapping"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_import_mapping_kind_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Purchase(Base):
    """A purchase line in base units. Negative quantity only for returns (退货)."""

    __tablename__ = "purchase"
    __table_args__ = (
        # Covering (quantity included): progress/alerts sum quantities per product and month
        # from the index alone, without reading the 500 000 table rows (issue 12).
        Index("ix_purchase_product_date", "product_id", "purchase_date", "quantity"),
        Index("ix_purchase_date", "purchase_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    # Idempotency key (IMPORT.md): "order_no#line", else a hash of all fields.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    order_no: Mapped[str | None] = mapped_column(String(80))
    line_no: Mapped[int | None] = mapped_column(Integer)
    order_time: Mapped[datetime | None] = mapped_column(DateTime)
    purchase_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(BigInteger)  # base units
    unit_price: Mapped[Decimal | None] = mapped_column(PRICE)  # per base unit
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    is_return: Mapped[bool] = mapped_column(Boolean, default=False)
    # The pack the line was converted with (IMPORT.md v2), when it was given in packs
    pack_id: Mapped[int | None] = mapped_column(ForeignKey("product_pack.id", ondelete="SET NULL"))
    source_file: Mapped[str | None] = mapped_column(String(500))
    source_row: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))

    product: Mapped[Product] = relationship()


class PurchaseMonth(Base):
    """Per product and calendar month ('YYYY-MM'): the sums of its purchase lines, kept up to
    date by triggers on ``purchase`` (db/summaries.py; issues 17, 21). Derived: never edited,
    backed up or restored. ``amount`` sums the lines' non-null amounts (scaled fen);
    ``amount_lines`` counts them, so a month whose lines have no amount reads as NULL; ``value``
    is in 0.0001 元: the amount, else unit price × quantity (indicators.amount_e4)."""

    __tablename__ = "purchase_month"
    __table_args__ = ({"info": {"derived": True}},)

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    amount_lines: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # 0.0001 元 (R20 amount shares)
    lines: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Order(Base):
    """A platform order: placed, responded, delivered, accepted — R4, R5."""

    __tablename__ = "orders"
    __table_args__ = (
        # Covering indexes (issues 17, 21): the R4 counts read each distributor's orders by placing
        # time, the R5 payments by acceptance date, without visiting the table.
        Index("ix_orders_company_placed", "company_id", "placed_at", "responded_at", "delivered_at", "emergency",
              "response_us", "delivery_us"),
        Index("ix_orders_placed_cover", "placed_at", "company_id", "product_id", "order_no", "responded_at",
              "delivered_at", "emergency", "quantity", "delivered_quantity", "response_us", "delivery_us"),
        Index("ix_orders_accepted_cover", "accepted_on", "order_no", "company_id", "amount"),
        # R5 overdue deliveries: the lines not settled by d, in acceptance order (issue 21).
        Index("ix_orders_settled", "settled_on", "accepted_on", "order_no", "company_id", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    order_no: Mapped[str] = mapped_column(String(80), index=True)
    line_no: Mapped[int | None] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))  # distributor
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int | None] = mapped_column(BigInteger)  # base units
    # Base units delivered (R4 v2 order delivery rate); None with a delivery time = in full
    delivered_quantity: Mapped[int | None] = mapped_column(BigInteger)
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    source_file: Mapped[str | None] = mapped_column(String(500))
    source_row: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    # R5: the first payment date from which the line stays paid in full; NULL while it is not.
    # Kept by triggers on payment and orders (db/order_summaries.py); never written by the app.
    settled_on: Mapped[date | None] = mapped_column(Date)
    # R4: microseconds from placing to response / delivery, computed by the database (generated
    # columns; stored in ix_orders_placed_cover), so the 48 h / 4 h windows are integer
    # comparisons when orders are counted (issue 21). NULL while not responded / delivered.
    response_us: Mapped[int | None] = mapped_column(
        BigInteger, Computed(micros_between(column("placed_at"), column("responded_at"))))
    delivery_us: Mapped[int | None] = mapped_column(
        BigInteger, Computed(micros_between(column("placed_at"), column("delivered_at"))))

    company: Mapped[Company | None] = relationship()


class OrderShape(Base):
    """One row (``id = 1``): how many order numbers have more than one line, kept by triggers
    on ``orders`` (db/order_summaries.py; issues 17, 21) so that R4/R5 know in one read whether
    every order is one line. Derived: never edited, backed up or restored."""

    __tablename__ = "order_shape"
    __table_args__ = ({"info": {"derived": True}},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    repeated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Payment(Versioned, Base):
    """Payment of an accepted delivery — R5 (due: end of the month after acceptance)."""

    __tablename__ = "payment"
    # R5 sums of a delivery's payments known on d, read from the index alone (issue 21).
    __table_args__ = (Index("ix_payment_order_paid", "order_id", "paid_on", "amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    paid_on: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    # R5 v2: "import" (a payment column of the orders export) or "manual" (recorded by hand)
    source: Mapped[str] = mapped_column(String(20), default="manual", server_default="manual")
    # Idempotency of imported payments (IMPORT.md): re-importing adds nothing
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)

    order: Mapped[Order] = relationship()


# ---------------------------------------------------------------------- supply issues


class SupplyIssue(Versioned, Base):
    """A supply issue (供应问题反馈) — R3. Dues are derived from the calendar, not stored."""

    __tablename__ = "supply_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))  # manufacturer
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    reported_by: Mapped[str | None] = mapped_column(String(100))
    # Reported to the insurance bureau (R3 v2, `issues report`) and the bureau's confirmation
    # (核实, `issues confirm`); R11 v2 exclusions depend on both.
    insurance_notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    bureau_report_to: Mapped[str | None] = mapped_column(String(200))
    bureau_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    bureau_confirm_ref: Mapped[str | None] = mapped_column(String(200))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    reply_text: Mapped[str | None] = mapped_column(Text)
    promised_date: Mapped[date | None] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolution_text: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    emergency_verified: Mapped[bool] = mapped_column(Boolean, default=False)  # R11

    product: Mapped[Product] = relationship()
    events: Mapped[list[SupplyIssueEvent]] = relationship(
        back_populates="issue", order_by="SupplyIssueEvent.id", cascade="all, delete-orphan"
    )


class SupplyIssueEvent(Base):
    """Timeline of a supply issue: who, when, what (R3)."""

    __tablename__ = "supply_issue_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("supply_issue.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)  # when it happened (business time)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)
    who: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # filed, replied, resolved, closed, escalated, note
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)

    issue: Mapped[SupplyIssue] = relationship(back_populates="events")


class SupplyIssuePurchase(Base):
    """Purchases a supply issue excuses (R11: backup-supplier or non-selected buys)."""

    __tablename__ = "supply_issue_purchase"

    issue_id: Mapped[int] = mapped_column(ForeignKey("supply_issue.id", ondelete="CASCADE"), primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchase.id", ondelete="CASCADE"), primary_key=True)


# ------------------------------------------------------------- assessment adjustments


class Exemption(Versioned, Base):
    """Exemption of a product from the completion assessment — R11."""

    __tablename__ = "exemption"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    # key_monitoring | public_health_event | guideline_change
    reason: Mapped[str] = mapped_column(String(40))
    document_ref: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Substitute(Versioned, Base):
    """A substitute drug mapped to a selected generic name — R10."""

    __tablename__ = "substitute"
    __table_args__ = (
        UniqueConstraint("selected_generic_norm", "substitute_generic_norm", name="uq_substitute_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    selected_generic_norm: Mapped[str] = mapped_column(String(200), index=True)
    substitute_generic_name: Mapped[str] = mapped_column(String(200))
    substitute_generic_norm: Mapped[str] = mapped_column(String(200), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


# ------------------------------------------------------------------- volume reports


class VolumeReport(Versioned, Base):
    """A volume report (报量) for a batch's new cycle or renewal — R13."""

    __tablename__ = "volume_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"))
    name: Mapped[str] = mapped_column(String(200))
    cycle: Mapped[str | None] = mapped_column(String(40))
    source_file: Mapped[str | None] = mapped_column(String(500))
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    submitted_on: Mapped[date | None] = mapped_column(Date)  # R13 v2: warnings come before this
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)

    lines: Mapped[list[VolumeReportLine]] = relationship(
        back_populates="report", order_by="VolumeReportLine.id", cascade="all, delete-orphan"
    )


class VolumeReportLine(Base):
    __tablename__ = "volume_report_line"
    __table_args__ = (Index("ix_volume_line_generic_spec", "generic_name_norm", "spec_norm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("volume_report.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    product_code: Mapped[str | None] = mapped_column(String(80))
    generic_name: Mapped[str] = mapped_column(String(200))
    generic_name_norm: Mapped[str] = mapped_column(String(200))
    dosage_form: Mapped[str | None] = mapped_column(String(60))
    spec: Mapped[str | None] = mapped_column(String(500))
    spec_norm: Mapped[str | None] = mapped_column(String(500))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    reported_quantity: Mapped[int] = mapped_column(BigInteger)  # base units
    source_row: Mapped[int | None] = mapped_column(Integer)

    report: Mapped[VolumeReport] = relationship(back_populates="lines")
    note: Mapped[ExplanatoryNote | None] = relationship(back_populates="line", uselist=False)


class ExplanatoryNote(Versioned, Base):
    """The explanation a volume-report line needs (R13): drafted, edited, signed."""

    __tablename__ = "explanatory_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        ForeignKey("volume_report_line.id", ondelete="CASCADE"), unique=True
    )
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # R13 reason keys
    free_text: Mapped[str | None] = mapped_column(Text)
    draft_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | signed
    signed_by: Mapped[str | None] = mapped_column(String(100))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now, onupdate=datetime.now)

    line: Mapped[VolumeReportLine] = relationship(back_populates="note")


# -------------------------------------------------------------- calendar and settings


class CalendarDay(Versioned, Base):
    """A user correction of the working-day calendar (R1): it wins over the library."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class Setting(Versioned, Base):
    """A setting's value as JSON text; types and defaults live in hospital_app.settings."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class ReportText(Versioned, Base):
    """Editable text stored for a document, e.g. the self-check findings of 2025Q2."""

    __tablename__ = "report_text"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class CorrectiveMeasure(Versioned, Base):
    """A problem found by a self-check, its cause and the corrective measure (R19)."""

    __tablename__ = "corrective_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_key: Mapped[str] = mapped_column(String(20), index=True)  # "2025-06", "2025Q2", "2025"
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"))
    problem: Mapped[str] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    measure: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(100))
    responsible: Mapped[str | None] = mapped_column(String(100))
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class GeneratedDocument(Base):
    """History of generated documents (reports page)."""

    __tablename__ = "generated_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    path: Mapped[str] = mapped_column(String(1000))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


# ------------------------------------------------------------------------ departments


class Department(Versioned, Base):
    """A clinical department (科室, R21); names normalised, merged ones point to the survivor."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_norm: Mapped[str] = mapped_column(String(100), unique=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class DepartmentUsage(Base):
    """A department's dispensing/consumption line in base units (R21); returns negative."""

    __tablename__ = "department_usage"
    __table_args__ = (
        Index("ix_department_usage_product_date", "product_id", "usage_date", "department_id", "quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    usage_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(BigInteger)  # base units
    is_return: Mapped[bool] = mapped_column(Boolean, default=False)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    source_file: Mapped[str | None] = mapped_column(String(500))
    source_row: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))


# ------------------------------------------------------------------ users and audit


class AppUser(Versioned, Base):
    """A user of a shared database (roles: pharmacist, director, admin)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="pharmacist")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)


class AuditLog(Base):
    """Append-only, hash-chained record of every change (who, when, before → after)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now)
    who: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Digest of the changed row as written (issue 23): `check` finds direct edits
    row_digest: Mapped[str | None] = mapped_column(String(64))



# A new database gets the summary triggers with its tables (db/summaries.py).
summaries.attach(Base.metadata)
order_summaries.attach(Base.metadata)
