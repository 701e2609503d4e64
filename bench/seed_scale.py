"""Seed scale, end to end: every phase of plantvit at the design's 11,499 species × disease classes, measured.

A synthetic data set with the design's class count: the class names of `organize_scale.py`'s 1.47M-file tree
(`Species_XXXX___Disease_YY`), but over a long tail of species (1 to 60 diseases each, drawn from a Zipf law, seed 0),
and a few tiny generated photos per class (48 px JPEGs: a colour per class, noise per photo), named into train or val
(`organize --split-from-name`) so that every class is in train. Every phase then runs in its own process, as a user
would run it (`plantvit organize`, `train`, `export`, `calibrate`, `ood`, the browser student, `serve` under load,
`evaluate`, the model card), and the parent records its wall time, its peak RSS (the child's own, from `wait4`) and the
size of what it wrote. Serving is measured at 8 clients against a 16-class bundle built by the same commands (12
photos a class with --quick, 40 in the full run; all in one process, each command's exit status recorded), in the same
run.

    .venv/bin/python bench/seed_scale.py --quick   # 1 train photo a class, 1 val photo in every 16th class, timm's test_efficientnet at 32 px
    .venv/bin/python bench/seed_scale.py           # 2 train + 1 val photo a class, Lite0 at 64 px, 2 epochs: bench/README.md's table

`--quick` checks that every phase holds at 11,499 classes, fast: its backbone is timm's 99k-weight `test_efficientnet`
(256 features), so what it times is mostly what grows with the classes (the head, the taxonomy, the reports), not a
real backbone; the full run is the one to read for a real model. It prints one JSON line per phase ({"phase",
"classes", "seconds", "peak_rss_mb", ...}) and a last line with the total and the phases that failed (exit status 1 if
any did). The browser phase trains a student of the species that fit the 5 MB TF.js budget plus one 'other' species
(`plantvit train --browser-budget 5e6`, one epoch, no teacher: what is measured is the cost) and converts it, only when
the converter environment exists (`tools/tfjs_env.sh`) and not with `--quick`; otherwise it stops at the server run's
ONNX without stages. `evaluate` reads the organized folder's manifest (`--manifest`) instead of scanning the photos again.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N_CLASSES = 11_499

def long_tail(n_classes: int, max_diseases: int = 60, seed: int = 0) -> list[int]:
    "Diseases per species, 1 to `max_diseases`, a Zipf-like long tail, summing to `n_classes`."
    import numpy as np
    rng, counts = np.random.default_rng(seed), []
    while sum(counts) < n_classes:
        counts.append(int(min(max_diseases, rng.zipf(1.8))))
    counts[-1] -= sum(counts) - n_classes
    return [c for c in counts if c > 0]

def make_photos(dest: Path, n_classes: int, train: int, val: int, val_every: int = 1, size: int = 48, seed: int = 0) -> dict:
    "Class folders `Species_XXXX___Disease_YY` with `train` tiny JPEGs each, `val` more in every `val_every`-th class, and a `non_plant` folder; returns the counts."
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    diseases = long_tail(n_classes) if n_classes > 100 else [4] * (n_classes // 4)
    c = n_photos = 0
    for s, n in enumerate(diseases):
        for d in range(n):
            folder = dest / 'photos' / f'Species_{s:04d}___Disease_{d:02d}'; folder.mkdir(parents=True, exist_ok=True)
            colour = rng.integers(30, 226, 3)
            splits = ['train'] * train + ['val'] * (val if c % val_every == 0 else 0)   # every class in train (organize --split-from-name)
            for k, split in enumerate(splits):
                px = np.clip(colour + rng.normal(0, 25, (size, size, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(px).save(folder / f'leaf{c:05d}-{k}_{split}.jpg', quality=85)
            c += 1; n_photos += len(splits)
    (dest / 'non_plant').mkdir(parents=True, exist_ok=True)
    for k in range(24):
        px = np.clip(rng.integers(0, 255, 3) + rng.normal(0, 60, (size, size, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(px).save(dest / 'non_plant' / f'scene{k}.jpg', quality=85)
    return {'species': len(diseases), 'classes': c, 'photos': n_photos, 'max_diseases': max(diseases)}

def du_mb(path: Path) -> float:
    "Size of a file or folder tree, in MB."
    path = Path(path)
    if path.is_file(): return path.stat().st_size / 1e6
    return sum(f.stat().st_size for f in path.rglob('*') if f.is_file()) / 1e6 if path.exists() else 0.0

TIMEOUT = 600     # seconds a phase may run before it is stopped and reported as such (--timeout)

def run_phase(name: str, argv: list, outputs=()) -> dict:
    "Run one phase as a child process: wall time, the child's peak RSS (wait4), the sizes of its outputs; a failure or a timeout is reported, not hidden."
    import threading
    t = time.perf_counter()
    with tempfile.TemporaryFile('w+') as log:
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        timer = threading.Timer(TIMEOUT, p.kill); timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        timer.cancel(); p.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0); out = log.read()
    res = {'phase': name, 'seconds': round(time.perf_counter() - t, 2), 'peak_rss_mb': round(usage.ru_maxrss / 1024, 1),
           'outputs_mb': {Path(o).name: round(du_mb(o), 2) for o in outputs},
           'status': 'ok' if p.returncode == 0 else f'stopped after {TIMEOUT} s' if p.returncode == -9 else f'failed ({p.returncode})'}
    if p.returncode != 0: res['error'] = out.strip().splitlines()[-1][:300] if out.strip() else ''
    return res

def plantvit(*args) -> list: return [sys.executable, '-m', 'plantvit.cli', '--quiet', *map(str, args)]

def commands(work: Path, a) -> dict[str, list]:
    "The `plantvit` command lines, phase by phase, that make a bundle with its OOD detector from the photos under `work`."
    org, run, bundle = work / 'organized', work / 'run', work / 'bundle'
    return {'organize': ['organize', work / 'photos', '--out', org, '--near-dup-distance', '-1', '--split-from-name'],
            'train': ['train', org, '--out', run, '--arch', a.arch, '--pretrained', 'none', '--size', a.size, '--epochs', a.epochs,
                      '--bs', a.bs, '--augment', a.augment, '--threads', 2],
            'export': ['export', run, '--out', bundle, '--manifest', org, '--calibration', 32],
            'calibrate': ['calibrate', bundle, '--manifest', org],
            'ood': ['ood', bundle, '--manifest', org, '--non-plant', work / 'non_plant', '--no-package-photos']}

def photos_phase(work: Path, n_classes: int, **layout) -> dict:
    t = time.perf_counter(); counts = make_photos(work, n_classes, **layout)
    return {'phase': 'photos', 'seconds': round(time.perf_counter() - t, 2), 'peak_rss_mb': None, **counts,
            'outputs_mb': {'photos': round(du_mb(work / 'photos'), 2)}}

def baseline(work: Path, n_classes: int, a) -> tuple[dict, Path]:
    "The same commands on `n_classes` classes, all in one process: the bundle serving is compared with; each command's exit status is recorded."
    photos_phase(work, n_classes, **a.baseline_layout)
    argv = {name: ['--quiet', *map(str, c)] for name, c in commands(work, a).items()}
    code = ("import json, sys; from plantvit.cli import main; "
            "s = {k: main(c) for k, c in json.loads(sys.argv[1]).items()}; print(json.dumps(s)); sys.exit(max(s.values()))")
    r = run_phase(f'{n_classes}-class bundle', [sys.executable, '-c', code, json.dumps(argv)], outputs=[work / 'bundle'])
    return r, work / 'bundle'

def browser_phase(work: Path, bundle: Path, a) -> list[dict]:
    "The browser: a student of the species that fit the 5 MB TF.js budget plus an 'other' species (`plantvit train --browser-budget`), then `plantvit browser` (TF.js, routing, parity) when the converter is there; with --quick the server run's ONNX, stages left out, as `plantvit browser` exports a student."
    tfjs = ROOT / '.venv-tfjs' / 'bin' / 'python'
    if not a.quick and tfjs.exists():
        student = run_phase('browser student', plantvit('train', work / 'organized', '--out', work / 'student', '--arch', a.arch, '--pretrained', 'none',
                                                        '--size', a.size, '--epochs', 1, '--bs', a.bs, '--augment', a.augment, '--threads', 2,
                                                        '--browser-budget', 5e6), outputs=[work / 'student'])
        return [student, run_phase('browser', plantvit('browser', bundle, '--student', work / 'student', '--manifest', work / 'organized',
                                                       '--non-plant', work / 'non_plant'), outputs=[bundle / 'browser'])]
    code = ("import sys; from pathlib import Path; from plantvit.model import load_checkpoint; from plantvit.export import to_onnx; "
            "m, *_ = load_checkpoint(Path(sys.argv[1]) / 'best.pt'); to_onnx(m, Path(sys.argv[2]), stages=False)")
    return [run_phase('browser (student ONNX only)', [sys.executable, '-c', code, work / 'run', work / 'student.onnx'], outputs=[work / 'student.onnx'])]

def serve_phase(bundle: Path, n_requests: int) -> dict:
    "`plantvit serve` on `bundle` under 8 clients posting generated leaves: p50, p99, requests/s."
    sys.path.insert(0, str(ROOT / 'bench'))
    from serve_load import load, multipart
    from serve_soak import rss_mb
    from plantvit.serve import server_process
    photos = sorted((bundle.parent / 'photos').rglob('*.jpg'))[:64]
    bodies = [multipart(p.name, p.read_bytes()) for p in photos]
    t = time.perf_counter()
    with server_process({'PLANTVIT_BUNDLE': str(bundle)}, timeout=300) as (url, proc):
        started = time.perf_counter() - t
        port = int(url.rsplit(':', 1)[1])
        load(port, bodies, 4, 64, 30)
        r = load(port, bodies, 8, n_requests, 120)
        rss = rss_mb(proc.pid)
        import urllib.request
        t1 = time.perf_counter(); tax = urllib.request.urlopen(f'{url}/taxonomy').read(); tax_ms = 1000 * (time.perf_counter() - t1)
        gz = urllib.request.urlopen(urllib.request.Request(f'{url}/taxonomy', headers={'Accept-Encoding': 'gzip'})).read()
    return {'phase': 'serve', 'seconds': round(started, 2), 'peak_rss_mb': round(rss, 1), 'p50_ms': round(r['p50_ms'], 1),
            'p99_ms': round(r['p99_ms'], 1), 'rps': round(r['rps'], 1), 'errors': r['errors'],
            'taxonomy_ms': round(tax_ms, 1), 'taxonomy_kb': round(len(tax) / 1e3, 1), 'taxonomy_gzip_kb': round(len(gz) / 1e3, 1)}

QUICK = dict(layout=dict(train=1, val=1, val_every=16), baseline_layout=dict(train=8, val=4), arch='test_efficientnet', size=32, epochs=1, bs=256, augment='none', requests=200)
FULL = dict(layout=dict(train=2, val=1, val_every=1), baseline_layout=dict(train=32, val=8), arch='tf_efficientnet_lite0', size=64, epochs=2, bs=64, augment='light', requests=1000)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true', help="one photo a class, timm's 99k-weight test_efficientnet at 32 px: every phase, fast (~2 min on 2 cores; issue 17's target is 90 s)")
    ap.add_argument('--classes', type=int, default=N_CLASSES)
    ap.add_argument('--work', type=Path, help='folder for the data and bundles (default: a temporary one, removed)')
    ap.add_argument('--json', type=Path, help='also write the records here')
    ap.add_argument('--timeout', type=float, default=600, help='seconds a phase may run before it is stopped (default 600)')
    a = ap.parse_args()
    global TIMEOUT; TIMEOUT = a.timeout
    for k, v in (QUICK if a.quick else FULL).items(): setattr(a, k, v)
    work = a.work or Path(tempfile.mkdtemp(prefix='plantvit-seed-'))
    t0, records = time.perf_counter(), []
    def emit(r, n=a.classes):
        r = {'phase': r.pop('phase'), 'classes': n, **r}; records.append(r); print(json.dumps(r), flush=True)
    base, small = baseline(work / 'small', 16, a)
    emit(base, 16)
    big = work / 'seed'
    emit(photos_phase(big, a.classes, **a.layout))
    outputs = {'organize': [big / 'organized'], 'train': [big / 'run'], 'export': [big / 'bundle'], 'ood': [big / 'bundle' / 'ood.npz']}
    for name, argv in commands(big, a).items():
        emit(run_phase(name, plantvit(*argv), outputs=outputs.get(name, ())))
    for r in browser_phase(big, big / 'bundle', a): emit(r)
    for b, n in ((big / 'bundle', a.classes), (small, 16)):
        emit(serve_phase(b, a.requests), n)
    emit(run_phase('evaluate', plantvit('evaluate', '--manifest', big / 'organized', '--bundle', big / 'bundle', '--quick', '--out', work / 'evaluation'),
                   outputs=[work / 'evaluation']))
    card = ("import sys; from pathlib import Path; from plantvit.bundle import Bundle; from plantvit.card import model_card; "
            "b = Bundle(sys.argv[1]); Path(sys.argv[2]).write_text(model_card(b.meta, b.metrics, b.taxonomy))")   # beside the bundle: it stays verified
    emit(run_phase('model card', [sys.executable, '-c', card, big / 'bundle', work / 'MODEL_CARD.md'], outputs=[work / 'MODEL_CARD.md']))
    failed = [r['phase'] for r in records if r.get('status', 'ok') != 'ok' or r.get('errors')]
    print(json.dumps({'phase': 'total', 'classes': a.classes, 'seconds': round(time.perf_counter() - t0, 1), 'failed': failed}))
    if a.json: a.json.write_text(json.dumps(records, indent=1))
    if not a.work: subprocess.run(['rm', '-rf', str(work)])
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
