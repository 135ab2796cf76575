"""Column types shared by the models.

Money and prices are ``Decimal`` everywhere (DOMAIN.md "Quantities and money"). SQLite
has no exact decimal type (NUMERIC columns store REAL), so ``FixedDecimal`` stores a
scaled integer (1.2345 元 with scale 4 → 12345). That is exact on SQLite and
PostgreSQL alike, and ``SUM()`` in SQL stays exact too; divide by ``10**scale``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator


class FixedDecimal(TypeDecorator):
    """Decimal stored as a scaled BIGINT. Values are rounded half up to ``scale``."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 4) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        value = Decimal(value)
        return int((value * self._factor).to_integral_value(rounding=ROUND_HALF_UP))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(Decimal(1).scaleb(-self.scale))

    def from_sql_sum(self, raw) -> Decimal:
        """Turn ``SUM(column)`` from a Core query back into a Decimal."""
        return self.process_result_value(raw or 0, None)


PRICE = FixedDecimal(4)   # 元 per base unit (0.0123 元/片), at least 4 places
AMOUNT = FixedDecimal(2)  # 元
