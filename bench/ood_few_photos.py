"""OOD class statistics fitted on few photos a class: which estimator keeps the unknown-species score sound (issue 17).

A proxy, on the real photos and the shipped bundle's INT8 model (`plantvit/bundles/default`), which has seen every
species in training: this measures the **statistics**, not the model. The model is run once over the train and val
photos of `runs/organized-5` (its `embedding` and `stages` outputs, cached in `runs/ood_few_photos_outputs.npz`, so
reruns take seconds). Then, for each species in turn playing the unknown one, the multi-layer score that ships
(`LayerScore`: relative Mahalanobis on the backbone stages and the embedding, standardised on the known species'
calibration half of val, summed) is fitted on the *other* species' training photos, subsampled to n photos a class
(several seeds), with each estimator of the class statistics (`ESTIMATORS`), and measured on that species' val photos
against the known species' other val half: AUROC, the share of known leaves flagged when 95% of the unseen ones are
(FPR@95), and at the shipped operating point (the 0.98 quantile of the calibration half) the shares of unseen and of
known leaves flagged.

Three protocols: `few` fits everything (principal directions, covariance, class means) on the n photos a class, as a
small taxonomy with few photos would; `means` keeps the principal directions and the within-class covariance of all
training photos and takes only the class means from n photos a class, as at the design's scale, where thousands of
classes pool a well-estimated covariance and the long tail's class means are one or two photos; `tail` cuts every other
class (a draw per seed) to n photos and keeps all the photos of the others, and fits everything on what is left, as a
long tail would be fitted.

    PLANTVIT_DATA=$(realpath ../shared/data) .venv/bin/python bench/ood_few_photos.py      # measure (cached outputs: ~1 min)
    .venv/bin/python bench/ood_few_photos.py --table                                       # print the results file
"""
import argparse, json, os, sys, time
from dataclasses import replace
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).parent / 'results' / 'ood_few_photos.json'
ESTIMATORS = {   # name: (what the statistics' classes are, FeatureStats.fit keyword arguments besides labels)
    'class means (before)': ('pair', {}),
    'shrunk to species': ('pair', {'groups': 'species'}),     # PLDA's posterior mean, centred on the species' mean
    'shrunk to all': ('pair', {'groups': 'all'}),             # the same, centred on the mean of all photos
    'species means': ('species', {}),
}
COUNTS = ('1', '2', '5', 'all')
PROTOCOLS = ('few', 'means', 'tail')

def outputs(data: Path, cache: Path, bundle_dir: Path) -> dict:
    "The bundle's `embedding`, `stages` of every train and val photo of `data`, with their species, pair, split and leaf group (cached)."
    from plantvit.bundle import Bundle, bundle_outputs
    from plantvit.manifest import read_manifest, in_taxonomy
    b = Bundle(bundle_dir)
    m, _ = read_manifest(data)
    m = in_taxonomy(m, b.taxonomy)
    m = m[m.known & m.split.isin(['train', 'val'])].reset_index(drop=True)
    key = str(b.path.resolve()) + ':' + b.meta['models'][b.meta['default_model']]
    if cache.exists():
        c = np.load(cache, allow_pickle=False)
        if str(c['key']) == key and c['path'].tolist() == m.path.astype(str).tolist(): return dict(c)
    t0 = time.perf_counter()
    o, kept, errs = bundle_outputs(b, m.path.tolist(), keep=['embedding', 'stages'], desc='photos')
    if errs: sys.exit(f'{len(errs)} photos could not be read: {next(iter(errs.values()))}')
    out = {'key': np.array(key), 'path': np.array(m.path.astype(str).tolist()), 'embedding': o['embedding'].astype(np.float32),
           'stages': o['stages'].astype(np.float32), 'species': m.species_id.to_numpy(), 'pair': m.pair_id.to_numpy(),
           'split': np.array(m.split.astype(str).tolist()), 'group': np.array(m.group.astype(str).tolist()),
           'species_names': np.array(b.taxonomy.species), 'widths': np.array(b.meta['stages']['widths']),
           'seconds': np.array(time.perf_counter() - t0)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **out)
    return out

def subsample(labels, n, seed) -> np.ndarray:
    "Sorted indices of at most `n` photos of each class (all of them: `n` None), drawn with `seed`."
    if n is None: return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    order = order[np.argsort(labels[order], kind='stable')]
    _, first, counts = np.unique(labels[order], return_index=True, return_counts=True)
    return np.sort(np.concatenate([order[f:f + min(c, n)] for f, c in zip(first, counts)]))

def _auroc(pos, neg) -> float:
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(np.r_[np.ones(len(pos)), np.zeros(len(neg))], np.r_[pos, neg]))

def measure(cal, test, unseen, quantile: float = 0.98) -> dict:
    "Scores (high = unknown) of the calibration half, the known test half and the unseen species → the measures."
    t = np.quantile(cal, quantile)
    t95 = np.quantile(unseen, 0.05)                 # 95% of the unseen leaves score at or above it
    return {'auroc': _auroc(unseen, test), 'fpr_at_95': float((test >= t95).mean()),
            'unseen_flagged': float((unseen > t).mean()), 'known_flagged': float((test > t).mean())}

def fold(d: dict, s: int, seeds: int, k: int = 256) -> list[dict]:
    "Every estimator, count, seed and protocol with species `s` playing the unknown one."
    from plantvit.scores import FeatureStats, LayerScore, class_means, shrunk_means
    from plantvit.ood import leaf_halves
    import pandas as pd
    known, train, val = d['species'] != s, d['split'] == 'train', d['split'] == 'val'
    cal_rows, _ = leaf_halves(pd.DataFrame({'split': d['split'][known & val], 'group': d['group'][known & val]}))
    kv = np.flatnonzero(known & val)
    cal_i = kv[np.isin(np.arange(len(kv)), cal_rows.index)]; test_i = np.setdiff1d(kv, cal_i)
    un_i, tr_all = np.flatnonzero(~known & val), np.flatnonzero(known & train)
    widths = d['widths'].tolist()
    parts = lambda i: [d['embedding'][i], *np.split(d['stages'][i], np.cumsum(widths)[:-1], 1)]   # the embedding, then each stage
    cache = {}                                       # fits on every training photo, kept: the `all` rows and protocol `means`' directions
    def fit(part, what, kw, sel=None):
        sel = tr_all if sel is None else sel
        if 'groups' in kw: kw = {**kw, 'groups': d['species'][sel] if kw['groups'] == 'species' else np.zeros(len(sel), int)}
        return FeatureStats.fit(parts(sel)[part], d[what][sel], k=k, **kw)
    def stats(tr, part, what, kw, protocol):
        if len(tr) == len(tr_all):
            key = (part, what, str(kw))
            if key not in cache: cache[key] = fit(part, what, kw)
            return cache[key]
        if protocol in ('few', 'tail'): return fit(part, what, kw, tr)
        b = stats(tr_all, part, what, {}, 'few')   # directions and within-class covariance of every photo
        z = b.project(parts(tr)[part])
        classes, means, counts, idx = class_means(z, d[what][tr])
        if 'groups' in kw:
            g = _class_groups(d[what][tr], d['species'][tr] if kw['groups'] == 'species' else np.zeros(len(tr), int))
            r = z - means[idx]
            means = shrunk_means(means, counts, g, b.whitening, r.T @ r)[0]
        return replace(b, class_means=means.astype(np.float32), classes=classes)
    rows = []
    for n in COUNTS:
        for seed in range(1 if n == 'all' else seeds):
            for protocol in PROTOCOLS:
                cut = d['pair'][tr_all] >= 0 if protocol != 'tail' else \
                      np.isin(d['pair'][tr_all], np.random.default_rng(seed).permutation(np.unique(d['pair'][tr_all]))[::2])
                keep = subsample(d['pair'][tr_all], None if n == 'all' else int(n), seed)
                tr = np.union1d(tr_all[keep], tr_all[~cut])     # `tail`: every other class (a draw) keeps all its photos
                for name, (what, kw) in ESTIMATORS.items():
                    st = [stats(tr, i, what, kw, protocol) for i in range(len(widths) + 1)]
                    ls = LayerScore(st[1:], np.zeros(len(widths) + 1, np.float32), np.ones(len(widths) + 1, np.float32))
                    score = lambda i: ls.parts(st[0].measure(d['embedding'][i]), d['stages'][i])
                    p = score(cal_i)
                    ls.mean, ls.std = p.mean(0), p.std(0, ddof=1) + 1e-9
                    rows.append({'unknown': str(d['species_names'][s]), 'n': n, 'seed': seed, 'protocol': protocol, 'estimator': name,
                                 'train_photos': int(len(tr)), 'k': int(st[0].components.shape[1]),
                                 **measure(ls.total(p), ls.total(score(test_i)), ls.total(score(un_i)))})
    return rows

def _class_groups(labels, groups) -> np.ndarray:
    "The group of each class, in sorted class order (its first photo's)."
    first = np.unique(labels, return_index=True)[1]
    return np.asarray(groups)[first]

def table(res: dict):
    "Means over the unknown species (and seeds): one row per protocol, photos a class and estimator."
    import pandas as pd
    df = pd.DataFrame(res['rows'])
    per_species = df.groupby(['protocol', 'n', 'estimator', 'unknown'], sort=False)[['auroc', 'fpr_at_95', 'unseen_flagged', 'known_flagged']].mean()
    return per_species.groupby(level=[0, 1, 2], sort=False).mean()

def markdown(res: dict) -> str:
    "The table of bench/README.md: per protocol and photos a class, each estimator's AUROC / FPR@95 / unseen flagged at 0.98."
    t = table(res)
    names = list(ESTIMATORS)
    lines = ['| protocol | photos a class | ' + ' | '.join(names) + ' |', '|---|---|' + '---|' * len(names)]
    for (protocol, n), g in t.groupby(level=[0, 1], sort=False):
        g = g.droplevel([0, 1])
        cells = [f"{g.loc[e, 'auroc']:.3f} / {g.loc[e, 'fpr_at_95']:.0%} / {g.loc[e, 'unseen_flagged']:.0%}" for e in names]
        lines.append(f'| {protocol} | {n} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', type=Path, default=ROOT / 'runs/organized-5')
    ap.add_argument('--bundle', type=Path, default=ROOT / 'plantvit/bundles/default')
    ap.add_argument('--cache', type=Path, default=ROOT / 'runs/ood_few_photos_outputs.npz')
    ap.add_argument('--seeds', type=int, default=5)
    ap.add_argument('--results', type=Path, default=RESULTS)
    ap.add_argument('--table', action='store_true', help='print the results file and stop')
    a = ap.parse_args()
    if not a.table:
        if not (a.data / 'manifest.parquet').exists():
            sys.exit(f'{a.data} holds no manifest.parquet: plantvit organize $D/plantvillage Bean=$D/ibean Citrus=$D/citrus --out {a.data}')
        t0 = time.perf_counter()
        d = outputs(a.data, a.cache, a.bundle)
        t1 = time.perf_counter()
        rows = [r for s in range(len(d['species_names'])) if (d['species'] == s).any() for r in fold(d, s, a.seeds)]
        res = {'date': time.strftime('%Y-%m-%d'), 'bundle': str(a.bundle.resolve().relative_to(ROOT)) if a.bundle.resolve().is_relative_to(ROOT) else str(a.bundle),
               'photos': {'train': int((d['split'] == 'train').sum()), 'val': int((d['split'] == 'val').sum())},
               'seeds': a.seeds, 'model_seconds': float(d['seconds']), 'measure_seconds': time.perf_counter() - t1, 'rows': rows}
        a.results.parent.mkdir(parents=True, exist_ok=True)
        a.results.write_text(json.dumps(res, indent=1) + '\n')
    if not a.results.exists(): sys.exit(f'{a.results} does not exist yet: run without --table first')
    res = json.loads(a.results.read_text())
    print(table(res).round(3).to_string(), '\n')
    print('AUROC / FPR@95 / unseen flagged at 0.98 (means over the unknown species and seeds):\n' + markdown(res))

if __name__ == '__main__': main()
