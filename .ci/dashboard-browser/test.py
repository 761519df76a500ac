#!/usr/bin/env python3
"""The dashboard in headless Chromium, driven by real clicks (Selenium and chromium-driver).

Starts ShopServer (the dashboard mounted at /eventbus) on a free port with its own data
directory, places orders (one of them from `mallory`, whose card is always declined: billing
retries it, then it is a dead letter), opens the dashboard through its login link, and checks
the rendered page:

1. the live update: the page's script has read the JSON again (`body[data-updates]`) and the
   time in the header changed;
2. the mailbox rows: billing (durable) and the mailer (a callback), with their numbers;
3. a chart: billing's depth and rate lines are drawn (the dashboard samples every 2 s);
4. a dead letter requeued through its button: the status line says so, and billing's count of
   events dead-lettered goes from 1 to 2 (the requeued order was retried and failed again).

Saves a screenshot to .build/dashboard.png (a CI artefact), and with --doc-screenshot PATH
also there (the picture in Documentation/RunningInAServer.md).

Usage: test.py PATH/TO/ShopServer [--doc-screenshot PATH]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

TOKEN = "browser-test-token-0123456789"
ORDER = {"customer": "ada", "items": [{"sku": "A1", "quantity": 1}]}
DECLINED = {"customer": "mallory", "items": [{"sku": "B2", "quantity": 1}]}


def fail(message):
    print(f"dashboard browser test FAILED: {message}")
    sys.exit(1)


def start_server(binary, data):
    server = subprocess.Popen(
        [binary, "--port", "0", "--data", data, "--dashboard-token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        if line.startswith("ShopServer listening on "):
            base = line.split()[-1].strip()
            # Keep reading its output so that the pipe never fills.
            threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
            return server, base
    server.kill()
    fail("ShopServer did not say where it listens")


def post_order(base, order):
    request = urllib.request.Request(
        base + "/orders", data=json.dumps(order).encode(), method="POST",
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202, response.status


def traffic(base, stop):
    """Orders at a changing pace, so that the charts have a shape."""
    tick = 0
    while not stop.is_set():
        for _ in range(1 + (tick // 10) % 4):
            post_order(base, ORDER)
        tick += 1
        stop.wait(0.25)


def showcase(driver, base, path):
    """The picture for the guide: a minute of traffic at a changing pace, then a burst that
    leaves billing a backlog, pictured while it drains (not part of the test)."""
    stop = threading.Event()
    pacer = threading.Thread(target=traffic, args=(base, stop), daemon=True)
    pacer.start()
    time.sleep(50)
    post_order(base, DECLINED)
    burst = [threading.Thread(target=lambda: [post_order(base, ORDER) for _ in range(250)]) for _ in range(8)]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join()
    stop.set()
    pacer.join()
    ended = time.time()
    driver.set_window_size(1200, 800)
    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    driver.set_window_size(1200, min(1500, height + 200))
    # Pictured once a sample of the backlog is in the chart (every 2 s), while it drains.
    while time.time() - ended < 6:
        depth = row(driver, "billing").find_element(By.CSS_SELECTOR, "td[data-field=depth]").text
        if time.time() - ended > 2.2 or depth == "0":
            break
        time.sleep(0.2)
    driver.execute_script("document.getElementById('status').textContent = ''")
    time.sleep(0.5)
    driver.save_screenshot(path)
    print("screenshot:", path)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1500", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


def section(driver, name):
    for element in driver.find_elements(By.CSS_SELECTOR, "section.mailbox"):
        if element.get_attribute("data-mailbox") == name:
            return element
    return None


def row(driver, name):
    for element in driver.find_elements(By.CSS_SELECTOR, "#mailboxes tbody tr"):
        if element.get_attribute("data-mailbox") == name:
            return element
    return None


def main():
    arguments = sys.argv[1:]
    if not arguments:
        sys.exit(__doc__)
    binary = arguments[0]
    doc_screenshot = None
    if len(arguments) == 3 and arguments[1] == "--doc-screenshot":
        doc_screenshot = arguments[2]
    os.makedirs(".build", exist_ok=True)
    data = tempfile.mkdtemp(prefix="dashboard-browser-")
    server, base = start_server(binary, data)
    stop = threading.Event()
    driver = None
    passed = False
    try:
        for _ in range(3):
            post_order(base, ORDER)
        post_order(base, DECLINED)
        pacer = threading.Thread(target=traffic, args=(base, stop), daemon=True)
        pacer.start()

        driver = browser()
        wait = WebDriverWait(driver, 60, poll_frequency=0.2)
        driver.get(base + "/eventbus/login?token=" + TOKEN)
        wait.until(lambda d: d.find_elements(By.ID, "mailboxes"))
        if "EventBus" not in driver.title:
            fail(f"unexpected title {driver.title!r}")
        first = driver.find_element(By.ID, "updated").text

        # 1. The live update.
        wait.until(lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-updates") or 0) >= 2)
        wait.until(lambda d: d.find_element(By.ID, "updated").text != first)
        print("live update: the page read the JSON again; updated", driver.find_element(By.ID, "updated").text)

        # 2. The mailbox rows.
        billing_row = row(driver, "billing")
        mailer_row = row(driver, "mailer")
        if billing_row is None or mailer_row is None:
            names = [r.get_attribute("data-mailbox") for r in driver.find_elements(By.CSS_SELECTOR, "#mailboxes tbody tr")]
            fail(f"no billing or mailer row; rows: {names}")
        if billing_row.find_element(By.CSS_SELECTOR, "td[data-field=kind]").text != "durable":
            fail("billing is not shown as durable")
        if mailer_row.find_element(By.CSS_SELECTOR, "td[data-field=kind]").text != "callback":
            fail("the mailer is not shown as a callback")
        print("rows:", [r.get_attribute("data-mailbox") for r in driver.find_elements(By.CSS_SELECTOR, "#mailboxes tbody tr")])

        # 3. A chart with lines drawn from at least two samples.
        def drawn(d):
            path = section(d, "billing").find_element(By.CSS_SELECTOR, "svg.chart path.depth").get_attribute("d")
            return path and path.count("L") >= 1
        wait.until(drawn)
        arrival = section(driver, "billing").find_element(By.CSS_SELECTOR, "svg.chart path.arrival").get_attribute("d")
        if not arrival:
            fail("billing's chart has no arrival line")
        print("chart: billing's depth and rate lines are drawn")

        # 4. The declined order's dead letter, requeued through its button.
        billing = section(driver, "billing")
        wait.until(lambda d: section(d, "billing").find_elements(By.CSS_SELECTOR, "table.dead tbody tr"))
        letter = section(driver, "billing").find_element(By.CSS_SELECTOR, "table.dead tbody tr")
        reason = letter.text
        if "payment declined" not in reason:
            fail(f"the dead letter does not say why: {reason!r}")
        dead_before = section(driver, "billing").find_element(By.CSS_SELECTOR, "span[data-field=deadLettered]").text
        if dead_before != "1":
            fail(f"expected 1 event dead-lettered, the page says {dead_before!r}")
        letter.find_element(By.CSS_SELECTOR, "form.requeue button").click()
        wait.until(lambda d: "requeued 1 dead letter" in d.find_element(By.ID, "status").text)
        print("requeue:", driver.find_element(By.ID, "status").text)
        # Billing retries it (three attempts) and it is a dead letter again: counted twice now.
        wait.until(lambda d: section(d, "billing").find_element(By.CSS_SELECTOR, "span[data-field=deadLettered]").text == "2")
        wait.until(lambda d: section(d, "billing").find_elements(By.CSS_SELECTOR, "table.dead tbody tr"))
        print("the requeued order was delivered again and failed again: dead-lettered 2")

        stop.set()
        pacer.join()
        # Let the charts show the traffic stopping, then picture the page.
        time.sleep(4)
        driver.execute_script("document.getElementById('status').textContent = ''")
        driver.save_screenshot(".build/dashboard.png")
        print("screenshot: .build/dashboard.png")
        if doc_screenshot:
            showcase(driver, base, doc_screenshot)
        print("dashboard browser test passed")
        passed = True
    finally:
        stop.set()
        if driver is not None:
            if not passed:
                driver.save_screenshot(".build/dashboard-failed.png")
                print("the page when it failed: .build/dashboard-failed.png")
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
