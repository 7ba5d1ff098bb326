-- One row per line of the Anthropic cost report (stg_anthropic__costs), conformed to the
-- billed charge columns of int_billed_charges_unioned. The report has amounts only: a line
-- takes the tokens the usage report counted for its key (usage_api_tokens; never money).
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

    select
        anthropic_costs.cost_line_id,
        sum(vendor_usage.usage_api_tokens) as usage_api_tokens
    from anthropic_costs
    inner join vendor_usage
        on {{ usage_key_matches('anthropic_costs', 'vendor_usage',
            left_exprs={'provider_id': "'anthropic'",
                        'usage_date': 'cast(anthropic_costs.charge_period_start as date)',
                        'sub_account_id': 'anthropic_costs.workspace_id',
                        'model_id': 'anthropic_costs.model_raw'},
            right_exprs={'model_id': 'vendor_usage.model_raw'},
            null_safe_sub_account=true) }}
        and anthropic_costs.token_type = vendor_usage.vendor_token_type
        and (
            anthropic_costs.service_tier is null
            or anthropic_costs.service_tier = vendor_usage.service_tier
        )
        and (
            anthropic_costs.context_window is null
            or anthropic_costs.context_window = vendor_usage.context_window
        )
    group by 1

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
