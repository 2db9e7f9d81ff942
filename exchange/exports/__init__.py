"""Exports: what the list pages show (board, volunteers, assignments, messages),
the payroll and the station staffing of an election, as CSV or XLSX.

Each export is a ``Kind`` (``base``): its columns (with the page's columns picked
by default and contact columns only for those who may see contact data), a
filter form and the rows, read through the same read models and the same scope
as the page, a chunk at a time. ``respond`` writes them and audits the export."""
