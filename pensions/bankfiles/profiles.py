"""Bank-file profiles: what one bank's payout file and its return file (回盘) look like.

A profile is plain data (a frozen dataclass), so it can be stored as JSON on the bank later (`to_dict` /
`from_dict`, which validates and explains in Chinese what is wrong). The shipped profiles are starting points,
to be matched field by field to each branch's real template (docs/bank-files.md).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ProfileError

Encoding = Literal["gbk", "gb18030", "utf-8"]
Layout = Literal["delimited", "fixed", "xlsx"]
Align = Literal["left", "right"]
Kind = Literal["text", "amount", "digits"]
Unit = Literal["yuan", "fen"]
LineEnding = Literal["crlf", "lf"]

SCHEMA_VERSION = 1

# What a field may name. Detail lines read a PaymentLine (plus `seq`, the line's position from 1); header and
# trailer records read the file's summary; a return file adds the bank's status code and reason to each line.
DETAIL_SOURCES = frozenset(
    {"reference", "name", "id_number", "account_number", "amount", "township", "certificate_number", "seq"}
)
SUMMARY_SOURCES = frozenset({"count", "total", "date", "batch", "month", "county_code", "bank_code"})
RETURN_SOURCES = frozenset({"status", "reason"})
LITERAL = "literal"
AMOUNT_SOURCES = frozenset({"amount", "total"})
NUMBER_SOURCES = frozenset({"count", "seq"})  # integers: "digits" in text layouts, numbers in xlsx
TRUNCATABLE = frozenset({"name", "township", "reason"})
REQUIRED_DETAIL = ("reference", "account_number", "amount")
FILE_NAME_KEYS = frozenset({"county_code", "month", "seq", "date", "batch", "bank_code"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a record. `width` is in bytes of the file's encoding (fixed layout only)."""

    name: str
    width: int | None = None
    align: Align = "left"
    pad: str = " "
    kind: Kind = "text"
    label: str = ""  # column heading (delimited/xlsx with column labels)
    value: str = ""  # the text of a `literal` field, e.g. a record type "H"
    truncate: bool = False  # names only: cut at a character boundary instead of refusing the line


@dataclass(frozen=True, slots=True)
class ReturnSpec:
    """The return file: each sent detail line followed by the bank's status code and reason text."""

    status: FieldSpec
    reason: FieldSpec
    success_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BankFileProfile:
    code: str
    name: str
    encoding: Encoding
    layout: Layout
    fields: tuple[FieldSpec, ...]
    returns: ReturnSpec
    delimiter: str = ""
    unit: Unit = "yuan"
    header: tuple[FieldSpec, ...] = ()
    trailer: tuple[FieldSpec, ...] = ()
    line_ending: LineEnding = "crlf"
    file_name: str = "{bank_code}_{county_code}_{month}_{seq:03d}.txt"
    bom: bool = False  # UTF-8 only: a byte-order mark so that Excel reads the CSV as UTF-8
    column_labels: bool = False  # a row of column headings before the lines (delimited, xlsx)
    quoting: bool = False  # delimited: CSV quoting of a value holding the delimiter; otherwise refused
    sheet_name: str = "代发明细"

    def __post_init__(self) -> None:
        validate(self)

    @property
    def newline(self) -> str:
        return "\r\n" if self.line_ending == "crlf" else "\n"

    @property
    def record_width(self) -> int:
        """Bytes of one detail line in the fixed layout, without the line ending."""
        return sum(spec.width or 0 for spec in self.fields)

    @property
    def return_fields(self) -> tuple[FieldSpec, ...]:
        return (*self.fields, self.returns.status, self.returns.reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "code": self.code,
            "name": self.name,
            "encoding": self.encoding,
            "layout": self.layout,
            "delimiter": self.delimiter,
            "unit": self.unit,
            "fields": [_field_to_dict(spec) for spec in self.fields],
            "header": [_field_to_dict(spec) for spec in self.header],
            "trailer": [_field_to_dict(spec) for spec in self.trailer],
            "line_ending": self.line_ending,
            "file_name": self.file_name,
            "bom": self.bom,
            "column_labels": self.column_labels,
            "quoting": self.quoting,
            "sheet_name": self.sheet_name,
            "returns": {
                "status": _field_to_dict(self.returns.status),
                "reason": _field_to_dict(self.returns.reason),
                "success_codes": list(self.returns.success_codes),
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BankFileProfile:
        """A profile from its stored JSON; ProfileError (Chinese) names what is wrong."""
        if not isinstance(data, Mapping):
            raise ProfileError(_("银行文件格式必须是一个 JSON 对象。"))
        _no_unknown_keys(data, _PROFILE_KEYS, _PROFILE)
        if data.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise ProfileError(_("不支持的银行文件格式版本:%(schema)s。") % {"schema": data.get("schema")})
        returns = _required(data, "returns", Mapping, _PROFILE)
        _no_unknown_keys(returns, {"status", "reason", "success_codes"}, _RETURNS)
        codes = _required(returns, "success_codes", list, _RETURNS)
        if not codes or not all(isinstance(code, str) and code for code in codes):
            raise ProfileError(_("回盘格式的成功代码(success_codes)必须是非空的文字列表。"))
        options = {key: data[key] for key in _OPTION_KEYS if key in data}
        for key in ("bom", "column_labels", "quoting"):
            if key in options and not isinstance(options[key], bool):
                raise ProfileError(_("设置 %(key)s 必须是 true 或 false。") % {"key": key})
        for key in ("delimiter", "file_name", "sheet_name"):
            if key in options and not isinstance(options[key], str):
                raise ProfileError(_("设置 %(key)s 必须是文字。") % {"key": key})
        return cls(
            code=_required(data, "code", str, _PROFILE),
            name=_required(data, "name", str, _PROFILE),
            encoding=_required(data, "encoding", str, _PROFILE),
            layout=_required(data, "layout", str, _PROFILE),
            fields=_fields_from(_required(data, "fields", list, _PROFILE), _DETAIL),
            header=_fields_from(data.get("header", []), _HEADER),
            trailer=_fields_from(data.get("trailer", []), _TRAILER),
            returns=ReturnSpec(
                status=_field_from(_required(returns, "status", Mapping, _RETURNS), _RETURN_LINE),
                reason=_field_from(_required(returns, "reason", Mapping, _RETURNS), _RETURN_LINE),
                success_codes=tuple(codes),
            ),
            **options,
        )


# Where a setting sits, for the messages (lazy: profiles are built at import, before translations are ready).
_PROFILE = gettext_lazy("银行文件格式")
_RETURNS = gettext_lazy("回盘格式")
_DETAIL = gettext_lazy("明细")
_HEADER = gettext_lazy("首行(汇总)")
_TRAILER = gettext_lazy("尾行(汇总)")
_RETURN_LINE = gettext_lazy("回盘")

_OPTION_KEYS = (
    "delimiter",
    "unit",
    "line_ending",
    "file_name",
    "bom",
    "column_labels",
    "quoting",
    "sheet_name",
)
_PROFILE_KEYS = frozenset(
    {
        "schema", "code", "name", "encoding", "layout", "delimiter", "unit", "fields", "header", "trailer",
        "line_ending", "file_name", "bom", "column_labels", "quoting", "sheet_name", "returns",
    }
)  # fmt: skip
_FIELD_KEYS = frozenset({"name", "width", "align", "pad", "kind", "label", "value", "truncate"})


def _field_to_dict(spec: FieldSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": spec.name, "kind": spec.kind}
    if spec.width is not None:
        data["width"] = spec.width
    if spec.align != "left":
        data["align"] = spec.align
    if spec.pad != " ":
        data["pad"] = spec.pad
    if spec.label:
        data["label"] = spec.label
    if spec.value:
        data["value"] = spec.value
    if spec.truncate:
        data["truncate"] = True
    return data


def _fields_from(items: object, where: Any) -> tuple[FieldSpec, ...]:
    if not isinstance(items, list):
        raise ProfileError(_("%(where)s字段必须是一个列表。") % {"where": where})
    return tuple(_field_from(item, where) for item in items)


def _field_from(item: object, where: Any) -> FieldSpec:
    if not isinstance(item, Mapping):
        raise ProfileError(_("%(where)s的每个字段必须是一个 JSON 对象。") % {"where": where})
    _no_unknown_keys(item, _FIELD_KEYS, where)
    name = _required(item, "name", str, where)
    width = item.get("width")
    if width is not None and (not isinstance(width, int) or isinstance(width, bool)):
        raise ProfileError(_("%(where)s字段 %(name)s 的宽度必须是整数。") % {"where": where, "name": name})
    for key in ("align", "pad", "kind", "label", "value"):
        if key in item and not isinstance(item[key], str):
            raise ProfileError(
                _("%(where)s字段 %(name)s 的 %(key)s 必须是文字。")
                % {"where": where, "name": name, "key": key}
            )
    if "truncate" in item and not isinstance(item["truncate"], bool):
        raise ProfileError(
            _("%(where)s字段 %(name)s 的 truncate 必须是 true 或 false。") % {"where": where, "name": name}
        )
    return FieldSpec(
        name=name,
        width=width,
        align=cast(Align, item.get("align", "left")),
        pad=item.get("pad", " "),
        kind=cast(Kind, item.get("kind", "text")),
        label=item.get("label", ""),
        value=item.get("value", ""),
        truncate=item.get("truncate", False),
    )


def _required(data: Mapping[str, Any], key: str, kind: type, where: Any) -> Any:
    if key not in data:
        raise ProfileError(_("%(where)s缺少设置 %(key)s。") % {"where": where, "key": key})
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProfileError(_("%(where)s的设置 %(key)s 类型不对。") % {"where": where, "key": key})
    return value


def _no_unknown_keys(data: Mapping[str, Any], known: frozenset[str] | set[str], where: Any) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ProfileError(
            _("%(where)s有不认识的设置:%(keys)s。") % {"where": where, "keys": "、".join(unknown)}
        )


def validate(profile: BankFileProfile) -> None:
    """Check a profile's coherence; raises ProfileError naming the first problem (Chinese)."""
    if not profile.code or not profile.code.replace("_", "").replace("-", "").isalnum():
        raise ProfileError(_("格式代码只能由字母、数字、下划线和横线组成。"))
    if not profile.name.strip():
        raise ProfileError(_("格式名称不能为空。"))
    if profile.encoding not in get_args(Encoding):
        raise ProfileError(
            _("不支持的编码 %(encoding)s:只能是 gbk、gb18030 或 utf-8。") % {"encoding": profile.encoding}
        )
    if profile.layout not in get_args(Layout):
        raise ProfileError(
            _("不支持的文件版式 %(layout)s:只能是 delimited、fixed 或 xlsx。") % {"layout": profile.layout}
        )
    if profile.unit not in get_args(Unit):
        raise ProfileError(_("金额单位只能是 yuan(元,两位小数)或 fen(分,整数)。"))
    if profile.line_ending not in get_args(LineEnding):
        raise ProfileError(_("换行符只能是 crlf 或 lf。"))
    if profile.bom and profile.encoding != "utf-8":
        raise ProfileError(_("只有 UTF-8 编码的文件才能带 BOM。"))
    if profile.layout == "delimited":
        if len(profile.delimiter) != 1 or profile.delimiter in '\r\n"' or not profile.delimiter.isprintable():
            raise ProfileError(_("分隔格式必须设置一个分隔符(如 | 或 ,)。"))
    elif profile.delimiter:
        raise ProfileError(_("只有分隔格式才设置分隔符。"))
    if profile.quoting and profile.layout != "delimited":
        raise ProfileError(_("只有分隔格式才能使用引号(quoting)。"))
    if profile.column_labels and profile.layout == "fixed":
        raise ProfileError(_("定长格式不能带列标题行。"))
    if profile.layout == "xlsx" and not profile.sheet_name.strip():
        raise ProfileError(_("Excel 格式必须有工作表名称。"))

    if not profile.fields:
        raise ProfileError(_("明细字段不能为空。"))
    detail_names = [spec.name for spec in profile.fields]
    missing = [name for name in REQUIRED_DETAIL if name not in detail_names]
    if missing:
        raise ProfileError(
            _("明细字段必须包含 %(names)s(回盘按备注中的流水号、账号和金额核对)。")
            % {"names": "、".join(missing)}
        )
    for spec in profile.fields:
        _validate_field(profile, spec, DETAIL_SOURCES, _DETAIL)
    for spec in (profile.returns.status, profile.returns.reason):
        _validate_field(profile, spec, RETURN_SOURCES, _RETURN_LINE)
    if [profile.returns.status.name, profile.returns.reason.name] != ["status", "reason"]:
        raise ProfileError(_("回盘格式的两个附加字段必须依次是 status(结果代码)和 reason(原因)。"))
    if profile.layout == "fixed":
        widths = {len(code) for code in profile.returns.success_codes}
        if max(widths) > (profile.returns.status.width or 0):
            raise ProfileError(_("成功代码比回盘结果代码字段宽。"))

    for where, record in ((_HEADER, profile.header), (_TRAILER, profile.trailer)):
        for spec in record:
            _validate_field(profile, spec, SUMMARY_SOURCES, where)
    summary = {spec.name for spec in (*profile.header, *profile.trailer)}
    if not {"count", "total"} <= summary:
        raise ProfileError(_("首行或尾行必须带总笔数(count)和总金额(total)。"))

    _validate_file_name(profile)


def _validate_field(profile: BankFileProfile, spec: FieldSpec, sources: frozenset[str], where: Any) -> None:
    label = {"where": where, "name": spec.name}
    if spec.name != LITERAL and spec.name not in sources:
        raise ProfileError(
            _("%(where)s字段 %(name)s 不是可用的数据项(可用:%(names)s)。")
            % {**label, "names": "、".join(sorted(sources | {LITERAL}))}
        )
    if spec.name == LITERAL and not spec.value:
        raise ProfileError(_("%(where)s的常量字段(literal)必须设置 value。") % label)
    if spec.kind not in get_args(Kind):
        raise ProfileError(_("%(where)s字段 %(name)s 的类型只能是 text、amount 或 digits。") % label)
    if (spec.kind == "amount") != (spec.name in AMOUNT_SOURCES):
        raise ProfileError(_("%(where)s字段 %(name)s:只有 amount 和 total 是金额类型(amount)。") % label)
    if spec.name in NUMBER_SOURCES and spec.kind != "digits":
        raise ProfileError(_("%(where)s字段 %(name)s 必须是数字类型(digits)。") % label)
    if spec.align not in get_args(Align):
        raise ProfileError(_("%(where)s字段 %(name)s 的对齐只能是 left 或 right。") % label)
    if len(spec.pad) != 1 or not spec.pad.isascii() or not spec.pad.isprintable():
        raise ProfileError(_("%(where)s字段 %(name)s 的填充字符必须是一个半角字符。") % label)
    if spec.truncate and spec.name not in TRUNCATABLE:
        raise ProfileError(_("%(where)s字段 %(name)s 不能截断:只有姓名、乡镇和原因可以截断。") % label)
    if profile.layout == "fixed":
        if spec.width is None or spec.width < 1:
            raise ProfileError(_("定长格式中%(where)s字段 %(name)s 必须有正整数宽度(字节)。") % label)
        if spec.name == LITERAL and len(spec.value.encode(profile.encoding, errors="replace")) > spec.width:
            raise ProfileError(_("%(where)s常量字段的内容超过了字段宽度。") % label)
    elif spec.width is not None:
        raise ProfileError(_("只有定长格式的字段才设置宽度:%(where)s字段 %(name)s。") % label)
    try:
        spec.value.encode(profile.encoding)
    except UnicodeEncodeError:
        raise ProfileError(
            _("%(where)s常量字段的内容无法用 %(encoding)s 编码。") % {**label, "encoding": profile.encoding}
        ) from None


def _validate_file_name(profile: BankFileProfile) -> None:
    pattern = profile.file_name
    if not pattern or "/" in pattern or "\\" in pattern or pattern.startswith("."):
        raise ProfileError(_("文件名模板不能为空,也不能含有路径(/ 或 \\)。"))
    try:
        keys = {
            name for _text, name, _spec, _conversion in string.Formatter().parse(pattern) if name is not None
        }
    except ValueError:
        raise ProfileError(_("文件名模板的花括号不成对:%(pattern)s。") % {"pattern": pattern}) from None
    unknown = sorted(keys - FILE_NAME_KEYS)
    if unknown:
        raise ProfileError(
            _("文件名模板中有不认识的占位符:%(keys)s(可用:%(names)s)。")
            % {"keys": "、".join(unknown), "names": "、".join(sorted(FILE_NAME_KEYS))}
        )
    expected = ".xlsx" if profile.layout == "xlsx" else ""
    if expected and not pattern.lower().endswith(expected):
        raise ProfileError(_("Excel 格式的文件名必须以 .xlsx 结尾。"))


# The shipped starting points. Widths, orders, codes and record marks are plausible choices, not any bank's
# published specification: match them to the branch's template before the first real file.

_STATUS_SUCCESS = "0000"

PSBC = BankFileProfile(
    code="psbc",
    name="邮储银行 系统直发(定长 GBK,金额单位分)",
    encoding="gbk",
    layout="fixed",
    unit="fen",
    fields=(
        FieldSpec("account_number", width=30, kind="digits", label="账号"),
        FieldSpec("name", width=20, label="户名"),
        FieldSpec("id_number", width=18, kind="digits", label="身份证号"),
        FieldSpec("amount", width=15, align="right", pad="0", kind="amount", label="金额(分)"),
        FieldSpec("reference", width=20, label="备注"),
    ),
    header=(
        FieldSpec(LITERAL, width=1, value="H"),
        FieldSpec("date", width=8, kind="digits"),
        FieldSpec("count", width=10, align="right", pad="0", kind="digits"),
        FieldSpec("total", width=18, align="right", pad="0", kind="amount"),
        FieldSpec("batch", width=20),
    ),
    returns=ReturnSpec(
        status=FieldSpec("status", width=4, label="处理结果"),
        reason=FieldSpec("reason", width=60, label="失败原因", truncate=True),
        success_codes=(_STATUS_SUCCESS,),
    ),
    file_name="PSBC_{county_code}_{month}_{seq:03d}.txt",
)

EBANK = BankFileProfile(
    code="ebank",
    name="网银直发(“|”分隔 GBK,金额单位元,尾行汇总)",
    encoding="gbk",
    layout="delimited",
    delimiter="|",
    unit="yuan",
    fields=(
        FieldSpec("seq", kind="digits", label="序号"),
        FieldSpec("account_number", kind="digits", label="账号"),
        FieldSpec("name", label="户名"),
        FieldSpec("amount", kind="amount", label="金额"),
        FieldSpec("id_number", kind="digits", label="身份证号"),
        FieldSpec("reference", label="备注"),
    ),
    trailer=(
        FieldSpec(LITERAL, value="T"),
        FieldSpec("count", kind="digits"),
        FieldSpec("total", kind="amount"),
        FieldSpec("date", kind="digits"),
        FieldSpec("batch"),
    ),
    returns=ReturnSpec(
        status=FieldSpec("status", label="处理结果"),
        reason=FieldSpec("reason", label="失败原因"),
        success_codes=(_STATUS_SUCCESS,),
    ),
    file_name="EBANK_{county_code}_{month}_{seq:03d}.txt",
)

_CCB_FIELDS = (
    FieldSpec("seq", kind="digits", label="序号"),
    FieldSpec("account_number", kind="digits", label="账号"),
    FieldSpec("name", label="户名"),
    FieldSpec("amount", kind="amount", label="金额(元)"),
    FieldSpec("id_number", kind="digits", label="身份证号码"),
    FieldSpec("reference", label="备注"),
)
_CCB_TRAILER = (
    FieldSpec(LITERAL, value="合计"),
    FieldSpec("count", kind="digits"),
    FieldSpec("total", kind="amount"),
)
# The bank adds a 处理结果 column (成功 or not) and a 失败原因 column to the file it was sent: CCB and the
# generic profiles.
_RESULT_COLUMN_RETURNS = ReturnSpec(
    status=FieldSpec("status", label="处理结果"),
    reason=FieldSpec("reason", label="失败原因"),
    success_codes=("成功",),
)

CCB = BankFileProfile(
    code="ccb",
    name="建设银行 银行代发(Excel,合计行)",
    encoding="utf-8",
    layout="xlsx",
    unit="yuan",
    fields=_CCB_FIELDS,
    trailer=_CCB_TRAILER,
    column_labels=True,
    returns=_RESULT_COLUMN_RETURNS,
    file_name="CCB_{county_code}_{month}_{seq:03d}.xlsx",
)

CCB_CSV = BankFileProfile(
    code="ccb_csv",
    name="建设银行 银行代发(CSV GBK,合计行)",
    encoding="gbk",
    layout="delimited",
    delimiter=",",
    quoting=True,
    unit="yuan",
    fields=_CCB_FIELDS,
    trailer=_CCB_TRAILER,
    column_labels=True,
    returns=_RESULT_COLUMN_RETURNS,
    file_name="CCB_{county_code}_{month}_{seq:03d}.csv",
)

_GENERIC_FIELDS = (
    FieldSpec("seq", kind="digits", label="序号"),
    FieldSpec("township", label="乡镇(街道)"),
    FieldSpec("name", label="姓名"),
    FieldSpec("id_number", kind="digits", label="身份证号码"),
    FieldSpec("account_number", kind="digits", label="银行账号"),
    FieldSpec("amount", kind="amount", label="金额(元)"),
    FieldSpec("reference", label="备注(流水号)"),
)

GENERIC_CSV = BankFileProfile(
    code="generic_csv",
    name="通用 CSV(UTF-8 带 BOM)",
    encoding="utf-8",
    bom=True,
    layout="delimited",
    delimiter=",",
    quoting=True,
    unit="yuan",
    fields=_GENERIC_FIELDS,
    trailer=_CCB_TRAILER,
    column_labels=True,
    returns=_RESULT_COLUMN_RETURNS,
    file_name="{bank_code}_{county_code}_{month}_{seq:03d}.csv",
)

GENERIC_XLSX = BankFileProfile(
    code="generic_xlsx",
    name="通用 Excel",
    encoding="utf-8",
    layout="xlsx",
    unit="yuan",
    fields=_GENERIC_FIELDS,
    trailer=_CCB_TRAILER,
    column_labels=True,
    returns=_RESULT_COLUMN_RETURNS,
    file_name="{bank_code}_{county_code}_{month}_{seq:03d}.xlsx",
)

SHIPPED_PROFILES: Mapping[str, BankFileProfile] = {
    profile.code: profile for profile in (PSBC, EBANK, CCB, CCB_CSV, GENERIC_CSV, GENERIC_XLSX)
}


def shipped_profile(code: str) -> BankFileProfile:
    try:
        return SHIPPED_PROFILES[code]
    except KeyError:
        raise ProfileError(_("没有代码为 %(code)s 的内置银行文件格式。") % {"code": code}) from None


__all__ = [
    "CCB",
    "CCB_CSV",
    "EBANK",
    "GENERIC_CSV",
    "GENERIC_XLSX",
    "PSBC",
    "SHIPPED_PROFILES",
    "BankFileProfile",
    "FieldSpec",
    "ReturnSpec",
    "shipped_profile",
]
