-- One row per billed charge from every bill: FOCUS export rows, OpenAI cost lines, Anthropic
-- cost lines. Each keeps its four FOCUS cost columns apart in its billing currency. Vendor
-- API lines carry no list price: token lines with a quantity are priced from the catalog,
-- Anthropic lines are grossed up by the negotiated discount (price_overrides). A vendor line
-- without a token quantity of its own takes it from the vendor's usage API when that counted
-- the line's key (quantity_source says where each line's consumed quantity comes from); money
-- is never derived from those tokens.
with

focus_charges as (

    select * from {{ ref('stg_focus__charges') }}

),

openai_costs as (

    select * from {{ ref('stg_openai__costs') }}

),

anthropic_costs as (

    select * from {{ ref('stg_anthropic__costs') }}

),

vendor_usage as (

    select * from {{ ref('int_vendor_usage_tokens') }}

),

-- The usage API's tokens for a vendor line without a quantity: same day, project / workspace,
-- model, batch / service tier, context window and token type. A usage report not grouped by a
-- field the line has (say context_window) matches nothing, and the estimate stays.
usage_api_line_tokens as (

    select
        'anthropic:' || anthropic_costs.cost_line_id as charge_id,
        sum(vendor_usage.usage_api_tokens) as usage_api_tokens
    from anthropic_costs
    inner join vendor_usage
        on vendor_usage.provider_id = 'anthropic'
        and vendor_usage.usage_date = cast(anthropic_costs.charge_period_start as date)
        and vendor_usage.sub_account_id is not distinct from anthropic_costs.workspace_id
        and vendor_usage.model_raw = anthropic_costs.model_raw
        and vendor_usage.vendor_token_type = anthropic_costs.token_type
        and vendor_usage.is_batch = anthropic_costs.is_batch
        and (anthropic_costs.service_tier is null or vendor_usage.service_tier = anthropic_costs.service_tier)
        and (anthropic_costs.context_window is null or vendor_usage.context_window = anthropic_costs.context_window)
    group by 1
    union all
    select
        'openai:' || openai_costs.cost_line_id as charge_id,
        sum(vendor_usage.usage_api_tokens) as usage_api_tokens
    from openai_costs
    inner join vendor_usage
        on vendor_usage.provider_id = 'openai'
        and vendor_usage.usage_date = cast(openai_costs.charge_period_start as date)
        and vendor_usage.sub_account_id is not distinct from openai_costs.project_id
        and vendor_usage.model_raw = openai_costs.model_raw
        and vendor_usage.vendor_token_type = replace(openai_costs.line_item_kind, 'batch ', '')
        and vendor_usage.is_batch = openai_costs.is_batch
    where openai_costs.quantity is null
    group by 1

),

model_aliases as (

    select * from {{ ref('model_aliases') }}

),

model_matches as (

    select * from {{ ref('int_model_matches') }}

),

-- The vendor cost APIs name no organisation. A line's billing account is the one its project /
-- workspace belongs to in the org seed, else the provider's only account there, else an explicit
-- placeholder: a line is never dropped or duplicated for want of a mapping.
project_accounts as (

    select provider_id, sub_account_id, billing_account_id, billing_account_name
    from {{ ref('org_provider_accounts') }}

),

provider_accounts as (

    select
        provider_id,
        case when count(distinct billing_account_id) = 1 then min(billing_account_id) end as billing_account_id,
        case when count(distinct billing_account_id) = 1 then min(billing_account_name) end as billing_account_name
    from project_accounts
    group by provider_id

),

discounts as (

    select * from {{ ref('price_overrides') }}

),

prices as (

    select * from {{ ref('int_price_catalog') }}

),

openai_lines as (

    select
        'openai:' || openai_costs.cost_line_id as charge_id,
        'openai' as provider_id,
        'OpenAI' as service_provider_name,
        'OpenAI' as invoice_issuer_name,
        coalesce(project_account.billing_account_id, provider_account.billing_account_id,
                 'unmapped-openai-account') as billing_account_id,
        coalesce(project_account.billing_account_name, provider_account.billing_account_name,
                 'OpenAI account not in org_provider_accounts') as billing_account_name,
        openai_costs.project_id as sub_account_id,
        cast(null as varchar) as sub_account_name,
        openai_costs.charge_period_start,
        openai_costs.charge_period_end,
        cast(null as timestamptz) as billing_period_start,
        cast(null as timestamptz) as billing_period_end,
        -- a platform fee is a recurring usage charge (not a prepayment: FOCUS would then want
        -- its EffectiveCost amortised to zero)
        'Usage' as charge_category,
        case when openai_costs.model_raw is null and openai_costs.line_item ilike '%fee%'
            then 'Recurring' else 'Usage-Based' end as charge_frequency,
        openai_costs.line_item as charge_description,
        'OpenAI API' as service_name,
        'AI and Machine Learning' as service_category,
        'Generative AI' as service_subcategory,
        openai_costs.model_raw,
        openai_costs.token_part,
        openai_costs.is_batch,
        cast(openai_costs.quantity as decimal(38, 10)) as token_quantity,
        cast(openai_costs.quantity as decimal(38, 10)) as consumed_quantity,
        case when openai_costs.quantity is not null then 'Tokens' end as consumed_unit,
        cast(null as varchar) as resource_id,
        cast(null as varchar) as resource_name,
        cast(null as varchar) as resource_type,
        cast(null as varchar) as region_id,
        cast(null as varchar) as region_name,
        openai_costs.currency as billing_currency,
        cast(openai_costs.amount as {{ money_type() }}) as billed_cost,
        cast(openai_costs.amount as {{ money_type() }}) as effective_cost,
        cast(openai_costs.amount as {{ money_type() }}) as contracted_cost,
        cast(null as {{ money_type() }}) as list_cost,
        cast(null as decimal(38, 10)) as list_unit_price,
        cast(null as decimal(38, 10)) as contracted_unit_price,
        cast(null as decimal(38, 10)) as pricing_quantity,
        cast(null as varchar) as pricing_unit,
        cast(null as varchar) as invoice_id,
        cast(null as varchar) as pricing_category,
        cast(null as varchar) as sku_id,
        cast(null as varchar) as sku_price_id,
        cast(null as varchar) as sku_meter,
        cast(null as varchar) as tags,
        'openai_costs_api' as source_system,
        openai_costs.source_file,
        openai_costs.source_row
    from openai_costs
    left join project_accounts as project_account
        on project_account.provider_id = 'openai'
        and project_account.sub_account_id = openai_costs.project_id
    left join provider_accounts as provider_account
        on provider_account.provider_id = 'openai'

),

anthropic_lines as (

    select
        'anthropic:' || anthropic_costs.cost_line_id as charge_id,
        'anthropic' as provider_id,
        'Anthropic' as service_provider_name,
        'Anthropic' as invoice_issuer_name,
        coalesce(project_account.billing_account_id, provider_account.billing_account_id,
                 'unmapped-anthropic-account') as billing_account_id,
        coalesce(project_account.billing_account_name, provider_account.billing_account_name,
                 'Anthropic account not in org_provider_accounts') as billing_account_name,
        anthropic_costs.workspace_id as sub_account_id,
        cast(null as varchar) as sub_account_name,
        anthropic_costs.charge_period_start,
        anthropic_costs.charge_period_end,
        cast(null as timestamptz) as billing_period_start,
        cast(null as timestamptz) as billing_period_end,
        'Usage' as charge_category,
        'Usage-Based' as charge_frequency,
        anthropic_costs.description as charge_description,
        'Claude API' as service_name,
        'AI and Machine Learning' as service_category,
        'Generative AI' as service_subcategory,
        anthropic_costs.model_raw,
        anthropic_costs.token_part,
        anthropic_costs.is_batch,
        cast(null as decimal(38, 10)) as token_quantity,
        cast(null as decimal(38, 10)) as consumed_quantity,
        cast(null as varchar) as consumed_unit,
        cast(null as varchar) as resource_id,
        cast(null as varchar) as resource_name,
        cast(null as varchar) as resource_type,
        cast(null as varchar) as region_id,
        cast(null as varchar) as region_name,
        anthropic_costs.currency as billing_currency,
        cast(anthropic_costs.amount as {{ money_type() }}) as billed_cost,
        cast(anthropic_costs.amount as {{ money_type() }}) as effective_cost,
        cast(anthropic_costs.amount as {{ money_type() }}) as contracted_cost,
        cast(null as {{ money_type() }}) as list_cost,
        cast(null as decimal(38, 10)) as list_unit_price,
        cast(null as decimal(38, 10)) as contracted_unit_price,
        cast(null as decimal(38, 10)) as pricing_quantity,
        cast(null as varchar) as pricing_unit,
        cast(null as varchar) as invoice_id,
        cast(null as varchar) as pricing_category,
        cast(null as varchar) as sku_id,
        cast(null as varchar) as sku_price_id,
        cast(null as varchar) as sku_meter,
        cast(null as varchar) as tags,
        'anthropic_cost_report' as source_system,
        anthropic_costs.source_file,
        anthropic_costs.source_row
    from anthropic_costs
    left join project_accounts as project_account
        on project_account.provider_id = 'anthropic'
        and project_account.sub_account_id = anthropic_costs.workspace_id
    left join provider_accounts as provider_account
        on provider_account.provider_id = 'anthropic'

),

focus_lines as (

    select
        'focus:' || charge_row_id as charge_id,
        provider_id,
        service_provider_name,
        invoice_issuer_name,
        billing_account_id,
        billing_account_name,
        sub_account_id,
        sub_account_name,
        charge_period_start,
        charge_period_end,
        -- as the export gives it, never recomputed from the charge period
        billing_period_start,
        billing_period_end,
        charge_category,
        charge_frequency,
        charge_description,
        service_name,
        service_category,
        service_subcategory,
        model_raw,
        token_part,
        is_batch,
        -- tokens, whatever block the cloud counts them in (Azure: 1K or 1M)
        token_quantity,
        consumed_quantity,
        consumed_unit,
        resource_id,
        resource_name,
        resource_type,
        region_id,
        region_name,
        billing_currency,
        billed_cost,
        effective_cost,
        contracted_cost,
        list_cost,
        list_unit_price,
        contracted_unit_price,
        pricing_quantity,
        pricing_unit,
        invoice_id,
        pricing_category,
        sku_id,
        sku_price_id,
        sku_meter,
        cast(tags as varchar) as tags,
        'focus:' || export_name as source_system,
        source_file,
        source_row
    from focus_charges

),

unioned as (

    select * from focus_lines
    union all
    select * from openai_lines
    union all
    select * from anthropic_lines

),

enriched as (

    select
        unioned.*,
        {{ resolved_model_columns('model_aliases', 'model_matches', 'unioned') }},
        cast(unioned.charge_period_start as date) as charge_date,
        -- vendor API lines name no billing period: the calendar month of the charge (UTC)
        coalesce(unioned.billing_period_start, {{ dbt.date_trunc('month', 'unioned.charge_period_start') }})
            as billing_period_start_resolved,
        coalesce(unioned.billing_period_end, {{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'unioned.charge_period_start')) }})
            as billing_period_end_resolved,
        discounts.discount_pct,
        accounts.sub_account_name as seeded_sub_account_name
    from unioned
    left join model_aliases
        on unioned.provider_id = model_aliases.provider_id
        and unioned.model_raw = model_aliases.alias
    left join model_matches
        on unioned.provider_id is not distinct from model_matches.provider_id
        and coalesce(model_aliases.model_id, unioned.model_raw) = model_matches.model_raw
    left join {{ ref('org_provider_accounts') }} as accounts
        on unioned.provider_id = accounts.provider_id
        and unioned.sub_account_id = accounts.sub_account_id
    left join discounts
        on discounts.model_id = '*'
        and unioned.provider_id = discounts.provider_id
        and unioned.billing_account_id = discounts.billing_account_id
        and cast(unioned.charge_period_start as date) >= discounts.effective_from
        and (discounts.effective_to is null or cast(unioned.charge_period_start as date) < discounts.effective_to)

),

list_priced as (

    -- the catalog's standard rate for the part this line bills
    select
        enriched.*,
        case
            when enriched.token_part = 'input' and enriched.is_batch
                then coalesce(prices.batch_input_usd_per_mtok, prices.input_usd_per_mtok * {{ var('batch_price_factor') }})
            when enriched.token_part = 'input' then prices.input_usd_per_mtok
            when enriched.token_part = 'cache_read' then coalesce(prices.cache_read_usd_per_mtok, prices.input_usd_per_mtok)
            when enriched.token_part = 'cache_write' then coalesce(prices.cache_write_usd_per_mtok, prices.input_usd_per_mtok)
            when enriched.token_part = 'output' and enriched.is_batch
                then coalesce(prices.batch_output_usd_per_mtok, prices.output_usd_per_mtok * {{ var('batch_price_factor') }})
            when enriched.token_part = 'output' then prices.output_usd_per_mtok
        end as catalog_usd_per_mtok,
        prices.effective_from as catalog_effective_from
    from enriched
    left join prices
        on enriched.price_provider_id = prices.provider_id
        and enriched.model_id = prices.model_id
        and enriched.charge_date >= prices.effective_from
        and enriched.charge_date < prices.effective_to

),

logged_part_tokens as (

    -- tokens the logs saw per bill-line key and part: the quantity of a vendor line that names
    -- a model the catalog cannot price (its amount alone says nothing about tokens)
    {%- set parts = [('input', 'uncached_input_tokens'), ('cache_read', 'cache_read_tokens'),
                     ('cache_write', 'cache_write_tokens'), ('output', 'output_tokens + reasoning_tokens')] %}
    {%- for part, expression in parts %}
    select
        provider_id as usage_provider_id,
        sub_account_id as usage_sub_account_id,
        request_date as usage_date,
        model_id as usage_model_id,
        is_batch as usage_is_batch,
        '{{ part }}' as usage_token_part,
        sum({{ expression }}) as usage_tokens
    from {{ ref('int_usage_by_allocation_key') }}
    group by 1, 2, 3, 4, 5
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

costed as (

    select
        list_priced.*,
        cast(nullif(logged_part_tokens.usage_tokens, 0) as decimal(38, 10)) as logged_tokens,
        cast(usage_api_line_tokens.usage_api_tokens as decimal(38, 10)) as usage_api_tokens,
        case
            when list_cost is not null then list_cost
            -- OpenAI-style lines: quantity x catalog rate
            when token_quantity is not null and catalog_usd_per_mtok is not null
                then {{ tokens_to_cost('token_quantity', 'catalog_usd_per_mtok') }}
            -- Anthropic-style lines: billed / (1 - negotiated discount)
            when discount_pct is not null and discount_pct > 0 and charge_category = 'Usage'
                and model_id is not null
                then {{ money_divide('billed_cost', '(1 - discount_pct * 0.01)') }}
            else billed_cost
        end as list_cost_resolved,
        -- vendor API lines get FOCUS pricing columns derived here; FOCUS rows bring their own
        source_system in ('openai_costs_api', 'anthropic_cost_report') as is_vendor_api_line,
        -- a fee or tool charge is one unit per charge period; a token line that neither the
        -- catalog nor the logs can quantify (an unknown model with no logged usage) one unit
        case
            when list_priced.model_id is not null then 'Units'
            when charge_frequency = 'Recurring' then 'Months'
            else 'Days'
        end as fee_unit
    from list_priced
    left join logged_part_tokens
        on list_priced.catalog_usd_per_mtok is null
        and list_priced.token_quantity is null
        and list_priced.provider_id = logged_part_tokens.usage_provider_id
        and list_priced.sub_account_id = logged_part_tokens.usage_sub_account_id
        and list_priced.charge_date = logged_part_tokens.usage_date
        and list_priced.model_id = logged_part_tokens.usage_model_id
        and list_priced.is_batch = logged_part_tokens.usage_is_batch
        and list_priced.token_part = logged_part_tokens.usage_token_part
    left join usage_api_line_tokens
        on list_priced.token_quantity is null
        and list_priced.charge_id = usage_api_line_tokens.charge_id

)

select
    charge_id,
    provider_id,
    service_provider_name,
    invoice_issuer_name,
    billing_account_id,
    billing_account_name,
    sub_account_id,
    coalesce(sub_account_name, seeded_sub_account_name, sub_account_id) as sub_account_name,
    coalesce(invoice_id, provider_id || '-' || billing_account_id || '-' || strftime(billing_period_start_resolved, '%Y-%m'))
        as invoice_id,
    billing_period_start_resolved as billing_period_start,
    billing_period_end_resolved as billing_period_end,
    charge_period_start,
    charge_period_end,
    charge_date,
    charge_category,
    charge_frequency,
    charge_description,
    service_name,
    service_category,
    service_subcategory,
    model_id,
    token_part,
    is_batch,
    -- the bill's own token count, else the usage API's (never derived from money)
    coalesce(token_quantity, usage_api_tokens) as token_quantity,
    resource_id,
    resource_name,
    resource_type,
    region_id,
    region_name,
    billing_currency,
    billed_cost,
    effective_cost,
    contracted_cost,
    list_cost_resolved as list_cost,
    case
        when not is_vendor_api_line then list_unit_price
        when catalog_usd_per_mtok is not null then catalog_usd_per_mtok
        -- no catalog price: the line's own average over the tokens the logs saw
        when logged_tokens is not null then {{ money_divide('list_cost_resolved * 1000000', 'logged_tokens') }}
        -- a fee, or a line nothing can quantify: one unit at its amount
        else list_cost_resolved
    end as list_unit_price,
    case
        when not is_vendor_api_line then contracted_unit_price
        -- a line with its own quantity: the rate it was actually billed at (a vendor price the
        -- catalog has not caught up with shows as price variance, not as a broken FOCUS row)
        when token_quantity > 0 and catalog_usd_per_mtok is not null
            then {{ money_divide('contracted_cost * 1000000', 'token_quantity') }}
        when catalog_usd_per_mtok is not null
            then cast(catalog_usd_per_mtok * (1 - coalesce(discount_pct, 0) * 0.01) as decimal(38, 10))
        when logged_tokens is not null then {{ money_divide('billed_cost * 1000000', 'logged_tokens') }}
        else billed_cost
    end as contracted_unit_price,
    case
        when not is_vendor_api_line then pricing_quantity
        when token_quantity is not null and catalog_usd_per_mtok is not null then token_quantity * 0.000001
        -- the Anthropic cost report has amounts only: million tokens estimated from list cost
        when catalog_usd_per_mtok is not null and catalog_usd_per_mtok > 0
            then {{ money_divide('list_cost_resolved', 'catalog_usd_per_mtok') }}
        when logged_tokens is not null then logged_tokens * 0.000001
        else cast(1 as decimal(38, 10))
    end as pricing_quantity,
    case
        when not is_vendor_api_line then pricing_unit
        when catalog_usd_per_mtok is not null or logged_tokens is not null then '1000000 Tokens'
        else fee_unit
    end as pricing_unit,
    case
        when not is_vendor_api_line then consumed_quantity
        when consumed_quantity is not null then consumed_quantity
        -- real tokens from the usage API (the pricing block above stays consistent with money)
        when usage_api_tokens is not null then usage_api_tokens
        when catalog_usd_per_mtok is not null and catalog_usd_per_mtok > 0
            then {{ money_divide('list_cost_resolved', 'catalog_usd_per_mtok') }} * 1000000
        when logged_tokens is not null then logged_tokens
        else cast(1 as decimal(38, 10))
    end as consumed_quantity,
    case
        when not is_vendor_api_line then consumed_unit
        when consumed_quantity is not null or usage_api_tokens is not null
            or catalog_usd_per_mtok > 0 or logged_tokens is not null
            then 'Tokens'
        else fee_unit
    end as consumed_unit,
    -- where consumed_quantity comes from: the bill itself, the vendor's usage API, an estimate
    -- (from list cost at the catalog rate, or from the tokens the logs saw), or one unit
    case
        when not is_vendor_api_line then case when consumed_quantity is not null then 'bill' end
        when consumed_quantity is not null then 'bill'
        when usage_api_tokens is not null then 'usage_api'
        when catalog_usd_per_mtok is not null and catalog_usd_per_mtok > 0 then 'estimated_from_cost'
        when logged_tokens is not null then 'estimated_from_logs'
        else 'unit'
    end as quantity_source,
    case
        when not is_vendor_api_line then pricing_category
        else 'Standard'
    end as pricing_category,
    case
        when not is_vendor_api_line then sku_id
        when model_id is null then provider_id || ':' || lower(replace(charge_description, ' ', '-'))
        else provider_id || ':' || model_id || ':' || coalesce(token_part, 'other')
            || case when is_batch then ':batch' else '' end
    end as sku_id,
    case
        when not is_vendor_api_line then sku_price_id
        when model_id is null then provider_id || ':' || lower(replace(charge_description, ' ', '-'))
        else provider_id || ':' || model_id || ':' || coalesce(token_part, 'other')
            || case when is_batch then ':batch' else '' end
            || ':' || coalesce(cast(catalog_effective_from as varchar), 'unpriced')
    end as sku_price_id,
    case
        when not is_vendor_api_line then sku_meter
        else coalesce(token_part, 'fee')
    end as sku_meter,
    tags,
    source_system,
    source_file,
    source_row
from costed
