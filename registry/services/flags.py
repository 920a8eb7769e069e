"""County flags on people (人员标记, docs/flags.md): the kinds the admin keeps, a clerk setting or removing
one flag, and the import of many.

A flag row is its own record of who set it and when; removing it stamps who and when on the same row (the
partial unique index keeps one current row per person and kind, pghistory keeps every version). The annual
adjustment reads the current rows by FlagKind.code.

An import is checked whole before anything is written: the file is kept in storage under a signed token
between the preview and the confirmation, read and checked again on confirmation (the registry may have
changed), and written in one transaction with one INSERT or one UPDATE for all its rows. A file with any
problem row is not written at all; the clerk corrects it and uploads it again.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import PurePath

import pghistory
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import access
from ..access import Action
from ..errors import FlagError, ImportBatchError
from ..id_numbers import mask_resident_id, parse_resident_id
from ..imports.columns import normalise_header
from ..imports.reading import Cell, csv_records, decode_csv, is_blank, upload_bytes, xlsx_records
from ..imports.validation import cell_text
from ..models import FlagKind, Retiree, RetireeFlag, Staff
from ..sql import with_names

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,20}$")
NOTE_MAX = 200
# Checked synchronously in the request: a county's list of title holders is a few thousand rows.
IMPORT_MAX_ROWS = 20_000
IMPORT_MAX_MB = 10
_STORAGE_DIR = "flag_imports"
_TOKEN_SALT = "registry.flag-import"  # noqa: S105 - a signing namespace, not a secret
_TOKEN_MAX_AGE = 24 * 3600
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?[eE]\+?\d+$")


# Flag kinds (MANAGE_SETTINGS) -------------------------------------------------------------------------------


def flag_kind_create(*, code: str, name: str, sort_order: int = 0, by: Staff) -> FlagKind:
    access.require(by, Action.MANAGE_SETTINGS)
    code, name = code.strip(), name.strip()
    _check_code(code)
    _check_name(name)
    if FlagKind.objects.filter(code__iexact=code).exists():
        raise FlagError(_("标记代码“%(code)s”已存在。") % {"code": code}, field="code")
    _check_name_free(name, exclude_pk=None)
    try:
        with transaction.atomic():
            return FlagKind.objects.create(code=code, name=name, sort_order=sort_order)
    except IntegrityError:  # a second admin added the same one in the same instant
        raise FlagError(_("标记代码或名称已存在。"), field="code") from None


def flag_kind_update(
    *, kind: FlagKind, by: Staff, name: str, sort_order: int, is_active: bool, code: str | None = None
) -> FlagKind:
    """Rename, reorder, deactivate or reactivate a kind. The code may change only while no one has ever
    carried the flag: the adjustment's parameters name flags by code."""
    access.require(by, Action.MANAGE_SETTINGS)
    name = name.strip()
    _check_name(name)
    _check_name_free(name, exclude_pk=kind.pk)
    if code is not None and code.strip() != kind.code:
        code = code.strip()
        _check_code(code)
        if RetireeFlag.objects.filter(kind=kind).exists():
            raise FlagError(_("该标记已有人使用过,标记代码不能再修改。"), field="code")
        if FlagKind.objects.filter(code__iexact=code).exclude(pk=kind.pk).exists():
            raise FlagError(_("标记代码“%(code)s”已存在。") % {"code": code}, field="code")
        kind.code = code
    kind.name, kind.sort_order, kind.is_active = name, sort_order, is_active
    try:
        with transaction.atomic():
            kind.save()
    except IntegrityError:
        raise FlagError(_("标记代码或名称已存在。"), field="name") from None
    return kind


def _check_code(code: str) -> None:
    if not CODE_PATTERN.match(code):
        raise FlagError(
            _("标记代码只能由英文字母、数字和下划线组成,最多 20 个字符,例如 senior_title。"), field="code"
        )


def _check_name(name: str) -> None:
    if not name:
        raise FlagError(_("请填写标记名称。"), field="name")
    if len(name) > 50:
        raise FlagError(_("标记名称最多 50 个字。"), field="name")


def _check_name_free(name: str, *, exclude_pk: int | None) -> None:
    others = FlagKind.objects.filter(name=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise FlagError(_("标记名称“%(name)s”已存在。") % {"name": name}, field="name")


# One person's flags (EDIT_REGISTRY, in scope) ---------------------------------------------------------------


def flag_add(*, retiree: Retiree, kind: FlagKind, note: str, by: Staff) -> RetireeFlag:
    access.require(by, Action.EDIT_REGISTRY)
    _require_in_scope(retiree, by)
    note = note.strip()
    if not kind.is_active:
        raise FlagError(_("标记“%(name)s”已停用,不能再设置。") % {"name": kind.name}, field="kind")
    if len(note) > NOTE_MAX:
        raise FlagError(_("依据或说明最多 %(n)d 个字。") % {"n": NOTE_MAX}, field="note")
    if RetireeFlag.objects.filter(retiree=retiree, kind=kind, removed_at__isnull=True).exists():
        raise FlagError(_("%(person)s 已有标记“%(name)s”。") % {"person": retiree.name, "name": kind.name})
    try:
        with transaction.atomic():
            return RetireeFlag.objects.create(
                retiree=retiree, kind=kind, note=note, added_by=by, added_at=timezone.now()
            )
    except IntegrityError:  # set by someone else a moment ago: the partial unique index said so
        raise FlagError(
            _("%(person)s 已有标记“%(name)s”。") % {"person": retiree.name, "name": kind.name}
        ) from None


def flag_remove(*, flag: RetireeFlag, by: Staff, note: str) -> RetireeFlag:
    """Stamp who removed the flag and when; the reason is added to the note (the basis stays in the row's
    history)."""
    access.require(by, Action.EDIT_REGISTRY)
    _require_in_scope(flag.retiree, by)
    reason = note.strip()
    if not reason:
        raise FlagError(_("请填写取消的原因。"), field="note")
    with transaction.atomic():
        updated = RetireeFlag.objects.filter(pk=flag.pk, removed_at__isnull=True).update(
            removed_at=timezone.now(), removed_by=by, note=removal_note(flag.note, reason)
        )
        if not updated:
            raise FlagError(_("该标记已经取消过了。"))
    flag.refresh_from_db()
    return flag


def removal_note(basis: str, reason: str) -> str:
    """The note of a removed flag: its basis and why it was removed, cut to the column's length (the basis as
    it was stays in the row's history)."""
    text = _("取消原因:%(reason)s") % {"reason": reason} if reason else _("已取消")
    combined = f"{basis};{text}" if basis else text
    return combined if len(combined) <= NOTE_MAX else combined[: NOTE_MAX - 1] + "…"


def _require_in_scope(retiree: Retiree, by: Staff) -> None:
    if not access.retirees_visible_to(by).filter(pk=retiree.pk).exists():
        raise FlagError(_("该退休人员不在您的管辖范围内。"))


# Import -----------------------------------------------------------------------------------------------------


class Mode:
    ADD = "add"
    REMOVE = "remove"


MODE_LABELS: dict[str, str] = {Mode.ADD: gettext_noop("添加"), Mode.REMOVE: gettext_noop("取消")}


class Outcome:
    """What confirming does with a row, or why it cannot. Each row has exactly one."""

    ADD = "add"
    REMOVE = "remove"
    ALREADY = "already"  # add mode: the person has the flag
    NOT_SET = "not_set"  # remove mode: the person does not have it
    BAD_ID = "bad_id"
    NOT_FOUND = "not_found"
    UNKNOWN_FLAG = "unknown_flag"
    INACTIVE_FLAG = "inactive_flag"
    DUPLICATE = "duplicate"
    NOTE_TOO_LONG = "note_too_long"


OUTCOME_LABELS: dict[str, str] = {
    Outcome.ADD: gettext_noop("将添加"),
    Outcome.REMOVE: gettext_noop("将取消"),
    Outcome.ALREADY: gettext_noop("已有该标记,跳过"),
    Outcome.NOT_SET: gettext_noop("没有该标记,跳过"),
    Outcome.BAD_ID: gettext_noop("身份证号码有误"),
    Outcome.NOT_FOUND: gettext_noop("未找到该退休人员(或不在您的管辖范围内)"),
    Outcome.UNKNOWN_FLAG: gettext_noop("没有这个标记"),
    Outcome.INACTIVE_FLAG: gettext_noop("标记已停用,不能再添加"),
    Outcome.DUPLICATE: gettext_noop("与前面的行重复"),
    Outcome.NOTE_TOO_LONG: gettext_noop("说明超过 200 个字"),
}
WRITING = frozenset({Outcome.ADD, Outcome.REMOVE})
SKIPPED = frozenset({Outcome.ALREADY, Outcome.NOT_SET})
PROBLEMS = frozenset(OUTCOME_LABELS) - WRITING - SKIPPED

COLUMNS = (("id_number", "身份证号码", True), ("flag", "标记", True), ("note", "说明", False))


@dataclass(slots=True)
class FlagImportRow:
    row_number: int
    id_masked: str
    flag_text: str
    note: str
    outcome: str
    detail: str = ""  # why the ID is wrong, in the clerk's words
    remark: str = ""  # allowed but worth a look: the person died or their benefit ended
    name: str = ""
    retiree_id: int | None = None
    kind_id: int | None = None
    flag_id: int | None = None  # remove mode: the current row to stamp

    @property
    def outcome_label(self) -> str:
        return _(OUTCOME_LABELS[self.outcome])


@dataclass
class FlagImportCheck:
    token: str
    original_name: str
    mode: str
    rows: list[FlagImportRow]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def problem_rows(self) -> list[FlagImportRow]:
        return [row for row in self.rows if row.outcome in PROBLEMS]

    @property
    def remark_rows(self) -> list[FlagImportRow]:
        return [row for row in self.rows if row.remark and row.outcome not in PROBLEMS]

    @property
    def may_confirm(self) -> bool:
        return not self.problem_rows and any(row.outcome in WRITING for row in self.rows)

    @property
    def mode_label(self) -> str:
        return _(MODE_LABELS[self.mode])


@dataclass(frozen=True)
class FlagImportResult:
    mode: str
    written: int  # flags added or removed
    skipped: int


def flag_import_check(*, upload: File[bytes], mode: str, by: Staff) -> FlagImportCheck:
    """Read and check every row of an uploaded file; keep the file for the confirmation. Writes no flag."""
    access.require(by, Action.EDIT_REGISTRY)
    if mode not in MODE_LABELS:
        raise FlagError(_("请选择导入方式:添加或取消。"), field="mode")
    try:
        name, data = upload_bytes(upload, max_mb=IMPORT_MAX_MB, max_rows=IMPORT_MAX_ROWS)
    except ImportBatchError as error:
        raise FlagError(error.message, field="file") from None
    rows = _checked_rows(data, name, mode=mode, by=by)
    suffix = PurePath(name).suffix.lower()
    path = default_storage.save(f"{_STORAGE_DIR}/{uuid.uuid4().hex}{suffix}", ContentFile(data))
    token = signing.dumps(
        {"path": path, "name": name, "mode": mode, "by": by.pk, "sha256": hashlib.sha256(data).hexdigest()},
        salt=_TOKEN_SALT,
        compress=True,
    )
    return _summary(token, name, mode, rows)


def flag_import_confirm(*, token: str, by: Staff) -> FlagImportResult:
    """Check the kept file again and write all its flags in one transaction, or nothing. The kept file is
    deleted once the transaction is done, so a second confirmation of the same preview is refused; two at the
    same instant still write once (the partial unique index and `removed_at IS NULL`)."""
    access.require(by, Action.EDIT_REGISTRY)
    kept = _kept_file(token, by)
    with transaction.atomic(), pghistory.context(source="flag_import", user=by.pk, file=kept.name):
        rows = _checked_rows(kept.data, kept.name, mode=kept.mode, by=by)
        if any(row.outcome in PROBLEMS for row in rows):
            raise FlagError(_("文件中有问题行,未写入任何标记。请改正后重新上传。"))
        now = timezone.now()
        writing = [row for row in rows if row.outcome in WRITING]
        if kept.mode == Mode.ADD:
            written = _insert_flags(writing, by=by, at=now)
        else:
            written = _stamp_removed(writing, by=by, at=now)
    # After the writes are in: a second confirmation of this preview finds no file.
    default_storage.delete(kept.path)
    return FlagImportResult(mode=kept.mode, written=written, skipped=len(rows) - len(writing))


@dataclass(frozen=True)
class _KeptFile:
    path: str
    name: str
    mode: str
    data: bytes


def _kept_file(token: str, by: Staff) -> _KeptFile:
    gone = FlagError(_("这次导入已确认或已过期,请重新上传文件。"))
    try:
        payload = signing.loads(token, salt=_TOKEN_SALT, max_age=_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise gone from None
    if payload.get("by") != by.pk:
        raise gone  # another clerk's upload: not theirs to confirm
    path = str(payload["path"])
    if not default_storage.exists(path):
        raise gone
    with default_storage.open(path, "rb") as kept:
        data = kept.read()
    if hashlib.sha256(data).hexdigest() != payload["sha256"]:
        raise gone
    return _KeptFile(path=path, name=str(payload["name"]), mode=str(payload["mode"]), data=data)


def _summary(token: str, name: str, mode: str, rows: list[FlagImportRow]) -> FlagImportCheck:
    counts = dict.fromkeys(OUTCOME_LABELS, 0)
    for row in rows:
        counts[row.outcome] += 1
    return FlagImportCheck(token=token, original_name=name, mode=mode, rows=rows, counts=counts)


def _records(data: bytes, name: str) -> list[tuple[int, list[Cell]]]:
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix == ".xlsx":
            records = xlsx_records(data)
        else:
            text, _encoding = decode_csv(data)
            records = csv_records(text)
    except ImportBatchError as error:
        raise FlagError(error.message, field="file") from None
    return [(number, cells) for number, cells in records if not all(is_blank(cell) for cell in cells)]


def _header_index(cells: list[Cell]) -> dict[str, int]:
    by_header = {header: key for key, header, _required in COLUMNS}
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        key = by_header.get(normalise_header(cell_text(cell)))
        if key is not None and key not in index:
            index[key] = position
    missing = [header for key, header, required in COLUMNS if required and key not in index]
    if missing:
        raise FlagError(
            _("表头缺少必需的列:%(columns)s。请使用导入模板,表头在第一行。")
            % {"columns": "、".join(missing)},
            field="file",
        )
    return index


def _checked_rows(data: bytes, name: str, *, mode: str, by: Staff) -> list[FlagImportRow]:
    records = _records(data, name)
    if not records:
        raise FlagError(_("文件是空的:没有表头,也没有数据行。"), field="file")
    index = _header_index(records[0][1])
    if len(records) == 1:
        raise FlagError(_("文件只有表头,没有数据行。"), field="file")
    today = timezone.localdate()
    kinds = list(FlagKind.objects.all())
    by_text = {kind.code.lower(): kind for kind in kinds} | {kind.name: kind for kind in kinds}

    parsed: list[tuple[FlagImportRow, str]] = []  # the row and its normalised ID ("" when bad)
    for number, cells in records[1:]:
        parsed.append(_read_row(number, cells, index, by_text=by_text, mode=mode, today=today))

    # One query for the people, one for their current flags.
    numbers = {id_number for _row, id_number in parsed if id_number}
    people = {
        person["id_number"]: person
        for person in access.retirees_visible_to(by)
        .filter(id_number__in=numbers)
        .values("id", "id_number", "name", "status")
    }
    kind_ids = {row.kind_id for row, _id in parsed if row.kind_id is not None}
    current = {
        (flag["retiree_id"], flag["kind_id"]): flag["id"]
        for flag in RetireeFlag.objects.filter(
            removed_at__isnull=True,
            retiree_id__in=[person["id"] for person in people.values()],
            kind_id__in=kind_ids,
        ).values("id", "retiree_id", "kind_id")
    }
    ended = {Retiree.Status.DECEASED, Retiree.Status.TERMINATED}
    seen: set[tuple[str, int]] = set()
    rows: list[FlagImportRow] = []
    for row, id_number in parsed:
        rows.append(row)
        if row.outcome:
            continue
        person = people.get(id_number)
        if person is None:
            row.outcome = Outcome.NOT_FOUND
            continue
        assert row.kind_id is not None  # noqa: S101 - an unknown flag has its outcome already
        row.retiree_id, row.name = person["id"], person["name"]
        if person["status"] in ended:
            row.remark = _("%(status)s(仍可标记,请核对)") % {"status": Retiree.Status(person["status"]).label}
        if (id_number, row.kind_id) in seen:
            row.outcome = Outcome.DUPLICATE
            continue
        seen.add((id_number, row.kind_id))
        existing = current.get((person["id"], row.kind_id))
        if mode == Mode.ADD:
            row.outcome = Outcome.ALREADY if existing else Outcome.ADD
        else:
            row.flag_id = existing
            row.outcome = Outcome.REMOVE if existing else Outcome.NOT_SET
    return rows


def _read_row(
    number: int,
    cells: list[Cell],
    index: dict[str, int],
    *,
    by_text: dict[str, FlagKind],
    mode: str,
    today: datetime.date,
) -> tuple[FlagImportRow, str]:
    def get(key: str) -> Cell:
        position = index.get(key)
        return cells[position] if position is not None and position < len(cells) else None

    id_cell = get("id_number")
    raw = cell_text(id_cell)
    row = FlagImportRow(
        row_number=number,
        id_masked=mask_resident_id(raw.upper()) if raw else "",
        flag_text=cell_text(get("flag"))[:50],
        note=cell_text(get("note")),
        outcome="",
    )
    id_number = ""
    if isinstance(id_cell, float | int) or _SCIENTIFIC.match(raw):
        row.outcome, row.detail = Outcome.BAD_ID, _("身份证号码被Excel转成了数字,请将该列设为文本后重新导出")
    elif not raw:
        row.outcome, row.detail = Outcome.BAD_ID, _("缺少身份证号码")
    else:
        try:
            id_number = parse_resident_id(raw, today=today).number
        except ValidationError as error:
            # The messages quote the number as given: the preview shows it masked.
            row.outcome = Outcome.BAD_ID
            row.detail = ";".join(message.replace(raw, row.id_masked) for message in error.messages)
        else:
            row.id_masked = mask_resident_id(id_number)
    if row.outcome:
        return row, ""
    kind = by_text.get(row.flag_text) or by_text.get(row.flag_text.lower())
    if kind is None:
        row.outcome = Outcome.UNKNOWN_FLAG
    elif mode == Mode.ADD and not kind.is_active:
        row.outcome = Outcome.INACTIVE_FLAG
    elif len(row.note) > NOTE_MAX:
        row.outcome = Outcome.NOTE_TOO_LONG
    else:
        row.kind_id = kind.pk
    return row, id_number


_INSERT = with_names(
    """
    INSERT INTO {flag} ({flag.retiree}, {flag.kind}, {flag.note}, {flag.added_by}, {flag.added_at})
    SELECT retiree_id, kind_id, note, %(by)s, %(at)s
      FROM unnest(%(retirees)s::bigint[], %(kinds)s::bigint[], %(notes)s::text[])
           AS u(retiree_id, kind_id, note)
    ON CONFLICT ({flag.retiree}, {flag.kind}) WHERE {flag.removed_at} IS NULL DO NOTHING
    """,
    flag=RetireeFlag,
)
_REMOVE = with_names(
    """
    UPDATE {flag} f
       SET {flag.removed_at} = %(at)s, {flag.removed_by} = %(by)s,
           {flag.note} = u.note
      FROM unnest(%(flags)s::bigint[], %(reasons)s::text[]) AS u(flag_id, note)
     WHERE f.{flag.id} = u.flag_id AND f.{flag.removed_at} IS NULL
    """,
    flag=RetireeFlag,
)


def _insert_flags(rows: list[FlagImportRow], *, by: Staff, at: datetime.datetime) -> int:
    """One INSERT for every row; a flag set by someone else since the check is left as it is."""
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT,
            {
                "by": by.pk,
                "at": at,
                "retirees": [row.retiree_id for row in rows],
                "kinds": [row.kind_id for row in rows],
                "notes": [row.note for row in rows],
            },
        )
        return int(cursor.rowcount)


def _stamp_removed(rows: list[FlagImportRow], *, by: Staff, at: datetime.datetime) -> int:
    """One UPDATE for every row; the note of each becomes its basis and the file's reason."""
    flag_ids = [row.flag_id or 0 for row in rows]  # every row to remove has its flag (Outcome.REMOVE)
    current = dict(RetireeFlag.objects.filter(pk__in=flag_ids).values_list("pk", "note"))
    reasons = [
        removal_note(current.get(flag_id, ""), row.note or _("批量导入取消"))
        for flag_id, row in zip(flag_ids, rows, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _REMOVE,
            {"by": by.pk, "at": at, "flags": flag_ids, "reasons": reasons},
        )
        return int(cursor.rowcount)
