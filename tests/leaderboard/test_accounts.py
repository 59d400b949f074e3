"""Accounts: signing up logs in, logging in and out, and the API token a user makes and
revokes; each change of state needs the CSRF token."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase 7"


def test_signing_up_makes_the_user_and_logs_them_in(client):
    response = client.post("/accounts/signup/", {
        "username": "grace", "email": "grace@example.org",
        "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/submit/"
    user = User.objects.get(username="grace")
    assert user.email == "grace@example.org" and not user.is_staff
    assert "Log out grace" in client.get("/").content.decode()


def test_a_weak_or_mismatched_password_is_said_on_the_form(client):
    page = client.post("/accounts/signup/", {"username": "grace", "password1": "12345678",
                                             "password2": "12345678"}).content.decode()
    assert "This password is too common" in page or "entirely numeric" in page
    page = client.post("/accounts/signup/", {"username": "grace", "password1": PASSWORD,
                                             "password2": PASSWORD + "x"}).content.decode()
    assert "password fields didn" in page
    assert not User.objects.exists()


def test_logging_in_and_out(client):
    User.objects.create_user("grace", password=PASSWORD)
    response = client.post("/accounts/login/", {"username": "grace", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/submissions/"
    assert client.get("/submissions/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/submissions/").status_code == 302


def test_a_wrong_password_does_not_log_in(client):
    User.objects.create_user("grace", password=PASSWORD)
    page = client.post("/accounts/login/", {"username": "grace", "password": "nope"})
    assert "Please enter a correct username and password" in page.content.decode()


def test_a_token_is_shown_once_replaced_and_revoked(client):
    user = User.objects.create_user("grace", password=PASSWORD)
    client.force_login(user)
    client.post("/accounts/tokens/new/")
    key = Token.objects.get(user=user).key
    assert key in client.get("/accounts/tokens/").content.decode()
    assert key not in client.get("/accounts/tokens/").content.decode()  # once only
    client.post("/accounts/tokens/new/")
    assert Token.objects.get(user=user).key != key
    client.post("/accounts/tokens/revoke/")
    assert not Token.objects.filter(user=user).exists()


def test_token_changes_need_a_login_a_post_and_the_csrf_token():
    user = User.objects.create_user("grace", password=PASSWORD)
    response = Client().post("/accounts/tokens/new/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/accounts/tokens/new/").status_code == 405
    assert browser.post("/accounts/tokens/new/").status_code == 403  # no CSRF token
    assert not Token.objects.exists()
    page = browser.get("/accounts/tokens/")
    token = page.cookies["csrftoken"].value
    assert browser.post("/accounts/tokens/new/", HTTP_X_CSRFTOKEN=token).status_code == 302
    assert Token.objects.filter(user=user).exists()
