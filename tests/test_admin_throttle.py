"""The admin login refuses a username or client address after 5 failures in 15 minutes."""

import time
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User

from config import throttle

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
WRONG = "password123"
REFUSED = "Too many failed attempts, try again in 15 minutes."


@pytest.fixture(autouse=True)
def staff(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for tests only
    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    User.objects.create_superuser("editor", "editor@example.com", PASSWORD)


def login(client, username, password, address="192.0.2.1", **extra):
    client.logout()
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_five_times(client, username="admin", address="192.0.2.1", **extra):
    for _ in range(throttle.MAX_FAILURES):
        response = login(client, username, WRONG, address, **extra)
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()


def test_sixth_attempt_is_refused_even_with_the_right_password_without_checking_it(client):
    fail_five_times(client)

    with mock.patch("django.contrib.auth.forms.authenticate", wraps=authenticate) as checked:
        response = login(client, "admin", PASSWORD)

    assert not logged_in(response)
    assert REFUSED in response.content.decode()
    checked.assert_not_called()


def test_locked_username_is_refused_from_any_address_and_locked_address_for_any_username(client):
    fail_five_times(client, "admin", "192.0.2.1")

    assert REFUSED in login(client, "admin", PASSWORD, "198.51.100.7").content.decode()
    assert REFUSED in login(client, "editor", PASSWORD, "192.0.2.1").content.decode()
    assert (
        REFUSED in login(client, "ADMIN", PASSWORD, "198.51.100.8").content.decode()
    )  # case is no way round


def test_another_user_from_another_address_still_logs_in(client):
    fail_five_times(client, "admin", "192.0.2.1")

    assert logged_in(login(client, "editor", PASSWORD, "198.51.100.7"))


def test_login_works_again_once_the_window_has_passed(client, monkeypatch):
    fail_five_times(client)
    later = time.time() + throttle.WINDOW_S + 1
    monkeypatch.setattr(time, "time", lambda: later)  # the cache's expiry and the throttle's clock

    assert logged_in(login(client, "admin", PASSWORD))


def test_remaining_minutes_count_down(client, monkeypatch):
    fail_five_times(client)
    later = time.time() + throttle.WINDOW_S - 90
    monkeypatch.setattr(time, "time", lambda: later)

    assert "try again in 2 minutes." in login(client, "admin", PASSWORD).content.decode()


def test_a_successful_login_resets_the_count(client):
    for _ in range(4):
        login(client, "admin", WRONG)
    assert logged_in(login(client, "admin", PASSWORD))
    for _ in range(4):
        login(client, "admin", WRONG)

    assert logged_in(login(client, "admin", PASSWORD))


def test_behind_a_proxy_the_forwarded_client_is_counted(client, settings):
    settings.BEHIND_PROXY = True
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.1"}
    fail_five_times(client, "admin", "10.0.0.1", **forwarded)

    assert REFUSED in login(client, "editor", PASSWORD, "10.0.0.1", **forwarded).content.decode()
    assert logged_in(login(client, "editor", PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10"))
