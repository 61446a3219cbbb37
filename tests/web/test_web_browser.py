"""`scoring serve` end to end in the real Chromium from Debian's packages (issue #21).

One server and one browser for the module: load the 2026 sample, open a candidate, enter a
review round's value with a reason and see the score change, download the XLSX and read it, and
see a request without the token refused. Playwright drives /usr/bin/chromium (its own browser
download is never used). Skipped when Chromium or playwright is absent; failed instead when `CI`
is set, since CI installs them. With SCORING_WEB_SCREENSHOTS=DIR, each page is saved there as a
PNG (docs/web/ holds the ones in the README).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from scoring.base.text import match_key
from scoring.run.app import run

ROOT = Path(__file__).resolve().parents[2]
ROUNDS_RULES = ROOT / "tests/rulesets/rounds"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TOKEN = "browser-test-token-0123456789"


def _absent(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}, and CI is set: .ci/run installs the Debian package 'chromium' "
                    "and the test extra (pip install -e '.[test]')")
    pytest.skip(f"{why}: install Debian's 'chromium' package and the test extra to run the "
                "browser tests")


def chromium() -> str:
    exe = shutil.which("chromium") or ("/usr/bin/chromium"
                                       if Path("/usr/bin/chromium").exists() else None)
    if exe is None:
        _absent("headless Chromium not found")
    assert exe is not None
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(ROOT / "fixtures/quang-ngai-2026", root / "quang-ngai-2026")
    shutil.copytree(ROOT / "tests/data/rounds", root / "vong-cham")
    return root


@pytest.fixture(scope="module")
def server(served: Path) -> Iterator[str]:
    try:
        import uvicorn

        from scoring.web import create_app
    except ImportError:
        _absent("the web extra is not installed")
    port = _free_port()
    app = create_app(served, TOKEN, [ROUNDS_RULES], "127.0.0.1", port)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if uv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _absent("the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto(f"{server}/?token={TOKEN}")
    # The suite's process speaks English (SCORING_LANG=en); the secretary's page is Vietnamese:
    # pressed once on the switch, kept for every page after.
    pg.get_by_role("button", name="Tiếng Việt").click()
    pg.wait_for_url("**/load")
    yield pg
    context.close()


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("SCORING_WEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def load(page: Any, folder: str, rules: str = "") -> None:
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/load")
    page.get_by_label("Thư mục trên máy").select_option(folder)
    page.get_by_label("Bộ tiêu chí").select_option(rules)
    page.get_by_role("button", name="Nạp và chấm điểm").click()
    page.wait_for_url("**/results**", timeout=60_000)


def test_load_the_2026_sample_and_see_the_results(page: Any, served: Path) -> None:
    assert page.url.endswith("/load")  # the token was taken and dropped from the address
    shot(page, "1-nap-du-lieu")
    load(page, "quang-ngai-2026")
    expected = run([served / "quang-ngai-2026"]).result
    assert page.get_by_role("heading", level=1).inner_text() == f"Kết quả: {expected.name}"
    first = expected.units[0]
    assert page.get_by_role("link", name=first.name, exact=True).count() >= 1
    shot(page, "2-ket-qua")
    page.get_by_role("link", name="Nạp dữ liệu").click()
    page.wait_for_url("**/load")
    assert page.get_by_role("table", name="Các tệp").count() == 1
    for path, _sha, _size in run([served / "quang-ngai-2026"]).inputs.files:
        assert page.get_by_role("cell", name=path, exact=True).count() >= 1
    shot(page, "1-nap-du-lieu-da-doc")
    page.get_by_role("link", name="Kết quả").click()
    page.wait_for_url("**/results")
    page.get_by_label("Đối tượng").select_option("individual")
    person = expected.individuals[0]
    page.get_by_label("Tìm theo tên").fill(match_key(person.name))  # typed without diacritics
    page.get_by_role("button", name="Lọc").click()
    page.get_by_role("link", name=person.name, exact=True).first.click()
    page.wait_for_url("**/record**")
    assert person.name in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("#score").inner_text().replace(",", ".") != ""
    assert "Không tìm" not in page.content()
    shot(page, "3-mot-ca-nhan")


def test_rules_and_export_pages(page: Any) -> None:
    page.get_by_role("link", name="Bộ tiêu chí").click()
    page.wait_for_url("**/rules")
    assert page.get_by_role("heading", name="Danh hiệu").count() == 1
    shot(page, "6-bo-quy-tac")
    page.get_by_role("link", name="Xuất và niêm phong").click()
    page.wait_for_url("**/export")
    shot(page, "5-xuat-va-niem-phong")


def test_download_the_xlsx_and_read_it(page: Any, served: Path, tmp_path: Path) -> None:
    page.goto(page.url.rsplit("/", 1)[0] + "/export")
    with page.expect_download() as info:
        page.get_by_role("link", name="Bảng tính XLSX").click()
    target = tmp_path / "results.xlsx"
    info.value.save_as(target)
    book = openpyxl.load_workbook(target, read_only=True)
    cells = {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None}
    expected = run([served / "quang-ngai-2026"]).result
    for r in (*expected.units, *expected.individuals):
        assert r.name in cells


def test_enter_a_round_value_and_see_the_score_change(page: Any, served: Path) -> None:
    load(page, "vong-cham", str(ROUNDS_RULES))
    before = run([served / "vong-cham"], ROUNDS_RULES).result
    unit = next(u for u in before.units if u.id == "U2")
    page.goto(page.url.split("/results")[0] + "/record?kind=unit&id=U2")
    old = page.locator("#score").inner_text()
    page.get_by_label("Tiêu chí", exact=True).select_option("movement")
    page.get_by_label("Vòng chấm", exact=True).select_option("hoi_dong")
    page.get_by_label("Điểm", exact=True).fill("2")
    page.get_by_label("Người chấm", exact=True).fill("Hội đồng thi đua")
    page.get_by_label("Lý do", exact=True).fill("Thiếu minh chứng sơ kết phong trào")
    shot(page, "4-vong-cham-nhap")
    page.get_by_role("button", name="Ghi và chấm lại").click()
    page.wait_for_url("**/changes")
    after = run([served / "vong-cham"], ROUNDS_RULES).result
    new = next(u for u in after.units if u.id == "U2")
    assert new.score != unit.score
    row = page.get_by_role("row").filter(has_text=unit.name)
    assert row.count() == 1
    shot(page, "4-vong-cham-thay-doi")
    row.get_by_role("link").click()
    page.wait_for_url("**/record**")
    assert page.locator("#score").inner_text() != old
    assert "Thiếu minh chứng sơ kết phong trào" in page.content()
    lines = (served / "vong-cham" / "rounds.csv").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "U2,movement,hoi_dong,2,Hội đồng thi đua,Thiếu minh chứng sơ kết phong trào"


def test_the_language_switch_turns_the_candidate_page_to_english(page: Any, server: str
                                                                 ) -> None:
    page.goto(f"{server}/record?kind=unit&id=U2")
    name = page.get_by_role("heading", level=1).inner_text()
    assert page.evaluate("() => document.documentElement.lang") == "vi"
    assert page.get_by_role("heading", level=2).first.inner_text().startswith("Thêm điểm")
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/record?kind=unit&id=U2")  # back on the same page
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == name
    assert page.get_by_role("heading", name="Explanation:").count() == 1
    assert page.get_by_label("Reviewer", exact=True).count() == 1
    page.get_by_role("link", name="Results").click()  # kept across pages
    page.wait_for_url("**/results")
    assert page.get_by_role("button", name="Filter").count() == 1
    shot(page, "7-english")
    page.get_by_role("button", name="Tiếng Việt").click()
    page.wait_for_url("**/results")
    assert page.get_by_role("button", name="Lọc").count() == 1


def test_a_request_without_the_token_is_refused(browser: Any, server: str) -> None:
    context = browser.new_context()
    pg = context.new_page()
    response = pg.goto(f"{server}/results")
    assert response is not None and response.status == 403
    assert "token" in pg.content()
    response = pg.goto(f"{server}/export/xlsx?token=wrong")
    assert response is not None and response.status == 403
    context.close()


PAGES = ["/load", "/results", "/results?kind=individual", "/record?kind=unit&id=U2",
         "/changes", "/rules", "/export"]
UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')].filter(
    el => el.labels.length === 0 && !(el.tagName === 'BUTTON' && el.innerText.trim())
).map(el => el.outerHTML)"""


@pytest.mark.parametrize("path", PAGES)
def test_every_control_has_a_label_and_200_percent_zoom_does_not_overflow(
        browser: Any, page: Any, server: str, path: str) -> None:
    # 200% zoom of a 1280 px window lays the page out in 640 CSS px.
    context = browser.new_context(viewport={"width": 640, "height": 450},
                                  device_scale_factor=2, storage_state=page.context.storage_state())
    zoomed = context.new_page()
    response = zoomed.goto(f"{server}{path}")
    assert response is not None and response.status == 200
    assert zoomed.evaluate(UNLABELLED) == []
    width = zoomed.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways at 200%: {width}"
    context.close()


@pytest.mark.parametrize("path", ["/results", "/record?kind=unit&id=U2"])
def test_print_hides_the_navigation_and_forms(page: Any, server: str, path: str) -> None:
    page.goto(f"{server}{path}")
    page.emulate_media(media="print")
    try:
        assert not page.get_by_role("navigation").is_visible()
        assert page.locator("form").evaluate_all("fs => fs.every(f => !f.checkVisibility())")
        assert page.locator("table").first.is_visible()
    finally:
        page.emulate_media(media="screen")


def test_the_keyboard_reaches_the_skip_link_and_the_form(page: Any, server: str) -> None:
    page.goto(f"{server}/load")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.id"))
    assert order == ["folder", "files", "rules", "allow-incomplete", ""]
    assert page.evaluate("() => document.activeElement.innerText") == "Nạp và chấm điểm"
