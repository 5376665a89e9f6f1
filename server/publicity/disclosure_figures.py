"""The figures a 公示 post must carry: the ledger's totals, worded once.

The post body is drafted from the ledger (server/ledger); its author may edit the wording,
but this sentence stays the ledger's. Submit, 签发 and the publish job check it against the
ledger as it is then, so a post never publishes figures the ledger no longer has.
"""

from __future__ import annotations

from decimal import Decimal

from server.common.errors import DomainError
from server.ledger import service as ledger
from server.publicity.models import Post


def _yuan(text: str) -> str:
    return f"{Decimal(text):,.2f}"


def figures_sentence(data: dict) -> str:
    """本期登记捐赠 N 笔，物资估值合计 X 元（已确认接收 Y 元）；经费拨付 …，支出 …，结余 … 元。"""
    d, f = data["donation_totals"], data["fund_totals"]
    return (
        f"本期登记捐赠 {d['count']} 笔，物资估值合计 {_yuan(d['value'])} 元"
        f"（已确认接收 {_yuan(d['confirmed_value'])} 元）；"
        f"经费拨付 {_yuan(f['allocated'])} 元（已确认 {_yuan(f['allocated_confirmed'])} 元），"
        f"支出 {_yuan(f['spent'])} 元（已确认 {_yuan(f['spent_confirmed'])} 元），"
        f"结余 {_yuan(f['balance'])} 元。"
    )


async def check_figures(post: Post) -> None:
    """Refuse a 公示 post whose figures are not the ledger's figures now."""
    kind, unit_id = (
        ("pairing", post.pairing_id) if post.pairing_id else ("alliance", post.alliance_id)
    )
    if unit_id is None:
        raise DomainError("unit_gone", "该公示所属的结对或联盟已不存在，不能发布", status=409)
    data = await ledger.disclosure_for_post(kind=kind, unit_id=unit_id, period=post.semester)
    if figures_sentence(data) not in post.html:
        raise DomainError(
            "disclosure_outdated",
            "公示中的数据与台账不一致（台账已更新，或汇总句被改动）："
            "请退回撰稿，由撰稿人按台账重新生成公示正文后再提交",
            status=409,
        )
