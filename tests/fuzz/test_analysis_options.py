"""Hostile option combinations of the sensitivity analyses (dsa, twoway, threshold, gsa, scenarios).

Every generated case is well typed (typer parses it) but wrong: an outcome or strategy the
model does not have, the comparator as the compared strategy, an unknown or repeated
parameter, a grid or design beyond the memory budget, a negative or undefined willingness to
pay, an empty search interval... Each must be refused by ``refused``: exit 2, one line naming
the option, nothing written, the model's inputs unchanged, and (where the test says so) no
model evaluation at all.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hecon.analysis.sensitivity import OUTCOMES
from hecon.model import Model
from tests.fuzz.conftest import refused

SICK = Model("example_sick")
WATCH = [Model(name).input_dir for name in ("example_sick", "ifn_gamma")]
ANALYSES = ("dsa", "twoway", "threshold", "gsa")
NAMES = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=16).filter(lambda s: s[0].isalpha())
NEGATIVE = st.one_of(st.floats(max_value=-1e-6, allow_infinity=False, allow_nan=False).map(repr),
                     st.sampled_from(["nan", "inf", "-inf"]))


def command(analysis: str, model: str = "example_sick") -> list[str]:
    """The least a valid call of ``analysis`` needs (its parameters, for twoway and threshold)."""
    needs = {"twoway": ["--x", "cost_drug_a", "--y", "utility_sick"], "threshold": ["--param", "cost_sick"]}
    if model == "ifn_gamma":
        needs = {"twoway": ["--x", "price_ifn_vial", "--y", "hr_infection_ifn"], "threshold": ["--param", "price_ifn_vial"]}
    return [analysis, model, *needs.get(analysis, [])]


@st.composite
def bogus_outcome(draw):
    name = draw(NAMES.filter(lambda s: s not in OUTCOMES and s not in SICK.evaluate(SICK.parameters.base_case()).names))
    analysis = draw(st.sampled_from(["dsa", "twoway", "gsa"]))
    return [*command(analysis), "--outcome", name], f"--outcome: unknown outcome '{name}'"


@st.composite
def comparator_or_unknown_strategy(draw):
    analysis = draw(st.sampled_from(ANALYSES))
    model, comparator = draw(st.sampled_from([("example_sick", "standard_care"), ("ifn_gamma", "placebo")]))
    strategy = draw(st.one_of(st.just(comparator), NAMES.filter(lambda s: s not in Model(model).strategies)))
    expected = "is the comparator" if strategy == comparator else f"--strategy: unknown strategy '{strategy}'"
    return [*command(analysis, model), "--strategy", strategy], expected


@st.composite
def unknown_parameter(draw):
    name = draw(NAMES.filter(lambda s: s not in SICK.parameters))
    option, args = draw(st.sampled_from([
        ("--x", ["twoway", "example_sick", "--y", "utility_sick", "--x"]),
        ("--y", ["twoway", "example_sick", "--x", "cost_drug_a", "--y"]),
        ("--param", ["threshold", "example_sick", "--param"]),
    ]))
    return [*args, name], f"{option}: unknown parameter '{name}'"


@st.composite
def grid_or_design_beyond_memory(draw):
    case = draw(st.sampled_from(["steps", "sobol", "morris", "psa", "budget"]))
    if case == "steps":  # 6,688 steps fit 4 GiB; --memory shrinks the budget
        steps, gigabytes = draw(st.integers(10 ** 4, 10 ** 12)), draw(st.sampled_from(["4", "0.5", "64"]))
        return [*command("twoway"), "--steps", steps, "--memory", gigabytes], "two-way grid needs about"
    if case == "sobol":
        return [*command("gsa"), "--n", 2 ** draw(st.integers(21, 60))], "use a smaller --n"
    if case == "morris":
        return [*command("gsa"), "--method", "morris", "--n", draw(st.integers(10 ** 8, 10 ** 15))], "use a smaller --n"
    if case == "psa":
        return ["scenarios", "example_sick", "--psa", draw(st.integers(10 ** 8, 10 ** 15))], "fewer --psa draws"
    analysis = draw(st.sampled_from([*ANALYSES, "scenarios"]))
    return [*command(analysis), "--memory", draw(st.one_of(st.just("0"), NEGATIVE))], "--memory must be a positive number"


@st.composite
def meaningless_numbers(draw):
    case = draw(st.sampled_from(["wtp", "steps", "n", "psa", "sobol", "bounds", "support"]))
    if case == "wtp":
        analysis = draw(st.sampled_from([*ANALYSES, "scenarios"]))
        return [*command(analysis), "--wtp", draw(NEGATIVE)], "--wtp"
    if case == "steps":
        return [*command("twoway"), "--steps", draw(st.integers(-10 ** 9, 1))], "at least 2 steps"
    if case == "n":
        return [*command("gsa"), "--method", draw(st.sampled_from(["sobol", "morris"])), "--n",
                draw(st.integers(-10 ** 9, 1))], "at least 2"
    if case == "psa":
        return ["scenarios", "example_sick", "--psa", draw(st.integers(-10 ** 9, 1))], "at least 2 draws"
    if case == "sobol":
        n = draw(st.integers(3, 10 ** 5).filter(lambda n: n & (n - 1)))
        return [*command("gsa"), "--n", n], "power of 2"
    if case == "bounds":  # an empty or undefined search interval
        low = draw(st.floats(0, 1e4))
        high = draw(st.one_of(st.floats(-1e4, low).map(repr), st.sampled_from(["nan", "inf"])))
        return [*command("threshold"), "--low", repr(low), "--high", high], "no range to search"
    low = draw(st.floats(-1e6, -1e-6))  # a probability searched below 0
    return ["threshold", "example_sick", "--param", "p_sick_die", "--low", repr(low)], "support [0, 1]"


@st.composite
def wrong_choice(draw):
    name = draw(NAMES)
    case = draw(st.sampled_from(["range", "method", "repeat", "scenario"]))
    if case == "range":
        name = draw(NAMES.filter(lambda s: s not in ("table", "ci95")))
        return [*command(draw(st.sampled_from(["dsa", "twoway"]))), "--range", name], f"--range: unknown range '{name}'"
    if case == "method":
        name = draw(NAMES.filter(lambda s: s not in ("sobol", "morris")))
        return [*command("gsa"), "--method", name], f"--method: unknown method '{name}'"
    if case == "repeat":
        parameter = draw(st.sampled_from(SICK.parameters.names))
        return ["twoway", "example_sick", "--x", parameter, "--y", parameter], "must differ"
    name = draw(NAMES.filter(lambda s: s not in ("discount_0", "no_drug_b_effect")))
    return ["scenarios", "example_sick", "--scenarios", name], f"no scenario named '{name}'"


@pytest.mark.parametrize("cases", [bogus_outcome(), comparator_or_unknown_strategy(), unknown_parameter(),
                                   grid_or_design_beyond_memory(), meaningless_numbers(), wrong_choice()],
                         ids=["outcome", "strategy", "parameter", "memory", "numbers", "choices"])
def test_hostile_options_are_refused(workdir, cases):
    @given(cases)
    def check(case):
        args, expected = case
        refused(args, watch=WATCH, contains=expected)

    check()


@pytest.mark.parametrize("args, expected", [
    (["twoway", "example_sick", "--x", "p_sick_recover", "--y", "p_sick_stay"], "leaving no probability for p_sick_die"),
    (["twoway", "example_sick", "--x", "p_healthy_to_dead", "--y", "p_healthy_to_dead"], "must differ"),
    (["twoway", "ifn_gamma", "--x", "price_ifn_vial", "--y", "utility_norm_age"], "--y: parameter 'utility_norm_age' has no range to vary"),
    (["twoway", "example_sick", "--x", "cost_drug_a", "--y", "utility_sick", "--steps", 10 ** 5], "use at most --steps 6688"),
    (["threshold", "example_sick", "--param", "p_sick_die", "--high", "1.5"], "support [0, 1]"),
    (["threshold", "example_sick", "--param", "cost_sick", "--low", "0", "--high", "1e308"], "no finite cost or effect"),
    (["threshold", "ifn_gamma", "--param", "price_ifn_vial", "--strategy", "placebo"], "--strategy 'placebo' is the comparator"),
    (["dsa", "ifn_gamma", "--outcome", "bogus"], "--outcome: unknown outcome 'bogus' (fix: choose one of inmb"),
    (["dsa", "ifn_gamma", "--outcome", "inhb", "--wtp", "0"], "willingness to pay above 0"),
    (["gsa", "ifn_gamma", "--n", 2 ** 30], "GiB of memory"),
    (["scenarios", "example_sick", "--wtp", "-1"], "--wtp"),
])
def test_hand_written_hostile_options(workdir, args, expected):
    refused(args, watch=WATCH, contains=expected)


@pytest.mark.parametrize("args", [
    ["dsa", "example_sick", "--wtp"],                                                   # an option without its value
    ["twoway", "example_sick", "--x", "cost_drug_a", "--y", "utility_sick", "--steps", "many"],  # text for an int
    ["gsa", "example_sick", "--memory", "lots"],                                        # text for a float
])
def test_typer_usage_errors_are_one_line(workdir, args):
    refused(args, watch=WATCH)
