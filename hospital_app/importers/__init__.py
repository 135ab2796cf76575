"""Reading xlsx/xls/csv files into records (IMPORT.md).

``open_table`` finds the sheet, the header and the data rows; ``values`` holds the
cell normalisers; ``safety`` the checks on untrusted files.
"""

from hospital_app.importers.table import Record, Table, open_table

__all__ = ["Record", "Table", "open_table"]
