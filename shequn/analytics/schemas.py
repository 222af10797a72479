import datetime as dt

from ninja import Field, Schema


class ClvRunIn(Schema):
    calibration_end: dt.date
    time_unit: str = Field("week", pattern="^(day|week)$")
    store_code: str | None = Field(None, max_length=32)


class ClvRunOut(Schema):
    id: int
    calibration_end: dt.date
    time_unit: str
    store_code: str | None
    customers: int
    bgnbd: dict
    gamma_gamma: dict
    excluded_zero_monetary: int
    horizon_days: int
    monthly_discount_rate: float
    created_at: dt.datetime


class MemberValueOut(Schema):
    member_id: int
    member_no: str
    name: str
    run_id: int
    frequency: int
    recency: float
    age: float
    days_since_last: int
    monetary_fen: int
    p_alive: float
    expected_purchases: float
    expected_avg_spend_fen: int
    clv_12m_fen: int
    churn_risk: str
    value_decile: int | None  # 1 = the top tenth of the run by clv_12m_fen … 10
