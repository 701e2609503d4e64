"""Near-duplicate search at scale: `organize` with and without it on N synthetic photos, and `near_pairs` alone on 10k-1M hashes.

    .venv/bin/python bench/near_duplicates.py                 # 100k photos, 3 rounds (~15 min on 2 cores, tree kept in /tmp)
    .venv/bin/python bench/near_duplicates.py --photos 5000 --rounds 1    # a quick look

The photos: small JPEGs (96 px) of smooth random light with a random ellipse, in 100 flat class folders; 1% of them get a
copy made by one of `plantvit.near_duplicates.COPY_EDITS` (re-saved, rescaled, re-encoded), a tenth of those filed under
another class (conflicts). Contenders, taking turns on the same tree, each in its own process: `organize` reading every
file for its content hash only (`near_dup_distance=None`), and `organize` with the perceptual hash and the search (the
default). Then `near_pairs` on random 64-bit hashes with 1% planted copies, against comparing every pair (measured on
a sample of rows and scaled to all pairs: what a quadratic search would cost).
"""
import argparse, json, os, random, statistics, subprocess, sys, tempfile, time
from pathlib import Path

def make_tree(root: Path, n: int, seed: int = 0) -> dict:
    "Write `n` synthetic photos (plus ~1% copies) into `root`; returns what was planted."
    import numpy as np
    from PIL import Image, ImageDraw
    from plantvit.near_duplicates import COPY_EDITS
    rng, edits = random.Random(seed), list(COPY_EDITS.values())
    planted = {'photos': n, 'copies': 0, 'conflicts': 0}
    for i in range(n):
        k = i % 100
        d = root / f'Synth___Class_{k:02d}'; d.mkdir(parents=True, exist_ok=True)
        field = np.array([[rng.randint(0, 255) for _ in range(5)] for _ in range(5)], np.uint8)
        im = Image.fromarray(field).resize((96, 96), Image.BICUBIC).convert('RGB')
        x, y, w, h = rng.randint(0, 60), rng.randint(0, 60), rng.randint(15, 40), rng.randint(15, 40)
        ImageDraw.Draw(im).ellipse([x, y, x + w, y + h], fill=tuple(rng.randint(0, 255) for _ in range(3)))
        im.save(d / f'p{i:07d}.jpg', quality=90)
        if i % 100 == 7:
            conflict = i % 1000 == 7
            to = root / f'Synth___Class_{(k + 1) % 100:02d}' if conflict else d
            to.mkdir(parents=True, exist_ok=True)
            edits[(i // 100) % len(edits)](im).convert('RGB').save(to / f'p{i:07d}_copy.jpg', quality=85)
            planted['copies'] += 1; planted['conflicts'] += conflict
    return planted

def one(tree: Path, near: bool) -> dict:
    "Organize `tree` in this process; seconds by stage and what was found."
    from plantvit.data import organize
    from plantvit.near_duplicates import NEAR_DUP_DISTANCE
    t = time.perf_counter()
    res = organize([tree], near_dup_distance=NEAR_DUP_DISTANCE if near else None)
    total = time.perf_counter() - t
    df = res.manifest
    copies = df[df.path.str.endswith('_copy.jpg')]
    originals = copies.path.str.replace('_copy.jpg', '.jpg', regex=False)
    # a copy is found when it shares its original's group (copies filed elsewhere have their original in another folder)
    group_of = dict(zip(df.path.str.rsplit('/', n=1).str[-1], df.group))
    found = sum(group_of.get(Path(o).name) == g for o, g in zip(originals, copies.group))
    return {'seconds': total, 'stages': res.seconds, 'copies_found': int(found),
            'conflict_groups': 0 if res.conflicts is None else int(res.conflicts.group.nunique())}

def search_scaling(sizes, seed: int = 0) -> list[dict]:
    "`near_pairs` on random hashes with 1% copies a few bits off, and a brute-force estimate from 200 rows."
    import numpy as np
    from plantvit.near_duplicates import near_pairs, hamming, NEAR_DUP_DISTANCE
    rng, out = np.random.default_rng(seed), []
    for n in sizes:
        h = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) ^ (rng.integers(0, 2, n).astype(np.uint64) << np.uint64(63))
        k = n // 100; flips = np.zeros(k, np.uint64)
        for _ in range(3): flips |= np.uint64(1) << rng.integers(0, 64, k).astype(np.uint64)
        h = np.concatenate([h, h[rng.integers(0, n, k)] ^ flips])
        t = time.perf_counter(); pairs = near_pairs(h, NEAR_DUP_DISTANCE); dt = time.perf_counter() - t
        rows = rng.integers(0, len(h), 200)
        t = time.perf_counter()
        for r in rows: hamming(h[r], h) <= NEAR_DUP_DISTANCE
        brute = (time.perf_counter() - t) / len(rows) * len(h) / 2      # each pair once
        out.append({'hashes': len(h), 'near_pairs_s': dt, 'links': len(pairs), 'all_pairs_estimate_s': brute})
        print(f'{len(h):>10,} hashes: near_pairs {dt:.2f} s ({len(pairs):,} links); all pairs ~{brute:,.0f} s', flush=True)
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--photos', type=int, default=100_000)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--tree', type=Path, help='where the synthetic photos go (default: a folder in the temp dir, kept for re-runs)')
    ap.add_argument('--results', type=Path, default=Path(__file__).parent / 'results' / 'near_duplicates.json')
    ap.add_argument('--one', help=argparse.SUPPRESS); ap.add_argument('--out', type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        a.out.write_text(json.dumps(one(a.tree, a.one == 'near'))); return
    tree = a.tree or Path(tempfile.gettempdir()) / f'plantvit-near-dup-bench-{a.photos}'
    if not (tree / 'planted.json').exists():
        t = time.perf_counter(); planted = make_tree(tree, a.photos)
        (tree / 'planted.json').write_text(json.dumps(planted))   # not an image: organize reports it as a stray file
        print(f'wrote {a.photos:,} photos and {planted["copies"]:,} copies in {time.perf_counter() - t:.0f} s', flush=True)
    planted = json.loads((tree / 'planted.json').read_text())
    runs = {'content hash only': [], 'content + near-duplicates': []}
    for r in range(a.rounds):
        for name in runs:
            out = Path(tempfile.mkdtemp()) / 'r.json'
            subprocess.run([sys.executable, __file__, '--one', 'near' if 'near' in name else 'plain', '--tree', str(tree), '--out', str(out)], check=True)
            runs[name].append(json.loads(out.read_text()))
            print(f'round {r + 1} {name}: {runs[name][-1]["seconds"]:.1f} s', flush=True)
    med = {k: statistics.median(x['seconds'] for x in v) for k, v in runs.items()}
    near = runs['content + near-duplicates'][-1]
    result = {'date': time.strftime('%Y-%m-%d'), 'photos': a.photos, 'planted': planted, 'rounds': a.rounds,
              'cores': os.cpu_count(), 'load': os.getloadavg()[0], 'median_seconds': med,
              'ratio': med['content + near-duplicates'] / med['content hash only'],
              'stages_near': near['stages'], 'copies_found': near['copies_found'], 'conflict_groups': near['conflict_groups'],
              'search_scaling': search_scaling([10_000, 100_000, 1_000_000])}
    a.results.parent.mkdir(parents=True, exist_ok=True)
    a.results.write_text(json.dumps(result, indent=1) + '\n')
    print(json.dumps({k: v for k, v in result.items() if k != 'search_scaling'}, indent=1))

if __name__ == '__main__': main()
