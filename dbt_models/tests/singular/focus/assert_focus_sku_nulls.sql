-- FOCUS rule (SkuId-C-004-C, -C-005-C; SkuPriceId-C-004-C, -C-005-C; SkuMeter-C-004-C):
-- SkuId (and SkuPriceId, once the fact carries it) MUST be null when ChargeCategory is "Tax"
-- and MUST NOT be null when it is "Usage" or "Purchase" and ChargeClass is not "Correction";
-- SkuMeter MUST be null when SkuId is null.
{%- set fact = ref('fct_allocated_costs') %}
{%- set columns = (
    adapter.get_columns_in_relation(fact) | map(attribute='name') | map('lower') | list
) if execute else [] %}
{%- set sku_price_id = 'sku_price_id' if 'sku_price_id' in columns else 'sku_id' %}
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_category,
    charge_class,
    sku_id,
    {{ sku_price_id }} as sku_price_id,
    sku_meter,
    case
        when charge_category = 'Tax' then 'SkuId/SkuPriceId must be null on Tax rows'
        when sku_id is null and sku_meter is not null then 'SkuMeter must be null when SkuId is'
        else 'SkuId/SkuPriceId must not be null on Usage/Purchase rows'
    end as violation
from {{ fact }}
where (charge_category = 'Tax' and (sku_id is not null or {{ sku_price_id }} is not null))
    or (
        charge_category in ('Usage', 'Purchase') and charge_class is distinct from 'Correction'
        and (sku_id is null or {{ sku_price_id }} is null)
    )
    or (sku_id is null and sku_meter is not null)
