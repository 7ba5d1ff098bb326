"""How figures are printed: money from Decimal (never a float) with its currency, counts with
thousands separators. The printed value and the machine-readable `data-value` come from the
same rounding, so a test can compare either with the marts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money_value(amount: Decimal | None) -> Decimal | None:
    """The amount rounded to the cent (half up), as printed."""
    if amount is None:
        return None
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}: {amount!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount: Decimal | None, currency: str | None) -> str:
    """'1,234.57 USD'; a missing amount is an em dash, never 0."""
    value = money_value(amount)
    if value is None:
        return "\u2014"
    return f"{value:,.2f} {currency or ''}".strip()


def unit_money(amount: Decimal | None, currency: str | None) -> str:
    """A unit cost: four decimals below one unit of currency (cost per token-heavy drivers are
    often fractions of a cent), two above."""
    if amount is None:
        return "\u2014"
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}: {amount!r}")
    places = Decimal("0.0001") if abs(amount) < 1 else CENT
    return f"{amount.quantize(places, rounding=ROUND_HALF_UP):,} {currency or ''}".strip()


def count(value: int | float | Decimal | None, places: int = 0) -> str:
    if value is None:
        return "\u2014"
    return f"{value:,.{places}f}"


def percent(value: float | Decimal | None) -> str:
    """A ratio (0.25) as '25.0 %'."""
    if value is None:
        return "\u2014"
    return f"{Decimal(str(value)) * 100:,.1f} %"
