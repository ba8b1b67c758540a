from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """The signed-in user's start page: who they are and the work their role does."""
    return render(request, "web/home.html", {"user": request.user})
