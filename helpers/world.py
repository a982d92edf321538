"""The sample retail world: a seeded generator of every table the course uses.

One function, :func:`generate_world`, writes customers, products, order lines,
browsing events, a past randomized campaign and (kept apart) the hidden truth.
The committed copy in ``datasets/`` is ``generate_world(25_000, seed=2026)``;
the same call with a larger ``n_customers`` makes copies for scale work,
streamed to disk chunk by chunk so that memory stays flat.

Command line::

    python -m helpers.world --customers 25000 --seed 2026 --out datasets

How the world works (so that lessons can explain what they find):

* Every customer has a hidden **persona** (eight of them, see ``PERSONAS``).
  The persona shifts the customer's demographics, geography, survey scores,
  interests, category tastes, order rate, discount use, returns, channels,
  browsing and response to the campaign. The shifts overlap heavily, so the
  four classic bases are informative but imperfect, and each customer also
  has individual tastes (a Dirichlet draw around the persona's), so there is
  structure below the persona level too.
* Orders follow a seasonal Poisson process from sign-up (or the start of the
  history) until the customer's hidden lapse date. Activity rates change at
  the first snapshot date for some personas, so segments drift between the
  two snapshots six months apart.
* The campaign is a randomized email test among eligible customers
  (email consent, not do-not-contact, signed up before the send). A customer
  converts if they complete an order in the attribution window. Contact adds
  an order for some customers (persuadables) and removes the order of others
  (customers who are put off by contact), so the true effect differs by
  persona and is negative for some.
* Every date is fixed: nothing reads the clock.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .vocabulary import (CAMPAIGN_ARMS, CATEGORIES, CLIMATES, EDUCATION, EVENT_TYPES, GENDERS, HIDDEN_TABLES,  # noqa: F401
                         HOUSEHOLDS, INCOME_BANDS, INTERESTS, MARKETING_CHANNELS, ORDER_CHANNELS, ORDER_STATUSES,
                         PERSONA_NAMES, PLACES, PSYCHOGRAPHICS, TABLES, URBANICITY)

GENERATOR_VERSION = "1.0"
DEFAULT_SEED = 2026
DEFAULT_CUSTOMERS = 25_000
# Customers are generated in fixed-size chunks, each with its own random
# stream, so a world depends only on (n_customers, seed) and never on memory.
CHUNK_SIZE = 25_000

HISTORY_START = pd.Timestamp("2024-10-01")
AS_OF = pd.Timestamp("2026-09-30")  # the fixed "today" of the whole course
SNAPSHOT_DATES = (pd.Timestamp("2026-03-31"), AS_OF)
DRIFT_START = SNAPSHOT_DATES[0] + pd.Timedelta(days=1)
FIRST_SIGNUP = pd.Timestamp("2022-01-01")
SIGNUP_GROWTH_PER_YEAR = 0.35  # log growth rate of monthly sign-ups
CAMPAIGN_ID = "C26-AUG-EMAIL"
CAMPAIGN_DATE = pd.Timestamp("2026-08-03")
CAMPAIGN_WINDOW_DAYS = 14
CAMPAIGN_OFFER = "15% off one order, email, 14-day attribution window"

# typical list price and unit cost as a share of price, per category
CATEGORY_PRICE = np.array([45, 55, 120, 60, 22, 180, 18, 28, 95, 40, 30, 35], float)
CATEGORY_COST_SHARE = np.array([.45, .42, .55, .40, .30, .72, .50, .35, .50, .48, .35, .50])
PRODUCTS_PER_CATEGORY = 20
PRODUCT_WORDS = {
    "Men's Shirts": (["Oxford", "Linen", "Flannel", "Chambray", "Poplin"], ["Shirt", "Button-Down", "Overshirt", "Polo"]),
    "Women's Activewear": (["Seamless", "Flex", "Breeze", "Core", "Studio"], ["Leggings", "Sports Bra", "Running Top", "Yoga Set"]),
    "Outdoor Gear": (["Summit", "Trail", "Ridge", "Canyon", "Alpine"], ["Backpack", "Tent", "Headlamp", "Rain Shell"]),
    "Home Decor": (["Nordic", "Rustic", "Woven", "Terracotta", "Brass"], ["Vase", "Throw", "Wall Art", "Mirror"]),
    "Candles": (["Cedar", "Vanilla", "Sea Salt", "Fig", "Amber"], ["Candle", "Votive Set", "Tin Candle", "Diffuser"]),
    "Electronics": (["Pulse", "Nova", "Echo", "Volt", "Pixel"], ["Earbuds", "Speaker", "Smartwatch", "Charger"]),
    "Fantasy Books": (["Dragon", "Shadow", "Crown", "Ember", "Rune"], ["Saga Vol. 1", "Chronicles", "Trilogy Box", "Codex"]),
    "Graphic Tees": (["Retro", "Pixel", "Galaxy", "Quest", "Legend"], ["Tee", "Fan Tee", "Hoodie", "Poster Tee"]),
    "Footwear": (["Stride", "Cloud", "Urban", "Peak", "Drift"], ["Sneaker", "Boot", "Runner", "Slip-On"]),
    "Kitchen": (["Chef", "Copper", "Stoneware", "Bamboo", "Cast"], ["Pan", "Knife", "Mug Set", "Board"]),
    "Beauty": (["Glow", "Pure", "Velvet", "Dew", "Bloom"], ["Serum", "Balm", "Cleanser", "Mask"]),
    "Kids & Toys": (["Tiny", "Happy", "Bright", "Wonder", "Little"], ["Puzzle", "Plush", "Blocks", "Kite"]),
}

# share of customers per metro area, in the order of vocabulary.PLACES
CITY_SHARES = (.13, .05, .05, .08, .04, .04, .06, .07, .05, .04, .05, .06, .09, .04, .07, .03, .03, .02)
CITIES = tuple((*place, share) for place, share in zip(PLACES, CITY_SHARES, strict=True))  # (country, region, city, climate, share)

FIRST_NAMES = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
               "Maria", "James", "Olivia", "Noah", "Emma", "Liam", "Sofia", "Lucas", "Mia", "Ethan",
               "Ava", "Mateo", "Chloe", "Aiden", "Zoe", "Leo", "Nora", "Elijah", "Layla", "Omar",
               "Priya", "Wei", "Amara", "Kenji", "Fatima", "Diego", "Hana", "Ivan", "Lena", "Tariq")
LAST_NAMES = ("Smith", "Garcia", "Chen", "Patel", "Johnson", "Nguyen", "Brown", "Martin", "Lee", "Walker",
              "Lopez", "Kim", "Wilson", "Singh", "Clark", "Lewis", "Young", "Hall", "Allen", "Wright",
              "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Turner")


@dataclass(frozen=True)
class Persona:
    """The hidden type behind a customer. Numbers are means; customers scatter around them."""

    name: str
    share: float
    age: tuple[float, float]                 # mean, sd
    gender: tuple[float, float, float]       # female, male, non-binary
    income: float                            # mean index into INCOME_BANDS (0..5)
    urbanicity: tuple[float, float, float]   # urban, suburban, rural
    climate_pull: dict                       # climate -> multiplier of city weights
    household: tuple[float, float, float, float]
    psycho: tuple[float, float, float, float, float]  # 1..7, order of PSYCHOGRAPHICS
    interests: dict                          # tag -> probability
    categories: tuple[float, ...]            # purchase affinity, order of CATEGORIES
    browse_extra: tuple[float, ...]          # categories browsed more than bought
    orders_per_year: float
    drift: float                             # activity multiplier after the first snapshot
    lapse_per_year: float                    # hazard of going quiet for good
    lines_per_order: float
    premium: float                           # >0 prefers pricier products
    discount_use: float                      # share of lines bought on discount
    return_rate: float
    channels: tuple[float, float, float]     # web, app, store
    app_shift: float                         # extra app share after the first snapshot
    events_per_order: float
    marketing: tuple[float, float, float, float]  # preferred email, sms, push, social
    email_consent: float
    followers_log_mean: float
    open_rate: float
    uplift: float                            # true effect of the campaign on conversion


def _cats(**weights: float) -> tuple[float, ...]:
    keys = ["shirts", "active", "outdoor", "decor", "candles", "electronics", "fantasy", "tees",
            "footwear", "kitchen", "beauty", "kids"]
    unknown = set(weights) - set(keys)
    if unknown:
        raise ValueError(f"unknown category keys {sorted(unknown)}")
    return tuple(float(weights.get(k, 0.3)) for k in keys)


PERSONAS: tuple[Persona, ...] = (
    Persona("bargain hunter", .17, (41, 14), (.55, .42, .03), 1.4, (.35, .45, .20), {}, (.30, .25, .35, .10),
            (6.0, 2.6, 3.5, 3.6, 3.2), {"cooking": .35, "home": .3, "parenting": .25, "beauty": .25},
            _cats(shirts=1, active=.8, decor=1, candles=1, kitchen=1.4, beauty=1.2, kids=1.3, footwear=.8),
            _cats(electronics=1, outdoor=.6), 5.0, 0.9, .30, 2.0, -.6, .55, .06, (.60, .25, .15), .05, 2.5,
            (.55, .30, .10, .05), .80, 4.0, .30, .085),
    Persona("loyal premium", .09, (52, 10), (.55, .44, .01), 4.2, (.35, .55, .10), {}, (.15, .55, .25, .05),
            (2.2, 6.0, 4.2, 4.0, 3.8), {"travel": .45, "home": .35, "cooking": .3},
            _cats(shirts=1.4, decor=1.3, footwear=1.2, kitchen=1.2, beauty=1, electronics=.8, candles=.6),
            _cats(outdoor=.5), 9.0, 1.0, .06, 2.3, .9, .06, .07, (.45, .15, .40), .03, 2.0,
            (.75, .10, .10, .05), .85, 4.3, .45, -.015),
    Persona("urban trendsetter", .14, (27, 6), (.50, .45, .05), 2.2, (.75, .20, .05), {"warm": 1.2},
            (.50, .20, .02, .28), (4.0, 3.0, 3.6, 5.5, 4.8), {"fashion": .65, "music": .45, "fitness": .35, "beauty": .3},
            _cats(shirts=1.3, active=1.2, tees=1.3, footwear=1.5, beauty=.9),
            _cats(electronics=1.0, active=.5), 6.0, 1.1, .40, 2.0, .2, .25, .16, (.35, .55, .10), .12, 4.0,
            (.25, .15, .30, .30), .60, 5.6, .25, .045),
    Persona("outdoor adventurer", .11, (37, 10), (.40, .56, .04), 2.8, (.25, .40, .35),
            {"cold": 1.8, "mild-wet": 1.6, "hot": .6}, (.30, .35, .30, .05), (3.6, 4.0, 5.0, 4.0, 6.2),
            {"outdoors": .8, "travel": .5, "fitness": .45, "sustainability": .3},
            _cats(outdoor=2.2, footwear=1.2, active=.9, electronics=.4),
            _cats(electronics=.6), 4.0, 1.3, .25, 1.5, .5, .15, .05, (.55, .20, .25), .04, 3.0,
            (.60, .15, .15, .10), .70, 4.6, .32, .025),
    Persona("home nester", .15, (41, 8), (.68, .30, .02), 2.6, (.15, .65, .20), {}, (.05, .25, .65, .05),
            (4.2, 4.5, 4.2, 3.6, 2.8), {"home": .7, "cooking": .55, "parenting": .55},
            _cats(decor=1.8, candles=1.6, kitchen=1.4, kids=1.6, beauty=.6),
            _cats(outdoor=.5, electronics=.4), 5.0, 1.0, .20, 2.3, 0.0, .25, .06, (.50, .25, .25), .04, 2.3,
            (.65, .20, .05, .10), .75, 4.2, .38, .055),
    Persona("fantasy fan", .10, (29, 9), (.45, .47, .08), 1.9, (.50, .35, .15), {}, (.50, .10, .05, .35),
            (4.4, 4.8, 3.8, 5.0, 4.3), {"fantasy": .85, "gaming": .6, "reading": .6, "music": .3},
            _cats(fantasy=2.5, tees=1.6, electronics=.5, candles=.5),
            _cats(tees=1.2, electronics=.7), 4.0, 1.45, .28, 1.7, -.2, .20, .04, (.55, .40, .05), .08, 4.5,
            (.40, .10, .25, .25), .70, 5.0, .36, .03),
    Persona("tech enthusiast", .10, (34, 10), (.25, .72, .03), 3.3, (.60, .30, .10), {}, (.45, .30, .15, .10),
            (4.0, 3.8, 3.0, 6.2, 4.2), {"tech": .85, "gaming": .45, "music": .35},
            _cats(electronics=2.6, tees=.6, shirts=.6, outdoor=.4),
            _cats(fantasy=.3), 3.0, 0.7, .35, 1.3, .7, .15, .08, (.55, .40, .05), .08, 4.0,
            (.40, .10, .35, .15), .65, 4.8, .28, .0),
    Persona("eco minimalist", .14, (35, 11), (.58, .38, .04), 2.9, (.55, .35, .10), {"mild-wet": 1.5},
            (.45, .35, .10, .10), (3.6, 4.6, 6.2, 3.8, 4.0), {"sustainability": .8, "fitness": .4, "cooking": .35, "outdoors": .3},
            _cats(active=1.1, candles=.9, kitchen=.9, decor=.7, beauty=.9, outdoor=.7),
            _cats(active=.6), 2.8, 0.9, .28, 1.4, .2, .08, .05, (.55, .20, .25), .04, 1.6,
            (.35, .05, .05, .55), .55, 4.3, .22, -.045),
)
assert PERSONA_NAMES == tuple(p.name for p in PERSONAS), "vocabulary.PERSONA_NAMES must name the PERSONAS in order"


# --------------------------------------------------------------------------- time
def _day_grid() -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Days of the history and the cumulative seasonal intensity (mean 1 per day)."""
    days = pd.date_range(HISTORY_START, AS_OF, freq="D")
    doy = days.day_of_year.to_numpy()
    month = days.month.to_numpy()
    season = 1 + 0.25 * np.cos(2 * np.pi * (doy - 340) / 365.25)   # winter holidays peak
    season = season + np.where(month == 11, 0.35, 0) + np.where(month == 12, 0.25, 0)
    season = season * np.where(days.day_of_week.to_numpy() >= 5, 1.15, 0.94)
    season = season / season.mean()
    cum = np.concatenate([[0.0], np.cumsum(season)])
    return days, cum


DAYS, CUM_INTENSITY = _day_grid()
N_DAYS = len(DAYS)
DRIFT_DAY = (DRIFT_START - HISTORY_START).days
CAMPAIGN_DAY = (CAMPAIGN_DATE - HISTORY_START).days


def _draw_times(rng: np.random.Generator, start: np.ndarray, end: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Day offsets (float, fraction = time of day) of `counts[i]` events between start[i] and end[i] days.

    Events follow the seasonal intensity: draw uniformly on the cumulative
    intensity and invert it.
    """
    rep_start = np.repeat(start, counts)
    rep_end = np.repeat(end, counts)
    lo = np.interp(rep_start, np.arange(N_DAYS + 1), CUM_INTENSITY)
    hi = np.interp(rep_end, np.arange(N_DAYS + 1), CUM_INTENSITY)
    u = lo + rng.random(len(rep_start)) * (hi - lo)
    return np.interp(u, CUM_INTENSITY, np.arange(N_DAYS + 1))


def _intensity_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    grid = np.arange(N_DAYS + 1)
    return np.interp(end, grid, CUM_INTENSITY) - np.interp(start, grid, CUM_INTENSITY)


def _to_timestamps(day_offsets: np.ndarray) -> pd.Series:
    seconds = np.floor(day_offsets * 86400).astype("int64")
    return pd.Series(HISTORY_START + pd.to_timedelta(seconds, unit="s"))


# --------------------------------------------------------------------------- products
def make_products(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The product catalogue: a dozen categories, twenty products each, with price and unit cost.

    >>> int(make_products().groupby("category").size().min())
    20
    """
    rng = np.random.default_rng([seed, 0xCA7])
    rows = []
    for c, category in enumerate(CATEGORIES):
        adjectives, nouns = PRODUCT_WORDS[category]
        names = [f"{a} {n}" for n in nouns for a in adjectives][:PRODUCTS_PER_CATEGORY]
        prices = CATEGORY_PRICE[c] * rng.lognormal(0, 0.45, PRODUCTS_PER_CATEGORY)
        prices = np.maximum(np.round(prices) - 0.01, 2.99)
        cost = np.round(prices * np.clip(CATEGORY_COST_SHARE[c] + rng.normal(0, 0.05, PRODUCTS_PER_CATEGORY), .15, .9), 2)
        for k in range(PRODUCTS_PER_CATEGORY):
            rows.append((f"P{c * 100 + k + 101:04d}", names[k], category, prices[k], cost[k]))
    products = pd.DataFrame(rows, columns=["product_id", "name", "category", "price", "unit_cost"])
    # popularity is a property of the catalogue, not a column: Zipf-like per category
    return products


def _product_choice_weights(products: pd.DataFrame, seed: int) -> np.ndarray:
    """Cumulative choice probabilities [persona, category, product-in-category]."""
    rng = np.random.default_rng([seed, 0x5E1])
    prices = products["price"].to_numpy().reshape(len(CATEGORIES), PRODUCTS_PER_CATEGORY)
    popularity = 1.0 / (1 + rng.permuted(np.tile(np.arange(PRODUCTS_PER_CATEGORY), (len(CATEGORIES), 1)), axis=1)) ** 0.8
    rel_price = prices / prices.mean(axis=1, keepdims=True)
    premium = np.array([p.premium for p in PERSONAS])[:, None, None]
    w = popularity[None] * rel_price[None] ** premium
    w = w / w.sum(axis=2, keepdims=True)
    return np.cumsum(w, axis=2)


def _pick_rows(rng: np.random.Generator, cum_probs: np.ndarray) -> np.ndarray:
    """For each row of cumulative probabilities, the index drawn (vectorized categorical draw)."""
    u = rng.random(len(cum_probs))[:, None]
    return np.minimum((u > cum_probs).sum(axis=1), cum_probs.shape[1] - 1)


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    probs = np.asarray(probs, float)
    probs = probs / probs.sum(axis=-1, keepdims=True)
    return _pick_rows(rng, np.cumsum(probs, axis=-1))


# --------------------------------------------------------------------------- customers
def _persona_array(attr: str) -> np.ndarray:
    return np.array([getattr(p, attr) for p in PERSONAS], dtype=float)


def _make_customers(rng: np.random.Generator, n: int, first_id: int) -> tuple[pd.DataFrame, dict]:
    persona = _categorical(rng, np.tile(_persona_array("share"), (n, 1)))

    # sign-ups grow steadily (about 40% a year) from FIRST_SIGNUP to the as-of date: draw from an
    # exponential density by inverting its distribution function, so there is no jump at the history start
    span_before = (HISTORY_START - FIRST_SIGNUP).days
    span = span_before + N_DAYS
    growth = SIGNUP_GROWTH_PER_YEAR / 365.25
    days_since_first = np.log1p(rng.random(n) * np.expm1(growth * span)) / growth
    signup_offset = np.minimum(days_since_first, span - 1) - span_before  # days from HISTORY_START
    order = np.argsort(signup_offset, kind="stable")  # ids follow sign-up order
    persona, signup_offset = persona[order], signup_offset[order]
    signup = (HISTORY_START + pd.to_timedelta(np.floor(signup_offset), unit="D"))

    # geography: city weights pulled by the persona's climate taste
    city_share = np.array([c[4] for c in CITIES])
    city_climate = np.array([CLIMATES.index(c[3]) for c in CITIES])
    pull = np.ones((len(PERSONAS), len(CLIMATES)))
    for i, p in enumerate(PERSONAS):
        for climate, m in p.climate_pull.items():
            pull[i, CLIMATES.index(climate)] = m
    city = _categorical(rng, city_share[None, :] * pull[persona][:, city_climate])
    urban = _categorical(rng, _persona_array("urbanicity")[persona])

    age_mu, age_sd = _persona_array("age")[persona].T
    age = np.clip(np.round(rng.normal(age_mu, age_sd)), 18, 85).astype(int)
    gender = _categorical(rng, _persona_array("gender")[persona])
    income_idx = np.clip(np.round(_persona_array("income")[persona] + rng.normal(0, 1.1, n)
                                  + (age - 40) / 40), 0, len(INCOME_BANDS) - 1).astype(int)
    edu_idx = np.clip(np.round(income_idx * 0.55 + rng.normal(0.6, 0.9, n)), 0, len(EDUCATION) - 1).astype(int)
    household = _categorical(rng, _persona_array("household")[persona]
                             * np.where(age[:, None] < 25, [1.5, .6, .3, 2.0], 1.0))

    psycho = np.clip(_persona_array("psycho")[persona] + rng.normal(0, 1.35, (n, len(PSYCHOGRAPHICS))), 1, 7)
    psycho = np.round(psycho, 1)
    psycho[rng.random(n) < 0.18] = np.nan  # did not answer the survey

    # interests lean towards the persona but are common elsewhere too: a tag is a hint, not a label
    tag_p = np.full((len(PERSONAS), len(INTERESTS)), 0.10)
    for i, p in enumerate(PERSONAS):
        for tag, prob in p.interests.items():
            tag_p[i, INTERESTS.index(tag)] = 0.10 + 0.7 * (prob - 0.10)
    has_tag = rng.random((n, len(INTERESTS))) < tag_p[persona]
    tags = np.array(INTERESTS, dtype=object)
    interests = [";".join(tags[row]) for row in has_tag]

    # marketing permissions and reach
    preferred = _categorical(rng, _persona_array("marketing")[persona])
    consent_email = rng.random(n) < _persona_array("email_consent")[persona]
    consent_sms = rng.random(n) < np.where(preferred == 1, 0.8, 0.25)
    uses_app = rng.random(n) < _persona_array("channels")[persona][:, 1] * 1.3
    consent_push = uses_app & (rng.random(n) < 0.6)
    do_not_contact = rng.random(n) < 0.03
    followers = np.floor(rng.lognormal(_persona_array("followers_log_mean")[persona], 1.4)).astype(int)
    followers[rng.random(n) < 0.004] *= 60  # a few influencers

    ids = np.arange(first_id, first_id + n)
    referred = (rng.random(n) < 0.22) & (np.arange(n) > 0)
    weight = np.cumsum(np.log1p(followers) + 0.5)
    rank = np.arange(n)
    target = rng.random(n) * np.concatenate([[0.0], weight[:-1]])
    referrer_rank = np.minimum(np.searchsorted(weight, target, side="right"), np.maximum(rank - 1, 0))
    referred_by = np.where(referred, ids[referrer_rank], -1)

    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    email = np.char.lower(np.char.add(np.char.add(np.char.add(first, "."), last), ids.astype(str)))
    email = np.char.add(email, "@example.com")

    customers = pd.DataFrame({
        "customer_id": ids,
        "first_name": first, "last_name": last, "email": email,
        "signup_date": signup.strftime("%Y-%m-%d"),
        "country": [CITIES[c][0] for c in city], "region": [CITIES[c][1] for c in city],
        "city": [CITIES[c][2] for c in city], "urbanicity": np.array(URBANICITY)[urban],
        "climate": [CITIES[c][3] for c in city],
        "age": age, "gender": np.array(GENDERS)[gender], "income_band": np.array(INCOME_BANDS)[income_idx],
        "education": np.array(EDUCATION)[edu_idx], "household": np.array(HOUSEHOLDS)[household],
        **{name: psycho[:, j] for j, name in enumerate(PSYCHOGRAPHICS)},
        "interests": interests,
        "preferred_channel": np.array(MARKETING_CHANNELS)[preferred],
        "consent_email": consent_email, "consent_sms": consent_sms, "consent_push": consent_push,
        "do_not_contact": do_not_contact,
        "followers": followers,
        "referred_by": pd.Series(referred_by, dtype="Int64").mask(referred_by < 0).to_numpy(),
    })
    latent = {"persona": persona, "signup_offset": np.floor(signup_offset), "uses_app": uses_app}
    return customers, latent


# --------------------------------------------------------------------------- behaviour
def _affinities(rng: np.random.Generator, persona: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's own category tastes (purchase and browse), scattered around the persona's."""
    base = _persona_array("categories")[persona]
    buy = rng.gamma(base * 2.5 + 0.05)
    buy /= buy.sum(axis=1, keepdims=True)
    extra = _persona_array("browse_extra")[persona]
    browse = 0.7 * buy + 0.3 * (extra / extra.sum(axis=1, keepdims=True))
    return buy, browse


def _order_schedule(rng: np.random.Generator, latent: dict) -> tuple[np.ndarray, np.ndarray]:
    """Customer index and day offset of every organic order, before and after the drift date."""
    persona = latent["persona"]
    n = len(persona)
    rate = rng.gamma(2.0, _persona_array("orders_per_year")[persona] / 2.0) / 365.25
    latent["rate"] = rate
    lapse_after = rng.exponential(365.25 / _persona_array("lapse_per_year")[persona])
    start = np.clip(latent["signup_offset"], 0, None)
    lapse = latent["signup_offset"] + 30 + lapse_after
    end = np.clip(lapse, start, N_DAYS)
    latent["lapse_offset"] = lapse
    latent["active_end"] = end

    drift = _persona_array("drift")[persona]
    pieces = []
    for lo, hi, mult in ((start, np.minimum(end, DRIFT_DAY), np.ones(n)),
                         (np.maximum(start, DRIFT_DAY), end, drift)):
        hi = np.maximum(hi, lo)
        counts = rng.poisson(rate * mult * _intensity_between(lo, hi))
        pieces.append((np.repeat(np.arange(n), counts), _draw_times(rng, lo, hi, counts)))
    cust = np.concatenate([p[0] for p in pieces])
    day = np.concatenate([p[1] for p in pieces])
    return cust, day


def _expected_orders(latent: dict, lo: float, hi: float) -> np.ndarray:
    """Expected organic orders per customer between two day offsets (used for true probabilities)."""
    persona = latent["persona"]
    start = np.clip(np.maximum(latent["signup_offset"], lo), lo, hi)
    end = np.clip(latent["active_end"], start, hi)
    mult = np.where(lo >= DRIFT_DAY, _persona_array("drift")[persona], 1.0)
    return latent["rate"] * mult * _intensity_between(start, end)


def _run_campaign(rng: np.random.Generator, customers: pd.DataFrame, latent: dict,
                  order_cust: np.ndarray, order_day: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, dict]:
    """Randomize eligible customers, then let contact add or remove orders in the window."""
    persona = latent["persona"]
    n = len(persona)
    lo, hi = CAMPAIGN_DAY, CAMPAIGN_DAY + CAMPAIGN_WINDOW_DAYS
    eligible = (customers["consent_email"].to_numpy() & ~customers["do_not_contact"].to_numpy()
                & (latent["signup_offset"] < lo))
    treated = eligible & (rng.random(n) < 0.5)

    p_control = 1 - np.exp(-_expected_orders(latent, lo, hi))
    price_sens = np.nan_to_num(customers["price_sensitivity"].to_numpy(float), nan=4.0)
    lapsed_by_send = latent["lapse_offset"] < lo
    tau = (_persona_array("uplift")[persona] + 0.012 * (price_sens - 4)
           + np.where(lapsed_by_send, 0.03, 0) + rng.normal(0, 0.01, n))
    tau = np.clip(tau, -p_control, 1 - p_control)

    in_window = (order_day >= lo) & (order_day < hi)
    has_window_order = np.bincount(order_cust[in_window], minlength=n) > 0
    u = rng.random(n)
    # persuadable: would not have bought, buys because of the email
    induced = treated & ~has_window_order & (tau > 0) & (u < tau / np.maximum(1 - p_control, 1e-9))
    # put off: would have bought, does not because of the email
    deterred = treated & has_window_order & (tau < 0) & (u < -tau / np.maximum(p_control, 1e-9))
    keep = ~(in_window & deterred[order_cust])
    new_cust = np.flatnonzero(induced)
    new_day = lo + np.minimum(rng.exponential(3.0, len(new_cust)), CAMPAIGN_WINDOW_DAYS - 0.01)
    order_cust = np.concatenate([order_cust[keep], new_cust])
    order_day = np.concatenate([order_day[keep], new_day])
    from_campaign = np.concatenate([np.zeros(keep.sum(), bool), np.ones(len(new_cust), bool)])

    opened = treated & (rng.random(n) < _persona_array("open_rate")[persona])
    clicked = opened & (rng.random(n) < 0.22)
    opened |= induced
    clicked |= induced
    campaign = pd.DataFrame({
        "campaign_id": CAMPAIGN_ID, "customer_id": customers["customer_id"].to_numpy(),
        "arm": np.where(treated, "treatment", "control"), "sent": treated,
        "opened": opened, "clicked": clicked,
    })[eligible]
    truth = {"p_convert_control": p_control, "p_convert_treated": p_control + tau, "true_uplift": tau,
             "campaign_eligible": eligible}
    return campaign, order_cust, order_day, from_campaign, truth


def _make_lines(rng: np.random.Generator, customers: pd.DataFrame, latent: dict, buy: np.ndarray,
                order_cust: np.ndarray, order_day: np.ndarray, from_campaign: np.ndarray,
                first_order_id: int, choice_cum: np.ndarray, products: pd.DataFrame) -> pd.DataFrame:
    persona = latent["persona"]
    # order ids follow time within a chunk
    order = np.lexsort((order_cust, order_day))
    order_cust, order_day, from_campaign = order_cust[order], order_day[order], from_campaign[order]
    n_orders = len(order_cust)
    order_ids = np.arange(first_order_id, first_order_id + n_orders)
    p_ord = persona[order_cust]

    # channel: persona mix, more app after the drift date for app-shifting personas
    mix = _persona_array("channels")[p_ord].copy()
    shift = np.where(order_day >= DRIFT_DAY, _persona_array("app_shift")[p_ord], 0) + order_day / N_DAYS * 0.06
    mix[:, 1] += shift
    mix[:, 2] = np.maximum(mix[:, 2] - shift, 0.01)
    mix[:, 1] = np.where(latent["uses_app"][order_cust], mix[:, 1] * 1.5, mix[:, 1] * 0.2)
    channel = _categorical(rng, mix)
    channel[from_campaign & (channel == 2)] = 0  # the email links to the web shop
    hour = np.where(channel == 2, rng.uniform(9 / 24, 20 / 24, n_orders), rng.beta(4, 2.2, n_orders))
    order_day = np.floor(order_day) + hour * 0.999
    cancelled = rng.random(n_orders) < 0.02

    n_lines = 1 + rng.poisson(_persona_array("lines_per_order")[p_ord] - 1)
    line_order = np.repeat(np.arange(n_orders), n_lines)
    line_number = np.arange(len(line_order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    line_cust = order_cust[line_order]
    line_persona = persona[line_cust]
    category = _pick_rows(rng, np.cumsum(buy[line_cust], axis=1))
    within = _pick_rows(rng, choice_cum[line_persona, category])
    product_idx = category * PRODUCTS_PER_CATEGORY + within
    price = products["price"].to_numpy()[product_idx]
    quantity = 1 + rng.poisson(np.where(np.isin(category, [4, 11]), 0.5, 0.15))
    month = _to_timestamps(order_day[line_order]).dt.month.to_numpy()
    p_disc = _persona_array("discount_use")[line_persona] * np.where(np.isin(month, [11, 12]), 1.6, 1.0)
    discount = np.where(rng.random(len(line_order)) < p_disc,
                        rng.choice([0.1, 0.2, 0.3], len(line_order), p=[.5, .35, .15]), 0.0)
    discount = np.where(from_campaign[line_order], np.maximum(discount, 0.15), discount)

    status = np.where(cancelled[line_order], "cancelled", "completed")
    lines = pd.DataFrame({
        "order_id": order_ids[line_order], "line_number": line_number,
        "customer_id": customers["customer_id"].to_numpy()[line_cust],
        "order_day": order_day[line_order],
        "product_id": products["product_id"].to_numpy()[product_idx],
        "quantity": quantity, "unit_price": price, "discount": discount,
        "channel": np.array(ORDER_CHANNELS)[channel[line_order]], "status": status,
    })

    # returns: a second row with negative quantity, dated when the goods came back
    ret_rate = _persona_array("return_rate")[line_persona] * np.where(np.isin(category, [0, 1, 7, 8]), 1.5, 0.6)
    returned = (status == "completed") & (rng.random(len(lines)) < ret_rate)
    returns = lines[returned].copy()
    returns["order_day"] = returns["order_day"] + rng.uniform(3, 30, len(returns))
    returns = returns[returns["order_day"] < N_DAYS]
    returns["quantity"] = -returns["quantity"]
    returns["status"] = "returned"
    lines = pd.concat([lines, returns], ignore_index=True)
    return lines


def _make_events(rng: np.random.Generator, customers: pd.DataFrame, latent: dict, browse: np.ndarray,
                 products: pd.DataFrame) -> pd.DataFrame:
    persona = latent["persona"]
    n = len(persona)
    start = np.clip(latent["signup_offset"], 0, None)
    end = np.clip(latent["lapse_offset"] + 45, start, N_DAYS)  # browsing fades after buying stops
    rate = latent["rate"] * _persona_array("events_per_order")[persona] + 2.0 / 365.25
    counts = rng.poisson(rate * _intensity_between(start, end))
    cust = np.repeat(np.arange(n), counts)
    day = _draw_times(rng, start, end, counts)
    etype_p = np.tile([.66, .10, .12, .05, .07], (len(cust), 1))
    fan = persona[cust] == PERSONA_NAMES.index("fantasy fan")
    etype_p[fan, 3] = .12
    etype = _categorical(rng, etype_p)
    category = _pick_rows(rng, np.cumsum(browse[cust], axis=1))
    within = rng.integers(0, PRODUCTS_PER_CATEGORY, len(cust))
    product = products["product_id"].to_numpy()[category * PRODUCTS_PER_CATEGORY + within].astype(object)
    product[etype == 1] = None  # a search names a category, not a product
    events = pd.DataFrame({
        "customer_id": customers["customer_id"].to_numpy()[cust], "event_day": day,
        "event_type": np.array(EVENT_TYPES)[etype], "product_id": product,
        "category": np.array(CATEGORIES)[category],
    })
    return events.sort_values(["event_day", "customer_id"], kind="stable", ignore_index=True)


# --------------------------------------------------------------------------- mess
def _add_order_mess(rng: np.random.Generator, lines: pd.DataFrame) -> pd.DataFrame:
    """What real order exports look like: guest checkouts, double-submitted lines, untidy codes."""
    lines["customer_id"] = lines["customer_id"].astype("Int64")
    guest_orders = rng.random(lines["order_id"].max() + 1) < 0.004
    lines.loc[guest_orders[lines["order_id"].to_numpy()], "customer_id"] = pd.NA
    untidy = rng.random(len(lines)) < 0.006
    messy = np.array([" Web", "WEB", "App ", "APP", "Store", " store"])
    lines.loc[untidy, "channel"] = messy[rng.integers(0, len(messy), untidy.sum())]
    dup = rng.random(len(lines)) < 0.003
    lines = pd.concat([lines, lines[dup]]).sort_index(kind="stable").reset_index(drop=True)
    return lines


def _add_customer_mess(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    untidy = rng.random(len(customers)) < 0.01
    customers.loc[untidy, "email"] = " " + customers.loc[untidy, "email"].str.upper()
    dup = rng.random(len(customers)) < 0.002
    return pd.concat([customers, customers[dup]]).sort_index(kind="stable").reset_index(drop=True)


def _add_event_mess(rng: np.random.Generator, events: pd.DataFrame) -> pd.DataFrame:
    events["customer_id"] = events["customer_id"].astype("Int64")
    anonymous = rng.random(len(events)) < 0.01
    events.loc[anonymous, "customer_id"] = pd.NA
    dup = rng.random(len(events)) < 0.002
    return pd.concat([events, events[dup]]).sort_index(kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- one chunk
@dataclass
class WorldChunk:
    customers: pd.DataFrame
    orders: pd.DataFrame
    events: pd.DataFrame
    campaign: pd.DataFrame
    truth: pd.DataFrame


def _campaign_outcomes(campaign: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    lo, hi = CAMPAIGN_DAY, CAMPAIGN_DAY + CAMPAIGN_WINDOW_DAYS
    window = lines[(lines["status"] == "completed") & (lines["order_day"] >= lo) & (lines["order_day"] < hi)
                   & lines["customer_id"].notna()].drop_duplicates()
    revenue = (window["quantity"] * window["unit_price"] * (1 - window["discount"])).groupby(window["customer_id"]).sum()
    campaign = campaign.copy()
    campaign["revenue"] = np.round(campaign["customer_id"].map(revenue).fillna(0.0).to_numpy(float), 2)
    campaign["converted"] = campaign["revenue"] > 0
    return campaign[["campaign_id", "customer_id", "arm", "sent", "opened", "clicked", "converted", "revenue"]]


def generate_chunk(seed: int, chunk_index: int, n: int, first_order_id: int,
                   products: pd.DataFrame, choice_cum: np.ndarray) -> WorldChunk:
    """One chunk of customers with all their rows. Deterministic in (seed, chunk_index, n)."""
    rng = np.random.default_rng([seed, chunk_index])
    customers, latent = _make_customers(rng, n, first_id=chunk_index * CHUNK_SIZE + 1)
    buy, browse = _affinities(rng, latent["persona"])
    order_cust, order_day = _order_schedule(rng, latent)
    campaign, order_cust, order_day, from_campaign, truth = _run_campaign(rng, customers, latent, order_cust, order_day)
    lines = _make_lines(rng, customers, latent, buy, order_cust, order_day, from_campaign,
                        first_order_id, choice_cum, products)
    events = _make_events(rng, customers, latent, browse, products)

    lines = lines.sort_values(["order_id", "order_day", "line_number"], kind="stable", ignore_index=True)
    lines = _add_order_mess(rng, lines)
    # outcomes as the analyst can see them: a guest checkout cannot be attributed to anyone
    campaign = _campaign_outcomes(campaign, lines)
    lines.insert(3, "order_ts", _to_timestamps(lines.pop("order_day").to_numpy()).dt.strftime("%Y-%m-%d %H:%M:%S"))
    events = _add_event_mess(rng, events)
    events.insert(1, "event_ts", _to_timestamps(events.pop("event_day").to_numpy()).dt.strftime("%Y-%m-%d %H:%M:%S"))

    truth_df = pd.DataFrame({
        "customer_id": customers["customer_id"],
        "persona": np.array(PERSONA_NAMES)[latent["persona"]],
        "orders_per_year": np.round(latent["rate"] * 365.25, 3),
        "lapse_date": (HISTORY_START + pd.to_timedelta(np.floor(latent["lapse_offset"]), unit="D")).strftime("%Y-%m-%d"),
        "lapsed_by_as_of": latent["lapse_offset"] < N_DAYS,
        "campaign_eligible": truth["campaign_eligible"],
        "p_convert_control": np.round(truth["p_convert_control"], 5),
        "p_convert_treated": np.round(truth["p_convert_treated"], 5),
        "true_uplift": np.round(truth["true_uplift"], 5),
    })
    customers = _add_customer_mess(rng, customers)
    return WorldChunk(customers, lines, events, campaign, truth_df)


# --------------------------------------------------------------------------- writing
class _DeterministicCsvGz:
    """A gzip CSV writer whose bytes depend only on the rows (no timestamp or name in the header)."""

    def __init__(self, path: Path, compress: bool = True):
        self.path = path
        self._raw = open(path, "wb")
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0, compresslevel=6) if compress else None
        self._text = io.TextIOWrapper(self._gz or self._raw, encoding="utf-8", newline="")
        self._header_written = False

    def write(self, frame: pd.DataFrame) -> None:
        frame.to_csv(self._text, index=False, header=not self._header_written, lineterminator="\n")
        self._header_written = True

    def close(self) -> None:
        self._text.flush()
        self._text.detach()
        if self._gz is not None:
            self._gz.close()
        self._raw.close()


def _chunks(n_customers: int) -> Iterator[tuple[int, int]]:
    for index, start in enumerate(range(0, n_customers, CHUNK_SIZE)):
        yield index, min(CHUNK_SIZE, n_customers - start)


def generate_world(n_customers: int, seed: int, out: str | Path, compress: bool = True,
                   progress: bool | None = None, overwrite: bool = False) -> dict:
    """Write the whole retail world to ``out`` and return its metadata.

    Tables go to ``out/<table>.csv.gz``; the hidden truth goes to
    ``out/hidden/truth.csv.gz``; ``out/world.json`` records the parameters,
    the fixed dates and row counts. An existing world is never replaced
    unless ``overwrite`` is true. Large worlds are written chunk by chunk
    (``CHUNK_SIZE`` customers at a time) so memory does not grow with size.

    Example::

        meta = generate_world(200, seed=1, out="/tmp/tiny-world")
        meta["rows"]["orders"]        # how many order lines were written
    """
    if n_customers < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers}")
    out = Path(out)
    if (out / "world.json").exists() and not overwrite:
        raise FileExistsError(f"{out} already holds a world; choose another folder or pass overwrite=True "
                              "(--overwrite on the command line)")
    (out / "hidden").mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if compress else ".csv"
    products = make_products(seed)
    choice_cum = _product_choice_weights(products, seed)
    writers = {t: _DeterministicCsvGz(out / f"{t}{suffix}", compress) for t in TABLES if t != "products"}
    writers["truth"] = _DeterministicCsvGz(out / "hidden" / f"truth{suffix}", compress)
    rows = {t: 0 for t in writers}
    next_order_id = 100001
    chunk_list = list(_chunks(n_customers))
    bar = _progress_bar(len(chunk_list), progress)
    try:
        for index, n in chunk_list:
            chunk = generate_chunk(seed, index, n, next_order_id, products, choice_cum)
            next_order_id = int(chunk.orders["order_id"].max()) + 1 if len(chunk.orders) else next_order_id
            for table in writers:
                frame = getattr(chunk, table)
                writers[table].write(frame)
                rows[table] += len(frame)
            bar.update(1)
    finally:
        bar.close()
        for w in writers.values():
            w.close()
    product_writer = _DeterministicCsvGz(out / f"products{suffix}", compress)
    product_writer.write(products)
    product_writer.close()
    rows["products"] = len(products)
    meta = {
        "generator_version": GENERATOR_VERSION, "seed": seed, "n_customers": n_customers,
        "history_start": HISTORY_START.strftime("%Y-%m-%d"), "as_of": AS_OF.strftime("%Y-%m-%d"),
        "snapshot_dates": [d.strftime("%Y-%m-%d") for d in SNAPSHOT_DATES],
        "campaign": {"campaign_id": CAMPAIGN_ID, "send_date": CAMPAIGN_DATE.strftime("%Y-%m-%d"),
                     "attribution_window_days": CAMPAIGN_WINDOW_DAYS, "offer": CAMPAIGN_OFFER},
        "files": {t: f"{t}{suffix}" for t in TABLES}, "hidden_files": {"truth": f"hidden/truth{suffix}"},
        "rows": {t: rows[t] for t in (*TABLES, "truth")},
    }
    (out / "world.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar when asked (or, by default, for multi-chunk worlds); a silent stand-in otherwise."""
    show = total > 1 if progress is None else progress
    if show:
        from tqdm.auto import tqdm
        return tqdm(total=total, unit="chunk", desc=f"generating {total} chunks of {CHUNK_SIZE:,} customers")

    class _Silent:
        def update(self, _n: int) -> None: ...
        def close(self) -> None: ...
    return _Silent()


def file_checksums(folder: str | Path) -> dict[str, str]:
    """SHA-256 of every data file in a world folder, as ``sha256sum`` computes it."""
    folder = Path(folder)
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in _world_files(folder)}


def _world_files(folder: Path) -> list[Path]:
    """The generated files of a world folder; ``real/`` beside them holds public data the generator did not write."""
    return [path for path in sorted(folder.rglob("*.csv*")) if path.relative_to(folder).parts[0] != "real"]


def content_checksums(folder: str | Path) -> dict[str, str]:
    """SHA-256 of the *uncompressed* content of every CSV in a world folder.

    Checksumming the content rather than the .gz bytes keeps the check
    independent of the zlib build while still catching any changed row.
    """
    folder = Path(folder)
    sums = {}
    for path in _world_files(folder):
        opener = gzip.open if path.suffix == ".gz" else open
        digest = hashlib.sha256()
        with opener(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        sums[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return sums


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.world", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS, help="number of customers (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    parser.add_argument("--out", required=True, help="output folder (a new one; see --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace a world already in --out")
    parser.add_argument("--no-compress", action="store_true", help="write plain CSV (faster for very large worlds)")
    parser.add_argument("--checksums", action="store_true", help="also write CHECKSUMS.sha256 (check with sha256sum -c)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        meta = generate_world(args.customers, args.seed, args.out, compress=not args.no_compress,
                              progress=False if args.quiet else None, overwrite=args.overwrite)
    except FileExistsError as err:
        parser.error(str(err))
    if args.checksums:
        sums = file_checksums(args.out)
        Path(args.out, "CHECKSUMS.sha256").write_text("".join(f"{h}  {p}\n" for p, h in sums.items()), encoding="utf-8")
    print(json.dumps(meta["rows"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
