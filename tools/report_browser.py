"""Open an ``m7amp report`` page in a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``,
driven by selenium): check what a reader gets, and take a screenshot for the docs.

    python tools/report_browser.py out/demo/report.html                        # prints the check
    python tools/report_browser.py out/demo/report.html --screenshot docs/report.png --height 1500

``check_page`` is what tests/test_report_browser.py asserts on. Nothing is downloaded: the browser and
its driver are the system's (``skip_reason`` says when they are absent).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars")

# waits until every <audio> has its metadata or an error, then reports each one and each image
_STATE_JS = """
const done = arguments[arguments.length - 1];
const audios = Array.from(document.querySelectorAll('audio'));
const settled = a => a.readyState >= 1 || a.error !== null;
const report = () => done({
  audio: audios.map(a => ({src: a.currentSrc, ready: a.readyState, duration: a.duration,
                           error: a.error ? a.error.code : null})),
  images: Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth})),
  headings: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),
});
const poll = t => (audios.every(settled) || t > 100) ? report() : setTimeout(() => poll(t + 1), 100);
audios.forEach(a => a.load());
poll(0);
"""


def skip_reason() -> str | None:
    """Why the browser check cannot run here (None when it can)."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).is_file():
            return f"{path} not installed (Debian package {package}; scripts/setup.sh installs it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install -e '.[dev]')"
    return None


def open_browser(width: int = 1000, height: int = 1400) -> tuple[Any, tempfile.TemporaryDirectory]:
    """A headless Chromium with a fresh profile and the console log recorded; (driver, profile dir)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.TemporaryDirectory(prefix="m7amp-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile.name}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_script_timeout(30)
    return driver, profile


def check_page(page: str | Path, screenshot: str | Path | None = None, *, width: int = 1000,
               height: int = 1400) -> dict[str, Any]:
    """Load ``page`` (file://): its audio elements, images, headings and console messages (level,
    text); with ``screenshot``, a PNG of the first ``width`` × ``height`` pixels."""
    driver, profile = open_browser(width, height)
    try:
        driver.get(Path(page).resolve().as_uri())
        state = driver.execute_async_script(_STATE_JS)
        state["console"] = [(entry["level"], entry["message"]) for entry in driver.get_log("browser")]
        if screenshot is not None:
            driver.save_screenshot(str(screenshot))
        return state
    finally:
        driver.quit()
        profile.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path, help="write a PNG of the top of the page here")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=1400)
    args = parser.parse_args()
    reason = skip_reason()
    if reason:
        parser.error(reason)
    state = check_page(args.page, args.screenshot, width=args.width, height=args.height)
    for a in state["audio"]:
        print(f"audio {a['src']}: readyState {a['ready']}, {a['duration']:.2f} s, error {a['error']}")
    for i in state["images"]:
        print(f"image {i['alt']}: {'loaded' if i['complete'] and i['width'] else 'BROKEN'} ({i['width']} px)")
    for level, message in state["console"]:
        print(f"console {level}: {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
