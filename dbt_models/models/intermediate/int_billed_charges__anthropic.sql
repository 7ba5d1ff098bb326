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

{% set values = vendor_account_columns('anthropic', 'Anthropic') %}
{%- do values.update({
        'charge_id': "'anthropic:' || anthropic_costs.cost_line_id",
        'provider_id': "'anthropic'",
        'service_provider_name': "'Anthropic'",
        'invoice_issuer_name': "'Anthropic'",
        'sub_account_id': 'anthropic_costs.workspace_id',
        'charge_period_start': 'anthropic_costs.charge_period_start',
        'charge_period_end': 'anthropic_costs.charge_period_end',
        'charge_category': "'Usage'",
        'charge_frequency': "'Usage-Based'",
        'charge_description': 'anthropic_costs.description',
        'service_name': "'Claude API'",
        'service_category': "'AI and Machine Learning'",
        'service_subcategory': "'Generative AI'",
        'model_raw': 'anthropic_costs.model_raw',
        'token_part': 'anthropic_costs.token_part',
        'is_batch': 'anthropic_costs.is_batch',
        'usage_api_tokens': 'cast(usage_api_line_tokens.usage_api_tokens as decimal(38, 10))',
        'billing_currency': 'anthropic_costs.currency',
        'billed_cost': 'cast(anthropic_costs.amount as ' ~ money_type() ~ ')',
        'effective_cost': 'cast(anthropic_costs.amount as ' ~ money_type() ~ ')',
        'contracted_cost': 'cast(anthropic_costs.amount as ' ~ money_type() ~ ')',
        'source_system': "'anthropic_cost_report'",
        'source_file': 'anthropic_costs.source_file',
        'source_row': 'anthropic_costs.source_row',
}) %}
select
    {{- billed_charge_columns(values) }}
from anthropic_costs
{{ vendor_account_joins('anthropic', 'anthropic_costs.workspace_id') }}
left join usage_api_line_tokens
    on anthropic_costs.cost_line_id = usage_api_line_tokens.cost_line_id
