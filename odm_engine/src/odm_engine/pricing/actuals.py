"""Quote against actuals: how far production strayed from the quote, and what to quote instead.

Every finished manufacturing order of a quoted part gives one observation per measure: the
machine minutes, the material grams and the hands-on minutes the quote planned, next to what
production really used. Observations are pooled by what one set of quoting parameters covers
(FDM print speed is a process parameter, CNC removal rates belong to the material), and each
pool gets a multiplicative correction ``actual ≈ factor * quoted``.

The factor is fitted as odm_quote fits its slicer calibration (``calibration.fit_calibration``): the
median of the log ratios, so one odd order does not drag it. Its interval comes from the robust
spread of those ratios and the sample count; with fewer than ``MIN_SAMPLES`` orders no factor is
given at all. Each correction then maps to new values of the parameters that set the quoted
figure, chosen so that the same part quoted again moves by the factor.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from odm_engine.slicing.calibration import fit_calibration

MIN_SAMPLES = 3
MEASURES = ("machine", "material", "labour")
"""Machine minutes on the machine-time operation, material grams consumed, and minutes of every
other operation (preparation, setups, post-processing)."""

# The median of n samples has about sqrt(pi / 2) times the standard error of their mean.
_MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)


class ActualsError(ValueError):
    """Actuals that cannot be compared or fitted; the message says why."""


@dataclass(frozen=True)
class Correction:
    """``actual ≈ factor * quoted`` over a pool of finished orders.

    ``low`` and ``high`` bound the factor itself with ``coverage`` confidence. Errors are
    fractions: ``mdape`` the median and ``mape`` the mean absolute percentage error of the quote,
    before the correction and after it.
    """

    factor: float
    low: float
    high: float
    coverage: float
    samples: int
    ignored: int
    mdape_before: float
    mdape_after: float
    mape_before: float
    mape_after: float

    @property
    def significant(self) -> bool:
        """Whether the quote is off beyond doubt: the factor's interval excludes 1."""
        return not self.low <= 1 <= self.high


def deviation_pct(quoted: float, actual: float) -> float:
    """How much more (positive) or less (negative) was used than quoted, in % of the quote."""
    if quoted <= 0:
        return 0.0
    return (actual - quoted) / quoted * 100


def fit_correction(
    pairs: Iterable[tuple[float, float]],
    *,
    min_samples: int = MIN_SAMPLES,
    coverage: float = 0.9,
) -> Correction:
    """Fits ``actual ≈ factor * quoted`` on (quoted, actual) pairs of finished orders.

    Pairs with a non-positive member (an operation nobody timed, a quote without that figure)
    are ignored and counted. Raises ActualsError below ``min_samples`` usable pairs.
    """
    pairs = [(float(quoted), float(actual)) for quoted, actual in pairs]
    usable = [
        (quoted, actual)
        for quoted, actual in pairs
        if math.isfinite(quoted) and math.isfinite(actual) and quoted > 0 and actual > 0
    ]
    if len(usable) < min_samples:
        raise ActualsError(
            f"{len(usable)} usable finished order(s); a correction needs {min_samples} or more"
        )
    calibration = fit_calibration(usable, coverage=coverage)
    z = statistics.NormalDist().inv_cdf(0.5 + coverage / 2)
    spread = math.exp(z * _MEDIAN_EFFICIENCY * calibration.log_sigma / math.sqrt(len(usable)))
    before = [abs(actual / quoted - 1) for quoted, actual in usable]
    after = [abs(actual / (quoted * calibration.factor) - 1) for quoted, actual in usable]
    return Correction(
        factor=calibration.factor,
        low=calibration.factor / spread,
        high=calibration.factor * spread,
        coverage=coverage,
        samples=len(usable),
        ignored=len(pairs) - len(usable),
        mdape_before=statistics.median(before),
        mdape_after=statistics.median(after),
        mape_before=statistics.fmean(before),
        mape_after=statistics.fmean(after),
    )


@dataclass(frozen=True)
class ParameterRule:
    """A quoting parameter a measure's correction changes, and how.

    ``owner`` is ``process`` (a parameter line of the process) or ``material`` (a field of the
    material). ``kind`` says how the quoted figure depends on it: ``duration`` (proportional:
    multiply by the factor), ``rate`` (inversely proportional: divide) or ``allowance_pct`` (a
    percentage added on top, as scrap on the material).
    """

    owner: str
    name: str
    kind: str

    def proposed(self, current: float, factor: float) -> float:
        """The value that makes the quoted figure ``factor`` times what it is now."""
        if self.kind == "duration":
            value = current * factor
        elif self.kind == "rate":
            value = current / factor
        else:
            value = min(100.0, max(0.0, ((1 + current / 100) * factor - 1) * 100))
        return float(f"{value:.4g}")


def _process(name: str, kind: str) -> ParameterRule:
    return ParameterRule("process", name, kind)


# Machine time per technology: both terms of each time formula scale, so a part quoted again
# takes exactly ``factor`` times the machine time (CNC: cutting time; handling stays).
MACHINE_RULES: dict[str, tuple[ParameterRule, ...]] = {
    # The volume formula's speed and overhead, and the layer estimate's correction: each moves
    # only the quotes priced by its estimate (fdm.reads_layer_table), so both can be applied.
    "fdm": (
        _process("volumetric_flow_mm3_s", "rate"),
        _process("layer_overhead_s", "duration"),
        _process("print_time_factor", "duration"),
    ),
    "sla": (_process("layer_exposure_s", "duration"), _process("layer_peel_s", "duration")),
    "sls": (_process("layer_time_s", "duration"), _process("build_overhead_h", "duration")),
    "mjf": (_process("layer_time_s", "duration"), _process("build_overhead_h", "duration")),
    "cnc": (
        ParameterRule("material", "removal_rate_cm3_min", "rate"),
        ParameterRule("material", "finishing_rate_cm2_min", "rate"),
    ),
}
# The quote's hands-on allowances every process has; the grams issued per part include scrap.
LABOUR_RULES = (
    _process("order_setup_min", "duration"),
    _process("post_process_min_per_part", "duration"),
)
MATERIAL_RULES = (_process("scrap_pct", "allowance_pct"),)


def parameter_rules(measure: str, technology: str) -> tuple[ParameterRule, ...]:
    """The parameters a measure's correction maps to for a technology (none: report only)."""
    if measure == "machine":
        return MACHINE_RULES.get(technology, ())
    if measure == "labour":
        return LABOUR_RULES
    if measure == "material":
        return MATERIAL_RULES
    raise ActualsError(f"unknown measure {measure!r}; known: {', '.join(MEASURES)}")


@dataclass(frozen=True)
class Observation:
    """One measure of one finished order: quoted and actual totals for the quantity made."""

    process: Hashable
    technology: str
    material: Hashable
    measure: str
    quoted: float
    actual: float


Pool = tuple[str, Hashable, Hashable | None]
"""(measure, process, material): material is None when the parameters belong to the process."""


def pools(observations: Iterable[Observation]) -> dict[Pool, list[tuple[float, float]]]:
    """(quoted, actual) pairs grouped by the parameters they can correct.

    A measure whose parameters belong to the process pools every material of the process; one
    whose parameters belong to the material is pooled per process and material. Measures no
    parameter maps to (moulding machine time) are left out.
    """
    pooled: dict[Pool, list[tuple[float, float]]] = defaultdict(list)
    for item in observations:
        rules = parameter_rules(item.measure, item.technology)
        if not rules:
            continue
        material = item.material if rules[0].owner == "material" else None
        pooled[(item.measure, item.process, material)].append((item.quoted, item.actual))
    return dict(pooled)


@dataclass(frozen=True)
class Proposal:
    """A parameter's current value and the value the actuals argue for."""

    rule: ParameterRule
    current: float
    proposed: float


def propose(
    measure: str, technology: str, correction: Correction, current: Mapping[str, float]
) -> list[Proposal]:
    """New values of the parameters behind a measure; ``current`` holds their values by name."""
    proposals = []
    for rule in parameter_rules(measure, technology):
        if rule.name not in current:
            raise ActualsError(f"no current value for {rule.owner} parameter {rule.name}")
        value = float(current[rule.name])
        proposals.append(Proposal(rule, value, rule.proposed(value, correction.factor)))
    return proposals
