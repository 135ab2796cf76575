"""Progress of every selected product (R6–R12, R17): what ``progress --json``, the dashboard,
the progress export, ``product show`` and the self-check PDF show.

- ``queries``: the SQL aggregates (as of d);
- ``engine``: routes them through the tested domain rules (``domain.targets``, ``status``,
  ``monitoring``) into ``ProgressRow``s;
- ``detail``: ``compute_progress``, ``product_detail``, ``batch_summary``;
- ``burnup``: the one burn-up calculation; ``export``: the one progress workbook.
"""

from hospital_app.services.progress.burnup import BurnUp, burn_up
from hospital_app.services.progress.detail import (
    BatchSummary,
    PeriodDetail,
    ProductDetail,
    batch_summary,
    compute_progress,
    product_detail,
)
from hospital_app.services.progress.engine import FLAG_ORDER, compute_rows
from hospital_app.services.progress.model import MonthFigure, ProgressReport, ProgressRow, ratio4

__all__ = ["BatchSummary", "BurnUp", "FLAG_ORDER", "MonthFigure", "PeriodDetail", "ProductDetail",
           "ProgressReport", "ProgressRow", "batch_summary", "burn_up", "compute_progress", "compute_rows",
           "product_detail", "ratio4"]
