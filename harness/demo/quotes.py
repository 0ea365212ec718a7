"""Finance quotes of the demo corpus: what each customer was offered, computed correctly.

The monthly payment comes from the standard amortisation formula with the monthly rate that
compounds to the APR; the total amount payable adds the deposit to all the payments.

The two payment figures are stored as the text a document prints ("11,592.80"), because a
float loses the trailing zero of the pence and would be filled into wording as "11,592.8".

>>> quote = price_quote(cash_price=8450, deposit=0, apr=9.9, term_months=84)
>>> quote.monthly_payment, quote.total_payable
(138.01, 11592.84)
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from harness.corpus.cases import FactValue

PRODUCT_NAMES = {
    "heat_pump": "air source heat pump",
    "solar_pv": "solar panel system",
    "battery": "home battery",
}
# (lowest, highest) cash price in pounds after grants, and the terms offered, per product.
_PRICE_RANGE = {"heat_pump": (5200, 12800), "solar_pv": (4800, 11500), "battery": (2900, 7400)}
_TERMS = {"heat_pump": (60, 84, 120), "solar_pv": (60, 84, 120), "battery": (36, 48, 60)}
# The lender panel and the representative APRs each lender quoted in autumn 2026.
LENDER_APRS = {
    "Northmoor Bank": (9.9, 11.9),
    "Kestrel Consumer Finance": (10.9, 12.9),
    "Alder Home Credit": (8.9, 9.9, 13.9),
}


@dataclass(frozen=True, slots=True)
class Quote:
    """One lender's finance quote, in whole pounds except the payment figures."""

    lender: str
    cash_price: int
    deposit: int
    apr: float
    term_months: int
    monthly_payment: float
    total_payable: float

    @property
    def amount(self) -> int:
        return self.cash_price - self.deposit

    def facts(self) -> dict[str, FactValue]:
        """The quote as case facts, payments as printed money text."""
        return {
            "lender": self.lender,
            "cash_price": self.cash_price,
            "deposit": self.deposit,
            "amount": self.amount,
            "apr": self.apr,
            "term_months": self.term_months,
            "monthly_payment": money(self.monthly_payment),
            "total_payable": money(self.total_payable),
        }


def money(value: float) -> str:
    """Pounds as printed: thousands separated, always two decimals.

    >>> money(11592.8)
    '11,592.80'
    """
    return f"{value:,.2f}"


def price_quote(
    *, cash_price: int, deposit: int, apr: float, term_months: int, lender: str = ""
) -> Quote:
    """The quote for these terms; payments rounded to the penny."""
    amount = cash_price - deposit
    rate = (1 + apr / 100) ** (1 / 12) - 1  # the monthly rate that compounds to the APR
    if rate == 0:
        monthly = amount / term_months
    else:
        monthly = amount * rate / (1 - (1 + rate) ** -term_months)
    monthly = round(monthly, 2)
    total = round(monthly * term_months + deposit, 2)
    return Quote(lender, cash_price, deposit, apr, term_months, monthly, total)


def draw_quote(rng: random.Random, product: str) -> Quote:
    """A realistic quote from one of the panel's lenders for ``product``."""
    low, high = _PRICE_RANGE[product]
    lender = rng.choice(sorted(LENDER_APRS))
    apr = rng.choice(LENDER_APRS[lender])
    term = rng.choice(_TERMS[product])
    cash_price = rng.randrange(low, high, 25)
    with_deposit = rng.random() < 0.35
    deposit = round(cash_price * 0.1 / 50) * 50 if with_deposit else 0
    return price_quote(
        cash_price=cash_price, deposit=deposit, apr=apr, term_months=term, lender=lender
    )
