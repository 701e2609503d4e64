"""Driving the web page in headless Chromium with Playwright: the helpers of the browser tests (`09a_web`) and of the
tutorial's screenshot (`tutorial_diagnose`). They live beside the notebooks, not in the installed package: a grower's
server has no use for them. Debian's Chromium (`apt-get install chromium`): Playwright cannot download one here."""
import shutil, time
from urllib.parse import urlsplit
from concurrent.futures import ThreadPoolExecutor

CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']

def chromium_path() -> str:
    "The Chromium (or Chrome) binary on PATH; `FileNotFoundError` saying how to get it."
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        if p := shutil.which(name): return p
    raise FileNotFoundError('no Chromium on PATH: install it with `apt-get install chromium` (Playwright cannot download one here)')

def in_thread(fn, *args, **kwargs):
    "Run `fn` in a fresh thread and return its result: Playwright's sync API refuses to run where an asyncio loop runs (Jupyter)."
    with ThreadPoolExecutor(1) as pool: return pool.submit(fn, *args, **kwargs).result()

# every violation of the page's Content-Security-Policy, as the browser reports it (an eval, a script from elsewhere, wasm)
CSP_WATCH = ("window.cspViolations = []; document.addEventListener('securitypolicyviolation', "
             "e => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`))")

def wait_until(page, expression: str, timeout_ms: float = 60_000, every_ms: float = 50):
    """Poll `expression` until it is truthy. Playwright's `wait_for_function` polls with `new Function` inside the page,
    which the server's CSP forbids; `page.evaluate` goes through the DevTools protocol, which the CSP does not govern."""
    end = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > end: raise TimeoutError(f'{expression!r} still false after {timeout_ms / 1000:g} s')
        page.wait_for_timeout(every_ms)

def open_page(playwright, url: str, timeout_ms: int = 60_000, setup=None):
    "Launch headless Chromium, open `url` (after `setup(page)`, e.g. request routes), wait until the page's model has loaded (or failed)."
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    page = browser.new_page()
    page.set_default_timeout(timeout_ms)
    if setup is not None: setup(page)
    page.add_init_script(CSP_WATCH)
    page.goto(url)
    wait_until(page, 'window.plantvit !== undefined', timeout_ms)
    page.evaluate('window.plantvit.ready')
    if violations := page.evaluate('window.cspViolations'):            # the server's Content-Security-Policy (08b_surface)
        raise AssertionError(f'the page broke its Content-Security-Policy: {violations}')
    return browser, page

def choose_photo(page, photo) -> tuple[dict, list]:
    "Choose `photo` in the page; returns the answer (`window.plantvit.state.lastAnswer`) and the /predict requests made."
    requests = []
    count = lambda r: requests.append(r.url) if urlsplit(r.url).path == '/predict' else None   # with or without ?explain=1
    page.on('request', count)
    page.evaluate('window.plantvit.state.lastAnswer = null')
    page.set_input_files('#photo', [])                           # choosing the same file again fires no change event
    page.set_input_files('#photo', str(photo))
    wait_until(page, 'window.plantvit.state.lastAnswer !== null')
    page.wait_for_timeout(200)                                   # a late request would show up here
    page.remove_listener('request', count)
    return page.evaluate('window.plantvit.state.lastAnswer'), requests
