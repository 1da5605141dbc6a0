"""The draw of an inspection plan (双随机): pure functions anyone can re-implement and check.

No framework and no database: the inputs are plain numbers and strings, and the same inputs
always give the same draw. The README ("Inspection plans") describes each step for people who
want to check a published draw with their own program:

1. the inputs are written as canonical JSON (keys sorted, no spaces, UTF-8) and their SHA-256
   is the seed;
2. a stream of 32-bit numbers comes from HMAC-SHA256(key = seed, message = the counter 0, 1, 2, …
   as 8 bytes big-endian), each 32-byte block read as eight big-endian 32-bit words;
3. a number below n is the next word w with w < 2^32 - (2^32 mod n), taken modulo n (rejection
   sampling: every value is equally likely);
4. a list is shuffled by Fisher-Yates, from the last place down to the second;
5. the stations (sorted ids) are shuffled and the first `station_count` are drawn, in that order;
6. for each drawn station in turn, the inspectors without a conflict with it (sorted ids) are
   shuffled, then stably sorted by how many visits each has been drawn for so far, and the first
   `team_size` make the team; the first of them leads it.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass

WORD_BYTES = 4
WORD_RANGE = 2**32


class DrawError(ValueError):
    """The inputs cannot give a draw: `code` says why, `params` give the numbers."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class DrawnVisit:
    station: int
    team: tuple[int, ...]

    @property
    def lead(self) -> int:
        return self.team[0]

    def as_dict(self) -> dict:
        return {"station": self.station, "team": list(self.team)}


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def draw_inputs(
    *,
    plan: int,
    public_value: str,
    stations,
    inspectors,
    station_count: int,
    team_size: int,
    conflicts,
) -> dict:
    """The inputs in their one canonical form: ids sorted, conflicts sorted [station, inspector, reason]."""
    return {
        "plan": plan,
        "public_value": public_value,
        "stations": sorted(set(stations)),
        "inspectors": sorted(set(inspectors)),
        "station_count": station_count,
        "team_size": team_size,
        "conflicts": [list(c) for c in sorted({(s, i, reason) for s, i, reason in conflicts})],
    }


def seed_of(inputs: dict) -> str:
    return hashlib.sha256(canonical_json(inputs)).hexdigest()


def words(seed: str) -> Iterator[int]:
    """The endless stream of 32-bit words of step 2."""
    key = bytes.fromhex(seed)
    counter = 0
    while True:
        block = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for start in range(0, len(block), WORD_BYTES):
            yield int.from_bytes(block[start : start + WORD_BYTES], "big")
        counter += 1


def below(stream: Iterator[int], n: int) -> int:
    """A number in 0..n-1, each equally likely (step 3)."""
    limit = WORD_RANGE - WORD_RANGE % n
    for word in stream:
        if word < limit:
            return word % n
    raise AssertionError("the stream is endless")


def shuffled(stream: Iterator[int], values) -> list:
    """Fisher-Yates (step 4)."""
    result = list(values)
    for place in range(len(result) - 1, 0, -1):
        other = below(stream, place + 1)
        result[place], result[other] = result[other], result[place]
    return result


def draw(inputs: dict) -> list[DrawnVisit]:
    """Steps 5 and 6: the drawn stations in order, each with its team (lead first)."""
    stations, inspectors = inputs["stations"], inputs["inspectors"]
    count, team_size = inputs["station_count"], inputs["team_size"]
    if team_size < 2:
        raise DrawError("team_too_small", team_size=team_size)
    if not 0 < count <= len(stations):
        raise DrawError("station_count", count=count, stations=len(stations))
    conflicted = {(station, inspector) for station, inspector, _reason in inputs["conflicts"]}
    stream = words(seed_of(inputs))
    drawn_stations = shuffled(stream, stations)[:count]
    load = dict.fromkeys(inspectors, 0)
    visits = []
    for station in drawn_stations:
        eligible = [i for i in inspectors if (station, i) not in conflicted]
        if len(eligible) < team_size:
            raise DrawError(
                "too_few_inspectors", station=station, eligible=len(eligible), team_size=team_size
            )
        team = sorted(shuffled(stream, eligible), key=load.__getitem__)[:team_size]
        for inspector in team:
            load[inspector] += 1
        visits.append(DrawnVisit(station, tuple(team)))
    return visits


def result_of(visits: list[DrawnVisit]) -> list[dict]:
    return [visit.as_dict() for visit in visits]
