from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """The signed-in user's start page: who they are and the pages their role works in
    (the links come from web.navigation through the `role_links` tag; base.html shows the
    notice to a member whose organisation is not active)."""
    return render(request, "web/home.html")
