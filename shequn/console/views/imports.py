import tempfile
from pathlib import Path

from django.shortcuts import render
from django.utils.translation import gettext as _

from shequn.core.errors import Problem
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.imports import ImportForm
from ..problems import problem_text

MAX_ERRORS_SHOWN = 500


def _save_upload(upload) -> Path:
    suffix = Path(upload.name).suffix.lower()
    with tempfile.NamedTemporaryFile(prefix="shequn-import-", suffix=suffix, delete=False) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
    return Path(tmp.name)


@console_view("members.import")
def member_import(request):
    actor = request.actor
    stores = stores_visible_to(actor)
    form = ImportForm(request.POST or None, request.FILES or None, stores=stores,
                      store_required=actor.scoped)
    context = {"form": form, "nav": "import"}
    if request.method == "POST" and form.is_valid():
        try:
            from shequn.members.importer import import_members
        except ImportError:
            context["error"] = _("导入模块暂不可用，请稍后再试或使用命令行 shequn import-members。")
            return render(request, "console/member_import.html", context)
        path = _save_upload(form.cleaned_data["file"])
        dry_run = form.cleaned_data["dry_run"]
        try:
            result = import_members(path, store_code=form.cleaned_data["store"] or None,
                                    dry_run=dry_run, actor=actor, progress=None,
                                    file_name=form.cleaned_data["file"].name)
        except Problem as problem:
            context["error"] = problem_text(problem)
        except ValueError as exc:
            context["error"] = _("文件无法读取：%(reason)s") % {"reason": exc}
        else:
            errors = list(result.errors)
            context.update(result=result, dry_run=dry_run, filename=form.cleaned_data["file"].name,
                           errors=errors[:MAX_ERRORS_SHOWN], hidden_errors=max(0, len(errors) - MAX_ERRORS_SHOWN))
        finally:
            path.unlink(missing_ok=True)
    return render(request, "console/member_import.html", context)
