from pathlib import Path

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ALLOWED_SUFFIXES = {".csv", ".xlsx"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=_("会员文件"), help_text=_("CSV（UTF-8 或 GBK）或 Excel (.xlsx)"),
                           error_messages={"required": _("请选择要导入的文件。"),
                                           "empty": _("文件是空的。")})
    store = forms.ChoiceField(label=_("默认门店"), required=False,
                              error_messages={"invalid_choice": _("请从列表中选择门店。"),
                                              "required": _("请选择门店。")},
                              help_text=_("文件里没有“门店编码”列的行归到这个门店"))
    dry_run = forms.BooleanField(label=_("只检查，不写入（试运行）"), required=False, initial=True)

    def __init__(self, *args, stores=(), store_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(s.code, gettext("%(name)s（%(code)s）") % {"name": s.name, "code": s.code}) for s in stores]
        self.fields["store"].choices = choices if store_required else [("", _("不指定"))] + choices
        self.fields["store"].required = store_required

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(_("只支持 .csv 和 .xlsx 文件。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件太大，单个文件最多 50 MB。"))
        return upload
