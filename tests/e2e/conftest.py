"""Browser tests: Playwright driving the system Chromium (never a downloaded one)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
COORDINATOR = "koordinator@kommune.dk"
PASSWORD = "et-langt-kodeord"  # the staff users' password in the browser tests
LOGIN = "/accounts/login/"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is needed for the browser tests: apt-get install chromium "
            "(`make test` checks system packages first)."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(autouse=True)
def csp_violations():
    """Every page the browser tests open is watched: a Content-Security-Policy
    violation in the console (an inline style or script, a blocked resource)
    fails the test."""
    seen: list[str] = []
    yield seen
    assert not seen, "CSP violations:\n" + "\n".join(seen)


def watch(page: Page, seen: list[str]) -> Page:
    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            seen.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return page


@pytest.fixture
def phone(browser, live_server, csp_violations):
    """A phone-sized, touch browser context against the live server."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        base_url=live_server.url,
    )
    page = watch(context.new_page(), csp_violations)
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_server, csp_violations):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", base_url=live_server.url
    )
    page = watch(context.new_page(), csp_violations)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def open_page(browser: Browser, live_server, csp_violations) -> Iterator[Callable[..., Page]]:
    """``open_page(PHONE, "da-DK")``: a fresh context (own cookies, own language)."""
    contexts = []

    def open_(device: dict, locale: str) -> Page:
        context = browser.new_context(**device, locale=locale, base_url=live_server.url)
        contexts.append(context)
        return watch(context.new_page(), csp_violations)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """``sign_in(page)``: log in on the staff login page as the coordinator (or
    ``email``) with PASSWORD (or ``password``), and wait until the browser has
    left the login page (for the page asked for, or the second step).

    ``path``: where to start (a protected page sends the browser to the login
    page); ``None`` fills in the login page the browser is on. ``wait=False``
    returns as soon as the form is sent (a login that is meant to fail)."""

    def sign_in_(
        page: Page,
        email: str = COORDINATOR,
        *,
        password: str = PASSWORD,
        path: str | None = LOGIN,
        wait: bool = True,
    ) -> None:
        if path is not None:
            page.goto(path)
        page.locator("#id_login").fill(email)
        page.locator("#id_password").fill(password)
        page.locator(f"main form[action$='{LOGIN}'] button[type=submit]").click()
        if wait:
            page.wait_for_url(lambda url: LOGIN not in url)

    return sign_in_


def paste_text(page: Page, selector: str, text: str) -> None:
    """Paste ``text`` into the input at ``selector`` as a spreadsheet's copied
    column arrives: a paste event carrying plain text."""
    page.evaluate(
        """([selector, text]) => {
            const input = document.querySelector(selector);
            const data = new DataTransfer();
            data.setData('text/plain', text);
            input.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                             cancelable: true}));
        }""",
        [selector, text],
    )
