-- One row per billed charge x owner: every cost and quantity column of the charge split by the
-- owner's share of the weights. Splits are exact: amounts are converted to integer units of
-- 10^-allocation_scale, each owner gets floor(units x weight / total weight), and the few
-- units left over go to the owner with the largest weight (ties: owner keys in order), so the
-- rows of a charge always sum to the charge and no row changes its sign.
-- Lines over 100 characters are left from issue 12's lint pass (README "SQL lint"):
-- break them, then drop the next line.
-- noqa: disable=LT05
{%- set owner_columns = owner_keys() %}
{#- quantities follow the same split as the money, so every owner's row keeps
    ListCost = ListUnitPrice x PricingQuantity -#}
{#- the reporting-currency amounts of the charge (converted once, per charge) are split the
    same way, so an owner's rows of a charge sum to its converted cost exactly -#}
{%- set cost_columns = ['billed_cost', 'effective_cost', 'list_cost', 'contracted_cost', 'pricing_quantity', 'consumed_quantity',
                        'billed_cost_reporting', 'effective_cost_reporting', 'list_cost_reporting', 'contracted_cost_reporting'] %}
with

billed_charges as (

    select * from {{ ref('int_billed_charges_unioned') }}

),

converted as (

    select * from {{ ref('int_charges_converted_to_reporting_currency') }}

),

charges as (

    select
        billed_charges.*,
        converted.billed_cost_reporting,
        converted.effective_cost_reporting,
        converted.list_cost_reporting,
        converted.contracted_cost_reporting
    from billed_charges
    left join converted
        on billed_charges.charge_id = converted.charge_id

),

weights as (

    select * from {{ ref('int_allocation_weights') }}

),

weighted as (

    select
        weights.*,
        {{ to_units('weights.weight') }} as weight_units,
        sum({{ to_units('weights.weight') }}) over (partition by weights.charge_id) as total_weight_units,
        row_number() over (
            partition by weights.charge_id
            order by weights.weight desc, {{ owner_key_list('weights') }}
        ) as weight_rank,
        {% for column in cost_columns -%}
            {{ to_units('charges.' ~ column) }} as {{ column }}_units,
        {% endfor -%}
        charges.charge_id is not null as has_charge
    from weights
    inner join charges
        on weights.charge_id = charges.charge_id

),

floored as (

    select
        *,
        {% for column in cost_columns -%}
            {% set floor_units = integer_divide(
                'abs(' ~ column ~ '_units) * weight_units', 'total_weight_units') -%}
            {{ floor_units }} as {{ column }}_floor_units{% if not loop.last %},{% endif %}
        {% endfor %}
    from weighted

),

remainders_placed as (

    select
        *,
        {% for column in cost_columns -%}
            sign({{ column }}_units) * (
                {{ column }}_floor_units
                + case when weight_rank = 1
                        then abs({{ column }}_units) - sum({{ column }}_floor_units) over (partition by charge_id)
                    else 0
                end
            ) as allocated_{{ column }}_units{% if not loop.last %},{% endif %}
        {% endfor %}
    from floored

)

select
    charge_id,
    {% for key in owner_columns %}{{ key }},
    {% endfor -%}
    allocated_method_id,
    rule_id,
    basis,
    weight,
    weight_rank,
    match_scope,
    allocated_tokens,
    allocated_reasoning_tokens,
    allocated_requests,
    {% for column in cost_columns -%}
        {{ from_units('allocated_' ~ column ~ '_units') }} as {{ column }}{% if not loop.last %},{% endif %}
    {% endfor %}
from remainders_placed
