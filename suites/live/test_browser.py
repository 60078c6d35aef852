"""A user's walk through the UI in headless Chromium, through the load balancer: sign in, create a record
with a PDF, find it in the list and by search, open its PDF, edit it, delete it, sign out.

Debian's `chromium` and `chromium-driver` drive it (selenium pointed at /usr/bin/chromedriver): no
browser or driver is ever downloaded. Each page may come from either task, so this also proves the tasks
share their secret key (sessions and CSRF tokens) and their data.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from livekit import LiveStack

from humangov_deploy.platforms.local.ca import spki_sha256
from humangov_deploy.waits import Poll, poll_until

WAIT_SECONDS = 20.0


def checked_spki(stack: LiveStack) -> str | None:
    """The public key the state's HTTPS presents, after OpenSSL checked its certificate against the CA.

    Chromium gets this key (--ignore-certificate-errors-spki-list), not a blanket --ignore-certificate-
    errors: it accepts exactly the certificate Python verified (chain to the local CA, name, dates) and
    refuses any other. None when the state's certificate chains to a public CA (aws).
    """
    if not stack.status.ca_bundle:
        return None
    url = urlsplit(stack.url)
    context = ssl.create_default_context(cafile=stack.status.ca_bundle)
    with (
        socket.create_connection((url.hostname, url.port or 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=url.hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der, "the load balancer presented no certificate"
    return spki_sha256(x509.load_der_x509_certificate(der))


@pytest.fixture
def browser(browser_binaries: tuple[str, str], tmp_path: Path, stack: LiveStack) -> Iterator[Any]:
    # Selenium Manager must not look for a driver or a browser on the internet.
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_binaries
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    spki = checked_spki(stack)
    if spki:
        options.add_argument(f"--ignore-certificate-errors-spki-list={spki}")
    options.add_experimental_option(
        "prefs",
        {
            # Headless Chromium has no PDF viewer: a PDF it opens is saved here, where the test reads it.
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "plugins.always_open_pdf_externally": True,
        },
    )
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.implicitly_wait(5)
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def test_a_user_walks_the_whole_record_flow(stack: LiveStack, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.wait import WebDriverWait

    driver: Any = browser
    marker = uuid.uuid4().hex[:8]
    last_name = f"Walker{marker}"
    pdf = tmp_path / f"contract-{marker}.pdf"
    pdf.write_bytes(f"%PDF-1.4\n% browser walk {marker}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".encode())

    def find(css: str) -> Any:
        return driver.find_element(By.CSS_SELECTOR, css)

    def navigate(element: Any) -> None:
        """Click a link or submit button and wait until the next page replaced this one."""
        page = driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(driver, WAIT_SECONDS).until(staleness_of(page))

    def row() -> Any:
        rows = driver.find_elements(By.XPATH, f"//tr[td[contains(., '{last_name}')]]")
        return rows[0] if rows else None

    # Sign in: the home page sends a visitor to the sign-in form, which sends them back.
    username, password = stack.add_user("editor")
    driver.get(f"{stack.url}/")
    assert driver.current_url == f"{stack.url}/login?next=/"
    find("#username").send_keys(username)
    find("#password").send_keys(password)
    navigate(find("form button[type=submit]"))
    assert username in find(".account .who").text

    # Create, with the PDF chosen in the file input.
    navigate(driver.find_element(By.LINK_TEXT, "New record"))
    find("#first_name").send_keys("Grace")
    find("#last_name").send_keys(last_name)
    find("#role").send_keys("Teacher")
    find("#salary").send_keys("52000")
    find("#pdf").send_keys(str(pdf))
    navigate(find("form[enctype='multipart/form-data'] button[type=submit]"))
    assert f"Added Grace {last_name}" in find("main").text

    # Listed.
    navigate(driver.find_element(By.LINK_TEXT, "Records"))
    assert row() is not None, "the new record is not in the list"
    assert "Teacher" in row().text

    # Found by search (part of the name, another case).
    box = find("#search-name")
    box.clear()
    box.send_keys(last_name[:-3].lower())
    navigate(find("form[role=search] button[type=submit]"))
    assert "contains" in find("h1").text
    assert row() is not None, "search did not find the record"

    # Open the PDF: a presigned URL on the state's storage, which the browser must reach.
    row().find_element(By.PARTIAL_LINK_TEXT, "PDF").click()
    saved = poll_until(
        lambda: _downloaded(driver.downloads),
        timeout=WAIT_SECONDS,
        interval=0.25,
        what="the browser to open the record's PDF",
    )
    assert saved.read_bytes() == pdf.read_bytes()

    # Edit.
    driver.get(f"{stack.url}/records")
    navigate(row().find_element(By.PARTIAL_LINK_TEXT, "Edit"))
    role = find("#role")
    role.clear()
    role.send_keys("Principal")
    navigate(find("form[enctype='multipart/form-data'] button[type=submit]"))
    assert f"Saved Grace {last_name}" in find("main").text
    assert "Principal" in row().text

    # Delete.
    navigate(row().find_element(By.CSS_SELECTOR, "button.danger"))
    assert f"Deleted Grace {last_name}" in find("main").text
    driver.implicitly_wait(0)
    assert row() is None, "the deleted record is still listed"

    # Sign out: the records are out of reach again.
    navigate(find(".account button[type=submit]"))
    assert driver.current_url == f"{stack.url}/login"
    driver.get(f"{stack.url}/records")
    assert driver.current_url.startswith(f"{stack.url}/login")


def _downloaded(directory: Path) -> Poll[Path | None]:
    done = [p for p in directory.iterdir() if p.suffix == ".pdf"]
    pending = [p for p in directory.iterdir() if p.suffix == ".crdownload"]
    if done and not pending:
        time.sleep(0.1)  # let Chromium finish renaming the file
        return Poll(True, done[0])
    return Poll(False, None)
