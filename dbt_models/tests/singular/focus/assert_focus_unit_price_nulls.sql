-- FOCUS rule (ListUnitPrice-C-004-C, -C-005-C, -C-008-M; ContractedUnitPrice-C-005-C,
-- -C-006-C, -C-009-C): ListUnitPrice and ContractedUnitPrice MUST be null when ChargeCategory
-- is "Tax", MUST NOT be null when it is "Usage" or "Purchase" and ChargeClass is not
-- "Correction" (the providers here publish list prices and bill negotiated rates), and MUST
-- be non-negative when present.
with

checked as (

    select
        allocated_cost_id,
        charge_id,
        provider_id,
        charge_category,
        charge_class,
        list_unit_price,
        contracted_unit_price,
        (
            charge_category in ('Usage', 'Purchase')
            and (charge_class is distinct from 'Correction')
        ) as prices_required
    from {{ ref('fct_allocated_costs') }}

)

select
    *,
    case
        when charge_category = 'Tax' then 'unit prices must be null on Tax rows'
        when list_unit_price < 0 or contracted_unit_price < 0 then 'unit prices must be >= 0'
        when list_unit_price is null then 'ListUnitPrice must not be null on Usage/Purchase rows'
        else 'ContractedUnitPrice must not be null on Usage/Purchase rows'
    end as violation
from checked
where
    (
        charge_category = 'Tax'
        and (list_unit_price is not null or contracted_unit_price is not null)
    )
    or list_unit_price < 0
    or contracted_unit_price < 0
    or (prices_required and (list_unit_price is null or contracted_unit_price is null))
