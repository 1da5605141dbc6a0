"""Building an assessment's report: its document, its tables, the PDF and the spreadsheet export."""
