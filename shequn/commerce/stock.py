"""库存: stock per SKU and location as a ledger. Every movement locks its StockLevel row, writes one
StockEntry and updates the cached figures in the same transaction; `check_stock` recomputes them."""

from django.db import transaction
from django.db.models import Sum

from shequn.core import audit
from shequn.core.actor import Actor
from shequn.stores.models import Store

from .errors import InvalidStockMove, OutOfStock
from .models import Sku, StockEntry, StockLevel

MAX_MOVE = 1_000_000
DEFAULT_WAREHOUSE = "WH"


def default_location() -> Store:
    """The central warehouse (中心仓) used when a product or order names no store."""
    store, _ = Store.objects.get_or_create(code=DEFAULT_WAREHOUSE,
                                           defaults={"name": "中心仓", "kind": Store.Kind.WAREHOUSE})
    return store


def _level(sku: Sku, store: Store) -> StockLevel:
    level, _ = StockLevel.objects.get_or_create(sku=sku, store=store)
    return level


def _locked(level_id: int) -> StockLevel:
    return StockLevel.objects.select_for_update().get(pk=level_id)


def _move(level: StockLevel, kind: str, *, on_hand: int = 0, reserved: int = 0, ref: str = "", reason: str = "",
          actor: str = "") -> StockEntry:
    """Apply a movement to a locked level. Callers check availability first."""
    level.on_hand += on_hand
    level.reserved += reserved
    level.save(update_fields=["on_hand", "reserved"])
    return StockEntry.objects.create(level=level, kind=kind, on_hand_delta=on_hand, reserved_delta=reserved,
                                     on_hand_after=level.on_hand, reserved_after=level.reserved, ref=ref,
                                     reason=reason[:200], actor=actor[:150])


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_MOVE:
        raise InvalidStockMove(f"Quantity must be a whole number between 1 and {MAX_MOVE:,}.", field="quantity")


def receive(actor: Actor, sku: Sku, store: Store, quantity: int, *, reason: str = "", ref: str = "") -> StockEntry:
    """入库: goods arrive at a store or warehouse."""
    _check_quantity(quantity)
    with transaction.atomic():
        level = _locked(_level(sku, store).pk)
        entry = _move(level, StockEntry.Kind.RECEIPT, on_hand=quantity, ref=ref, reason=reason or "入库",
                      actor=actor.label)
        audit.record(actor, "stock.received", level, store_id=store.pk,
                     after={"sku": sku.code, "quantity": quantity, "on_hand": level.on_hand})
    return entry


def adjust(actor: Actor, sku: Sku, store: Store, delta: int, *, reason: str) -> StockEntry:
    """盘点调整: a counted correction (damage, loss, count difference). Needs a reason; never takes away
    stock that pending orders hold."""
    if not reason.strip():
        raise InvalidStockMove("A stock adjustment needs a reason.", field="reason")
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0 or abs(delta) > MAX_MOVE:
        raise InvalidStockMove("The adjustment must be a non-zero whole number.", field="delta")
    with transaction.atomic():
        level = _locked(_level(sku, store).pk)
        if level.on_hand + delta < level.reserved:
            raise InvalidStockMove(
                f"{sku.code} at {store.code} has {level.on_hand} on hand of which {level.reserved} are held by "
                f"unpaid orders; it cannot go down by {-delta}.", field="delta")
        entry = _move(level, StockEntry.Kind.ADJUSTMENT, on_hand=delta, reason=reason.strip(), actor=actor.label)
        audit.record(actor, "stock.adjusted", level, store_id=store.pk,
                     after={"sku": sku.code, "delta": delta, "reason": reason.strip(), "on_hand": level.on_hand})
    return entry


def reserve(requests: list[tuple[Sku, Store, int]], *, ref: str, actor: str = "") -> dict[int, StockLevel]:
    """下单占用: hold stock for an order, all lines or none. Locks levels in id order (no deadlocks between
    orders that share SKUs). Returns {sku_id: level}. Raises OutOfStock naming the first short SKU."""
    wanted: dict[int, int] = {}
    levels: dict[int, StockLevel] = {}
    for sku, store, quantity in requests:
        _check_quantity(quantity)
        level = _level(sku, store)
        levels[sku.pk] = level
        wanted[level.pk] = wanted.get(level.pk, 0) + quantity
    locked = {lv.pk: lv for lv in StockLevel.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    for level_id, quantity in wanted.items():
        level = locked[level_id]
        if level.available < quantity:
            sku = next(s for s, lv in levels.items() if lv.pk == level_id)
            code = Sku.objects.filter(pk=sku).values_list("code", flat=True).first()
            raise OutOfStock(f"Only {max(level.available, 0)} of {code} left; {quantity} requested.",
                             sku=code, available=max(level.available, 0), requested=quantity)
    for level_id, quantity in wanted.items():
        _move(locked[level_id], StockEntry.Kind.RESERVATION, reserved=quantity, ref=ref, actor=actor)
    return {sku_id: locked[level.pk] for sku_id, level in levels.items()}


def release(level_id: int, quantity: int, *, ref: str, reason: str = "") -> None:
    """释放: a cancelled order gives its held stock back."""
    level = _locked(level_id)
    _move(level, StockEntry.Kind.RELEASE, reserved=-quantity, ref=ref, reason=reason)


def sell(level_id: int, quantity: int, *, ref: str) -> None:
    """售出: payment turns held stock into sold stock."""
    level = _locked(level_id)
    _move(level, StockEntry.Kind.SALE, on_hand=-quantity, reserved=-quantity, ref=ref)


def restock(level_id: int, quantity: int, *, ref: str, reason: str = "") -> None:
    """退回: refunded goods that never left the store go back on the shelf."""
    level = _locked(level_id)
    _move(level, StockEntry.Kind.RETURN, on_hand=quantity, ref=ref, reason=reason)


def check_stock(fix: bool = False) -> list[dict]:
    """Recompute every level from its ledger; returns the mismatches (fixed when asked)."""
    sums = {row["level"]: row for row in StockEntry.objects.values("level")
            .annotate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"))}
    problems = []
    for level in StockLevel.objects.select_related("sku", "store").iterator():
        row = sums.get(level.pk, {"on_hand": 0, "reserved": 0})
        if (row["on_hand"] or 0, row["reserved"] or 0) != (level.on_hand, level.reserved):
            problems.append({"level": level.pk, "sku": level.sku.code, "store": level.store.code,
                             "cached": [level.on_hand, level.reserved],
                             "ledger": [row["on_hand"] or 0, row["reserved"] or 0]})
            if fix:
                StockLevel.objects.filter(pk=level.pk).update(on_hand=row["on_hand"] or 0,
                                                              reserved=row["reserved"] or 0)
    return problems
