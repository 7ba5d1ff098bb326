{#- The columns every bill source's conform model (int_billed_charges__<source>) yields, in
    the order int_billed_charges_unioned unions them, with their types: the FOCUS columns a
    bill line can carry plus the project's own (model_raw, token_part, is_batch,
    token_quantity, usage_api_tokens, source_*). -#}
{% macro billed_charge_column_types() -%}
    {%- set money = money_type() -%}
    {%- set text = dbt.type_string() -%}
    {%- set instant = timestamp_tz_type() -%}
    {%- set quantity = 'decimal(38, 10)' -%}
    {{ return([
        ('charge_id', text), ('provider_id', text), ('service_provider_name', text),
        ('invoice_issuer_name', text), ('billing_account_id', text),
        ('billing_account_name', text), ('sub_account_id', text),
        ('sub_account_name', text), ('charge_period_start', instant),
        ('charge_period_end', instant), ('billing_period_start', instant),
        ('billing_period_end', instant), ('charge_category', text),
        ('charge_frequency', text), ('charge_description', text),
        ('service_name', text), ('service_category', text),
        ('service_subcategory', text), ('model_raw', text), ('token_part', text),
        ('is_batch', 'boolean'), ('token_quantity', quantity), ('usage_api_tokens', quantity),
        ('consumed_quantity', quantity), ('consumed_unit', text),
        ('resource_id', text), ('resource_name', text), ('resource_type', text),
        ('region_id', text), ('region_name', text), ('billing_currency', text),
        ('billed_cost', money), ('effective_cost', money), ('contracted_cost', money),
        ('list_cost', money), ('list_unit_price', quantity), ('contracted_unit_price', quantity),
        ('pricing_quantity', quantity), ('pricing_unit', text), ('invoice_id', text),
        ('pricing_category', text), ('sku_id', text), ('sku_price_id', text),
        ('sku_meter', text), ('tags', text), ('source_system', text),
        ('source_file', text), ('source_row', 'bigint'),
    ]) }}
{%- endmacro %}

{#- The select list of a bill source's conform model: `values` maps a column to its
    expression; every other column is a typed null (the FOCUS padding, written once). -#}
{% macro billed_charge_columns(values) -%}
    {%- for column, data_type in billed_charge_column_types() %}
        {% if column in values -%}
        {{ values[column] }} as {{ column }}
        {%- else -%}
        cast(null as {{ data_type }}) as {{ column }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The vendor cost APIs name no organisation. A line's billing account is the one its
    project / workspace belongs to in the org seed, else the provider's only account there,
    else an explicit placeholder: a line is never dropped or duplicated for want of a mapping.
    vendor_account_ctes() defines project_accounts and provider_accounts;
    vendor_account_joins() joins them to `lines` (sub-account column `sub_account`);
    vendor_account_columns() gives billing_account_id / _name. -#}
{% macro vendor_account_ctes() -%}
project_accounts as (

    select provider_id, sub_account_id, billing_account_id, billing_account_name
    from {{ ref('org_provider_accounts') }}

),

provider_accounts as (

    select
        provider_id,
        case when count(distinct billing_account_id) = 1 then min(billing_account_id) end
            as billing_account_id,
        case when count(distinct billing_account_id) = 1 then min(billing_account_name) end
            as billing_account_name
    from project_accounts
    group by provider_id

)
{%- endmacro %}

{% macro vendor_account_joins(provider_id, sub_account) -%}
    left join project_accounts as project_account
        on project_account.provider_id = '{{ provider_id }}'
        and project_account.sub_account_id = {{ sub_account }}
    left join provider_accounts as provider_account
        on provider_account.provider_id = '{{ provider_id }}'
{%- endmacro %}

{% macro vendor_account_columns(provider_id, provider_name) -%}
    {{ return({
        'billing_account_id': "coalesce(project_account.billing_account_id, "
            ~ "provider_account.billing_account_id, 'unmapped-" ~ provider_id ~ "-account')",
        'billing_account_name': "coalesce(project_account.billing_account_name, "
            ~ "provider_account.billing_account_name, '" ~ provider_name
            ~ " account not in org_provider_accounts')",
    }) }}
{%- endmacro %}

{#- The billed charge columns every vendor cost line fills alike (a cost report line is a
    usage charge of the vendor's AI service, in its own currency, with billed = effective =
    contracted cost): `lines` is the cost lines' relation alias (stg_*__costs columns
    cost_line_id, charge_period_start / _end, model_raw, token_part, is_batch, currency, amount,
    source_file, source_row), `sub_account` its project / workspace column, `usage_tokens` the
    alias of the usage API's tokens per line. A vendor model adds what is its own. -#}
{% macro vendor_cost_line_columns(provider_id, provider_name, lines, sub_account,
                                  usage_tokens) -%}
    {%- set amount = 'cast(' ~ lines ~ '.amount as ' ~ money_type() ~ ')' %}
    {%- set values = vendor_account_columns(provider_id, provider_name) %}
    {%- do values.update({
        'charge_id': "'" ~ provider_id ~ ":' || " ~ lines ~ ".cost_line_id",
        'provider_id': "'" ~ provider_id ~ "'",
        'service_provider_name': "'" ~ provider_name ~ "'",
        'invoice_issuer_name': "'" ~ provider_name ~ "'",
        'sub_account_id': lines ~ '.' ~ sub_account,
        'charge_period_start': lines ~ '.charge_period_start',
        'charge_period_end': lines ~ '.charge_period_end',
        'charge_category': "'Usage'",
        'service_category': "'AI and Machine Learning'",
        'service_subcategory': "'Generative AI'",
        'model_raw': lines ~ '.model_raw',
        'token_part': lines ~ '.token_part',
        'is_batch': lines ~ '.is_batch',
        'usage_api_tokens': 'cast(' ~ usage_tokens ~ '.usage_api_tokens as decimal(38, 10))',
        'billing_currency': lines ~ '.currency',
        'billed_cost': amount,
        'effective_cost': amount,
        'contracted_cost': amount,
        'source_file': lines ~ '.source_file',
        'source_row': lines ~ '.source_row',
    }) %}
    {{ return(values) }}
{%- endmacro %}

{#- The usage API's tokens of each cost line of `lines` (a relation alias with cost_line_id,
    charge_period_start, model_raw and the project / workspace column `sub_account`): the rows
    of `usage` (int_vendor_usage_tokens) with the line's usage key (the vendor usage APIs may
    group by no project: a null one matches a null one) that also meet `matches` (the
    vendor's token type and grouping fields); `where`: which lines want them. -#}
{% macro usage_api_tokens_per_line(lines, provider_id, sub_account, matches, where=none,
                                   usage='vendor_usage') -%}
    select
        {{ lines }}.cost_line_id,
        sum({{ usage }}.usage_api_tokens) as usage_api_tokens
    from {{ lines }}
    inner join {{ usage }}
        on {{ usage_key_matches(lines, usage,
            left_exprs={'provider_id': "'" ~ provider_id ~ "'",
                        'usage_date': 'cast(' ~ lines ~ '.charge_period_start as date)',
                        'sub_account_id': lines ~ '.' ~ sub_account,
                        'model_id': lines ~ '.model_raw'},
            right_exprs={'model_id': usage ~ '.model_raw'},
            null_safe_sub_account=true) }}
        and {{ matches }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by 1
{%- endmacro %}
