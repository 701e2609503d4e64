"""How many answers the overall-confidence floor (`plantvit.predict.MIN_CONFIDENCE`, issue 18) rolls up to the species:
the shipped bundle's decisions on every val and test photo of the classes it knows, as `plantvit evaluate` makes them
(`run_bundle`), counting the answers whose escalation gives the floor as its reason. The bundle's val and test figures
in metrics.json were recorded before the floor existed; this says how far they moved.

    PLANTVIT_DATA=$(realpath ../shared/data) .venv/bin/python bench/escalation_floor.py
"""
import os, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

def main() -> int:
    import pandas as pd
    from plantvit.bundle import Bundle, default_bundle
    from plantvit.evaluate import evaluation_rows, run_bundle
    from plantvit.sample_data import data_root
    root, b = data_root(), Bundle(default_bundle())
    every = evaluation_rows([str(root / 'plantvillage'), f"Bean={root / 'ibean'}", f"Citrus={root / 'citrus'}"], b.taxonomy, split='all')
    for split in ('val', 'test'):
        rows = every[(every.split == split) & every.known].reset_index(drop=True)
        d = list(run_bundle(b, rows).outputs['decision'])
        t = pd.DataFrame({'source': rows.source.astype(str), 'level': [x['level'] for x in d],
                          'floor': [bool(x['escalation']) and 'overall confidence' in x['escalation']['reason'] for x in d]})
        print(f"{split}: {len(t)} photos, {int((t.level == 'disease').sum())} answered to the disease, "
              f"{int(t.floor.sum())} rolled up to the species by the floor {t[t.floor].groupby('source').size().to_dict()}")
    return 0

if __name__ == '__main__': sys.exit(main())
