from django.urls import path

from . import views, views_flash, views_groups, views_pay, views_shop, views_teams

app_name = "h5"
urlpatterns = [
    path("", views.card, name="card"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("check-in/", views.check_in, name="check_in"),
    path("points/", views.points, name="points"),
    path("privacy/", views.privacy, name="privacy"),
    path("dev/inbox/", views.dev_inbox, name="dev_inbox"),
    path("join/<str:code>/", views_groups.join, name="join"),
    path("groups/", views_groups.my_groups, name="my_groups"),
    path("groups/<int:group_id>/", views_groups.group, name="group"),
    path("groups/<int:group_id>/leave/", views_groups.leave, name="group_leave"),
    path("groups/<int:group_id>/report/", views_groups.report, name="group_report"),
    path("red-packets/<int:packet_id>/grab/", views_groups.grab, name="grab"),
    path("polls/<int:poll_id>/vote/", views_groups.vote, name="vote"),
    path("activities/<int:activity_id>/sign-up/", views_groups.sign_up, name="activity_sign_up"),
    path("activities/checkin/<str:token>/", views_groups.activity_check_in, name="activity_check_in"),
    path("shop/", views_shop.shop, name="shop"),
    path("shop/<int:product_id>/", views_shop.product, name="product"),
    path("cart/", views_shop.cart_page, name="cart"),
    path("cart/update/", views_shop.cart_update, name="cart_update"),
    path("checkout/", views_shop.checkout, name="checkout"),
    path("orders/", views_shop.my_orders, name="orders"),
    path("orders/<str:order_no>/", views_shop.order_detail, name="order"),
    path("orders/<str:order_no>/cancel/", views_shop.order_cancel, name="order_cancel"),
    path("orders/<str:order_no>/pay/", views_pay.pay, name="order_pay"),
    path("pay/sandbox/<str:order_no>/", views_pay.sandbox, name="pay_sandbox"),
    path("team-deals/", views_teams.deals, name="team_deals"),
    path("team-deals/<int:deal_id>/", views_teams.deal, name="team_deal"),
    path("team-deals/<int:deal_id>/open/", views_teams.open_team, name="team_open"),
    path("team/<str:code>/", views_teams.team, name="team"),
    path("flash/", views_flash.sales, name="flash_sales"),
    path("flash/<int:sale_id>/", views_flash.sale, name="flash_sale"),
]
