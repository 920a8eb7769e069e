"""The enquiry statement (待遇查询单) printed on A4: page numbers and repeated table headers come from CSS;
every figure is the one pensions.selectors.statements assembled (docs/statements.md)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from registry.pdfs.rendering import css_string, render_pdf

from ..selectors.statements import Statement


def statement_filename(statement: Statement) -> str:
    """ASCII only: the certificate number (or record id) and the period."""
    key = statement.identity.certificate_number or f"r{statement.retiree_id}"
    return f"statement-{key}-{statement.from_month.number}-{statement.to_month.number}.pdf"


def statement_pdf(statement: Statement) -> bytes:
    identity = statement.identity
    running = {
        "title": _("企业退休人员养老金待遇查询单"),
        "who": _("%(name)s  待遇证号 %(number)s")
        % {"name": identity.name, "number": identity.certificate_number or "—"},
        "printed": _("打印:%(at)s  %(by)s")
        % {"at": statement.printed_at.strftime("%Y-%m-%d %H:%M"), "by": statement.printed_by},
    }
    css = {key: css_string(value) for key, value in running.items()}
    return render_pdf(template="pensions/statement_pdf.html", context={"s": statement, "css": css})
