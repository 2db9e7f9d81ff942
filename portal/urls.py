from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("<str:token>/", views.portal, name="home"),
    path("<str:token>/a/<int:assignment_id>/accept/", views.accept, name="accept"),
    path("<str:token>/a/<int:assignment_id>/decline/", views.decline, name="decline"),
]
