-- One row per billed charge: its four cost columns converted from the billing currency to the
-- reporting currency (var reporting_currency) at the rate in force on the charge's day
-- (var fx_rate_basis: 'daily', or 'month_end' of the charge's month). The billing-currency
-- money is not touched. No rate: fx_rate and the converted amounts are null, never 0 or a
-- rate of 1 (assert_every_charge_has_a_reporting_rate fails naming currency and day).
with

charges as (

    select * from {{ ref('int_billed_charges_unioned') }}

),

dated as (

    select
        charge_id,
        billing_currency,
        billed_cost,
        effective_cost,
        list_cost,
        contracted_cost,
        {{ fx_rate_date('charge_date') }} as fx_rate_date
    from charges

),

rated as (

    select
        dated.*,
        {{ fx_rate_to_reporting('dated.billing_currency', 'from_rate', 'to_rate') }} as fx_rate
    from dated
    {{ join_fx_rate_in_force('from_rate', 'dated.billing_currency', 'dated.fx_rate_date') }}
    {{ join_fx_rate_in_force('to_rate', "'" ~ reporting_currency() ~ "'", 'dated.fx_rate_date') }}

)

select
    charge_id,
    billing_currency,
    '{{ reporting_currency() }}' as reporting_currency,
    fx_rate_date,
    fx_rate,
    {% for column in ['billed_cost', 'effective_cost', 'list_cost', 'contracted_cost'] -%}
        {{ fx_convert(column, 'fx_rate') }}
            as {{ column }}_reporting{% if not loop.last %},{% endif %}
    {% endfor %}
from rated
