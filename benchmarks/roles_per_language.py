"""Does an entity-role head per language beat the pooled one? (issues 15 and 16; T10 subtask 1)

Measures, ships nothing. The recipe of `roles.train` (main-role softmax C=1 with a temperature
cross-fitted over the folds, class-balanced one-vs-rest fine roles C=1 with Platt per role
cross-fitted, the second-role cut chosen on `SECOND_ROLE_GRID` by EMR, the lift show rule
`language_cuts(min_skill=MIN_SKILL)`) on the folds `train` uses (all five languages' gold
mentions, grouped by article, 5 folds, seed 13), three ways:

  (P) pooled        the recipe on every language (roles-v4).
  (L) own head      for each language, the whole recipe on that language's mentions alone,
                    over the outer folds restricted to it (informative; not the candidate).
  (S) own or pooled, chosen per language INSIDE each outer fold k: inner CV over the four
                    other folds (fit on three, predict the fourth; calibration cross-fitted
                    and the second-role cut chosen over the four, as the recipe does), once for
                    the pooled recipe and once for the language's own; the own head is kept
                    for fold k iff its inner EMR on the language's mentions is >= the pooled
                    head's. Fold k's rows never enter the choice, nor any of its fits.
  (W) weighted      (second registration, after (S) failed) for each language, the pooled
                    recipe fitted on every language's mentions with that language's weighted
                    up so they carry half the total weight (row weights normalised to mean 1),
                    calibrated, cut and judged on that language's mentions alone.
  (SW) weighted or pooled, chosen per language inside each outer fold as (S) chooses.

Outer decisions of every head on fold k: fits without fold k; temperature and Platt fitted on
the other folds' out-of-fold scores; the second-role cut chosen on the other folds; the show
cuts (`language_cuts`, lift rule) chosen on the other folds. A fit without folds {k, j}
predicts fold j for outer fold k and fold k for outer fold j, so each head needs 5 + 10 fits.
Raw fold predictions are kept as .npz under --work (delete it to refit).

Prints per language and overall: EMR (over mentions; per fold and its mean), main-role
accuracy, main ECE (the chosen role's calibrated probability against right, 10 bins), the
share of mentions whose main role is shown, how often shown roles are right, and the share
shown and right; the per-fold choices; the pre-registered rule's verdict. JSON to --out.

Usage: PYTHONPATH=src python benchmarks/roles_per_language.py [--out FILE] [--work DIR]
       [--fold-seed S]  (another fold seed needs its own --work: the cache is per fold)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from narrascope.analyzers.roles import read_taxonomy
from narrascope.encode import default_encoder
from narrascope.heads import apply_platt, sigmoid, softmax
from narrascope.training import roles as rl
from narrascope.training.calibrate import (
    apply_temperature,
    expected_calibration_error,
    fit_platt_all,
    fit_temperature,
)
from narrascope.training.fit import fit_logistic, grouped_folds
from narrascope.training.role_cuts import MIN_SKILL, language_cuts
from narrascope.training.semeval2025 import MAIN_ROLES

DATA = Path("/work/shared/data/semeval2025_task10")
SEED, FOLDS = 13, 5
LANGUAGES = ("BG", "EN", "HI", "PT", "RU")
POOLED = "pooled"
WEIGHTED = "W-"  # a weighted head's name: W-EN is the pooled recipe with English weighted up
RISE = 0.01  # (S) overall EMR fold mean must rise by this much over (P)
FOLDS_AHEAD = 3  # ... and be ahead of (P) in at least this many of the 5 outer folds
ECE_CAP = 0.05  # no language's main ECE may go over this where (P)'s was at or under it


def uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


class Data:
    """The gold mentions as arrays: features, main index, fine 0/1, language, outer fold."""

    def __init__(self, fold_seed: int = SEED) -> None:
        taxonomy = read_taxonomy()
        self.fine_labels = [r.label for r in taxonomy if r.level == "fine"]
        self.parents = {r.label: r.parent for r in taxonomy if r.level == "fine"}
        examples = rl.read_split(DATA, "train", encoder=default_encoder(), cache_dir=rl.CACHE)
        examples = [ex for ex in examples if ex.mention.main_role in MAIN_ROLES]
        self.x = np.vstack([rl.features(ex) for ex in examples])
        self.y_main = np.array([MAIN_ROLES.index(ex.mention.main_role) for ex in examples])
        column = {label: j for j, label in enumerate(self.fine_labels)}
        self.y_fine = np.zeros((len(examples), len(self.fine_labels)), dtype=np.int8)
        for row, ex in enumerate(examples):
            for role in ex.mention.fine_roles:
                if role in column:
                    self.y_fine[row, column[role]] = 1
        self.gold_fine = [tuple(ex.mention.fine_roles) for ex in examples]
        self.keys = [ex.mention.key for ex in examples]
        self.language = np.array([ex.language.upper() for ex in examples])
        groups = [ex.mention.article_id for ex in examples]
        self.folds = grouped_folds(groups, FOLDS, fold_seed)
        self.fold_of = np.zeros(len(examples), dtype=int)
        for k, held in enumerate(self.folds):
            self.fold_of[held] = k
        self.n = len(examples)

    def rows(self, head: str) -> np.ndarray:
        """The rows a head is judged on (calibrated, cut, scored): all, or one language's."""
        if head == POOLED:
            return np.arange(self.n)
        return np.flatnonzero(self.language == head.removeprefix(WEIGHTED))

    def fitted_on(self, head: str) -> tuple[np.ndarray, np.ndarray | None]:
        """The rows a head is fitted on and their weights (None: all 1). A weighted head fits
        on every language, its own language's mentions carrying half the total weight."""
        if not head.startswith(WEIGHTED):
            return self.rows(head), None
        mine = self.language == head.removeprefix(WEIGHTED)
        weights = np.where(mine, (self.n - mine.sum()) / mine.sum(), 1.0)
        return np.arange(self.n), weights * self.n / weights.sum()


def raw_predictions(d: Data, head: str, excluded: tuple[int, ...], work: Path) -> dict:
    """The head's raw main (softmax) and fine (sigmoid) scores on its rows in the folds
    `excluded`, from a fit on its rows in the other folds (cached in `work`)."""
    path = work / f"{head}-{'-'.join(map(str, excluded))}.npz"
    mine = d.rows(head)
    out_rows = mine[np.isin(d.fold_of[mine], excluded)]
    fitted, weights = d.fitted_on(head)
    fit_rows = fitted[~np.isin(d.fold_of[fitted], excluded)]
    if path.is_file():
        saved = np.load(path)
        return {"rows": saved["rows"], "main": saved["main"], "fine": saved["fine"]}
    row_weights = None if weights is None else weights[fit_rows]
    cells = None if row_weights is None else np.repeat(row_weights[:, None], d.y_fine.shape[1], 1)
    w, b = rl.fit_main(d.x[fit_rows], d.y_main[fit_rows], SEED, sample_weight=row_weights)
    main = softmax(d.x[out_rows] @ w + b).astype(np.float32)
    fw, fb = fit_logistic(
        d.x[fit_rows], d.y_fine[fit_rows], c=rl.C_FINE, seed=SEED, cell_weights=cells
    )
    fine = sigmoid(d.x[out_rows] @ fw + fb).astype(np.float32)
    np.savez(path, rows=out_rows, main=main, fine=fine)
    return {"rows": out_rows, "main": main, "fine": fine}


class Scored:
    """A head's out-of-fold scores over some rows, calibrated cross-fitted over `parts`."""

    def __init__(self, d: Data, main_raw: np.ndarray, fine_raw: np.ndarray, parts: list):
        self.d = d
        self.main = np.full((d.n, len(MAIN_ROLES)), np.nan)
        self.fine = np.full((d.n, len(d.fine_labels)), np.nan)
        for i, part in enumerate(parts):
            rest = np.concatenate([p for j, p in enumerate(parts) if j != i])
            t = fit_temperature(main_raw[rest], d.y_main[rest])
            self.main[part] = apply_temperature(main_raw[part], t)
            self.fine[part] = apply_platt(
                fine_raw[part], *fit_platt_all(fine_raw[rest], d.y_fine[rest])
            )
        self.children = {
            k: [j for j, label in enumerate(d.fine_labels) if d.parents[label] == role]
            for k, role in enumerate(MAIN_ROLES)
        }

    def exact(self, rows: np.ndarray, second: float) -> np.ndarray:
        """Per row: main role and ordered fine roles as the gold (`decide_roles`' answer)."""
        right = np.zeros(len(rows), bool)
        chosen = self.main[rows].argmax(axis=1)
        for i, (row, k) in enumerate(zip(rows, chosen, strict=True)):
            if k != self.d.y_main[row]:
                continue
            kids = sorted(self.children[k], key=lambda j: -self.fine[row, j])
            picked = kids[:1] + [j for j in kids[1:] if self.fine[row, j] >= second]
            right[i] = tuple(self.d.fine_labels[j] for j in picked) == self.d.gold_fine[row]
        return right

    def second(self, rows: np.ndarray) -> float:
        """The second-role cut with the best EMR on `rows` (the first of equals, as `train`)."""
        best, cut = -1.0, rl.SECOND_ROLE_GRID[0]
        for second in rl.SECOND_ROLE_GRID:
            emr = float(self.exact(rows, second).mean())
            if emr > best:
                best, cut = emr, second
        return cut


def outer_scored(d: Data, head: str, work: Path) -> Scored:
    """The head's outer out-of-fold scores (fits without each fold), calibrated over the folds."""
    mine = d.rows(head)
    main_raw = np.full((d.n, len(MAIN_ROLES)), np.nan, dtype=np.float32)
    fine_raw = np.full((d.n, len(d.fine_labels)), np.nan, dtype=np.float32)
    for k in range(FOLDS):
        p = raw_predictions(d, head, (k,), work)
        main_raw[p["rows"]], fine_raw[p["rows"]] = p["main"], p["fine"]
    parts = [mine[d.fold_of[mine] == k] for k in range(FOLDS)]
    return Scored(d, main_raw, fine_raw, parts)


def inner_scored(d: Data, head: str, k: int, work: Path) -> Scored:
    """The head's inner out-of-fold scores over outer fold k's fitting folds (fits without
    fold k and one other), calibrated cross-fitted over those four folds."""
    mine = d.rows(head)
    main_raw = np.full((d.n, len(MAIN_ROLES)), np.nan, dtype=np.float32)
    fine_raw = np.full((d.n, len(d.fine_labels)), np.nan, dtype=np.float32)
    parts = []
    for j in range(FOLDS):
        if j == k:
            continue
        p = raw_predictions(d, head, tuple(sorted((k, j))), work)
        keep = d.fold_of[p["rows"]] == j
        main_raw[p["rows"][keep]], fine_raw[p["rows"][keep]] = p["main"][keep], p["fine"][keep]
        parts.append(mine[d.fold_of[mine] == j])
    return Scored(d, main_raw, fine_raw, parts)


def outer_decisions(d: Data, head: str, scored: Scored) -> dict[str, np.ndarray]:
    """Per row of the head: exact match, main right, calibrated top probability, shown; the
    second-role cut and the show cuts of fold k chosen on the other folds."""
    mine = d.rows(head)
    exact = np.zeros(d.n, bool)
    shown = np.zeros(d.n, bool)
    chosen = np.nan_to_num(scored.main).argmax(axis=1)
    top = np.nan_to_num(scored.main).max(axis=1)
    seconds = []
    spoken = d.language[mine]
    for k in range(FOLDS):
        held, rest = mine[d.fold_of[mine] == k], mine[d.fold_of[mine] != k]
        second = scored.second(rest)
        seconds.append(second)
        exact[held] = scored.exact(held, second)
        local_rest = np.flatnonzero(d.fold_of[mine] != k)
        cuts = language_cuts(
            scored.main[mine], d.y_main[mine], spoken, local_rest, min_skill=MIN_SKILL
        )
        for i in held:
            shown[i] = top[i] >= cuts[d.language[i]][chosen[i]]
    return {
        "exact": exact,
        "right": chosen == d.y_main,
        "top": top,
        "shown": shown,
        "seconds": np.array(seconds),
    }


def measures(d: Data, decided: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, object]:
    """EMR (over the rows, and per outer fold with its mean), main accuracy, ECE, shown."""
    per_fold = [float(decided["exact"][rows[d.fold_of[rows] == k]].mean()) for k in range(FOLDS)]
    shown, right = decided["shown"][rows], decided["right"][rows]
    return {
        "mentions": len(rows),
        "emr": float(decided["exact"][rows].mean()),
        "emr_folds": per_fold,
        "emr_fold_mean": float(np.mean(per_fold)),
        "main_accuracy": float(right.mean()),
        "main_ece": expected_calibration_error(decided["top"][rows], right.astype(float)),
        "shown_share": float(shown.mean()),
        "shown_accuracy": float(right[shown].mean()) if shown.any() else 0.0,
        "shown_right_share": float((shown & right).mean()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/rolelang/result.json"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/rolelang/fits"))
    parser.add_argument(
        "--fold-seed", type=int, default=SEED, help="outer folds' seed (13: train's); own --work"
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    print(f"start; {uptime()}", flush=True)
    d = Data(args.fold_seed)
    counts = {g: int((d.language == g).sum()) for g in LANGUAGES}
    print(f"{d.n} mentions {counts}; {time.perf_counter() - start:.0f} s; {uptime()}", flush=True)
    heads = (POOLED, *LANGUAGES, *(WEIGHTED + g for g in LANGUAGES))
    for head in heads:  # every fit first (cached), so a crash later costs no refit
        for excluded in [(k,) for k in range(FOLDS)] + list(
            itertools.combinations(range(FOLDS), 2)
        ):
            raw_predictions(d, head, excluded, args.work)
        print(f"fits {head} done, {time.perf_counter() - start:.0f} s; {uptime()}", flush=True)

    outer = {h: outer_decisions(d, h, outer_scored(d, h, args.work)) for h in heads}
    # the card's path for (P): the second-role cut chosen on all rows (reproduction check)
    pooled_scored = outer_scored(d, POOLED, args.work)
    every = np.arange(d.n)
    card_second = pooled_scored.second(every)
    card_emr = float(pooled_scored.exact(every, card_second).mean())

    candidates = {"S": "", "SW": WEIGHTED}  # chosen per fold: own head (S), weighted head (SW)
    choices = {name: {g: [] for g in LANGUAGES} for name in candidates}
    inner_emr = {name: {g: [] for g in LANGUAGES} for name in candidates}
    for k in range(FOLDS):
        fitting = np.flatnonzero(d.fold_of != k)
        pooled_inner = inner_scored(d, POOLED, k, args.work)
        pooled_exact = pooled_inner.exact(fitting, pooled_inner.second(fitting))
        for name, prefix in candidates.items():
            for g in LANGUAGES:
                mine = fitting[d.language[fitting] == g]
                own_inner = inner_scored(d, prefix + g, k, args.work)
                own = float(own_inner.exact(mine, own_inner.second(mine)).mean())
                pooled = float(pooled_exact[d.language[fitting] == g].mean())
                inner_emr[name][g].append((own, pooled))
                choices[name][g].append("own" if own >= pooled else POOLED)
            print(f"{name} inner choice fold {k}: {[choices[name][g][k] for g in LANGUAGES]}")

    def combine(pick, prefix: str) -> dict[str, np.ndarray]:
        combined = {key: v.copy() for key, v in outer[POOLED].items() if key != "seconds"}
        for g in LANGUAGES:
            for k in range(FOLDS):
                if pick(g, k) == "own":
                    rows = np.flatnonzero((d.language == g) & (d.fold_of == k))
                    for key in combined:
                        combined[key][rows] = outer[prefix + g][key][rows]
        return combined

    variants = {
        "P": outer[POOLED],
        "L": combine(lambda g, k: "own", ""),
        "S": combine(lambda g, k: choices["S"][g][k], ""),
        "W": combine(lambda g, k: "own", WEIGHTED),
        "SW": combine(lambda g, k: choices["SW"][g][k], WEIGHTED),
    }
    table = {}
    for name, decided in variants.items():
        per = {g: measures(d, decided, np.flatnonzero(d.language == g)) for g in LANGUAGES}
        per["all"] = measures(d, decided, every)
        table[name] = per
    rules = {name: ship_rule(table["P"], table[name]) for name in candidates}
    report = {
        "fold_seed": args.fold_seed,
        "mentions": counts,
        "card_path_P": {"second": card_second, "emr": card_emr},
        "seconds_per_fold": {h: outer[h]["seconds"].tolist() for h in heads},
        "inner_emr_candidate_pooled": inner_emr,
        "choices": choices,
        "table": table,
        "rules": rules,
        "verdicts": {
            name: f"{name} passes" if all(rule.values()) else "P stays (roles-v4)"
            for name, rule in rules.items()
        },
        "seconds": round(time.perf_counter() - start),
        "load_end": uptime(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"card path (P): second {card_second}, EMR {card_emr:.4f}")
    for name in variants:
        for key, v in table[name].items():
            print(
                f"{name} {key} (n={v['mentions']}): EMR {v['emr']:.4f} (folds "
                f"{' '.join(f'{e:.3f}' for e in v['emr_folds'])}; mean {v['emr_fold_mean']:.4f}) "
                f"main {v['main_accuracy']:.4f} ECE {v['main_ece']:.4f} shown "
                f"{v['shown_share']:.3f} right {v['shown_accuracy']:.3f} "
                f"shown&right {v['shown_right_share']:.3f}"
            )
    print(json.dumps({"choices": choices, "inner_emr_candidate_pooled": inner_emr}), flush=True)
    print(json.dumps({"rules": rules, "verdicts": report["verdicts"]}), flush=True)
    print(f"done, {report['seconds']} s; {uptime()}", flush=True)


def ship_rule(p: dict, s: dict) -> dict[str, bool]:
    """The pre-registered rule: candidate `s` against the pooled head `p` (RESULTS.md)."""
    ahead = sum(a > b for a, b in zip(s["all"]["emr_folds"], p["all"]["emr_folds"], strict=True))
    return {
        "overall EMR fold mean >= (P) + 0.01": s["all"]["emr_fold_mean"]
        >= p["all"]["emr_fold_mean"] + RISE,
        "ahead of (P) in >= 3 of 5 outer folds": ahead >= FOLDS_AHEAD,
        "no language's main ECE over 0.05 where (P)'s was not": all(
            s[g]["main_ece"] <= ECE_CAP or p[g]["main_ece"] > ECE_CAP for g in LANGUAGES
        ),
        "EN shown-and-right share not lower": s["EN"]["shown_right_share"]
        >= p["EN"]["shown_right_share"],
    }


if __name__ == "__main__":
    sys.exit(main())
