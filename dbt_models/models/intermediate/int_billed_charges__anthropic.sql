-- One row per line of the Anthropic cost report (stg_anthropic__costs), conformed to the
-- billed charge columns of int_billed_charges_unioned. The report has amounts only: a line
-- takes the tokens the usage report counted for its key (usage_api_tokens; never money).
{#- a usage row of the line's token type, service tier and context window (when it has them) -#}
{%- set line_matches -%}
    anthropic_costs.token_type = vendor_usage.vendor_token_type
        and (
            anthropic_costs.service_tier is null
            or anthropic_costs.service_tier = vendor_usage.service_tier
        )
        and (
            anthropic_costs.context_window is null
            or anthropic_costs.context_window = vendor_usage.context_window
        )
{%- endset %}
with

anthropic_costs as (

    select * from {{ ref('stg_anthropic__costs') }}

),

vendor_usage as (

    select * from {{ ref('int_vendor_usage_tokens') }}

),

-- the usage API's tokens for a line: same day, workspace, model, batch flag, service tier,
-- context window and token type. A usage report not grouped by a field the line has (say
-- context_window) matches nothing, and the estimate stays.
usage_api_line_tokens as (

    {{ usage_api_tokens_per_line('anthropic_costs', 'anthropic', 'workspace_id', line_matches) }}

),

{{ vendor_account_ctes() }}

{% set values = vendor_cost_line_columns(
    'anthropic', 'Anthropic', 'anthropic_costs', 'workspace_id', 'usage_api_line_tokens') %}
{%- do values.update({
        'charge_frequency': "'Usage-Based'",
        'charge_description': 'anthropic_costs.description',
        'service_name': "'Claude API'",
        'source_system': "'anthropic_cost_report'",
}) %}
select
    {{- billed_charge_columns(values) }}
from anthropic_costs
{{ vendor_account_joins('anthropic', 'anthropic_costs.workspace_id') }}
left join usage_api_line_tokens
    on anthropic_costs.cost_line_id = usage_api_line_tokens.cost_line_id
