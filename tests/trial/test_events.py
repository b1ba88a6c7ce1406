"""Patients' histories as time-to-event data (hecon.trial.events), on the hand-made example."""

from __future__ import annotations

import numpy as np
import pytest

from hecon.trial import events, load_trial
from tests.trial_example import ARMS, FILES, write_example


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_trial(write_example(tmp_path_factory.mktemp("example")), ARMS)


def test_exits_from_icu_and_hospital_and_death(data):
    icu = events.icu_exit(data)
    assert icu.time.tolist() == [12, 20, 8, 15]
    assert icu.cause.tolist() == ["discharge", "discharge", "death", "discharge"]
    assert icu.event("death").tolist() == [0, 0, 1, 0] and icu.any_event().tolist() == [1, 1, 1, 1]
    hospital = events.hospital_exit(data)
    assert hospital.time.tolist() == [30, 45, 8, 25]
    assert hospital.cause.tolist() == ["discharge", "death", "death", "discharge"]
    time, dead = events.death(data)
    assert time.tolist() == [90, 45, 8, 60] and dead.tolist() == [0, 1, 1, 0]


def test_icu_episodes_and_the_first_infection(data):
    episodes = events.icu_episodes(data)
    assert episodes["patient"].tolist() == [0, 1, 1, 2]
    assert episodes["onset"].tolist() == [3, 4, 14, 2]
    assert episodes["end"].tolist() == [10, 9, 18, 8]  # P3's episode lasts until death in the ICU
    assert episodes["resolved"].tolist() == [True, True, True, False]
    time, cause = events.first_icu_infection(data)
    assert time.tolist() == [3, 4, 2, 15]
    assert cause.tolist() == ["infection", "infection", "infection", "discharge"]


def test_icu_intervals_follow_each_history(data):
    intervals = events.icu_intervals(data)
    rows = [tuple(r) for r in intervals[["patient", "start", "stop", "state", "episode", "exit"]].itertuples(index=False)]
    assert rows == [
        (0, 0, 3, "not_infected", 0, "infection"), (0, 3, 10, "infected", 1, "resolution"),
        (0, 10, 12, "after_infection", 1, "discharge"),
        (1, 0, 4, "not_infected", 0, "infection"), (1, 4, 9, "infected", 1, "resolution"),
        (1, 9, 14, "after_infection", 1, "infection"), (1, 14, 18, "infected", 2, "resolution"),
        (1, 18, 20, "after_infection", 2, "discharge"),
        (2, 0, 2, "not_infected", 0, "infection"), (2, 2, 8, "infected", 1, "death"),
        (3, 0, 15, "not_infected", 0, "discharge"),
    ]
    total = intervals.groupby("patient").apply(lambda g: (g["stop"] - g["start"]).sum())
    np.testing.assert_array_equal(total, events.icu_exit(data).time)


def test_episodes_on_the_day_of_icu_exit_belong_to_the_ward(tmp_path):
    text = FILES["infections.csv"] + "P4,15,17,lung\n"
    data = load_trial(write_example(tmp_path, {**FILES, "infections.csv": text}), ARMS)
    assert 3 not in events.icu_episodes(data)["patient"].tolist()
    assert events.patient_outcomes(data, 50)["episodes"].tolist()[3] == 1  # counted as an outcome


def test_patient_outcomes_at_the_horizon(data):
    outcomes = events.patient_outcomes(data, 90)
    assert outcomes["known"].tolist() == [True, True, True, False]
    known = outcomes.iloc[:3]
    assert known["episodes"].tolist() == [1, 2, 1] and known["infected"].tolist() == [1, 1, 1]
    assert known["icu_death"].tolist() == [0, 0, 1] and known["death"].tolist() == [0, 1, 1]
    assert known["icu_days"].tolist() == [12, 20, 8] and known["hospital_days"].tolist() == [30, 45, 8]
    assert outcomes.iloc[3, 3:].isna().all()
    early = events.patient_outcomes(data, 10)  # everyone's status is known at day 10
    assert early["known"].all() and early["death"].tolist() == [0, 0, 1, 0]
    assert early["episodes"].tolist() == [1, 1, 1, 0] and early["icu_days"].tolist() == [10, 10, 8, 10]
