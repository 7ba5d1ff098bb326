-- One row per line of the OpenAI costs API (stg_openai__costs), conformed to the billed
-- charge columns of int_billed_charges_unioned. A line with no token quantity of its own
-- takes the tokens the usage API counted for its key (usage_api_tokens; never money).
with

openai_costs as (

    select * from {{ ref('stg_openai__costs') }}

),

vendor_usage as (

    select * from {{ ref('int_vendor_usage_tokens') }}

),

-- the usage API's tokens for a line without a quantity: same day, project, model, batch flag
-- and token type
usage_api_line_tokens as (

    {{ usage_api_tokens_per_line('openai_costs', 'openai', 'project_id',
        "vendor_usage.vendor_token_type = replace(openai_costs.line_item_kind, 'batch ', '')",
        where='openai_costs.quantity is null') }}

),

{{ vendor_account_ctes() }}

{# a platform fee is a recurring usage charge (not a prepayment: FOCUS would then want its
    EffectiveCost amortised to zero) -#}
{% set values = vendor_cost_line_columns(
    'openai', 'OpenAI', 'openai_costs', 'project_id', 'usage_api_line_tokens') %}
{%- do values.update({
        'charge_frequency': "case when openai_costs.model_raw is null"
            ~ " and openai_costs.line_item ilike '%fee%' then 'Recurring' else 'Usage-Based' end",
        'charge_description': 'openai_costs.line_item',
        'service_name': "'OpenAI API'",
        'token_quantity': 'cast(openai_costs.quantity as decimal(38, 10))',
        'consumed_quantity': 'cast(openai_costs.quantity as decimal(38, 10))',
        'consumed_unit': "case when openai_costs.quantity is not null then 'Tokens' end",
        'source_system': "'openai_costs_api'",
}) %}
select
    {{- billed_charge_columns(values) }}
from openai_costs
{{ vendor_account_joins('openai', 'openai_costs.project_id') }}
left join usage_api_line_tokens
    on openai_costs.cost_line_id = usage_api_line_tokens.cost_line_id
