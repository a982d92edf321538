"""The kit's vocabulary: table names and the codes the sample world uses, in one small module.

The generator (:mod:`helpers.world`), the data contract (:mod:`helpers.schema`)
and the feature definitions read their codes from here, so that no analysis
module needs to import the generator. These are the *sample's* codes: for an
analyst's own data, categories, channels and event types are read from the
data itself (:func:`helpers.scale.feature_definition`), never assumed.

Nothing here is a date: the sample's dates are in ``datasets/world.json``,
and every function that needs an as-of day takes it explicitly or reads it
from the loaded data's metadata.

>>> ORDER_CHANNELS
('web', 'app', 'store')
"""
from __future__ import annotations

TABLES = ("customers", "products", "orders", "events", "campaign")
HIDDEN_TABLES = ("truth",)

CATEGORIES = (
    "Men's Shirts", "Women's Activewear", "Outdoor Gear", "Home Decor", "Candles",
    "Electronics", "Fantasy Books", "Graphic Tees", "Footwear", "Kitchen",
    "Beauty", "Kids & Toys",
)
# (country, region, city, climate) of the sample's metro areas
PLACES = (
    ("US", "Northeast", "New York", "temperate"), ("US", "Northeast", "Boston", "cold"),
    ("US", "Northeast", "Philadelphia", "temperate"), ("US", "Midwest", "Chicago", "cold"),
    ("US", "Midwest", "Minneapolis", "cold"), ("US", "Midwest", "Columbus", "temperate"),
    ("US", "South", "Atlanta", "warm"), ("US", "South", "Houston", "hot"),
    ("US", "South", "Miami", "hot"), ("US", "South", "Nashville", "warm"),
    ("US", "West", "Denver", "cold"), ("US", "West", "Seattle", "mild-wet"),
    ("US", "West", "Los Angeles", "warm"), ("US", "West", "Phoenix", "hot"),
    ("CA", "Ontario", "Toronto", "cold"), ("CA", "Quebec", "Montreal", "cold"),
    ("CA", "British Columbia", "Vancouver", "mild-wet"), ("CA", "Alberta", "Calgary", "cold"),
)
CLIMATES = ("cold", "temperate", "mild-wet", "warm", "hot")
URBANICITY = ("urban", "suburban", "rural")
GENDERS = ("female", "male", "non-binary")
INCOME_BANDS = ("<25k", "25-50k", "50-75k", "75-100k", "100-150k", "150k+")
EDUCATION = ("high school", "some college", "bachelor", "graduate")
HOUSEHOLDS = ("single", "couple", "family with children", "shared")
PSYCHOGRAPHICS = ("price_sensitivity", "brand_loyalty", "eco_consciousness", "tech_savviness", "adventurousness")
INTERESTS = ("fitness", "outdoors", "fashion", "home", "cooking", "gaming", "fantasy", "reading",
             "tech", "sustainability", "travel", "music", "parenting", "beauty")
MARKETING_CHANNELS = ("email", "sms", "push", "social")
ORDER_CHANNELS = ("web", "app", "store")
ORDER_STATUSES = ("completed", "cancelled", "returned")
EVENT_TYPES = ("view", "search", "add_to_cart", "wishlist", "cart_abandon")
CAMPAIGN_ARMS = ("treatment", "control")
# the hidden personas' names (their behaviour is the generator's business)
PERSONA_NAMES = ("bargain hunter", "loyal premium", "urban trendsetter", "outdoor adventurer", "home nester",
                 "fantasy fan", "tech enthusiast", "eco minimalist")
