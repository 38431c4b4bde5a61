"""Make-or-buy routing of odm_partner_network: exclusions and their reasons, the order of
hand-built cases, the offload rules, operation-level requests, and the vectorised ranking
against the per-pair reference."""

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from odm_engine.network.routing import (
    Agreement,
    Candidate,
    Capability,
    Capacity,
    Exclusion,
    Option,
    QualityHistory,
    Quote,
    Rate,
    RoutingError,
    Rules,
    WorkRequest,
    assess,
    decide,
    haversine_km,
    order,
    rank,
    smoothed_rates,
)

TODAY = date(2026, 3, 2)
HOME = (48.137, 11.575)  # Munich: our shop and the customers of these cases
AUGSBURG = (48.371, 10.898)  # about 55 km away
HAMBURG = (53.551, 9.994)  # about 610 km away
# No shipping cost or days and no quality risk unless a test asks: each test moves one term.
PLAIN = Rules(shipping_cost_per_km=0.0, shipping_km_per_day=1e9, slip_days=0.0, rework_factor=0)
GOOD = QualityHistory(deliveries=200, on_time=196, parts=5000, rejected=20)
CNC = Capability((500.0, 400.0, 300.0), 0.02, frozenset({"AlMg3", "S235"}))


def request(**changes) -> WorkRequest:
    """A CNC order of 10 aluminium parts due in 10 days; in-house costs 1000 and is on time."""
    fields = {
        "key": "MO/001",
        "process": "cnc",
        "material": "AlMg3",
        "quantity": 10,
        "due": TODAY + timedelta(days=10),
        "value": 2000.0,
        "ship_to": HOME,
        "envelope_mm": (120.0, 80.0, 40.0),
        "machine_hours": 16.0,
        "in_house_cost": 1000.0,
        "in_house_finish": TODAY + timedelta(days=5),
    }
    return WorkRequest(**{**fields, **changes})


def partner(key="P", per_part=100.0, **changes) -> Candidate:
    """A capable CNC partner next door: setup 0, ``per_part`` a part, 8 free hours a day."""
    fields = {
        "key": key,
        "location": HOME,
        "capabilities": {"cnc": CNC},
        "rates": {("cnc", None): Rate(0.0, per_part)},
        "capacity": {"cnc": Capacity(8.0, TODAY)},
        "quality": GOOD,
        "agreement": Agreement(sharing="geometry", nda=True),
    }
    return Candidate(**{**fields, **changes})


HOUSE = Candidate("us", HOME, in_house=True, quality=GOOD)


def only(ranking_results):
    (ranking,) = ranking_results
    return ranking


def exclusion_reasons(ranking, key):
    return next(item.reasons for item in ranking.excluded if item.candidate == key)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"capabilities": {"sla": CNC}}, "no capability for cnc"),
        (
            {"capabilities": {"cnc": replace(CNC, materials=frozenset({"S235"}))}},
            "does not work AlMg3 in cnc",
        ),
        (
            {"capabilities": {"cnc": replace(CNC, max_envelope_mm=(100.0, 100.0, 100.0))}},
            "part 120 x 80 x 40 mm does not fit its envelope 100 x 100 x 100 mm",
        ),
        (
            {"capabilities": {"cnc": replace(CNC, tolerance_mm=0.1)}},
            "holds ±0.1 mm, the part needs ±0.05 mm",
        ),
        ({"certifications": frozenset({"ISO9001"})}, "lacks certification AS9100"),
        (
            {"agreement": Agreement(sharing="metrics", nda=True)},
            "agreement shares metrics only, the request needs the geometry file sent",
        ),
        ({"agreement": Agreement(sharing="geometry")}, "no NDA in the agreement"),
        ({"rates": {("cnc", "S235"): Rate(0, 1)}}, "no quote and no rate for cnc / AlMg3"),
        ({"capacity": {}}, "no quote and no published capacity for cnc"),
        (
            {"quality": QualityHistory(deliveries=40, on_time=20, parts=10, rejected=0)},
            "on-time rate 58.0 % (smoothed, 40 deliveries) below the minimum 80.0 %",
        ),
        (
            {"quality": QualityHistory(deliveries=10, on_time=10, parts=200, rejected=30)},
            "reject rate 14.4 % (smoothed, 200 parts) above the maximum 5.0 %",
        ),
    ],
)
def test_each_failed_check_excludes_with_its_reason(changes, words):
    work = request(tolerance_mm=0.05, certifications=frozenset({"AS9100"}), confidential=True)
    capable = partner("capable", certifications=frozenset({"AS9100"}))
    failing = partner("failing", **{"certifications": frozenset({"AS9100"}), **changes})
    ranking = only(rank([work], [HOUSE, capable, failing], PLAIN, TODAY))
    assert [option.candidate for option in ranking.options] == ["us", "capable"]
    assert any(words in reason for reason in exclusion_reasons(ranking, "failing"))


def test_every_reason_is_listed_not_only_the_first():
    failing = partner(
        capabilities={"cnc": replace(CNC, materials=frozenset(), tolerance_mm=0.2)},
        agreement=Agreement(sharing="capacity"),
        capacity={},
    )
    ranking = only(rank([request(tolerance_mm=0.05)], [failing], PLAIN, TODAY))
    reasons = exclusion_reasons(ranking, "P")
    assert len(reasons) == 4, reasons
    assert ranking.options == ()


def test_part_fits_turned_in_the_envelope():
    """An envelope taller than wide still takes a part lying on its side."""
    upright = replace(CNC, max_envelope_mm=(50.0, 130.0, 90.0))
    ranking = only(rank([request()], [partner(capabilities={"cnc": upright})], PLAIN, TODAY))
    assert [option.candidate for option in ranking.options] == ["P"]


def test_in_house_without_date_is_excluded_with_reason():
    ranking = only(rank([request(in_house_finish=None)], [HOUSE, partner()], PLAIN, TODAY))
    assert exclusion_reasons(ranking, "us") == (
        "in-house cannot make it: no in-house cost and date",
    )


def test_cheaper_partner_ranks_first_and_the_order_is_explained():
    cheap, dear = partner("cheap", per_part=80.0), partner("dear", per_part=120.0)
    ranking = only(rank([request()], [dear, HOUSE, cheap], PLAIN, TODAY))
    assert [option.candidate for option in ranking.options] == ["cheap", "us", "dear"]
    assert [option.score for option in ranking.options] == pytest.approx([0.4, 0.5, 0.6])
    assert ranking.order_reasons[0] == (
        "cheap before us: score 0.400 vs 0.500, mostly cost (+200.00 for us)"
    )
    assert "cost 800.00 (rate card)" in ranking.options[0].explanation


def test_lateness_penalty_outweighs_a_lower_price():
    """A partner 200 cheaper but 3 days late pays 3 x 5 % of the 2000 value: 300."""
    late = partner(
        "late", per_part=80.0, capacity={"cnc": Capacity(8.0, TODAY + timedelta(days=11))}
    )
    ranking = only(rank([request()], [late, HOUSE], PLAIN, TODAY))
    assert [option.candidate for option in ranking.options] == ["us", "late"]
    late_option = ranking.options[1]
    # next free day + 16 h / 8 h a day = 2 days -> 3 days after the due date
    assert late_option.late_days == 3
    assert late_option.lateness_cost == pytest.approx(300.0)
    assert late_option.score == pytest.approx((800 + 300) / 2000)


def test_quote_replaces_rate_and_capacity():
    quoted = partner(
        "quoted",
        rates={},
        capacity={},
        quotes={"MO/001": Quote(700.0, TODAY + timedelta(days=3))},
        agreement=Agreement(sharing="geometry", nda=True, commission_pct=5.0),
    )
    option = only(rank([request()], [quoted], PLAIN, TODAY)).options[0]
    assert (option.price_source, option.promised) == ("quote", TODAY + timedelta(days=3))
    assert option.cost == pytest.approx(735.0)  # the network's 5 % commission on top


def test_distance_costs_shipping_and_days_and_can_exclude():
    rules = replace(PLAIN, shipping_cost_per_km=1.0, shipping_km_per_day=500.0)
    near, far = partner("near", location=AUGSBURG), partner("far", location=HAMBURG)
    ranking = only(rank([request()], [far, near], rules, TODAY))
    assert [option.candidate for option in ranking.options] == ["near", "far"]
    near_option, far_option = ranking.options
    assert near_option.distance_km == pytest.approx(56, abs=2)
    assert far_option.distance_km == pytest.approx(612, abs=5)
    assert far_option.shipping_cost == pytest.approx(far_option.distance_km)
    # two days on the road (one per 500 km started) after two days of work
    assert far_option.promised == TODAY + timedelta(days=4)
    capped = only(rank([request()], [far, near], replace(rules, max_distance_km=300), TODAY))
    assert [option.candidate for option in capped.options] == ["near"]
    assert exclusion_reasons(capped, "far")[0].endswith("km away, the maximum is 300 km")


def test_haversine_against_a_known_distance():
    # Paris - London, 343.5 km on the sphere of mean radius
    assert haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=0.5)


def test_anodising_operation_goes_only_to_partners_with_that_finish_and_travels_twice():
    finishing = Capability((600.0, 600.0, 600.0), 0.0, frozenset({"AlMg3"}), frozenset())
    anodiser = partner(
        "anodiser",
        location=AUGSBURG,
        capabilities={"finishing": replace(finishing, finishes=frozenset({"anodising"}))},
        rates={("finishing", None): Rate(50.0, 5.0)},
        capacity={"finishing": Capacity(8.0, TODAY)},
    )
    painter = replace(
        anodiser,
        key="painter",
        capabilities={"finishing": replace(finishing, finishes=frozenset({"powder coating"}))},
    )
    operation = request(
        key="MO/001/anodising",
        process="finishing",
        finish="anodising",
        needs_geometry=False,
        round_trip=True,
        machine_hours=4.0,
        in_house_cost=None,
        in_house_finish=None,
    )
    rules = replace(PLAIN, shipping_cost_per_km=1.0)
    ranking = only(rank([operation], [HOUSE, anodiser, painter], rules, TODAY))
    (option,) = ranking.options
    assert option.candidate == "anodiser"
    assert option.shipping_cost == pytest.approx(2 * option.distance_km)
    assert exclusion_reasons(ranking, "painter") == (
        "does not offer the finish anodising in finishing",
    )
    decision = decide(ranking, rules)
    assert (decision.action, decision.candidate) == ("offload", "anodiser")
    assert "in-house cannot make it" in decision.reason


def late_house_ranking(partner_per_part: float) -> tuple:
    """In-house 3 days late at 1000; one on-time partner at ``partner_per_part`` x 10."""
    work = request(in_house_finish=TODAY + timedelta(days=13))
    ranking = only(rank([work], [HOUSE, partner(per_part=partner_per_part)], PLAIN, TODAY))
    return ranking, decide(ranking, PLAIN)


def test_offloads_when_in_house_is_late_and_partner_on_time_within_ten_percent():
    _ranking, decision = late_house_ranking(110.0)
    assert (decision.action, decision.candidate) == ("offload", "P")
    assert decision.reason == (
        "in-house is 3 d late; P is on time (promised 2026-03-04) at 1100.00, +10.0 % over "
        "in-house (limit +10 %)"
    )


def test_does_not_offload_at_eleven_percent_over():
    _ranking, decision = late_house_ranking(111.0)
    assert (decision.action, decision.candidate) == ("review", None)
    assert "+11.0 % over in-house (limit +10 %)" in decision.reason


def test_no_automatic_offload_when_switched_off():
    ranking, _decision = late_house_ranking(105.0)
    decision = decide(ranking, replace(PLAIN, auto_offload=False))
    assert (decision.action, decision.candidate) == ("review", "P")


def test_on_time_in_house_stays_even_when_a_partner_ranks_first():
    ranking = only(rank([request()], [HOUSE, partner(per_part=50.0)], PLAIN, TODAY))
    assert ranking.options[0].candidate == "P"
    decision = decide(ranking, PLAIN)
    assert (decision.action, decision.candidate) == ("in_house", "us")
    assert "P ranks first" in decision.reason


def test_no_partner_on_time_means_review():
    slow = partner(capacity={"cnc": Capacity(1.0, TODAY)})  # 16 days of work
    work = request(in_house_finish=TODAY + timedelta(days=12))
    decision = decide(only(rank([work], [HOUSE, slow], PLAIN, TODAY)), PLAIN)
    assert (decision.action, decision.reason) == (
        "review",
        "in-house is 2 d late and no partner is on time",
    )


@pytest.mark.parametrize(("per_part", "first"), [(100.0, "us"), (99.6, "us"), (99.4, "P")])
def test_in_house_first_on_ties(per_part, first):
    """Scores within 0.5 % count as a tie, which in-house wins."""
    ranking = only(rank([request()], [partner(per_part=per_part), HOUSE], PLAIN, TODAY))
    assert ranking.options[0].candidate == first
    assert bool(ranking.notes) == (first == "us" and per_part < 100)


def test_quality_floor_uses_smoothed_rates():
    """Two deliveries, one late: 50 % raw, but the prior keeps a newcomer above the floor;
    twenty deliveries, ten late, is evidence enough to exclude."""
    newcomer = QualityHistory(deliveries=2, on_time=1)
    unreliable = QualityHistory(deliveries=20, on_time=10)
    on_time, _reject = smoothed_rates(newcomer, PLAIN)
    assert on_time == pytest.approx((1 + 0.9 * 10) / 12)
    ranking = only(
        rank(
            [request()],
            [partner("new", quality=newcomer), partner("bad", quality=unreliable)],
            PLAIN,
            TODAY,
        )
    )
    assert [option.candidate for option in ranking.options] == ["new"]
    assert "on-time rate 63.3 %" in exclusion_reasons(ranking, "bad")[0]


def test_quality_risk_terms_are_expected_rework_and_delay():
    rules = replace(PLAIN, rework_factor=1.0, slip_days=3.0)
    history = QualityHistory(deliveries=90, on_time=81, parts=990, rejected=30)
    option = only(rank([request()], [partner(quality=history)], rules, TODAY)).options[0]
    assert option.reject_rate == pytest.approx((30 + 0.02 * 10) / 1000)
    assert option.on_time_rate == pytest.approx((81 + 0.9 * 10) / 100)
    assert option.rework_cost == pytest.approx(0.0302 * 1000)
    assert option.delay_risk_cost == pytest.approx(0.1 * 3 * 100)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: request(quantity=0), "quantity must be at least 1"),
        (lambda: request(envelope_mm=(10.0, 0.0, 5.0)), "three positive sizes"),
        (lambda: request(ship_to=(95.0, 0.0)), "latitude -90..90"),
        (lambda: Capacity(0.0, TODAY), "Free hours per day must be positive"),
        (lambda: QualityHistory(deliveries=3, on_time=4), "on time <= deliveries"),
        (lambda: Agreement(sharing="everything"), "Sharing level must be one of"),
        (lambda: rank([request(), request()], [], PLAIN, TODAY), "Duplicate work request"),
        (lambda: rank([request()], [HOUSE, replace(HOUSE, key="2")], PLAIN, TODAY), "one"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(build, message):
    with pytest.raises(RoutingError, match=message):
        build()


def random_case(seed: int, requests: int, partners: int) -> tuple:
    """Random requests and partners over every check, for the cross-check below."""
    rng = random.Random(seed)
    processes, materials = ("cnc", "sls", "finishing"), ("AlMg3", "PA12", "S235")
    finishes, certificates = ("anodising", "bead blast"), ("ISO9001", "AS9100")

    def some(values):
        return frozenset(value for value in values if rng.random() < 0.6)

    def location():
        return (rng.uniform(45, 55), rng.uniform(5, 15))

    work = [
        WorkRequest(
            key=f"MO/{number}",
            process=rng.choice(processes),
            material=rng.choice([*materials, None]),
            finish=rng.choice([*finishes, None]),
            quantity=rng.randint(1, 50),
            due=TODAY + timedelta(days=rng.randint(1, 20)),
            value=rng.uniform(500, 5000),
            ship_to=location(),
            envelope_mm=tuple(rng.uniform(10, 400) for _axis in range(3)),
            machine_hours=rng.uniform(0, 40),
            tolerance_mm=rng.choice([None, 0.01, 0.05, 0.1]),
            certifications=some(certificates) if rng.random() < 0.3 else frozenset(),
            needs_geometry=rng.random() < 0.7,
            confidential=rng.random() < 0.2,
            round_trip=rng.random() < 0.2,
            in_house_cost=rng.choice([None, rng.uniform(200, 4000)]),
            in_house_finish=TODAY + timedelta(days=rng.randint(0, 25)),
        )
        for number in range(requests)
    ]
    shops = [
        Candidate(
            key=f"P{number}",
            location=location(),
            capabilities={
                process: Capability(
                    tuple(rng.uniform(100, 500) for _axis in range(3)),
                    rng.choice([0.005, 0.02, 0.1]),
                    some(materials),
                    some(finishes),
                )
                for process in processes
                if rng.random() < 0.7
            },
            certifications=some(certificates),
            rates={
                (process, material): Rate(rng.uniform(0, 200), rng.uniform(5, 100))
                for process in processes
                for material in (*materials, None)
                if rng.random() < 0.5
            },
            quotes={
                item.key: Quote(rng.uniform(100, 4000), TODAY + timedelta(days=rng.randint(0, 9)))
                for item in work
                if rng.random() < 0.05
            },
            capacity={
                process: Capacity(rng.uniform(1, 20), TODAY + timedelta(days=rng.randint(-2, 9)))
                for process in processes
                if rng.random() < 0.8
            },
            lead_days=rng.randint(0, 3),
            quality=QualityHistory(
                deliveries=(deliveries := rng.randint(0, 60)),
                on_time=rng.randint(deliveries // 2, deliveries),
                parts=(parts := rng.randint(0, 2000)),
                rejected=rng.randint(0, parts // 15),
            ),
            agreement=Agreement(
                sharing=rng.choice(["capacity", "metrics", "geometry", "geometry"]),
                nda=rng.random() < 0.7,
                commission_pct=rng.choice([0.0, 3.0, 5.0]),
            ),
        )
        for number in range(partners)
    ]
    return work, [HOUSE, *shops]


def test_vectorised_ranking_equals_the_per_pair_reference():
    requests, candidates = random_case(seed=11, requests=300, partners=30)
    rules = Rules(max_distance_km=900.0)
    fast = rank(requests, candidates, rules, TODAY)
    reference = [
        order(item, (assess(item, candidate, rules, TODAY) for candidate in candidates), rules)
        for item in requests
    ]
    options = sum(len(ranking.options) for ranking in fast)
    exclusions = {
        reason for ranking in fast for item in ranking.excluded for reason in item.reasons
    }
    assert options > 200 and len(exclusions) > 50, "the random case must exercise both sides"
    for quick, slow in zip(fast, reference, strict=True):
        assert [option.candidate for option in quick.options] == [
            option.candidate for option in slow.options
        ]
        for quick_option, slow_option in zip(quick.options, slow.options, strict=True):
            assert quick_option.promised == slow_option.promised
            assert quick_option.price_source == slow_option.price_source
            assert quick_option.score == pytest.approx(slow_option.score, rel=1e-9)
            assert quick_option.cost == pytest.approx(slow_option.cost, rel=1e-9)
        assert sorted(quick.excluded, key=lambda item: item.candidate) == sorted(
            slow.excluded, key=lambda item: item.candidate
        )
    assert all(isinstance(option, Option) for ranking in fast for option in ranking.options)
    assert all(isinstance(item, Exclusion) for ranking in fast for item in ranking.excluded)
