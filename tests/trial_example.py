"""A four-patient trial, small enough to follow by hand, shared by the trial tests.

P1 placebo: ICU episode days 3–10, ICU discharge day 12, hospital discharge day 30, alive at 90.
P2 IFN-γ: ICU episodes days 4–9 and 14–18, ICU discharge day 20, dies on the ward day 45.
P3 placebo: ICU episode from day 2 (no end), dies in the ICU day 8.
P4 IFN-γ: no episode, ICU discharge day 15, hospital discharge day 25, lost to follow-up day 60.
"""

from __future__ import annotations

from pathlib import Path

ARMS = ("placebo", "ifn_gamma")

FILES = {
    "patients.csv": """patient_id,arm,age,sex,mhladr_baseline,lymphocytes_baseline,mhladr_d10,doses_given,serious_adverse_event,icu_discharge_day,hospital_discharge_day,death_day,last_followup_day
P1,placebo,60,male,5000,600,7000,5,0,12,30,,90
P2,ifn_gamma,55,female,4000,500,9000,5,1,20,,45,45
P3,placebo,70,male,3000,400,,3,0,,,8,8
P4,ifn_gamma,48,female,6000,800,12000,5,0,15,25,,60
""",
    "infections.csv": """patient_id,onset_day,end_day,site
P1,3,10,lung
P3,2,,blood
P2,4,9,lung
P2,14,18,urinary tract
""",
    "resource_use.csv": """patient_id,icu_days,icu_days_infected,ward_days,home_days,active_drug_doses,monitoring_tests,infection_episodes,serious_adverse_events
P1,12,7,18,60,0,0,1,0
P2,20,9,25,0,5,4,2,1
P3,8,6,0,0,0,0,1,0
P4,15,0,10,35,5,4,0,0
""",
}


def write_example(folder: Path, files: dict[str, str] | None = None) -> Path:
    """Write the example (or the given file texts) into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or FILES).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def with_cells(text: str, line: int, changes: dict[str, str]) -> str:
    """The CSV ``text`` with the cells of line ``line`` (header = 1) in the named columns
    replaced."""
    lines = text.splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    for column, value in changes.items():
        cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"
