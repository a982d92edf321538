"""The interactive explorers, tried in a real browser: JupyterLab on 127.0.0.1, headless Chromium driven by Playwright.

For every lesson that uses an explorer (``from helpers.explorers import ...``)
the test opens a copy of the lesson with its outputs cleared, runs all cells,
fails on any traceback or JavaScript error, then moves the explorer's first
drop-down and first slider and checks that its view redraws each time. It
saves a screenshot per lesson in ``output/screenshots/``.

It needs Playwright (``requirements-dev.txt``) and Debian's Chromium
(``apt-get install chromium``; Playwright's own browser download cannot work
offline). Without them it is skipped, unless ``KIT_REQUIRE_BROWSER=1`` (set by
``.ci/run``), where a missing browser fails the test.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from kit_tools.sync_notebooks import LESSONS

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM = Path(os.environ.get("KIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # no background calls on a closed network
SCREENSHOTS = ROOT / "output" / "screenshots"
TOKEN = "kit-browser-test"
RUN_TIMEOUT = 300  # seconds for one lesson's Run All
EXPLORER_LESSONS = [name for name in LESSONS
                    if "from helpers.explorers import" in (ROOT / "notebooks" / name).read_text(encoding="utf-8")]


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set KIT_CHROMIUM)"
    return None


if _missing():
    if os.environ.get("KIT_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"the browser test is required here but cannot run: {_missing()}")
    pytest.skip(f"browser test skipped: {_missing()}", allow_module_level=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free local port, serving a copy of the explorer lessons with their outputs cleared."""
    work = tmp_path_factory.mktemp("lab")
    (work / "notebooks").mkdir()
    for name in ("helpers", "datasets", "templates"):
        (work / name).symlink_to(ROOT / name)
    for lesson in EXPLORER_LESSONS:  # a copy: JupyterLab autosaves, and old prompts would look finished
        notebook = nbformat.read(ROOT / "notebooks" / lesson, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, work / "notebooks" / lesson)
    settings = work / "settings"  # every cell on the page (no windowing), no news pop-up
    for plugin, values in {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
                           "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}.items():
        (settings / plugin).parent.mkdir(parents=True, exist_ok=True)
        (settings / plugin).write_text(json.dumps(values), encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={work}", f"--LabApp.user_settings_dir={settings}"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    log = (work / "server.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError(f"JupyterLab did not start: {(work / 'server.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _run_all(page, started: float) -> None:
    """Run All once the kernel is idle, then wait until it is idle again with no cell still running."""
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=60_000)  # not the toolbar: too early
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Busy')", timeout=30_000)
    idle_since = None
    while time.time() - started < RUN_TIMEOUT:
        idle = page.locator(".jp-StatusBar-TextItem:has-text('Idle')").count() > 0
        if idle and page.locator(".jp-InputPrompt:has-text('[*]')").count() == 0:
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 2:
                return
        else:
            idle_since = None
        time.sleep(0.5)
    raise AssertionError(f"Run All did not finish within {RUN_TIMEOUT} s")


def _drawn(src: str) -> bool:
    """Whether a data-URL PNG shows something (not one flat colour)."""
    import base64
    import io

    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    return float(pixels[..., :3].std()) > 0.01


def _settled(page, view, timeout: float = 90) -> str:
    """The view's content once the kernel is idle and the content has not changed for 1.5 s (a redraw clears
    the view first, then draws the table and the plot)."""
    deadline, last, same_since = time.time() + timeout, None, time.time()
    while time.time() < deadline:
        html = view.inner_html()
        idle = page.locator(".jp-StatusBar-TextItem:has-text('Idle')").count() > 0
        if html != last or not idle:
            last, same_since = html, time.time()
        elif time.time() - same_since >= 1.5:
            return html
        time.sleep(0.25)
    raise AssertionError("the explorer's view did not settle")


def _redraws(page, view, action) -> bool:
    """Whether the explorer's view (its output area) ends up different after ``action``."""
    before = _settled(page, view)
    action()
    try:
        page.wait_for_function("([el, old]) => el.innerHTML !== old", arg=[view.element_handle(), before], timeout=60_000)
    except Exception:
        return False
    return _settled(page, view) != before


@pytest.mark.parametrize("lesson", EXPLORER_LESSONS)
def test_the_explorer_runs_and_redraws_in_jupyterlab(lab, browser, lesson):
    started = time.time()
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        # a workspace of its own: JupyterLab would otherwise reopen the lessons opened before
        page.goto(f"{lab}/lab/workspaces/{Path(lesson).stem}/tree/notebooks/{lesson}?reset&token={TOKEN}")
        _run_all(page, started)
        tracebacks = page.locator("[data-mime-type='application/vnd.jupyter.stderr']:has-text('Traceback')")
        assert tracebacks.count() == 0, tracebacks.first.inner_text()[:2000]
        explorer = page.locator(".jp-Cell", has=page.locator(".widget-dropdown select")).first
        explorer.scroll_into_view_if_needed()
        view = explorer.locator(".widget-output").first
        assert view.inner_text().strip(), "the explorer shows no view before any control is moved"
        dropdown = explorer.locator(".widget-dropdown select").first
        assert _redraws(page, view, lambda: dropdown.select_option(index=1)), "the view did not change with the drop-down"
        handle = explorer.locator(".noUi-handle").first
        assert _redraws(page, view, lambda: (handle.focus(), handle.press("ArrowLeft"))), \
            "the view did not change with the slider"
        assert not page_errors, page_errors
        images = view.locator("img")
        assert images.count() >= 1, "the explorer's plot is missing after a redraw"
        for i in range(images.count()):  # after the redraws: plots drawn in callbacks once came out blank
            assert _drawn(images.nth(i).get_attribute("src")), f"plot {i + 1} of the explorer is blank after a redraw"
        images.evaluate_all("imgs => Promise.all(imgs.map(img => img.decode()))")  # painted before the screenshot
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        explorer.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        explorer.screenshot(path=str(SCREENSHOTS / f"{Path(lesson).stem}.png"))
    finally:
        page.close()
        _shut_down_kernels(lab)
    print(f"{lesson}: {time.time() - started:.1f} s")


def _shut_down_kernels(lab: str) -> None:
    """Free the finished lesson's kernel (a few hundred MB) before the next one starts."""
    from urllib.request import Request, urlopen

    with urlopen(f"{lab}/api/kernels?token={TOKEN}", timeout=10) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        urlopen(Request(f"{lab}/api/kernels/{kernel['id']}?token={TOKEN}", method="DELETE"), timeout=10).close()
