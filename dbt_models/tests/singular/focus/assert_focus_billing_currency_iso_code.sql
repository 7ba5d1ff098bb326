-- FOCUS rule (BillingCurrency-C-003-M, -C-004-M, -C-006-M; CurrencyFormat): BillingCurrency
-- MUST NOT be null and MUST be a national currency as a three-letter ISO 4217 alphabetic code
-- (upper case, e.g. USD, EUR).
select
    allocated_cost_id,
    charge_id,
    provider_id,
    billing_currency
from {{ ref('fct_allocated_costs') }}
where billing_currency is null
    or not {{ regexp_matches('billing_currency', '^[A-Z]{3}$') }}
