{#- The unit-economics KPI definitions, written once and used by every KPI mart
    (rpt_unit_economics_long, rpt_driver_unit_economics_long); the semantic layer's metrics
    (_unit_economics__semantic.yml) state the same formulas. -#}

{#- Direct cost: billed cost matched to an owner's own usage (a charge naming a model split
    by that usage). Fully loaded cost adds what allocation rules give the owner (platform
    fees, support, credits, GPU hosts, tool charges). Unallocated cost has no owner and is
    in neither: it is its own dimension value 'unallocated'. -#}
{% macro is_direct_cost(method_column) -%}
    ({{ method_column }} like 'direct_usage%')
{%- endmacro %}

{#- Reason the money KPIs of a slice are null although it has cost and a divisor: a billable
    request of the period is on a day its billing account's bill has not arrived for. -#}
{% macro incomplete_reason(unbilled_request_count) -%}
    case when coalesce({{ unbilled_request_count }}, 0) > 0 then 'not billed yet' end
{%- endmacro %}

{% macro is_billing_complete(unbilled_request_count) -%}
    (coalesce({{ unbilled_request_count }}, 0) = 0)
{%- endmacro %}

{#- cost / divisor (money, decimal, truncated at 10^-10), null while the period is not fully
    billed: a missing bill never reads as a low (or $0) unit cost. -#}
{% macro unit_cost(cost, divisor, unbilled_request_count) -%}
    case when {{ is_billing_complete(unbilled_request_count) }} then {{ money_divide(cost, divisor) }} end
{%- endmacro %}

{#- count / divisor as a double (tokens per driver, a ratio of counts, not money). -#}
{% macro count_ratio(count, divisor) -%}
    cast({{ count }} as double) / nullif(cast({{ divisor }} as double), 0)
{%- endmacro %}

{# Billing accounts as the allocated cost fact knows them, defined once for the KPIs, budgets
   and anomalies. A request carries no currency: it counts in the currency its billing account
   is billed in. A day after last_billed_date has no bill yet for the account (an account with
   no bill line at all has not been billed for any day). #}
{% macro account_currencies(allocated_costs) -%}
    {% call first_row_per(
        'billing_account_id', 'charge_date desc, billing_currency', drop=['charge_date']
    ) -%}
    select
        billing_account_id,
        billing_currency,
        charge_date
    from {{ allocated_costs }}
    {%- endcall %}
{%- endmacro %}

{% macro last_billed_days(allocated_costs) -%}
    select
        billing_account_id,
        max(charge_date) as last_billed_date
    from {{ allocated_costs }}
    group by billing_account_id
{%- endmacro %}

{#- A request not billed yet: billable, on a day after the last day its billing account has
    been billed for (or on an account never billed). Defined once for the KPIs (unbilled
    requests make a slice incomplete), budgets and anomalies (its contracted cost counts until
    the bill arrives). -#}
{% macro is_unbilled_request(requests, last_billed_days) -%}
    ({{ requests }}.pricing_status <> 'not_billable'
        and ({{ last_billed_days }}.last_billed_date is null
            or {{ requests }}.request_date > {{ last_billed_days }}.last_billed_date))
{%- endmacro %}

{#- The CTEs account_currencies and last_billed_days of the allocated cost relation
    `allocated_costs`, which is_unbilled_request and a request's currency read. -#}
{% macro billed_account_ctes(allocated_costs) -%}
account_currencies as (

    {{ account_currencies(allocated_costs) }}

),

last_billed_days as (

    {{ last_billed_days(allocated_costs) }}

)
{%- endmacro %}
