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
    a = ap.parse_args()
    pics = photos(a.photos)
    bodies = [multipart(n, d) for n, d in pics]
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
