"""Load on `plantvit serve`: N concurrent clients on loopback posting real leaf photos to /predict, beside the
in-process Predictor's throughput on the same photos, in the same run.

The server is a real `plantvit serve` process (uvicorn, the bundle's INT8 model by default) on a free port of
127.0.0.1. Each client is a thread with its own keep-alive connection that posts photos in turn (multipart, as a browser
does) until the run's request count or time budget is spent; every response is checked (status 200 and a prediction
in the body), anything else counts as an error. The in-process contender is `plantvit.predict.Predictor` on the same
photo bytes, in two arrangements: one photo at a time with ONNX Runtime's threads on every core, and two photos at a
time with one ONNX Runtime thread each (the server's default on 2 cores); the faster of the two is the reference. CPU
time per photo is reported for both sides (the server's from /proc, Linux only). Rounds alternate the two sides and the figures
are medians over rounds. The clients share the machine with the server: on 2 cores they cost it some throughput.

    PLANTVIT_DATA=../shared/data .venv/bin/python bench/serve_load.py                 # 8 clients, 3 rounds
    .venv/bin/python bench/serve_load.py --clients 2 --requests 100 --rounds 1        # a quick look

Overload (`--overload`): 64 and 256 clients, each giving up on a request after 2 s and sending the next at once, for
`--seconds` per round, against the server as it is and, in the same run, against the server of an earlier commit
(`--before REV`, checked out with `git worktree`; default: the commit before admission control). A client gives up
on a request 2 s after sending it (in all: connect, upload, wait, answer) and sends the next at once; after a 503 it
waits the `Retry-After` it was given, as well-behaved clients do (`--hammer`: it does not). Per side: the share of
requests answered (200 within the timeout), refused fast (503) and timed out, the p99 of those answered, and how long
the first request after the overload takes. Medians over rounds; the sides alternate within each round.

    PLANTVIT_DATA=../shared/data .venv/bin/python bench/serve_load.py --overload --seconds 20 --rounds 3
"""
import argparse, http.client, json, os, statistics, sys, threading, time, uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

def photos(n: int) -> list[tuple[str, bytes]]:
    "n real photos, spread over the classes (plantvillage and ibean), as (name, bytes)."
    from plantvit.sample_data import data_root
    root = data_root()
    files = sorted(f for f in (*(root / 'plantvillage').rglob('*'), *(root / 'ibean').rglob('*')) if f.is_file() and not f.name.startswith('.'))
    pick = files[::max(1, len(files) // n)][:n]
    return [(f.name, f.read_bytes()) for f in pick]

def multipart(name: str, data: bytes) -> tuple[bytes, str]:
    b = uuid.uuid4().hex
    body = (f'--{b}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + data + f'\r\n--{b}--\r\n'.encode())
    return body, f'multipart/form-data; boundary={b}'

def cpu_seconds(pid: int) -> float:
    "User + system CPU time of a process so far (Linux /proc), in seconds."
    f = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')

def load(port: int, bodies: list, clients: int, requests: int, seconds: float) -> dict:
    "Post `requests` photos with `clients` concurrent connections (or until `seconds` pass): latencies, errors, requests/s."
    lock, lat, errors, counter = threading.Lock(), [], [], iter(range(requests))
    deadline = time.perf_counter() + seconds
    def client(k: int):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        while time.perf_counter() < deadline:
            with lock: i = next(counter, None)
            if i is None: break
            body, ctype = bodies[(i + k) % len(bodies)]
            t = time.perf_counter()
            try:
                conn.request('POST', '/predict', body=body, headers={'Content-Type': ctype})
                r = conn.getresponse(); payload = r.read()
                ok = r.status == 200 and b'"species"' in payload
            except OSError as e:
                ok, payload = False, str(e).encode(); conn.close(); conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
            dt = (time.perf_counter() - t) * 1000
            with lock: (lat.append(dt) if ok else errors.append(payload[:200]))
        conn.close()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads: t.start()
    for t in threads: t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float('nan')
    return {'requests': len(lat) + len(errors), 'errors': len(errors), 'rps': len(lat) / wall, 'p50_ms': q(0.50),
            'p99_ms': q(0.99), 'max_ms': lat[-1] if lat else float('nan'), 'first_error': errors[0].decode('utf-8', 'replace') if errors else None}

async def _exchange(port: int, conn, request: bytes):
    "Send one HTTP/1.1 request on `conn` ((reader, writer) or None: a new connection); (status, headers, body, conn or None if closed)."
    import asyncio
    if conn is None: conn = await asyncio.open_connection('127.0.0.1', port)
    reader, writer = conn
    writer.write(request); await writer.drain()
    head = await reader.readuntil(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(':') for l in lines[1:] if l)}
    body = await reader.readexactly(int(headers.get('content-length', 0)))
    if headers.get('connection', '').lower() == 'close': writer.close(); conn = None
    return status, headers, body, conn

def overload(port: int, bodies: list, clients: int, seconds: float, timeout: float = 2.0, hammer: bool = False) -> dict:
    "`clients` clients posting for `seconds`, each giving up after `timeout` in all and sending the next at once (after a 503's `Retry-After` unless `hammer`)."
    import asyncio
    # raw asyncio streams with the requests built beforehand: a client library's own CPU (httpx: ~1 ms a request) would
    # compete with the server on these 2 cores and inflate what is measured
    requests = [f'POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n'.encode() + body
                for body, ctype in bodies]
    got = {'ok': [], 'busy': [], 'timeouts': 0, 'other': 0}
    async def run():
        end = time.perf_counter() + seconds
        async def client(k: int):
            i, conn = k, None
            while time.perf_counter() < end:
                t = time.perf_counter()
                try:
                    status, headers, body, conn = await asyncio.wait_for(_exchange(port, conn, requests[i % len(requests)]), timeout)
                    dt = 1000 * (time.perf_counter() - t)
                    if status == 200 and b'"species"' in body: got['ok'].append(dt)
                    elif status == 503:
                        got['busy'].append(dt)
                        if not hammer: await asyncio.sleep(float(headers.get('retry-after', 1)))
                    else: got['other'] += 1
                except (asyncio.TimeoutError, TimeoutError):          # the whole request, not one phase of it
                    got['timeouts'] += 1
                    if conn: conn[1].close(); conn = None
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    got['other'] += 1
                    if conn: conn[1].close(); conn = None
                i += clients
            if conn: conn[1].close()
        await asyncio.gather(*(client(k) for k in range(clients)))
    asyncio.run(run())
    t = time.perf_counter()                                   # the first request once the crowd has gone
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)
    conn.request('POST', '/predict', body=bodies[0][0], headers={'Content-Type': bodies[0][1]}); conn.getresponse().read(); conn.close()
    after = 1000 * (time.perf_counter() - t)
    n = len(got['ok']) + len(got['busy']) + got['timeouts'] + got['other']
    q = lambda xs: sorted(xs)[int(0.99 * (len(xs) - 1))] if xs else float('nan')
    return {'clients': clients, 'requests': n, 'answered': len(got['ok']) / n, 'refused_503': len(got['busy']) / n,
            'timed_out': got['timeouts'] / n, 'other': got['other'] / n, 'p99_answered_ms': q(got['ok']),
            'p99_503_ms': q(got['busy']), 'first_after_ms': after}

def before_checkout(rev: str) -> Path:
    "A `git worktree` of the repository at `rev` (made once, under /tmp), to run that commit's server."
    import subprocess
    root = Path(__file__).resolve().parents[1]
    sha = subprocess.run(['git', 'rev-parse', '--short', rev], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    where = Path(f'/tmp/plantvit-before-{sha}')
    if not (where / 'plantvit').is_dir():
        subprocess.run(['git', 'worktree', 'add', '--detach', '--force', str(where), sha], cwd=root, check=True, capture_output=True)
    return where

def overload_main(a, bodies) -> int:
    from plantvit.serve import server_process
    old = before_checkout(a.before)
    sides = {'before': dict(env={'PYTHONPATH': str(old)}, cwd=old), 'now': dict(env={}, cwd=None)}
    res = {(side, c): [] for side in sides for c in a.overload_clients}
    for r in range(a.rounds):
        for side, kw in [x for x in (sides.items() if r % 2 == 0 else reversed(sides.items())) if x[0] in a.sides]:
            with server_process(kw['env'], cwd=kw['cwd']) as (url, _):
                port = int(url.rsplit(':', 1)[1])
                load(port, bodies, 4, 64, 30)                                    # warm-up
                for c in a.overload_clients:
                    x = overload(port, bodies, c, a.seconds, hammer=a.hammer)
                    res[(side, c)].append(x)
                    print(f"round {r + 1}, {side:6} {c:3} clients: {x['requests']:,} requests, answered {100 * x['answered']:.1f}%, "
                          f"503 {100 * x['refused_503']:.1f}%, timed out {100 * x['timed_out']:.1f}%, p99 answered {x['p99_answered_ms']:.0f} ms, "
                          f"p99 of 503s {x['p99_503_ms']:.0f} ms, first request after {x['first_after_ms']:.0f} ms", flush=True)
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    print(f"\n| clients | server | requests | answered within 2 s | 503 | timed out | p99 answered | p99 of the 503s | first request after |\n|---|---|---|---|---|---|---|---|---|")
    for c in a.overload_clients:
        for side in a.sides:
            xs = res[(side, c)]
            print(f"| {c} | {side if side == 'now' else 'before (' + a.before + ')'} | {med(xs, 'requests'):,.0f} | {100 * med(xs, 'answered'):.1f}% | "
                  f"{100 * med(xs, 'refused_503'):.1f}% | {100 * med(xs, 'timed_out'):.1f}% | {med(xs, 'p99_answered_ms'):.0f} ms | "
                  f"{med(xs, 'p99_503_ms'):.0f} ms | {med(xs, 'first_after_ms'):.0f} ms |")
    if a.json: a.json.write_text(json.dumps({f'{s} {c}': v for (s, c), v in res.items()}, indent=1))
    return 0

def in_process(datas: list, n: int, workers: int = 2) -> dict:
    "Predictor throughput (photos/s) on the same bytes: sequential (default threads) and `workers` threads × 1 ONNX thread."
    from plantvit.predict import Predictor
    seq, par = Predictor(), Predictor(threads=1)
    for d in datas[:8]: seq.predict(d); par.predict(d)
    t, c = time.perf_counter(), time.process_time()
    for i in range(n): seq.predict(datas[i % len(datas)])
    s, s_cpu = n / (time.perf_counter() - t), 1000 * (time.process_time() - c) / n
    with ThreadPoolExecutor(workers) as pool:
        t, c = time.perf_counter(), time.process_time()
        list(pool.map(par.predict, (datas[i % len(datas)] for i in range(n))))
        p, p_cpu = n / (time.perf_counter() - t), 1000 * (time.process_time() - c) / n
    return {'sequential': s, 'threads': p, 'best': max(s, p), 'cpu_ms_sequential': s_cpu, 'cpu_ms_threads': p_cpu}

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--clients', type=int, default=8, help='concurrent clients (default 8)')
    ap.add_argument('--requests', type=int, default=1000, help='requests per round (default 1000)')
    ap.add_argument('--seconds', type=float, default=60, help='time budget per round (default 60 s)')
    ap.add_argument('--photos', type=int, default=64, help='distinct real photos (default 64)')
    ap.add_argument('--rounds', type=int, default=3, help='rounds, each measuring both sides (default 3)')
    ap.add_argument('--workers', type=int, help="the server's worker threads (PLANTVIT_WORKERS; default: one per core)")
    ap.add_argument('--threads', type=int, help="the server's ONNX Runtime threads per inference (PLANTVIT_THREADS; default 1)")
    ap.add_argument('--json', type=Path, help='also write the results here')
    ap.add_argument('--overload', action='store_true', help='measure overload instead: 2 s client timeouts, this server against --before')
    ap.add_argument('--sides', nargs='+', default=['before', 'now'], help='which servers --overload measures (default both)')
    ap.add_argument('--hammer', action='store_true', help='--overload clients resend at once after a 503 instead of waiting its Retry-After')
    ap.add_argument('--overload-clients', type=int, nargs='+', default=[64, 256], help='client counts for --overload (default 64 256)')
    ap.add_argument('--before', default='4c4d587', help='the commit whose server --overload compares against (default 4c4d587, before admission control)')
    a = ap.parse_args()
    pics = photos(a.photos)
    bodies = [multipart(n, d) for n, d in pics]
    if a.overload: return overload_main(a, bodies)
    from plantvit.serve import server_process
    env = ({'PLANTVIT_WORKERS': str(a.workers)} if a.workers else {}) | ({'PLANTVIT_THREADS': str(a.threads)} if a.threads else {})
    with server_process(env) as (url, server):
        port = int(url.rsplit(':', 1)[1])
        load(port, bodies, a.clients, 4 * a.clients, 30)                       # warm-up
        rounds = []
        for r in range(a.rounds):
            ip = in_process([d for _, d in pics], min(a.requests, 400))
            c0 = cpu_seconds(server.pid)
            sv = load(port, bodies, a.clients, a.requests, a.seconds)
            sv['cpu_ms'] = 1000 * (cpu_seconds(server.pid) - c0) / max(sv['requests'], 1)
            rounds.append({'in_process': ip, 'server': sv})
            print(f"round {r + 1}: server {sv['rps']:.1f} req/s, p50 {sv['p50_ms']:.1f} ms, p99 {sv['p99_ms']:.1f} ms, "
                  f"{sv['errors']} errors of {sv['requests']}; in-process {ip['best']:.1f} photos/s "
                  f"(one at a time {ip['sequential']:.1f}, two at a time {ip['threads']:.1f}); CPU per photo: server "
                  f"{sv['cpu_ms']:.1f} ms, in-process {ip['cpu_ms_sequential']:.1f} / {ip['cpu_ms_threads']:.1f} ms", flush=True)
            if sv['first_error']: print('  first error:', sv['first_error'])
    med = lambda f: statistics.median(f(x) for x in rounds)
    summary = {'clients': a.clients, 'rounds': a.rounds, 'requests': sum(x['server']['requests'] for x in rounds),
               'errors': sum(x['server']['errors'] for x in rounds), 'server_rps': med(lambda x: x['server']['rps']),
               'p50_ms': med(lambda x: x['server']['p50_ms']), 'p99_ms': med(lambda x: x['server']['p99_ms']),
               'in_process_per_s': med(lambda x: x['in_process']['best']), 'server_cpu_ms': med(lambda x: x['server']['cpu_ms'])}
    summary['ratio'] = summary['server_rps'] / summary['in_process_per_s']
    print(json.dumps(summary, indent=1))
    print(f"\n| clients | requests | errors | p50 | p99 | server | in-process Predictor | ratio |\n|---|---|---|---|---|---|---|---|\n"
          f"| {a.clients} | {summary['requests']:,} | {summary['errors']} | {summary['p50_ms']:.1f} ms | {summary['p99_ms']:.1f} ms | "
          f"{summary['server_rps']:.1f} req/s | {summary['in_process_per_s']:.1f} photos/s | {100 * summary['ratio']:.0f}% |")
    if a.json: a.json.write_text(json.dumps({'summary': summary, 'rounds': rounds}, indent=1))
    return 0 if summary['errors'] == 0 else 1

if __name__ == '__main__': sys.exit(main())
