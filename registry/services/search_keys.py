from __future__ import annotations

import io
from collections.abc import Sequence

from django.db import connection, transaction

from ..search import search_keys_for


@transaction.atomic
def retiree_search_keys_rebuild(*, retiree_ids: Sequence[int] | None = None) -> int:
    """Rebuild the search keys of these retirees (all when None) from their current names: delete, then
    COPY the new rows in, so a rename or an import of 100,000 people costs two statements.
    Returns the number of rows written."""
    with connection.cursor() as cursor:
        if retiree_ids is None:
            cursor.execute("TRUNCATE registry_retireesearchkey")
            cursor.execute("SELECT id, name FROM registry_retiree")
        else:
            ids = list(retiree_ids)
            if not ids:
                return 0
            cursor.execute("DELETE FROM registry_retireesearchkey WHERE retiree_id = ANY(%s)", [ids])
            cursor.execute("SELECT id, name FROM registry_retiree WHERE id = ANY(%s)", [ids])
        buffer = io.StringIO()
        written = 0
        for retiree_id, name in cursor.fetchall():
            for kind, key in search_keys_for(name):
                # Names never hold tabs, newlines or backslashes (normalise_name drops white space; the
                # intake and import checks refuse the rest), so COPY's text format needs no escaping.
                buffer.write(f"{retiree_id}\t{kind}\t{key}\n")
                written += 1
        buffer.seek(0)
        cursor.copy_expert("COPY registry_retireesearchkey (retiree_id, kind, key) FROM STDIN", buffer)
    return written
