-- One row per charge row of a cloud's FOCUS billing export (stg_focus__charges), conformed to
-- the billed charge columns of int_billed_charges_unioned: the export's own columns, as
-- given (the billing period is never recomputed from the charge period; token_quantity is
-- tokens, whatever block the cloud counts them in, Azure: 1K or 1M).
with

focus_charges as (

    select * from {{ ref('stg_focus__charges') }}

)

{%- set values = {
    'charge_id': "'focus:' || charge_row_id",
    'tags': 'cast(tags as ' ~ dbt.type_string() ~ ')',
    'source_system': "'focus:' || export_name",
} %}
{%- for column, data_type in billed_charge_column_types()
    if column not in values and column != 'usage_api_tokens' %}
    {%- do values.update({column: column}) %}
{%- endfor %}

select
    {{- billed_charge_columns(values) }}
from focus_charges
