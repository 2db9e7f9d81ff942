from django.urls import path

from volunteers import portal

app_name = "volunteers"
urlpatterns = [
    path("<str:token>/", portal.portal, name="portal"),
    path("<str:token>/a/<int:assignment_id>/accept/", portal.accept, name="accept"),
    path("<str:token>/a/<int:assignment_id>/decline/", portal.decline, name="decline"),
]
