"""Is a machine failing more often than it used to? Its recent jobs against its own history.

Each machine is its own baseline (an old printer with a 10 % failure rate is not alarming when it
always had it). The recent window's failures are compared with the rate of the jobs before it
with an exact binomial tail: the machine is flagged when that many failures would be unlikely
(below ``alpha``) if the machine still failed at its historical rate. The historical rate is
smoothed (add-one) so a spotless history does not make a single failure an alarm.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

RECENT_JOBS = 20
MIN_HISTORY = 20
ALPHA = 0.01


@dataclass(frozen=True)
class FailureTrend:
    recent_rate: float | None
    history_rate: float | None
    p_value: float | None
    flagged: bool


def binomial_tail(failures: int, trials: int, rate: float) -> float:
    """P(X >= failures) for X ~ Binomial(trials, rate)."""
    return sum(
        math.comb(trials, k) * rate**k * (1 - rate) ** (trials - k)
        for k in range(failures, trials + 1)
    )


def failure_trend(
    outcomes: Sequence[bool],
    recent: int = RECENT_JOBS,
    min_history: int = MIN_HISTORY,
    alpha: float = ALPHA,
) -> FailureTrend:
    """``outcomes`` are the machine's finished jobs oldest first, True for a failure."""
    if recent < 1 or min_history < 1 or not 0 < alpha < 1:
        raise ValueError("recent and min_history must be positive and alpha within (0, 1)")
    window = list(outcomes[-recent:])
    history = list(outcomes[: max(len(outcomes) - recent, 0)])
    recent_rate = sum(window) / len(window) if window else None
    history_rate = sum(history) / len(history) if history else None
    if len(history) < min_history or not window:
        return FailureTrend(recent_rate, history_rate, None, False)
    smoothed = (sum(history) + 1) / (len(history) + 2)
    p_value = binomial_tail(sum(window), len(window), smoothed)
    return FailureTrend(recent_rate, history_rate, p_value, p_value < alpha)
