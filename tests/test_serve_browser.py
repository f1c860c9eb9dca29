"""`abcdl serve` (L35) end to end in a real headless browser: Debian's Chromium driven by Selenium.

Run with ``python -m pytest -m browser`` (the default run leaves these out).  Needs
``apt-get install chromium chromium-driver`` and ``pip install -e ".[browser]"``; the system's
browser and driver are used, nothing is downloaded.  The pen draws a "1" and a "7" on the canvas
with pointer actions; the prediction and the bars the page shows must be what the API returns
for the canvas's own image.  ``ABCDL_SCREENSHOT_DIR=docs/serve`` writes the pictures of the README
(serve.png, serve.ko.png) there; otherwise they go to a temporary folder.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from abcdl.cli import main
from abcdl.cli._images import ImageModel
from abcdl.cli.serve import make_server

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WAIT = 60               # seconds the page may take to show an answer
PAD = 300               # CSS pixels of the drawing pad
STROKES = {             # the pen's path on the pad, in CSS pixels: one stroke each
    "1": [[(158, 52), (150, 150), (142, 248)]],
    "7": [[(88, 64), (150, 64), (212, 64), (175, 150), (136, 246)]],
}

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("offline")]


@pytest.fixture(scope="module")
def port(data_root, tmp_path_factory):
    """A live server on 127.0.0.1 for a small MNIST network (about 96% test accuracy)."""
    out = tmp_path_factory.mktemp("serve-browser") / "run"
    assert main(["train", "--data-root", str(data_root), "--no-download", "--subset", "12000",
                 "--epochs", "4", "--hidden", "100", "--dropout", "0", "--batch-size", "32", "--lr", "0.002",
                 "--out", str(out), "--verbose", "0"]) == 0
    srv = make_server(ImageModel.load(out / "model.safetensors"), "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    assert not missing, f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1240,900",
                "--lang=en-US", "--hide-scrollbars"):
        options.add_argument(arg)
    d = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1240, "height": 640, "deviceScaleFactor": 1, "mobile": False})
    yield d
    d.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("ABCDL_SCREENSHOT_DIR")
    return Path(folder) if folder else tmp_path_factory.mktemp("shots")


def api_predict(port: int, body: bytes, ctype: str = "image/png") -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request("POST", "/api/predict", body=body, headers={"Content-Type": ctype})
        r = conn.getresponse()
        assert r.status == 200
        return json.loads(r.read())
    finally:
        conn.close()


def open_page(driver, port: int, lang: str | None = None) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"http://127.0.0.1:{port}/" + (f"?lang={lang}" if lang else ""))
    WebDriverWait(driver, WAIT).until(lambda d: d.find_element("id", "bars").find_elements("tag name", "li"))


def draw(driver, strokes) -> None:
    """Each stroke as a pointer press, small moves along the path, and a release."""
    from selenium.webdriver.common.action_chains import ActionChains

    pad = driver.find_element("id", "pad")
    for path in strokes:
        actions = ActionChains(driver, duration=15)
        (x, y) = path[0]
        actions.move_to_element_with_offset(pad, x - PAD // 2, y - PAD // 2).click_and_hold()
        for (x0, y0), (x1, y1) in zip(path[:-1], path[1:], strict=True):
            steps = 8
            for k in range(1, steps + 1):     # whole pixels: the offsets of one segment add up exactly
                dx = round(x0 + (x1 - x0) * k / steps) - round(x0 + (x1 - x0) * (k - 1) / steps)
                dy = round(y0 + (y1 - y0) * k / steps) - round(y0 + (y1 - y0) * (k - 1) / steps)
                actions.move_by_offset(dx, dy)
        actions.release().perform()


def rest(driver) -> None:
    """The mouse off the buttons (no hover colours in the screenshots)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver, duration=15).move_to_element(driver.find_element("tag name", "footer")).perform()


def shown(driver) -> int:
    return int(driver.find_element("tag name", "body").get_attribute("data-shown") or 0)


def wait_answer(driver, before: int) -> None:
    """Until the page shows an answer newer than ``before`` and has nothing more to ask."""
    from selenium.webdriver.support.ui import WebDriverWait

    body = driver.find_element("tag name", "body")
    WebDriverWait(driver, WAIT).until(
        lambda d: shown(d) > before and body.get_attribute("data-state") == "ready")


def page_answer(driver) -> dict:
    """What the page shows: the prediction, every bar's probability and printed value, the 28x28 image."""
    bars = driver.find_elements("css selector", "#bars li")
    seen = driver.execute_script(
        "const c = document.getElementById('seen');"
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);")
    return {
        "prediction": int(driver.find_element("id", "prediction").get_attribute("data-k")),
        "shown": driver.find_element("id", "prediction").text,
        "probabilities": [float(li.get_attribute("data-p")) for li in bars],
        "printed": [li.find_element("class name", "value").text for li in bars],
        "top": [li.get_attribute("data-k") for li in bars if "top" in li.get_attribute("class").split()],
        "widths": [li.find_element("class name", "fill").value_of_css_property("width") for li in bars],
        "seen": np.array(seen, dtype=np.uint8).reshape(28, 28, 4)[..., 0],
    }


def canvas_png(driver) -> bytes:
    url = driver.execute_script("return document.getElementById('pad').toDataURL('image/png');")
    assert url.startswith("data:image/png;base64,")
    return base64.b64decode(url.split(",", 1)[1])


def assert_matches_api(page: dict, api: dict) -> None:
    assert page["prediction"] == api["prediction"] and page["top"] == [str(api["prediction"])]
    assert page["shown"] == api["label"]
    assert page["probabilities"] == api["probabilities"]                 # the same numbers, to the last bit
    assert page["printed"] == [f"{p:.3f}" for p in api["probabilities"]]
    track = [float(w.removesuffix("px")) for w in page["widths"]]
    assert max(track) == track[api["prediction"]] > 0                    # the longest bar is the answer's
    assert np.abs(page["seen"].astype(int) - np.round(np.array(api["input28"]) * 255)).max() <= 1


def test_serve_browser_draws_a_1_and_a_7_and_shows_what_the_api_says(driver, port, shots):
    open_page(driver, port, "en")
    assert driver.find_element("tag name", "body").get_attribute("data-state") == "empty"
    for digit in ("1", "7"):
        driver.find_element("id", "clear").click()
        before = shown(driver)
        draw(driver, STROKES[digit])
        wait_answer(driver, before)
        page, api = page_answer(driver), api_predict(port, canvas_png(driver))
        assert_matches_api(page, api)
        assert api["label"] == digit, api["probabilities"]
        assert sum(api["probabilities"]) == pytest.approx(1, abs=1e-9)
    seven = page
    before = shown(driver)                                              # a stray stroke, then undo
    draw(driver, [[(40, 270), (260, 270)]])
    wait_answer(driver, before)
    assert page_answer(driver)["probabilities"] != seven["probabilities"]
    before = shown(driver)
    driver.find_element("id", "undo").click()
    wait_answer(driver, before)
    assert page_answer(driver)["probabilities"] == seven["probabilities"]
    info = driver.find_element("id", "model-info").text
    assert "MNIST" in info and "mlp 784-100-10" in info and "test accuracy 9" in info
    shots.mkdir(parents=True, exist_ok=True)
    rest(driver)
    driver.save_screenshot(str(shots / "serve.png"))
    _check_screenshot(shots / "serve.png")


def test_serve_browser_switches_language(driver, port, shots):
    open_page(driver, port, "en")
    before = shown(driver)
    draw(driver, STROKES["7"])
    wait_answer(driver, before)
    english = page_answer(driver)
    text = lambda el: driver.find_element("id", el).text                 # noqa: E731
    assert text("title") == "Draw a digit" and text("undo") == "Undo"
    driver.find_element("id", "lang-ko").click()
    assert text("title") == "숫자를 그려 보세요" and text("undo") == "되돌리기" and text("clear") == "지우기"
    assert driver.find_element("tag name", "html").get_attribute("lang") == "ko"
    assert "테스트 정확도" in text("model-info") and text("says") == "신경망의 답"
    assert page_answer(driver)["probabilities"] == english["probabilities"]   # only the words change
    rest(driver)
    driver.save_screenshot(str(shots / "serve.ko.png"))
    _check_screenshot(shots / "serve.ko.png")
    open_page(driver, port)                                             # the choice is remembered
    assert text("title") == "숫자를 그려 보세요"
    driver.find_element("id", "lang-en").click()
    assert text("title") == "Draw a digit" and text("says") == "draw something"


def test_serve_browser_upload_sends_the_file_itself(driver, port, data_root, tmp_path):
    from abcdl.data import load_mnist

    _, (x, t) = load_mnist(root=data_root, download=False)
    pixels = 255 - np.round(x[0].reshape(28, 28) * 255).astype(np.uint8)           # black on white, 112x112
    path = tmp_path / "digit.png"
    Image.fromarray(pixels).resize((112, 112), Image.Resampling.LANCZOS).save(path)
    open_page(driver, port, "en")
    before = shown(driver)
    driver.find_element("id", "file").send_keys(str(path))
    wait_answer(driver, before)
    api = api_predict(port, path.read_bytes())
    assert_matches_api(page_answer(driver), api)
    assert api["label"] == str(t[0]) and "112x112" in driver.find_element("id", "notes").text


def _check_screenshot(path: Path) -> None:
    """A real picture of the page: the expected size, and not one flat colour."""
    with Image.open(path) as im:
        assert im.size == (1240, 640)
        grey = np.asarray(im.convert("L"), dtype=np.float32)
    assert grey.std() > 10 and (grey < 60).mean() > 0.005                # dark ink and text on a light page
