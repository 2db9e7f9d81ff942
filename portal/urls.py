from django.urls import path

from portal import preferences, standby, views

app_name = "portal"
urlpatterns = [
    path("calendar/<str:feed_token>.ics", views.calendar_feed, name="calendar_feed"),
    # Before the personal link's patterns: "offer/<token>/" is not a link's sub-page.
    path("offer/<str:offer_token>/", standby.offer, name="offer"),
    path("<str:token>/", views.portal, name="home"),
    path("<str:token>/language/", views.language, name="language"),
    path("<str:token>/stop/", views.stop_contact, name="stop_contact"),
    path("<str:token>/calendar/renew/", views.renew_calendar, name="renew_calendar"),
    path("<str:token>/needs/", views.needs, name="needs"),
    path("<str:token>/contact/", views.change_contact, name="change_contact"),
    path("<str:token>/contact/verify/", views.verify_contact, name="verify_contact"),
    path("<str:token>/wishes/", preferences.wishes, name="wishes"),
    path("<str:token>/standby/join/", standby.join, name="standby_join"),
    path("<str:token>/standby/leave/", standby.leave, name="standby_leave"),
    path(
        "<str:token>/a/<int:assignment_id>/calendar.ics",
        views.shift_calendar,
        name="shift_calendar",
    ),
    path("<str:token>/a/<int:assignment_id>/accept/", views.accept, name="accept"),
    path("<str:token>/a/<int:assignment_id>/decline/", views.decline, name="decline"),
]
