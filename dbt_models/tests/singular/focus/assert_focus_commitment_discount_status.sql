-- FOCUS rule (CommitmentDiscountStatus-C-003-C, -C-004-C, -C-005-M): CommitmentDiscountStatus
-- MUST be null when CommitmentDiscountId is null (no commitment discount applies), MUST NOT be
-- null for a Usage row that has a CommitmentDiscountId, and MUST be "Used" or "Unused".
-- While the fact has no commitment_discount_id column, no commitment discount applies to any
-- row and the status must be null everywhere.
{%- set fact = ref('fct_allocated_costs') %}
{%- set columns = (
    adapter.get_columns_in_relation(fact) | map(attribute='name') | map('lower') | list
) if execute else [] %}
{%- set has_id = 'commitment_discount_id' in columns %}
select
    allocated_cost_id,
    charge_id,
    provider_id,
    charge_category,
    {% if has_id %}commitment_discount_id{% else %}
        cast(null as varchar) as commitment_discount_id{% endif %},
    commitment_discount_status
from {{ fact }}
where (
    commitment_discount_status is not null
    and commitment_discount_status not in ('Used', 'Unused')
)
{%- if has_id %}
    or (commitment_discount_id is null and commitment_discount_status is not null)
    or (commitment_discount_id is not null and charge_category = 'Usage'
        and commitment_discount_status is null)
{%- else %}
    or commitment_discount_status is not null
{%- endif %}
