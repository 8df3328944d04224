"""The golden cases: fixed inputs whose outputs must not change when the code is reorganised.

``python -m tests.golden.cases`` (from the repository root) rewrites the files beside this one;
``tests/integration/test_golden.py`` compares a fresh run with them, byte for byte.  Only the
library versions in the audit are blanked, because they name the machine's installed packages,
not anything ``allocate`` decided.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

from allocate import Allocation, Problem, solve
from allocate.display import html_report
from allocate.examples import demo_dict, tender_demo_dict
from allocate.synthetic import consortium

HERE = Path(__file__).resolve().parent
#: Cases whose HTML (the stand-alone report and the notebook views) is kept too.
HTML_CASES = ("demo", "demo_share_cap_infeasible", "tender_demo")
#: The date the golden HTML reports carry (a report is dated; a golden file must not change daily).
REPORT_DATE = datetime.date(2026, 1, 1)


def _demo_with(**policy: object) -> Problem:
    data = demo_dict()
    data["policy"] = {**data.get("policy", {}), **policy}
    return Problem.model_validate(data)


#: name -> (problem, solve options)
CASES: dict[str, Callable[[], tuple[Problem, dict[str, object]]]] = {
    "demo": lambda: (Problem.model_validate(demo_dict()), {}),
    "demo_lp": lambda: (Problem.model_validate(demo_dict()), {"method": "lp"}),
    "demo_share_cap_infeasible": lambda: (_demo_with(max_member_share="0.05"), {}),
    "demo_min_award": lambda: (_demo_with(min_award="40000", min_providers_per_area=2), {}),
    "tender_demo": lambda: (Problem.model_validate(tender_demo_dict()), {}),
    "synthetic_plain": lambda: (consortium(members=40, lots=4, seed=7), {}),
    "synthetic_every_side_constraint": lambda: (
        consortium(
            members=60,
            lots=6,
            seed=3,
            side_constraints=[
                "min_award",
                "max_member_share",
                "max_dependency",
                "small_org_share",
                "case_mix_tolerance",
                "min_providers_per_area",
                "exclusions",
                "pooled_capacities",
            ],
        ),
        {},
    ),
    "synthetic_caps_and_ring_fence": lambda: (
        consortium(
            members=30, lots=5, seed=11, side_constraints=["max_member_share", "small_org_share"]
        ),
        {},
    ),
    "synthetic_case_mix": lambda: (
        consortium(members=50, lots=8, seed=5, side_constraints=["case_mix_tolerance"]),
        {},
    ),
}


def normalised_json(allocation: Allocation) -> str:
    """The allocation's JSON with the installed library versions blanked."""
    data = json.loads(allocation.model_dump_json())
    data["audit"]["versions"] = {}
    return json.dumps(data, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def outputs(name: str) -> dict[str, str]:
    """Every golden output of one case: file name -> text."""
    problem, options = CASES[name]()
    allocation = solve(problem, **options)  # type: ignore[arg-type]
    versions = allocation.audit.versions
    blank = allocation.model_copy(
        update={"audit": allocation.audit.model_copy(update={"versions": {}})}
    )
    assert versions  # the real run records them
    out = {f"{name}.json": normalised_json(allocation)}
    out[f"{name}.md"] = blank.to_markdown()
    out[f"{name}.summary.txt"] = blank.summary() + "\n"
    if name in HTML_CASES:
        out[f"{name}.html"] = html_report(blank, date=REPORT_DATE)
        out[f"{name}.repr.html"] = blank._repr_html_() + "\n" + problem._repr_html_() + "\n"
    return out


def main() -> None:
    for name in CASES:
        for file, text in outputs(name).items():
            (HERE / file).write_text(text, encoding="utf-8")
            print(file)


if __name__ == "__main__":
    main()
