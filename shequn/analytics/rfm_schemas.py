import datetime as dt

from ninja import Field, Schema


class RfmRunIn(Schema):
    as_of: dt.date
    store_code: str | None = Field(None, max_length=32)  # empty: every member (overall)
    engine: str = Field("duckdb", pattern="^(duckdb|postgres|spark)$")


class RfmRunOut(Schema):
    id: int
    as_of: dt.date
    store_code: str | None
    engine: str
    time_zone: str
    members: int
    created_at: dt.datetime


class RfmCellOut(Schema):
    cell: str
    label: str
    members: int
    share: float  # of the run's scored members, 0..1
    avg_monetary_fen: int


class RfmFlowOut(Schema):
    from_cell: str | None  # None: not scored in the previous run
    to_cell: str | None  # None: no longer scored
    members: int
    direction: str  # up | down | same | in | out


class RfmRunDetailOut(RfmRunOut):
    cells: list[RfmCellOut]
    previous: RfmRunOut | None
    movement: list[RfmFlowOut]


class RfmScoreOut(Schema):
    """One member's scores and cell in a run."""
    recency_days: int
    frequency: int
    monetary_fen: int
    r_score: int
    f_score: int
    m_score: int
    fm_score: int
    cell: str
    label: str


class RfmMemberOut(RfmScoreOut):
    member_id: int
    member_no: str
    name: str
    home_store_code: str | None


class RfmMemberPageOut(Schema):
    total: int
    page: int
    page_size: int
    pages: int
    items: list[RfmMemberOut]


class MemberRfmOut(RfmScoreOut):
    run_id: int
    as_of: dt.date
    store_code: str | None  # the run's scope: None for the overall run


class PickOut(Schema):
    sku: str
    name: str | None  # the catalogue product, None for an imported SKU the catalogue does not know
    spec: str | None
    score: float
    source: str  # together (co-purchase) | popular (fallback)
