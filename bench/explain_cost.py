"""What an answer's "why" and its case cost per photo (issue 18), measured side by side in one run on the shipped bundle:

- `Predictor(explain=False)`: the answer alone, as before issue 18 (no feature map read, no class activation map);
- `Predictor()`: the answer with its rationale (the map, its share on the leaf mask): what every `/predict` pays;
- `predict(..., explain=True)`: the same plus the heat map as a PNG `data:` URL (`/predict?explain=1`, the web page);
- `CaseStore.create`: keeping the answer as a case in a SQLite file (WAL), what every server diagnosis adds, off the
  event loop.

The contenders take turns photo by photo (the machine is shared and noisy); medians over all photos and rounds.

    PLANTVIT_DATA=$(realpath ../shared/data) .venv/bin/python bench/explain_cost.py            # 64 photos, 3 rounds
    .venv/bin/python bench/explain_cost.py --table

Results: bench/results/explain_cost.json.
"""
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).parent / 'results' / 'explain_cost.json'

def measure(n: int = 64, rounds: int = 3, threads: int = 1) -> dict:
    from plantvit.cases import CaseStore
    from plantvit.predict import Predictor
    from plantvit.sample_data import data_root
    root = data_root()
    files = sorted(f for d in ('plantvillage', 'ibean', 'citrus') for f in (root / d).rglob('*') if f.is_file() and not f.name.startswith('.'))
    photos = [f.read_bytes() for f in files[::max(1, len(files) // n)][:n]]
    plain, why = Predictor(threads=threads, explain=False), Predictor(threads=threads)
    store = CaseStore(f"sqlite:///{Path(tempfile.mkdtemp(prefix='plantvit-bench-cases-')) / 'cases.sqlite'}")
    times = {k: [] for k in ('answer', 'answer + rationale', 'answer + rationale + heat map', 'case stored')}
    for p in photos[:4]: plain.predict(p); why.predict(p, explain=True)          # warm-up
    for _ in range(rounds):
        for data in photos:
            for name, fn in (('answer', lambda: plain.predict(data)), ('answer + rationale', lambda: why.predict(data)),
                             ('answer + rationale + heat map', lambda: why.predict(data, explain=True))):
                t = time.perf_counter(); out = fn(); times[name].append(1000 * (time.perf_counter() - t))
            t = time.perf_counter(); store.create(out.record(), why.version); times['case stored'].append(1000 * (time.perf_counter() - t))
    base = statistics.median(times['answer'])
    return {k: {'median_ms': round(statistics.median(v), 2), 'vs_answer': round(statistics.median(v) / base, 2) if k != 'case stored' else None,
                'n': len(v)} for k, v in times.items()}

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--photos', type=int, default=64); ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1, help='ONNX Runtime threads (the server runs 1 per worker)')
    ap.add_argument('--table', action='store_true', help='print the results file and stop')
    a = ap.parse_args(argv)
    if not a.table:
        res = {'photos': a.photos, 'rounds': a.rounds, 'threads': a.threads, 'result': measure(a.photos, a.rounds, a.threads)}
        RESULTS.parent.mkdir(exist_ok=True); RESULTS.write_text(json.dumps(res, indent=1) + '\n')
    res = json.loads(RESULTS.read_text())
    for k, v in res['result'].items(): print(f"{k:32s} {v['median_ms']:8.2f} ms" + (f"  ({v['vs_answer']:.2f}x the answer alone)" if v['vs_answer'] else ''))
    return 0

if __name__ == '__main__': sys.exit(main())
