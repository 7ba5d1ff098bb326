-- FOCUS rule (ListCost-C-009-C / ListUnitPrice-C-010-C; ContractedCost-C-009-C /
-- ContractedUnitPrice-C-011-C): when ListUnitPrice (ContractedUnitPrice) and PricingQuantity
-- are both not null and ChargeClass is not "Correction", ListUnitPrice x PricingQuantity
-- MUST equal ListCost (ContractedUnitPrice x PricingQuantity MUST equal ContractedCost).
-- Tolerance 1e-6 (one micro-unit of the billing currency), absolute: the costs are stored
-- at 10 decimal places and each owner's share of a split charge is rounded to 1e-10 on its
-- own, so price x quantity can differ from the stored cost by a few 1e-10 x the unit price;
-- 1e-6 absorbs that for unit prices up to ~1000 per pricing unit while still catching a
-- quantity or price that does not belong to the row (a wrong split is off by far more).
with

products as (

    select
        allocated_cost_id,
        charge_id,
        provider_id,
        charge_category,
        pricing_quantity,
        pricing_unit,
        list_unit_price,
        list_cost,
        list_unit_price * pricing_quantity as list_price_x_quantity,
        contracted_unit_price,
        contracted_cost,
        contracted_unit_price * pricing_quantity as contracted_price_x_quantity
    from {{ ref('fct_allocated_costs') }}
    where pricing_quantity is not null
        and charge_class is distinct from 'Correction'

)

select
    *,
    case
        when abs(list_price_x_quantity - list_cost) > 0.000001
            then 'ListCost <> ListUnitPrice x PricingQuantity'
        else 'ContractedCost <> ContractedUnitPrice x PricingQuantity'
    end as violation
from products
where abs(list_price_x_quantity - list_cost) > 0.000001
    or abs(contracted_price_x_quantity - contracted_cost) > 0.000001
