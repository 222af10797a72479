from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from shequn.accounts.models import StaffUser
from shequn.accounts.roles import SCOPED_ROLES, Role

from ..labels import ROLES


class StaffCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("用户名"), regex=r"^[A-Za-z0-9_.@+-]{2,150}$", max_length=150,
        error_messages={"required": _("请填写用户名。"),
                        "invalid": _("用户名只能用英文字母、数字和 _ . @ + -，至少 2 个字符。")})
    display_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    role = forms.ChoiceField(label=_("角色"),
                             choices=[("", _("请选择角色"))] + [(r.value, ROLES[r.value]) for r in Role],
                             error_messages={"required": _("请选择角色。"),
                                             "invalid_choice": _("请从列表中选择角色。")})
    stores = forms.MultipleChoiceField(label=_("负责门店"), required=False,
                                       error_messages={"invalid_choice": _("门店 %(value)s 不存在。")},
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("店长和社群运营只能看到这些门店的数据"))
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(render_value=False),
                               error_messages={"required": _("请设置初始密码。")})

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = [(s.code, s.name) for s in stores]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if StaffUser.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("这个用户名已经存在。"))
        return username

    def clean_password(self):
        password = self.cleaned_data["password"]
        try:
            validate_password(password)
        except forms.ValidationError:
            raise forms.ValidationError(_("密码至少 8 位，且不能太简单。")) from None
        return password

    def clean(self):
        data = super().clean()
        if data.get("role") in SCOPED_ROLES and not data.get("stores"):
            self.add_error("stores", _("店长和社群运营至少要负责一个门店。"))
        return data


class TokenCreateForm(forms.Form):
    user = forms.ModelChoiceField(label=_("员工"), queryset=StaffUser.objects.none(), empty_label=_("请选择员工"),
                                  error_messages={"required": _("请选择令牌属于哪位员工。"),
                                                  "invalid_choice": _("请选择有效的员工。")})
    name = forms.CharField(label=_("用途"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("例如：收银系统")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = StaffUser.objects.filter(is_active=True).order_by("username")
