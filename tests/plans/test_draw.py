"""The pure draw: reproducible from its inputs, fair across stations, never across a conflict."""

import hashlib
import hmac

import pytest

from app.services import plans_draw
from app.services.plans_draw import DrawError, canonical_json, draw, draw_inputs, seed_of

pytestmark = pytest.mark.no_database


def inputs(public_value="2026-12-06 双色球 03 07 11 19 24 31 + 09", **changes):
    values = {
        "plan": 1,
        "public_value": public_value,
        "stations": [5, 3, 9, 1, 7, 2, 8, 4],
        "inspectors": [11, 12, 13, 14, 15],
        "station_count": 3,
        "team_size": 2,
        "conflicts": [(3, 11, "worked"), (9, 12, "staff_of_station")],
    }
    return draw_inputs(**{**values, **changes})


def test_the_same_inputs_give_the_same_seed_and_draw():
    assert seed_of(inputs()) == seed_of(inputs())
    assert draw(inputs()) == draw(inputs())


def test_the_inputs_are_canonical_whatever_order_they_come_in():
    shuffled = inputs(
        stations=[8, 7, 5, 4, 3, 2, 1, 9], conflicts=[(9, 12, "staff_of_station"), (3, 11, "worked")]
    )
    assert seed_of(shuffled) == seed_of(inputs())


def test_another_public_value_gives_another_seed():
    assert seed_of(inputs("a")) != seed_of(inputs("b"))


def test_the_seed_is_the_sha256_of_the_canonical_json():
    data = inputs()
    text = canonical_json(data)
    assert text.startswith(b'{"conflicts":[[3,11,"worked"],[9,12,"staff_of_station"]],"inspectors":[11,')
    assert seed_of(data) == hashlib.sha256(text).hexdigest()


def test_the_stream_is_hmac_sha256_of_a_big_endian_counter():
    seed = "00" * 32
    words = plans_draw.words(seed)
    block = hmac.new(bytes(32), (1).to_bytes(8, "big"), hashlib.sha256).digest()
    first_nine = [next(words) for _ in range(9)]
    assert first_nine[8] == int.from_bytes(block[:4], "big")


def test_rejection_sampling_skips_words_at_or_above_the_limit():
    limit = 2**32 - 2**32 % 3
    assert plans_draw.below(iter([limit, limit + 1, 7]), 3) == 1


def test_a_known_draw_stays_the_same_forever():
    """A published draw must give the same result in every later version of the app."""
    result = plans_draw.result_of(draw(inputs()))
    assert result == KNOWN_RESULT


KNOWN_RESULT = [
    {"station": 9, "team": [13, 14]},
    {"station": 8, "team": [11, 15]},
    {"station": 2, "team": [12, 13]},
]


def test_conflicted_inspectors_are_never_drawn_for_their_station():
    conflicts = [(s, i, "worked") for s in (1, 2, 3) for i in (11, 12)]
    for n in range(300):
        data = inputs(f"v{n}", station_count=8, conflicts=conflicts)
        for visit in draw(data):
            if visit.station in (1, 2, 3):
                assert not {11, 12} & set(visit.team), (n, visit)


def test_every_team_has_a_lead_and_its_size():
    for n in range(50):
        for visit in draw(inputs(f"v{n}", station_count=8, team_size=3)):
            assert len(set(visit.team)) == 3
            assert visit.lead == visit.team[0]


def test_a_team_of_one_is_refused():
    with pytest.raises(DrawError) as refused:
        draw(inputs(team_size=1))
    assert refused.value.code == "team_too_small"


def test_a_station_with_too_few_inspectors_without_conflict_is_refused():
    conflicts = [(5, i, "relative") for i in (11, 12, 13, 14)]
    with pytest.raises(DrawError) as refused:
        draw(inputs(station_count=8, conflicts=conflicts))
    assert refused.value.code == "too_few_inspectors" and refused.value.params["station"] == 5


def test_each_station_is_drawn_equally_often_over_many_seeds():
    """2,000 fixed seeds draw 3 of 8 stations: each is expected 750 times. The chi-square statistic
    (7 degrees of freedom) stays below 24.32, its 0.1 % critical value; the seeds are fixed, so the
    test cannot flake, and a biased sampler (e.g. modulo without rejection, or a shuffle off by one)
    would fail it."""
    runs, count, stations = 2000, 3, list(range(1, 9))
    seen = dict.fromkeys(stations, 0)
    for n in range(runs):
        for visit in draw(inputs(f"seed-{n}", stations=stations, station_count=count, conflicts=[])):
            seen[visit.station] += 1
    expected = runs * count / len(stations)
    chi_square = sum((observed - expected) ** 2 / expected for observed in seen.values())
    assert chi_square < 24.32, seen


def test_the_fairness_check_catches_a_biased_shuffle(monkeypatch):
    """The bound above is tight enough to see a classic mistake: j drawn from the whole list."""

    def naive(stream, values):
        result = list(values)
        for place in range(len(result)):
            other = plans_draw.below(stream, len(result))
            result[place], result[other] = result[other], result[place]
        return result

    monkeypatch.setattr(plans_draw, "shuffled", naive)
    with pytest.raises(AssertionError):
        test_each_station_is_drawn_equally_often_over_many_seeds()
