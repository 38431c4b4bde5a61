"""Make-or-buy routing: rank in-house and every capable partner for a piece of work, explain why.

A work request is a manufacturing order or one operation of it (e.g. only the anodising step: the
request's process is the finishing process and its finish the anodising). Candidates are our own
shop (at most one, ``in_house=True``) and the partners. A partner is excluded, with every reason
that applies, when it lacks the process, the material or the finish, the part does not fit its
envelope in any axis-aligned orientation, it cannot hold the tolerance, it lacks a certification,
its agreement does not allow what the request needs (sending the geometry file, an NDA), it has
neither a quote nor a rate for the work, nor a quote nor published capacity to date it, its
smoothed quality is below the floor, or it is farther than the maximum distance. Our own shop is
excluded when the request carries no in-house cost and date (our plan cannot make it).

Scoring, in money, every term reported (lower is better)::

    cost        in-house: our cost; partner: quoted price, else setup + per part * quantity
                from its rate card, plus the network commission %
    shipping    shipping_cost_per_km * distance * legs (2 legs for an operation on our parts)
    lateness    max(promised - due, 0) days * late_penalty_pct_per_day % of the order value
    rework      smoothed reject rate * cost * rework_factor (expected cost of remaking rejects)
    delay risk  (1 - smoothed on-time rate) * slip_days * the lateness penalty of one day
    score       (cost + shipping + lateness + rework + delay risk) / order value

The score is the share of the order's value the option consumes, risks included, so scores of
different requests compare. Promised dates: in-house, the finish our schedule gives (odm_mrp)
plus shipping; a partner, its quoted ready date, else its next free day plus the days its free
machine-hours per day need for the work plus its lead days, then shipping days (one per
``shipping_km_per_day`` started, per leg). Rates are smoothed towards a prior (Laplace/Bayes:
``(events + prior_rate * prior_weight) / (samples + prior_weight)``), so a partner with three
perfect deliveries is not trusted as much as one with three hundred.

``rank`` evaluates all request x partner pairs at once with numpy; ``assess`` is the same
formula for one pair in plain Python (the readable reference, and the benchmark's baseline).
``decide`` applies the offload rules to a ranking.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

SHARING_LEVELS = ("capacity", "metrics", "geometry")
"""What an agreement lets partners share, each level including the ones before it."""

TERMS = ("cost", "shipping_cost", "lateness_cost", "rework_cost", "delay_risk_cost")
"""The money terms of an option's score, as named on ``Option``."""

EARTH_RADIUS_KM = 6371.0088
_EPSILON = 1e-9


class RoutingError(ValueError):
    """Input the ranking cannot use; the message says which record and why."""


@dataclass(frozen=True)
class WorkRequest:
    """A manufacturing order, or one operation of it, to place in-house or with a partner.

    ``envelope_mm``: the part's bounding box; ``tolerance_mm``: the tightest ± tolerance it
    needs (None: general tolerance); ``machine_hours``: the work's machine time, which dates a
    partner's offer from its free hours per day; ``value``: what the customer pays for it, the
    basis of the lateness penalty and of the score. ``in_house_cost`` and ``in_house_finish``
    come from our own quote and schedule, None when we cannot make it. ``round_trip``: the
    parts travel to the partner and back (an operation on parts we make), so shipping counts
    twice; ``ship_to`` is then our own site.
    """

    key: str
    process: str
    quantity: int
    due: date
    value: float
    ship_to: tuple[float, float]
    envelope_mm: tuple[float, float, float]
    machine_hours: float
    material: str | None = None
    finish: str | None = None
    tolerance_mm: float | None = None
    certifications: frozenset[str] = frozenset()
    needs_geometry: bool = True
    confidential: bool = False
    round_trip: bool = False
    in_house_cost: float | None = None
    in_house_finish: date | None = None

    @property
    def legs(self) -> int:
        """Shipping legs: there and back for an operation on our parts, else one."""
        return 2 if self.round_trip else 1

    def __post_init__(self) -> None:
        problems = []
        if self.quantity < 1:
            problems.append(f"quantity must be at least 1, got {self.quantity}")
        if not self.value > 0:
            problems.append(f"value must be positive, got {self.value}")
        if not self.machine_hours >= 0:
            problems.append(f"machine hours cannot be negative, got {self.machine_hours}")
        if len(self.envelope_mm) != 3 or not min(self.envelope_mm) > 0:
            problems.append(f"envelope needs three positive sizes, got {self.envelope_mm}")
        if self.tolerance_mm is not None and not self.tolerance_mm > 0:
            problems.append(f"tolerance must be positive, got {self.tolerance_mm}")
        if self.in_house_cost is not None and not self.in_house_cost >= 0:
            problems.append(f"in-house cost cannot be negative, got {self.in_house_cost}")
        problems.extend(_location_problems(self.ship_to, "ship-to"))
        if problems:
            raise RoutingError(f"Work request {self.key}: " + "; ".join(problems))


@dataclass(frozen=True)
class Capability:
    """What a shop can do with one process: materials, finishes, envelope, best ± tolerance."""

    max_envelope_mm: tuple[float, float, float]
    tolerance_mm: float
    materials: frozenset[str] = frozenset()
    finishes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if len(self.max_envelope_mm) != 3 or not min(self.max_envelope_mm) > 0:
            raise RoutingError(f"An envelope needs three positive sizes: {self.max_envelope_mm}")
        if not self.tolerance_mm >= 0:
            raise RoutingError(f"A tolerance cannot be negative: {self.tolerance_mm}")


@dataclass(frozen=True)
class Rate:
    """A rate card line: a price per order (setup) plus a price per part."""

    setup: float
    per_part: float

    def __post_init__(self) -> None:
        if not (self.setup >= 0 and self.per_part >= 0):
            raise RoutingError(f"Rates cannot be negative: {self.setup}, {self.per_part}")


@dataclass(frozen=True)
class Quote:
    """A partner's answer to our request for quotation: total price and ready-to-ship date."""

    price: float
    ready: date

    def __post_init__(self) -> None:
        if not self.price >= 0:
            raise RoutingError(f"A quoted price cannot be negative: {self.price}")


@dataclass(frozen=True)
class Capacity:
    """Published free capacity of one process: machine-hours a day, from the next free day."""

    free_hours_per_day: float
    next_free: date

    def __post_init__(self) -> None:
        if not self.free_hours_per_day > 0:
            raise RoutingError(
                f"Free hours per day must be positive (leave the process out when there are "
                f"none), got {self.free_hours_per_day}"
            )


@dataclass(frozen=True)
class QualityHistory:
    """Delivered orders (how many on time) and delivered parts (how many rejected)."""

    deliveries: int = 0
    on_time: int = 0
    parts: int = 0
    rejected: int = 0

    def __post_init__(self) -> None:
        if not (0 <= self.on_time <= self.deliveries and 0 <= self.rejected <= self.parts):
            raise RoutingError(
                f"Quality history needs 0 <= on time <= deliveries and 0 <= rejected <= parts, "
                f"got {self.on_time}/{self.deliveries} and {self.rejected}/{self.parts}"
            )


@dataclass(frozen=True)
class Agreement:
    """The network agreement with a partner: what may be shared, NDA, commission on its price."""

    sharing: str = "capacity"
    nda: bool = False
    commission_pct: float = 0.0

    def __post_init__(self) -> None:
        if self.sharing not in SHARING_LEVELS:
            raise RoutingError(f"Sharing level must be one of {SHARING_LEVELS}: {self.sharing}")
        if not self.commission_pct >= 0:
            raise RoutingError(f"Commission cannot be negative: {self.commission_pct}")


@dataclass(frozen=True)
class Candidate:
    """A shop that could do the work. Our own shop (``in_house``) needs only key, location and
    quality: its cost and date come with each request from our quote and schedule. ``quotes``
    are keyed by request key; ``capabilities``, ``rates`` and ``capacity`` by process (rates by
    (process, material), with (process, None) for any material)."""

    key: str
    location: tuple[float, float]
    in_house: bool = False
    capabilities: Mapping[str, Capability] = field(default_factory=dict)
    certifications: frozenset[str] = frozenset()
    rates: Mapping[tuple[str, str | None], Rate] = field(default_factory=dict)
    quotes: Mapping[str, Quote] = field(default_factory=dict)
    capacity: Mapping[str, Capacity] = field(default_factory=dict)
    lead_days: int = 0
    quality: QualityHistory = QualityHistory()
    agreement: Agreement = Agreement()

    def __post_init__(self) -> None:
        problems = list(_location_problems(self.location, "location"))
        if self.lead_days < 0:
            problems.append(f"lead days cannot be negative, got {self.lead_days}")
        if problems:
            raise RoutingError(f"Candidate {self.key}: " + "; ".join(problems))

    def rate(self, process: str, material: str | None) -> Rate | None:
        """The rate card line for the material, else the process's line for any material."""
        return self.rates.get((process, material)) or self.rates.get((process, None))


@dataclass(frozen=True)
class Rules:
    """Scoring weights and offload rules, with the defaults the issue describes."""

    offload_within_pct: float = 10.0
    """Offload automatically to an on-time partner costing at most this much over in-house."""
    auto_offload: bool = True
    tie_pct: float = 0.5
    """In-house goes first when its score is within this % of the best score."""
    min_on_time_rate: float = 0.8
    max_reject_rate: float = 0.05
    prior_on_time_rate: float = 0.9
    prior_reject_rate: float = 0.02
    prior_weight: float = 10.0
    """Samples' worth of trust in the priors when smoothing a partner's rates."""
    max_distance_km: float | None = None
    shipping_cost_per_km: float = 0.5
    shipping_km_per_day: float = 800.0
    late_penalty_pct_per_day: float = 5.0
    rework_factor: float = 1.0
    slip_days: float = 3.0
    """Days a delivery that is not on time is late, on average (delay risk)."""

    def __post_init__(self) -> None:
        if not (self.prior_weight > 0 and self.shipping_km_per_day > 0):
            raise RoutingError("Prior weight and shipping km per day must be positive.")


@dataclass(frozen=True, slots=True)
class Option:
    """A candidate able to do the work, with every term of its score."""

    candidate: str
    in_house: bool
    price_source: str
    promised: date
    late_days: int
    distance_km: float
    cost: float
    shipping_cost: float
    lateness_cost: float
    rework_cost: float
    delay_risk_cost: float
    on_time_rate: float
    reject_rate: float
    score: float

    @property
    def total(self) -> float:
        return sum(getattr(self, name) for name in TERMS)

    @property
    def explanation(self) -> str:
        timing = f"{self.late_days} d late" if self.late_days > 0 else "on time"
        return (
            f"{self.candidate}: cost {self.cost:.2f} ({self.price_source}) + shipping "
            f"{self.shipping_cost:.2f} ({self.distance_km:,.0f} km) + lateness "
            f"{self.lateness_cost:.2f} (promised {self.promised.isoformat()}, {timing}) + rework "
            f"{self.rework_cost:.2f} (reject {100 * self.reject_rate:.1f} %) + delay risk "
            f"{self.delay_risk_cost:.2f} (on time {100 * self.on_time_rate:.1f} %) = "
            f"{self.total:.2f}, score {self.score:.3f} of the order value"
        )


@dataclass(frozen=True)
class Exclusion:
    candidate: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    """The options for one request, best first, the excluded candidates and why."""

    request: str
    options: tuple[Option, ...]
    excluded: tuple[Exclusion, ...]
    in_house_cost: float | None
    notes: tuple[str, ...] = ()

    @property
    def order_reasons(self) -> tuple[str, ...]:
        """Why each option is ahead of the next: the score and the term that differs most."""
        reasons = list(self.notes)
        for ahead, behind in zip(self.options, self.options[1:], strict=False):
            terms = {name: getattr(behind, name) - getattr(ahead, name) for name in TERMS}
            name, difference = max(terms.items(), key=lambda item: item[1])
            reasons.append(
                f"{ahead.candidate} before {behind.candidate}: score {ahead.score:.3f} vs "
                f"{behind.score:.3f}, mostly {name.replace('_', ' ')} "
                f"({difference:+.2f} for {behind.candidate})"
            )
        return tuple(reasons)


@dataclass(frozen=True)
class Decision:
    """``action``: "in_house", "offload" (to ``candidate``) or "review" (a person decides)."""

    request: str
    action: str
    candidate: str | None
    reason: str


def _location_problems(location: tuple[float, float], label: str) -> list[str]:
    latitude, longitude = location
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return []
    return [f"{label} needs latitude -90..90 and longitude -180..180, got {location}"]


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km; works on numbers and on broadcasting numpy arrays."""
    lat1, lon1, lat2, lon2 = (np.radians(value) for value in (lat1, lon1, lat2, lon2))
    half = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(half, 0.0, 1.0)))


def smoothed_rates(quality: QualityHistory, rules: Rules) -> tuple[float, float]:
    """(on-time rate, reject rate), each pulled towards its prior by ``rules.prior_weight``."""
    weight = rules.prior_weight
    on_time = (quality.on_time + rules.prior_on_time_rate * weight) / (quality.deliveries + weight)
    reject = (quality.rejected + rules.prior_reject_rate * weight) / (quality.parts + weight)
    return on_time, reject


def _shipping_days(distance_km, legs, rules: Rules):
    return legs * np.ceil(np.asarray(distance_km) / rules.shipping_km_per_day - _EPSILON)


def _sorted_size(size: Sequence[float]) -> tuple[float, ...]:
    return tuple(sorted(size, reverse=True))


def _mm(size: Sequence[float]) -> str:
    return " x ".join(f"{value:g}" for value in size) + " mm"


# Exclusion reasons, shared by ``assess`` and ``rank`` so both explain alike.


def _no_capability(request: WorkRequest, _candidate: Candidate) -> str:
    return f"no capability for {request.process}"


def _no_material(request: WorkRequest, _candidate: Candidate) -> str:
    return f"does not work {request.material} in {request.process}"


def _no_finish(request: WorkRequest, _candidate: Candidate) -> str:
    return f"does not offer the finish {request.finish} in {request.process}"


def _too_large(request: WorkRequest, candidate: Candidate) -> str:
    envelope = candidate.capabilities[request.process].max_envelope_mm
    return f"part {_mm(request.envelope_mm)} does not fit its envelope {_mm(envelope)}"


def _too_loose(request: WorkRequest, candidate: Candidate) -> str:
    held = candidate.capabilities[request.process].tolerance_mm
    return f"holds ±{held:g} mm, the part needs ±{request.tolerance_mm:g} mm"


def _lacks_certification(request: WorkRequest, candidate: Candidate) -> str:
    missing = ", ".join(sorted(request.certifications - candidate.certifications))
    return f"lacks certification {missing}"


def _no_geometry(_request: WorkRequest, candidate: Candidate) -> str:
    return (
        f"agreement shares {candidate.agreement.sharing} only, the request needs the geometry "
        "file sent"
    )


def _no_nda(_request: WorkRequest, _candidate: Candidate) -> str:
    return "no NDA in the agreement, the request is confidential"


def _no_price(request: WorkRequest, _candidate: Candidate) -> str:
    return f"no quote and no rate for {request.process} / {request.material or 'any material'}"


def _no_capacity(request: WorkRequest, _candidate: Candidate) -> str:
    return f"no quote and no published capacity for {request.process}"


def _quality_reasons(candidate: Candidate, rules: Rules) -> list[str]:
    on_time, reject = smoothed_rates(candidate.quality, rules)
    reasons = []
    if on_time < rules.min_on_time_rate - _EPSILON:
        reasons.append(
            f"on-time rate {100 * on_time:.1f} % (smoothed, {candidate.quality.deliveries} "
            f"deliveries) below the minimum {100 * rules.min_on_time_rate:.1f} %"
        )
    if reject > rules.max_reject_rate + _EPSILON:
        reasons.append(
            f"reject rate {100 * reject:.1f} % (smoothed, {candidate.quality.parts} parts) above "
            f"the maximum {100 * rules.max_reject_rate:.1f} %"
        )
    return reasons


def _too_far(distance_km: float, rules: Rules) -> str:
    return f"{distance_km:,.0f} km away, the maximum is {rules.max_distance_km:,.0f} km"


def _in_house(
    request: WorkRequest, house: Candidate, rules: Rules, today: date
) -> Option | Exclusion:
    """Our own shop: the request's in-house cost and scheduled finish, plus shipping."""
    if request.in_house_cost is None or request.in_house_finish is None:
        return Exclusion(house.key, ("in-house cannot make it: no in-house cost and date",))
    distance = float(haversine_km(*house.location, *request.ship_to))
    ready = max(request.in_house_finish, today).toordinal()
    return _option(
        request,
        house,
        rules,
        price_source="in-house",
        cost=request.in_house_cost,
        ready=ready,
        distance=distance,
    )


def _option(
    request: WorkRequest,
    candidate: Candidate,
    rules: Rules,
    *,
    price_source: str,
    cost: float,
    ready: int,
    distance: float,
) -> Option:
    """The scored option from its cost, ready day (ordinal) and distance: the formula, once."""
    on_time, reject = smoothed_rates(candidate.quality, rules)
    legs = request.legs
    promised = ready + int(_shipping_days(distance, legs, rules))
    late_days = promised - request.due.toordinal()
    day_penalty = rules.late_penalty_pct_per_day / 100 * request.value
    terms = (
        cost,
        rules.shipping_cost_per_km * distance * legs,
        max(late_days, 0) * day_penalty,
        reject * cost * rules.rework_factor,
        (1 - on_time) * rules.slip_days * day_penalty,
    )
    return Option(
        candidate.key,
        candidate.in_house,
        price_source,
        date.fromordinal(promised),
        late_days,
        distance,
        *terms,
        on_time,
        reject,
        sum(terms) / request.value,
    )


def assess(
    request: WorkRequest, candidate: Candidate, rules: Rules, today: date
) -> Option | Exclusion:
    """One request and one candidate in plain Python: the option, or why it is excluded."""
    if candidate.in_house:
        return _in_house(request, candidate, rules, today)
    reasons = []
    capability = candidate.capabilities.get(request.process)
    if capability is None:
        reasons.append(_no_capability(request, candidate))
    else:
        if request.material is not None and request.material not in capability.materials:
            reasons.append(_no_material(request, candidate))
        if request.finish is not None and request.finish not in capability.finishes:
            reasons.append(_no_finish(request, candidate))
        if any(
            part > room + _EPSILON
            for part, room in zip(
                _sorted_size(request.envelope_mm),
                _sorted_size(capability.max_envelope_mm),
                strict=True,
            )
        ):
            reasons.append(_too_large(request, candidate))
        if (
            request.tolerance_mm is not None
            and capability.tolerance_mm > request.tolerance_mm + _EPSILON
        ):
            reasons.append(_too_loose(request, candidate))
    if not request.certifications <= candidate.certifications:
        reasons.append(_lacks_certification(request, candidate))
    if request.needs_geometry and candidate.agreement.sharing != "geometry":
        reasons.append(_no_geometry(request, candidate))
    if request.confidential and not candidate.agreement.nda:
        reasons.append(_no_nda(request, candidate))
    quote = candidate.quotes.get(request.key)
    rate = candidate.rate(request.process, request.material)
    if quote is None and rate is None:
        reasons.append(_no_price(request, candidate))
    capacity = candidate.capacity.get(request.process)
    if quote is None and capacity is None:
        reasons.append(_no_capacity(request, candidate))
    reasons.extend(_quality_reasons(candidate, rules))
    distance = float(haversine_km(*candidate.location, *request.ship_to))
    if rules.max_distance_km is not None and distance > rules.max_distance_km + _EPSILON:
        reasons.append(_too_far(distance, rules))
    if reasons:
        return Exclusion(candidate.key, tuple(reasons))
    commission = 1 + candidate.agreement.commission_pct / 100
    if quote is not None:
        price_source, price, ready = "quote", quote.price, quote.ready.toordinal()
    else:
        price_source = "rate card"
        price = rate.setup + rate.per_part * request.quantity
        start = max(capacity.next_free, today).toordinal()
        work_days = math.ceil(request.machine_hours / capacity.free_hours_per_day - _EPSILON)
        ready = start + work_days + candidate.lead_days
    return _option(
        request,
        candidate,
        rules,
        price_source=price_source,
        cost=price * commission,
        ready=ready,
        distance=distance,
    )


def order(
    request: WorkRequest,
    results: Iterable[Option | Exclusion],
    rules: Rules,
) -> Ranking:
    """The ranking of one request's options: lowest score first, in-house first on a tie."""
    results = list(results)
    options = sorted(
        (result for result in results if isinstance(result, Option)),
        key=lambda option: (option.score, not option.in_house, option.candidate),
    )
    notes = []
    house = next((option for option in options if option.in_house), None)
    if house is not None and options[0] is not house:
        best = options[0]
        if house.score <= best.score * (1 + rules.tie_pct / 100) + _EPSILON:
            options.remove(house)
            options.insert(0, house)
            notes.append(
                f"in-house first: its score {house.score:.3f} is within {rules.tie_pct:g} % of "
                f"the best, {best.candidate}'s {best.score:.3f}"
            )
    excluded = tuple(result for result in results if isinstance(result, Exclusion))
    return Ranking(request.key, tuple(options), excluded, request.in_house_cost, tuple(notes))


def rank(
    requests: Sequence[WorkRequest],
    candidates: Sequence[Candidate],
    rules: Rules = Rules(),
    today: date | None = None,
) -> list[Ranking]:
    """The ranking of every request, in request order, all partners evaluated at once."""
    today = today or date.today()
    _check_keys(requests, candidates)
    house = next((candidate for candidate in candidates if candidate.in_house), None)
    partners = [candidate for candidate in candidates if not candidate.in_house]
    evaluation = _PartnerEvaluation(requests, partners, rules, today)
    rankings = []
    for row, request in enumerate(requests):
        results = evaluation.results(row)
        if house is not None:
            results.append(_in_house(request, house, rules, today))
        rankings.append(order(request, results, rules))
    return rankings


def _check_keys(requests: Sequence[WorkRequest], candidates: Sequence[Candidate]) -> None:
    for label, keys in (
        ("work request", [request.key for request in requests]),
        ("candidate", [candidate.key for candidate in candidates]),
    ):
        duplicates = sorted(str(key) for key, count in Counter(keys).items() if count > 1)
        if duplicates:
            raise RoutingError(f"Duplicate {label} keys: {', '.join(duplicates)}")
    if sum(candidate.in_house for candidate in candidates) > 1:
        raise RoutingError("At most one candidate can be in-house (our own shop).")


class _PartnerEvaluation:
    """All request x partner pairs as numpy arrays: exclusion masks and the score's terms."""

    def __init__(
        self,
        requests: Sequence[WorkRequest],
        partners: Sequence[Candidate],
        rules: Rules,
        today: date,
    ) -> None:
        self.requests, self.partners, self.rules = requests, partners, rules
        self.processes = _vocabulary(request.process for request in requests)
        self.materials = _vocabulary(request.material for request in requests)
        self.finishes = _vocabulary(request.finish for request in requests)
        self.certificates = _vocabulary(
            code for request in requests for code in request.certifications
        )
        self.process_of = np.array([self.processes[r.process] for r in requests], dtype=int)
        self.material_of = np.array(
            [self.materials.get(r.material, len(self.materials)) for r in requests], dtype=int
        )
        self._capabilities()
        self._offers(today)
        self._exclusions()

    def _capabilities(self) -> None:
        """Boolean masks of every capability check, requests x partners."""
        requests, partners = self.requests, self.partners
        shape = (len(partners), len(self.processes))
        has = np.zeros(shape, dtype=bool)
        envelope = np.zeros((*shape, 3))
        tolerance = np.zeros(shape)
        works = np.zeros((*shape, len(self.materials) + 1), dtype=bool)
        offers = np.zeros((*shape, len(self.finishes) + 1), dtype=bool)
        works[..., -1] = offers[..., -1] = True  # no material or finish asked: any will do
        for column, partner in enumerate(partners):
            for process, index in self.processes.items():
                capability = partner.capabilities.get(process)
                if capability is None:
                    continue
                has[column, index] = True
                envelope[column, index] = _sorted_size(capability.max_envelope_mm)
                tolerance[column, index] = capability.tolerance_mm
                for material in capability.materials & self.materials.keys():
                    works[column, index, self.materials[material]] = True
                for finish in capability.finishes & self.finishes.keys():
                    offers[column, index, self.finishes[finish]] = True
        process = self.process_of
        finish_of = np.array(
            [self.finishes.get(r.finish, len(self.finishes)) for r in requests], dtype=int
        )
        self.capable = has[:, process].T
        self.no_material = self.capable & ~works[:, process, self.material_of].T
        self.no_finish = self.capable & ~offers[:, process, finish_of].T
        size = np.array([_sorted_size(r.envelope_mm) for r in requests]).reshape(-1, 3)
        room = envelope[:, process].transpose(1, 0, 2)
        self.too_large = self.capable & (size[:, None, :] > room + _EPSILON).any(axis=2)
        needed = np.array([r.tolerance_mm or np.inf for r in requests])
        self.too_loose = self.capable & (needed[:, None] + _EPSILON < tolerance[:, process].T)
        wanted = self._certificate_matrix([r.certifications for r in requests])
        held = self._certificate_matrix([p.certifications for p in partners])
        self.lacks_certification = (wanted[:, None, :] & ~held[None, :, :]).any(axis=2)
        sharing_geometry = np.array([p.agreement.sharing == "geometry" for p in partners])
        nda = np.array([p.agreement.nda for p in partners], dtype=bool)
        self.no_geometry = np.array([r.needs_geometry for r in requests])[:, None] & (
            ~sharing_geometry[None, :]
        )
        self.no_nda = np.array([r.confidential for r in requests])[:, None] & ~nda[None, :]

    def _certificate_matrix(self, sets: Sequence[frozenset[str]]) -> np.ndarray:
        matrix = np.zeros((len(sets), len(self.certificates)), dtype=bool)
        for row, codes in enumerate(sets):
            for code in codes & self.certificates.keys():
                matrix[row, self.certificates[code]] = True
        return matrix

    def _offers(self, today: date) -> None:
        """Price, ready day, distance and quality of every pair (NaN where there is none)."""
        requests, partners, rules = self.requests, self.partners, self.rules
        shape = (len(partners), len(self.processes), len(self.materials) + 1)
        setup = np.full(shape, np.nan)
        per_part = np.full(shape, np.nan)
        free_hours = np.full(shape[:2], np.nan)
        next_free = np.zeros(shape[:2])
        material_names = [*self.materials, None]
        for column, partner in enumerate(partners):
            for process, index in self.processes.items():
                for material_index, material in enumerate(material_names):
                    rate = partner.rate(process, material)
                    if rate is not None:
                        setup[column, index, material_index] = rate.setup
                        per_part[column, index, material_index] = rate.per_part
                capacity = partner.capacity.get(process)
                if capacity is not None:
                    free_hours[column, index] = capacity.free_hours_per_day
                    next_free[column, index] = max(capacity.next_free, today).toordinal()
        process, material = self.process_of, self.material_of
        quantity = np.array([r.quantity for r in requests], dtype=float)
        price = setup[:, process, material].T + per_part[:, process, material].T * quantity[:, None]
        hours = np.array([r.machine_hours for r in requests])
        lead = np.array([p.lead_days for p in partners], dtype=float)
        work_days = np.ceil(hours[:, None] / free_hours[:, process].T - _EPSILON)
        ready = next_free[:, process].T + work_days + lead[None, :]
        self.price_source = np.full(price.shape, "rate card", dtype=object)
        rows = {request.key: row for row, request in enumerate(requests)}
        for column, partner in enumerate(partners):
            for key, quote in partner.quotes.items():
                row = rows.get(key)
                if row is not None:
                    price[row, column] = quote.price
                    ready[row, column] = quote.ready.toordinal()
                    self.price_source[row, column] = "quote"
        self.no_price, self.no_capacity = np.isnan(price), np.isnan(ready)
        commission = np.array([1 + p.agreement.commission_pct / 100 for p in partners])
        self.cost = price * commission[None, :]
        self.ready = ready
        ship_to = np.array([r.ship_to for r in requests], dtype=float).reshape(-1, 2)
        location = np.array([p.location for p in partners], dtype=float).reshape(-1, 2)
        self.distance = haversine_km(
            ship_to[:, None, 0], ship_to[:, None, 1], location[None, :, 0], location[None, :, 1]
        )
        self.legs = np.array([r.legs for r in requests])[:, None]
        rates = [smoothed_rates(p.quality, rules) for p in partners]
        self.on_time = np.array([on_time for on_time, _reject in rates]).reshape(-1)
        self.reject = np.array([reject for _on_time, reject in rates]).reshape(-1)

    def _exclusions(self) -> None:
        """Every pair's exclusion reasons (text only where a check fails) and the scores."""
        rules = self.rules
        checks = [
            (~self.capable, _no_capability),
            (self.no_material, _no_material),
            (self.no_finish, _no_finish),
            (self.too_large, _too_large),
            (self.too_loose, _too_loose),
            (self.lacks_certification, _lacks_certification),
            (self.no_geometry, _no_geometry),
            (self.no_nda, _no_nda),
            (self.no_price, _no_price),
            (self.no_capacity, _no_capacity),
        ]
        excluded = np.zeros(self.cost.shape, dtype=bool)
        self.reasons: dict[tuple[int, int], list[str]] = {}
        for mask, reason in checks:
            excluded |= mask
            for row, column in zip(*(index.tolist() for index in np.nonzero(mask)), strict=True):
                self.reasons.setdefault((row, column), []).append(
                    reason(self.requests[row], self.partners[column])
                )
        quality = [_quality_reasons(partner, rules) for partner in self.partners]
        for column in (column for column, texts in enumerate(quality) if texts):
            excluded[:, column] = True
            for row in range(len(self.requests)):
                self.reasons.setdefault((row, column), []).extend(quality[column])
        if rules.max_distance_km is not None:
            too_far = self.distance > rules.max_distance_km + _EPSILON
            excluded |= too_far
            for row, column in zip(*(index.tolist() for index in np.nonzero(too_far)), strict=True):
                self.reasons.setdefault((row, column), []).append(
                    _too_far(self.distance[row, column], rules)
                )
        self.feasible = ~excluded
        self._scores()

    def _scores(self) -> None:
        rules, requests = self.rules, self.requests
        value = np.array([r.value for r in requests])[:, None]
        due = np.array([r.due.toordinal() for r in requests])[:, None]
        with np.errstate(invalid="ignore"):
            promised = self.ready + _shipping_days(self.distance, self.legs, rules)
            self.promised = np.where(self.feasible, promised, 0).astype(int)
        self.late_days = self.promised - due
        day_penalty = rules.late_penalty_pct_per_day / 100 * value
        self.shipping_cost = rules.shipping_cost_per_km * self.distance * self.legs
        self.lateness_cost = np.maximum(self.late_days, 0) * day_penalty
        self.rework_cost = self.reject[None, :] * self.cost * rules.rework_factor
        self.delay_risk_cost = (1 - self.on_time[None, :]) * rules.slip_days * day_penalty
        self.score = sum(getattr(self, name) for name in TERMS) / value

    def results(self, row: int) -> list[Option | Exclusion]:
        """The options and exclusions of one request, in partner order."""
        columns = np.flatnonzero(self.feasible[row]).tolist()
        arrays = (
            self.promised,
            self.late_days,
            self.distance,
            *(getattr(self, name) for name in TERMS),
            self.score,
        )
        results: list[Option | Exclusion] = [
            Option(
                self.partners[column].key,
                False,
                self.price_source[row, column],
                date.fromordinal(promised),
                late_days,
                *figures,
                float(self.on_time[column]),
                float(self.reject[column]),
                score,
            )
            for column, promised, late_days, *figures, score in zip(
                columns, *(array[row, columns].tolist() for array in arrays), strict=True
            )
        ]
        results.extend(
            Exclusion(self.partners[column].key, tuple(self.reasons[row, column]))
            for column in np.flatnonzero(~self.feasible[row]).tolist()
        )
        return results


def _vocabulary(names: Iterable[str | None]) -> dict[str, int]:
    """Index of every distinct name (None left out), in first-seen order."""
    return {name: index for index, name in enumerate(dict.fromkeys(n for n in names if n))}


def decide(ranking: Ranking, rules: Rules = Rules()) -> Decision:
    """The offload rule: work stays in-house while in-house is on time; when in-house is late
    or cannot make it, it goes to the best-ranked partner that is on time and costs (with
    shipping) at most ``offload_within_pct`` % over in-house (any on-time partner when we have
    no in-house cost); otherwise, or when automatic offloading is off, a person decides."""
    house = next((option for option in ranking.options if option.in_house), None)
    if house is not None and house.late_days <= 0:
        reason = f"in-house is on time (promised {house.promised.isoformat()})"
        best = ranking.options[0]
        if best is not house:
            reason += (
                f"; {best.candidate} ranks first (score {best.score:.3f} vs {house.score:.3f}), "
                "but the rules offload only work in-house would deliver late"
            )
        return Decision(ranking.request, "in_house", house.candidate, reason)
    if house is not None:
        situation = f"in-house is {house.late_days} d late"
        reference = house.cost + house.shipping_cost
    else:
        situation, reference = "in-house cannot make it", ranking.in_house_cost
    on_time = [
        option for option in ranking.options if not option.in_house and option.late_days <= 0
    ]
    if not on_time:
        return Decision(ranking.request, "review", None, f"{situation} and no partner is on time")
    limit = f"limit +{rules.offload_within_pct:g} %"
    if reference is None:
        chosen, comparison = on_time[0], "no in-house cost to compare with"
    else:
        ceiling = reference * (1 + rules.offload_within_pct / 100) * (1 + _EPSILON)
        within = [option for option in on_time if _paid(option) <= ceiling]
        if not within:
            cheapest = min(on_time, key=_paid)
            return Decision(
                ranking.request,
                "review",
                None,
                f"{situation}; the cheapest on-time partner, {cheapest.candidate}, costs "
                f"{_paid(cheapest):.2f}, {_over(cheapest, reference)} in-house ({limit})",
            )
        chosen = within[0]
        comparison = f"{_over(chosen, reference)} in-house ({limit})"
    reason = (
        f"{situation}; {chosen.candidate} is on time (promised {chosen.promised.isoformat()}) "
        f"at {_paid(chosen):.2f}, {comparison}"
    )
    if not rules.auto_offload:
        return Decision(
            ranking.request, "review", chosen.candidate, f"{reason}; automatic offload is off"
        )
    return Decision(ranking.request, "offload", chosen.candidate, reason)


def _paid(option: Option) -> float:
    """What we pay for an option: its cost and its shipping."""
    return option.cost + option.shipping_cost


def _over(option: Option, reference: float) -> str:
    if reference <= 0:
        return f"{_paid(option) - reference:+.2f} over"
    return f"{100 * (_paid(option) / reference - 1):+.1f} % over"
