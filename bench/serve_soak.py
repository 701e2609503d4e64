"""Hostile uploads and a soak against `plantvit serve`: what each costs in time and memory, and whether memory comes back.

Part 1, hostile uploads: a real `plantvit serve` process (the shipped bundle, default settings) on loopback gets each
case an outside run found costly, one at a time, `--repeats` times: a 3000 x 1 PNG (93 bytes) and a 100000 x 1 PNG, a
flat 16-bit 6300 x 6300 PNG (77 KB), a DDS texture whose Pillow decoder fails in its own way, and a batch of all of
them beside a real leaf. Per case: the status, the median time to the answer, and the server's RSS growth (its largest
RSS while the case ran, sampled every 5 ms, minus its RSS before).

Part 2, the soak: two fresh servers in turn. The first gets only real leaf photos (`--requests` of them, 8 clients);
the second the same number of requests mixed with large and odd ones (12-megapixel JPEGs, 16-bit PNGs, photos near the
10 MB upload limit, batches of 20 large photos sent three at a time, and the hostile cases). For each: RSS at the
start, the peak, and 5 s after the last request (idle). The target: the mixed server's idle RSS within 1.5 times the
good-photos-only figure.

    PLANTVIT_DATA=../shared/data .venv/bin/python bench/serve_soak.py               # both parts, 2,000 requests a soak
    .venv/bin/python bench/serve_soak.py --requests 200 --repeats 3                   # a quick look
"""
import argparse, io, json, statistics, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import numpy as np
from PIL import Image

def rss_mb(pid: int) -> float:
    "A process's resident memory now, in MB (Linux /proc)."
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024
    return float('nan')

class PeakRSS:
    "Sample a process's RSS every `every` seconds while the `with` block runs: `.start`, `.peak`."
    def __init__(self, pid: int, every: float = 0.005): self.pid, self.every, self.peak = pid, every, 0.0
    def __enter__(self):
        self.start = self.peak = rss_mb(self.pid); self._stop = threading.Event()
        def watch():
            while not self._stop.is_set(): self.peak = max(self.peak, rss_mb(self.pid)); time.sleep(self.every)
        self._t = threading.Thread(target=watch, daemon=True); self._t.start(); return self
    def __exit__(self, *exc): self._stop.set(); self._t.join(); self.peak = max(self.peak, rss_mb(self.pid))

def encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO(); img.save(b, fmt, **kw); return b.getvalue()

def hostile_cases(leaf: bytes) -> dict:
    "name → list of (field, filename, bytes, content type) for one request."
    leaf_img = Image.open(io.BytesIO(leaf)).convert('RGB')
    one = lambda name, data, ctype: [('image', name, data, ctype)]
    cases = {'3000 x 1 PNG': one('thin.png', encoded(Image.new('RGB', (3000, 1), 'green'), 'PNG'), 'image/png'),
             '100000 x 1 PNG': one('thinner.png', encoded(Image.new('RGB', (100_000, 1), 'green'), 'PNG'), 'image/png'),
             '16-bit 6300² PNG': one('canvas.png', encoded(Image.new('I;16', (6300, 6300)), 'PNG'), 'image/png'),
             'DDS texture': one('leaf.dds', encoded(leaf_img.resize((64, 64)), 'DDS'), 'image/x-dds')}
    cases['a real leaf (for reference)'] = one('leaf.jpg', leaf, 'image/jpeg')
    cases['batch of them + a leaf'] = [('images', f, d, t) for (_, f, d, t) in (x[0] for x in cases.values())]
    return cases

_local = threading.local()

def client():
    "This thread's keep-alive HTTP client (a fresh client per request costs ~40 ms here, more than the answers measured)."
    import httpx
    if not hasattr(_local, 'c'): _local.c = httpx.Client(timeout=300)
    return _local.c

def post(url: str, parts: list):
    path = '/predict' if parts[0][0] == 'image' else '/predict/batch'
    r = client().post(url + path, files=[(f, (n, d, t)) for f, n, d, t in parts])
    return r.status_code, r.json()

def hostile(url: str, pid: int, leaf: bytes, repeats: int) -> list[dict]:
    rows = []
    for name, parts in hostile_cases(leaf).items():
        times, growth, statuses = [], [], set()
        post(url, parts)                                         # once untimed: the first of anything pays for imports
        for _ in range(repeats):
            with PeakRSS(pid) as m:
                t = time.perf_counter(); status, body = post(url, parts); times.append(1000 * (time.perf_counter() - t))
            growth.append(m.peak - m.start)
            statuses.add(status if status != 200 or 'results' not in body else '200: ' + ' '.join(str(x['status']) for x in body['results']))
        rows.append({'case': name, 'status': ', '.join(map(str, sorted(statuses, key=str))), 'median_ms': statistics.median(times),
                     'max_ms': max(times), 'rss_growth_mb': max(growth)})
        print(f"{name:24} {rows[-1]['status']:24} median {rows[-1]['median_ms']:6.1f} ms (max {rows[-1]['max_ms']:6.1f}), RSS growth {rows[-1]['rss_growth_mb']:6.1f} MB", flush=True)
    return rows

def large_photos(leaf: bytes, seed: int = 0) -> list[tuple[str, bytes, str]]:
    "Large and odd but honest photos: 12 MP JPEGs, a 16-bit PNG, a PNG near the 10 MB limit."
    rng = np.random.default_rng(seed)
    base = np.asarray(Image.open(io.BytesIO(leaf)).convert('RGB').resize((4000, 3000), Image.BICUBIC), np.int16)
    noisy = lambda s: Image.fromarray(np.clip(base + rng.integers(-s, s + 1, base.shape), 0, 255).astype(np.uint8))
    out = [(f'12mp_{i}.jpg', encoded(noisy(6), 'JPEG', quality=92), 'image/jpeg') for i in range(3)]
    grey16 = (np.asarray(noisy(3).convert('L').resize((1600, 1200)), np.uint16) * 257 + rng.integers(0, 200, (1200, 1600))).astype(np.uint16)
    out.append(('grey16.png', encoded(Image.fromarray(grey16), 'PNG'), 'image/png'))
    out.append(('near_limit.png', encoded(noisy(20).resize((2200, 1650)), 'PNG'), 'image/png'))
    return [x for x in out if len(x[1]) < 10_000_000]

def soak(url: str, pid: int, leaves: list, n: int, mixed: bool, leaf: bytes) -> dict:
    "n requests from 8 clients (leaves only, or mixed with large photos, batches and hostile cases): RSS start, peak, idle end."
    import httpx
    big = large_photos(leaf) if mixed else []
    hostile_parts = list(hostile_cases(leaf).values()) if mixed else []
    def request(i: int):
        c = client()
        if True:
            if mixed and i % 10 == 3: f = big[i % len(big)]; return c.post(url + '/predict', files={'image': f}).status_code
            if mixed and i % 50 == 7:                          # a batch of 20 large photos
                return c.post(url + '/predict/batch', files=[('images', big[(i + k) % len(big)]) for k in range(20)]).status_code
            if mixed and i % 25 == 11: return post(url, hostile_parts[i % len(hostile_parts)])[0]
            name, data = leaves[i % len(leaves)]
            return c.post(url + '/predict', files={'image': (name, data, 'image/jpeg')}).status_code
    statuses = {}
    with PeakRSS(pid, every=0.02) as m:
        with ThreadPoolExecutor(8) as pool:
            for s in pool.map(request, range(n)): statuses[s] = statuses.get(s, 0) + 1
    time.sleep(5)                                              # idle: the server hands memory back when the last request ends
    return {'requests': n, 'statuses': statuses, 'rss_start_mb': m.start, 'rss_peak_mb': m.peak, 'rss_idle_mb': rss_mb(pid)}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--requests', type=int, default=2000, help='requests per soak (default 2000)')
    ap.add_argument('--repeats', type=int, default=10, help='times each hostile case is sent (default 10)')
    ap.add_argument('--json', type=Path, help='also write the results here')
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from serve_load import photos
    from plantvit.serve import server_process
    leaves = photos(64); leaf = leaves[0][1]
    out = {}
    with server_process() as (url, proc):
        post(url, [('image', 'leaf.jpg', leaf, 'image/jpeg')])                 # warm-up
        print('Hostile uploads, one at a time:'); out['hostile'] = hostile(url, proc.pid, leaf, a.repeats)
    for mixed in (False, True):
        with server_process() as (url, proc):
            post(url, [('image', 'leaf.jpg', leaf, 'image/jpeg')])
            r = soak(url, proc.pid, leaves, a.requests, mixed, leaf)
            out['mixed' if mixed else 'leaves only'] = r
            print(f"soak, {'mixed' if mixed else 'leaves only':11}: {r['requests']:,} requests {r['statuses']}; RSS start {r['rss_start_mb']:.0f} MB, "
                  f"peak {r['rss_peak_mb']:.0f} MB, idle after {r['rss_idle_mb']:.0f} MB", flush=True)
    ratio = out['mixed']['rss_idle_mb'] / out['leaves only']['rss_idle_mb']
    print(f"\n| case | status | median | max | RSS growth |\n|---|---|---|---|---|")
    for r in out['hostile']: print(f"| {r['case']} | {r['status']} | {r['median_ms']:.1f} ms | {r['max_ms']:.1f} ms | {r['rss_growth_mb']:.1f} MB |")
    print(f"\n| soak | requests | RSS start | peak | idle after |\n|---|---|---|---|---|")
    for k in ('leaves only', 'mixed'):
        r = out[k]; print(f"| {k} | {r['requests']:,} | {r['rss_start_mb']:.0f} MB | {r['rss_peak_mb']:.0f} MB | {r['rss_idle_mb']:.0f} MB |")
    print(f"\nidle RSS after the mixed soak / after leaves only: {ratio:.2f} (target ≤ 1.5)")
    if a.json: a.json.write_text(json.dumps(out, indent=1))
    return 0

if __name__ == '__main__': sys.exit(main())
