from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from web.decorators import member_refusal


@login_required
def home(request):
    """The signed-in user's start page: who they are and the pages their role works in
    (the links come from web.navigation through the `role_links` tag)."""
    return render(request, "web/home.html", {"refusal": member_refusal(request.user)})
