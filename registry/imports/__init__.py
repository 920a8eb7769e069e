"""Bulk import of existing retirees from the county's old system (docs/import.md).

reading: xlsx (python-calamine) and CSV (UTF-8, GBK, GB18030) into rows of cells; columns: the header, defined
once; validation: every row checked against the file and the database, without writing; writing: the good rows
by COPY in one transaction; workbooks: the template and the rejected-rows file. The ImportBatch states and the
services that move them live in registry.services.imports.
"""
