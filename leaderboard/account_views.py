"""Accounts: sign up (log in and out are Django's own views) and the API token page."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from leaderboard.forms import SignUpForm


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("my-submissions")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Submit your first agent below.")
        return redirect("submit")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def tokens(request):
    """The user's API token: shown in full once, just after it was made."""
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/tokens.html",
                  {"token": token, "new_key": request.session.pop("new_token_key", None)})


@login_required
@require_POST
def create_token(request):
    """A new token, replacing the old one (which stops working at once)."""
    Token.objects.filter(user=request.user).delete()
    token = Token.objects.create(user=request.user)
    request.session["new_token_key"] = token.key
    messages.success(request, "A new API token was made; any older one no longer works.")
    return redirect("tokens")


@login_required
@require_POST
def revoke_token(request):
    deleted, _ = Token.objects.filter(user=request.user).delete()
    messages.success(request, "Your API token was revoked." if deleted else "You had no token.")
    return redirect("tokens")
