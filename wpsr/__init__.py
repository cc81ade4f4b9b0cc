"""The toolkit behind the World Public Sector Report living report.

Notebooks use three things: ``load`` (a validated dataset), ``figure`` (a chart with
its description, source and data) and ``table`` (a captioned table with the same).
"""

from wpsr.charts import figure
from wpsr.data import DataError, load
from wpsr.tables import table

__all__ = ["DataError", "figure", "load", "table"]
