"""Excel exports (openpyxl): a leader's order sheet for a campaign, one statement, all statements of a period.

Amounts are written in yuan with two decimals (number format), computed from fen with integer arithmetic."""

import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .models import Campaign, Leader, LeaderStatement

YUAN = "#,##0.00"


def _yuan(fen: int) -> Decimal:
    return Decimal(int(fen)) / 100


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], money_cols: set[int], first=False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col in money_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = YUAN
    for index, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(name) * 2 + 4))
    ws.freeze_panes = "A2"
    return ws


def _bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _local(at: dt.datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


def order_sheet_xlsx(sheet: dict) -> bytes:
    """Two sheets: 订单明细 (one row per order line) and 拣货单 (SKU totals)."""
    wb = Workbook()
    rows = []
    for member in sheet["members"]:
        for order in member["orders"]:
            for line in order["lines"]:
                rows.append([member["member_no"], member["name"], order["order_no"], order["status_label"],
                             line["sku"], line["product"], line["spec"], line["quantity"],
                             _yuan(line["unit_price_fen"]), _yuan(line["paid_fen"]),
                             "是" if order["picked_up"] else "否",
                             _local(order["created_at"])])
    _sheet(wb, "订单明细", ["会员号", "会员", "订单号", "状态", "SKU", "商品", "规格", "数量", "团购价", "实付",
                        "已自提", "下单时间"], rows, {9, 10}, first=True)
    _sheet(wb, "拣货单", ["商品", "数量", "已自提", "待发放"],
           [[p["item"], p["quantity"], p["picked_up"], p["to_hand_out"]] for p in sheet["picking"]], set())
    info = wb.create_sheet("活动")
    for pair in (("活动", sheet["campaign"]), ("提货日", str(sheet["pickup_date"])), ("团长码", sheet["leader_code"]),
                 ("自提点", sheet["pickup_point"]), ("地址", sheet["address"])):
        info.append(list(pair))
    return _bytes(wb)


def _entry_rows(statement: LeaderStatement) -> list[list]:
    return [[statement.leader.code, e.get_kind_display(), e.groupbuy_order.order.order_no, e.ref, _yuan(e.base_fen),
             _yuan(e.amount_fen), _local(e.created_at)]
            for e in statement.entries.select_related("groupbuy_order__order").order_by("id")]


ENTRY_HEADER = ["团长码", "类型", "订单号", "流水号", "计佣金额", "佣金", "时间"]


def _summary_row(s: LeaderStatement) -> list:
    return [s.pk, s.leader.code, s.leader.member.name, s.leader.pickup_point.name, str(s.period_start),
            str(s.period_end), s.entry_count, _yuan(s.total_fen), s.get_status_display(), _local(s.paid_at),
            s.paid_reference]


SUMMARY_HEADER = ["结算单", "团长码", "团长", "自提点", "开始", "结束", "笔数", "佣金合计", "状态", "支付时间",
                  "支付凭证"]


def statement_xlsx(statement: LeaderStatement) -> bytes:
    wb = Workbook()
    _sheet(wb, "结算单", SUMMARY_HEADER, [_summary_row(statement)], {8}, first=True)
    _sheet(wb, "明细", ENTRY_HEADER, _entry_rows(statement), {5, 6})
    return _bytes(wb)


def period_xlsx(statements: list[LeaderStatement]) -> bytes:
    wb = Workbook()
    _sheet(wb, "汇总", SUMMARY_HEADER, [_summary_row(s) for s in statements], {8}, first=True)
    _sheet(wb, "明细", ENTRY_HEADER, [row for s in statements for row in _entry_rows(s)], {5, 6})
    return _bytes(wb)


def sheet_filename(campaign: Campaign, leader: Leader) -> str:
    return f"groupbuy-{campaign.pk}-{leader.code}.xlsx"
