from django.urls import path

from accounts import views

app_name = "me"
urlpatterns = [
    path("", views.page, name="page"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("language/", views.language, name="language"),
]
