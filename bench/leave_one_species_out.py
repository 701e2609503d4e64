"""Leave one species out on the real photos: how often a never-seen species is answered as a known one (issue 14).

For each species of the organized five-species data (four species once Orange is a Citrus: `runs/organized-5`, made by
`tools/build_default_bundle.sh`), a
fold trains Lite0 without it (160 px, 2 epochs: `bench/recipes.py`'s cheapest recipe), exports, calibrates and gates
it as the shipped bundle is built, and measures what its Predictor tells a grower about the left-out species' val
photos, and every unknown-species score with a threshold chosen on half of the known val photos
(`plantvit.unknown_species`, notebook `06b_unknown_species`), the trade-off of the shipped detector over its
operating points, and other detectors' trade-offs on the same folds. A fold measured with another detector than the
one `plantvit ood` now fits is gated and measured again (its training is kept). Folds run one after another (never two trainings at
once on 2 cores) and resume: a finished fold is kept in the results file, a built one in `--out`.

    PLANTVIT_DATA=../shared/data .venv/bin/python bench/leave_one_species_out.py        # every fold (its minutes: in the file)
    .venv/bin/python bench/leave_one_species_out.py --table                             # print what the file holds
    .venv/bin/python bench/leave_one_species_out.py --table --record plantvit/bundles/default   # and put it in the card
"""
import argparse, json, os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', type=Path, default=ROOT / 'runs/organized-5', help='the organized data of every species')
    ap.add_argument('--out', type=Path, default=ROOT / 'runs/loso', help='where the folds are built')
    ap.add_argument('--species', nargs='*', help='only these left-out species (default: every one)')
    ap.add_argument('--results', type=Path, default=Path(__file__).parent / 'results' / 'leave_one_species_out.json')
    ap.add_argument('--size', default='160'); ap.add_argument('--epochs', default='2')
    ap.add_argument('--remeasure', action='store_true', help='measure every fold again (its training, export and detector are kept)')
    ap.add_argument('--table', action='store_true', help='print the tables of the results file and stop')
    ap.add_argument('--record', type=Path, metavar='BUNDLE', help="store the results in BUNDLE's metrics.json and model card")
    a = ap.parse_args()
    from plantvit.unknown_species import leave_one_species_out, loso_tables, record_unknown_species, tradeoff_table, detectors_table, operating_point
    if not a.table:
        if not os.environ.get('PLANTVIT_DATA'): sys.exit('set PLANTVIT_DATA to the folder holding non_plant/')
        if not (a.data / 'manifest.parquet').exists(): sys.exit(f'{a.data} holds no manifest.parquet: run tools/build_default_bundle.sh (or plantvit organize) first')
        leave_one_species_out(a.data, a.out, Path(os.environ['PLANTVIT_DATA']) / 'non_plant', species=a.species,
                              train_args=('--size', a.size, '--epochs', a.epochs), results=a.results,
                              remeasure=a.remeasure)
    if not a.results.exists(): sys.exit(f'{a.results} does not exist yet: run without --table first')
    res = json.loads(a.results.read_text())
    per_species, per_score = loso_tables(res)
    print(per_species.to_string(), '\n'); print(per_score.round(4).to_string(), '\n')
    curve = tradeoff_table(res)
    print(curve.round(3).to_string(), f'\noperating point (fewest unseen answered as known, <= 2% known flagged or rejected): {operating_point(curve):g}\n')
    d = detectors_table(res)
    print('unseen answered as known / known flagged or rejected:')
    print((d.answered_known.map('{:.1%}'.format) + ' / ' + d.known_flagged.map('{:.1%}'.format)).unstack(0).to_string())
    if a.record: record_unknown_species(a.record, json.loads(a.results.read_text())); print(f'recorded in {a.record}/metrics.json and MODEL_CARD.md')

if __name__ == '__main__': main()
