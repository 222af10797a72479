from ninja import Router

router = Router(tags=["group-health"])
