"""The browser model in headless Chromium, per TF.js backend: load time, per-image latency, and upload→answer time of
both paths (answered in the browser; handed to the server), all measured in the page.

A real `plantvit serve` (the shipped bundle with its browser model) on loopback; Debian's Chromium driven by Playwright.
Per backend, a fresh page each round: `loadMs` (taxonomy and routing fetched, backend initialised, model loaded and run
once) is the load time; then the model runs `--runs` times on one prepared photo after 3 warm-up runs (median); then
a confident leaf photo and a non-plant photo are chosen in the page `--answers` times each, timed from the file input
to the answer on screen. Medians over rounds. The wasm backend is the one the page uses; cpu is the fallback TF.js
picks where WebAssembly is missing.

    PLANTVIT_DATA=../shared/data .venv/bin/python bench/browser_latency.py
    .venv/bin/python bench/browser_latency.py --backends wasm --rounds 1 --runs 5      # a quick look
"""
import argparse, json, statistics, sys
from pathlib import Path

def measure(url: str, backend: str, runs: int, answers: int, leaf: Path, non_plant: Path) -> dict:
    from playwright.sync_api import sync_playwright
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'nbs'))
    from _webpage import open_page, wait_until           # the browser tests' helpers (nbs/_webpage.py)
    with sync_playwright() as p:
        browser, page = open_page(p, f'{url}/?backend={backend}', timeout_ms=120_000)
        st = page.evaluate('({backend: window.plantvit.state.backend, loadMs: window.plantvit.state.loadMs, error: window.plantvit.state.error})')
        if st['error'] or st['backend'] != backend: sys.exit(f'{backend}: the page did not load its model: {st}')
        ms = page.evaluate('''async (runs) => {
            const [h, w] = window.plantvit.state.routing.input.size;
            const x = new Float32Array(h * w * 3).fill(0.1);
            for (let i = 0; i < 3; i++) await window.plantvit.runModel(x);
            const t = [];
            for (let i = 0; i < runs; i++) { const t0 = performance.now(); await window.plantvit.runModel(x); t.push(performance.now() - t0); }
            return t; }''', runs)
        paths = {}
        for name, photo in (('leaf', leaf), ('non_plant', non_plant)):
            times, by = [], set()
            for _ in range(answers):
                page.evaluate('window.plantvit.state.lastAnswer = null')
                page.set_input_files('#photo', [])                  # choosing the same file again fires no change event
                page.set_input_files('#photo', str(photo))
                wait_until(page, 'window.plantvit.state.lastAnswer !== null')
                a = page.evaluate('window.plantvit.state.lastAnswer')
                times.append(a['ms']); by.add(a['answeredBy'])
            paths[name] = {'ms': statistics.median(times), 'answered_by': '/'.join(sorted(by))}
        browser.close()
    return {'load_ms': st['loadMs'], 'image_ms': statistics.median(ms), 'paths': paths}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--backends', nargs='+', default=['wasm', 'cpu'])
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--runs', type=int, default=20, help='timed model runs per round (default 20)')
    ap.add_argument('--answers', type=int, default=5, help='timed photo choices per path per round (default 5)')
    ap.add_argument('--json', type=Path)
    a = ap.parse_args()
    from plantvit.bundle import Bundle, default_bundle
    from plantvit.ood import package_photos
    from plantvit.sample_data import data_root
    from plantvit.serve import server_process
    from plantvit.webtest import in_thread
    b = Bundle(default_bundle())
    model_files = [f for f in (b.path / 'browser').iterdir() if f.suffix == '.bin' or f.name == 'model.json']
    leaf = sorted((data_root() / 'plantvillage' / 'Apple___Cedar_apple_rust').iterdir())[0]
    non_plant = next(f for f in package_photos() if f.name == 'rocket.jpg')
    res = {bk: [] for bk in a.backends}
    with server_process() as (url, _):
        for r in range(a.rounds):
            for bk in a.backends:
                m = in_thread(measure, url, bk, a.runs, a.answers, leaf, non_plant)
                res[bk].append(m)
                print(f"round {r + 1} {bk}: load {m['load_ms']:.0f} ms, image {m['image_ms']:.1f} ms, leaf→answer "
                      f"{m['paths']['leaf']['ms']:.0f} ms ({m['paths']['leaf']['answered_by']}), non-plant→answer "
                      f"{m['paths']['non_plant']['ms']:.0f} ms ({m['paths']['non_plant']['answered_by']})", flush=True)
    med = lambda xs: statistics.median(xs)
    size = sum(f.stat().st_size for f in model_files)
    print(f"\nTF.js model: {size / 1e6:.2f} MB ({json.loads((b.path / 'browser' / 'routing.json').read_text())['quantization']} weights)\n")
    print('| backend | model load | per image (median of %d) | browser path: upload→answer | server path: upload→answer |' % a.runs)
    print('|---|---|---|---|---|')
    summary = {}
    for bk, ms in res.items():
        s = {'load_ms': med(m['load_ms'] for m in ms), 'image_ms': med(m['image_ms'] for m in ms),
             'browser_path_ms': med(m['paths']['leaf']['ms'] for m in ms), 'server_path_ms': med(m['paths']['non_plant']['ms'] for m in ms),
             'leaf_answered_by': sorted({m['paths']['leaf']['answered_by'] for m in ms}), 'model_bytes': size}
        summary[bk] = s
        print(f"| {bk} | {s['load_ms']:.0f} ms | {s['image_ms']:.1f} ms | {s['browser_path_ms']:.0f} ms | {s['server_path_ms']:.0f} ms |")
    if a.json: a.json.write_text(json.dumps({'summary': summary, 'rounds': res}, indent=1))

if __name__ == '__main__': main()
