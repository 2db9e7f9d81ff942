from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import STAFF_LANGUAGES, User


class StaffUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class StaffUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=STAFF_LANGUAGES)
