from ninja import Router, Schema

from shequn.core.idempotency import idempotent
from shequn.core.permissions import require

from . import selectors, services

router = Router(tags=["stores"])


class StoreIn(Schema):
    code: str
    name: str
    city: str = ""
    timezone: str = "Asia/Shanghai"
    address: str = ""


class StoreOut(Schema):
    id: int
    code: str
    name: str
    city: str
    timezone: str


@router.post("", response={201: StoreOut}, summary="Create a store")
@idempotent()
def create_store(request, payload: StoreIn):
    require(request.auth, "stores.write")
    store = services.create_store(request.auth, **payload.dict())
    return 201, StoreOut.model_validate(store)


@router.get("", response=list[StoreOut], summary="Stores visible to the caller")
def list_stores(request):
    require(request.auth, "stores.view")
    return list(selectors.stores_visible_to(request.auth))
