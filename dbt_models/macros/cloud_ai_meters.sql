{#- The one place that says which provider a name means and what a cloud AI bill line bills.

    provider_id_from_name: a log's provider name (LiteLLM custom_llm_provider, OpenTelemetry
    gen_ai.provider.name) as the warehouse provider id the bill side uses. Cloud AI services
    get their own ids (aws_bedrock, azure_openai, gcp_vertex_ai), apart from the cloud's other
    services (aws, azure, gcp), so token lines and the logs of the same calls meet.

    focus_provider_id: the same ids for a FOCUS row, from its service and provider names.

    cloud_ai_meter_columns: a FOCUS token line -> (model as billed, token part, batch flag,
    charge kind), for the three clouds:
      - Amazon Bedrock: usage type `<region>-<model>-input-tokens`, `...-output-tokens`,
        `...-cache-read-input-token-count`, `...-cache-write-input-token-count`, batch as
        `-batch-`; the model from the resource ARN (foundation-model/ or inference-profile/).
      - Azure OpenAI / Foundry Models: meter names such as `gpt-4o-0806-Inp-regnl Tokens`,
        `gpt-4o-mini-0718-Outp-glbl Tokens`, `gpt-4o-0806-cached-Inp-glbl Tokens`,
        `gpt-4o-mini-0718-Batch-Inp-glbl Tokens`, `gpt 4.1 mini Inp Data Zone Tokens`,
        `GPT 5 Mini Inpt Glbl 1M Tokens`: the model is what precedes the first kind word, less
        Azure's -MMDD snapshot tag (the meter names the model family, e.g. gpt-4o).
      - Vertex AI: SKU descriptions such as `Gemini 2.5 Flash GA Text Input - Predictions`,
        `Gemini 2.5 Flash Input Text`, `Gemini 2.5 Flash Cached Input Text`, `Gemini 2.5 Flash
        GA Thinking Text Output` (reasoning is billed as output), `... Batch ...`.
      - embedding meters (`text-embedding-3-large-glbl Tokens`) bill input.
    Provisioned throughput (Azure PTU hours, Vertex provisioned throughput / GSU) is its own
    kind, 'provisioned', with no model or token part: a shared charge that allocation_rules
    split by usage. A token line whose meter none of these rules reads keeps a null token part
    and model: it is never priced at zero and sits unallocated with the reason.
    The model as billed is then resolved like any other name (model_aliases, int_model_matches).
-#}

{#- the names are the seed provider_names (product reference data), listed per name_source
    ('log', 'focus_service', 'focus_provider'). `name` is a column of the caller's relation:
    the seed's columns (name_source, logged_name, provider_id) must not be its name, or the
    subquery reads its own. max(): Spark wants a correlated scalar subquery aggregated (names
    are unique per source). provider_id_listed: null for a name the seed does not list. -#}
{% macro provider_id_listed(name, name_source) -%}
    (select max(provider_names.provider_id)
     from {{ ref('provider_names') }} as provider_names
     where provider_names.name_source = '{{ name_source }}'
         and provider_names.logged_name = lower(trim({{ name }})))
{%- endmacro %}

{#- a name the seed does not list is its own id, lower case and trimmed -#}
{% macro provider_id_from_name(name, name_source='log') -%}
    coalesce({{ provider_id_listed(name, name_source) }}, lower(trim({{ name }})))
{%- endmacro %}

{#- a cloud's AI service (ServiceName) has its own id, else the cloud's (ServiceProviderName) -#}
{% macro focus_provider_id(service_name, service_provider_name) -%}
    coalesce(
        {{ provider_id_listed(service_name, 'focus_service') }},
        {{ provider_id_from_name(service_provider_name, 'focus_provider') }}
    )
{%- endmacro %}

{#- Tokens per unit of a token line's ConsumedUnit (Azure mixes 1K and 1M blocks; GCP counts
    tokens as 'count'); null: not a token unit. -#}
{% macro token_unit_size(consumed_unit) -%}
    case {{ regexp_replace_all('lower(trim(' ~ consumed_unit ~ '))', '\\s+', ' ') }}
        when 'tokens' then 1
        when 'token' then 1
        when 'count' then 1
        when '1k tokens' then 1000
        when '1000 tokens' then 1000
        when '1m tokens' then 1000000
        when '1000000 tokens' then 1000000
    end
{%- endmacro %}

{#- meter: the line's meter / SKU text, lower case, runs of spaces, dashes and underscores as
    one '-', a trailing ' - Predictions', block size and 'Tokens' removed. -#}
{% macro cloud_ai_meter_key(meter) -%}
    {{ regexp_replace_first(
        regexp_replace_first(
            regexp_replace_all('lower(trim(' ~ meter ~ '))', '[\\s_\\-]+', '-'),
            '-predictions$', ''),
        '(-1[km])?-tokens?$', '') }}
{%- endmacro %}

{% macro cloud_ai_meter_columns(provider_id, meter_key, usage_type, resource_id, unit_size) -%}
    {%- set azure_kind = '(batch|cached|cchd|cache|inp|inpt|input|outp|output|out|opt|glbl|gl|regnl|regional|dzone|dz|data-zone|global)' %}
    {%- set vertex_kind = '(ga|regional|global|batch|thinking|text|image|audio|video|cached|cache|input|output|live|long|short|priority|flex)' %}
    case
        when {{ unit_size }} is null then null
        when {{ provider_id }} = 'aws_bedrock'
            then {{ regexp_extract(resource_id, '(foundation-model|inference-profile)/(.+)$', 2) }}
        when {{ provider_id }} = 'azure_openai'
            then nullif({{ regexp_replace_first(
                regexp_extract(meter_key, '^(.+?)-' ~ azure_kind ~ '(-|$)', 1),
                '-(0[1-9]|1[0-2])[0-3][0-9]$', '') }}, '')
        when {{ provider_id }} = 'gcp_vertex_ai'
            then nullif({{ regexp_extract(meter_key, '^(.+?)-' ~ vertex_kind ~ '(-|$)', 1) }}, '')
    end as model_raw,
    case
        when {{ unit_size }} is null then null
        when {{ provider_id }} = 'aws_bedrock' then
            case
                when {{ usage_type }} like '%cache-read-input-token-count' then 'cache_read'
                when {{ usage_type }} like '%cache-write-input-token-count' then 'cache_write'
                when {{ usage_type }} like '%input-tokens' then 'input'
                when {{ usage_type }} like '%output-tokens' then 'output'
            end
        when {{ provider_id }} in ('azure_openai', 'gcp_vertex_ai') then
            case
                when {{ regexp_matches(meter_key, '(^|-)(provisioned|ptu|gsu)(-|$)') }} then null
                when {{ regexp_matches(meter_key, '(^|-)cache-storage(-|$)') }} then null
                when {{ regexp_matches(meter_key, '(^|-)(cache-write|cache-creation)(-|$)') }}
                    then 'cache_write'
                when {{ regexp_matches(meter_key, '(^|-)(cached|cchd|cache)(-|$)') }}
                    then 'cache_read'
                when {{ regexp_matches(meter_key, '(^|-)(outp|output|out|opt)(-|$)') }}
                    then 'output'
                when {{ regexp_matches(meter_key, '(^|-)(inp|inpt|input)(-|$)') }} then 'input'
                -- embedding meters name no direction: what they bill is input
                when {{ regexp_matches(meter_key, '(^|-)embeddings?(-|$)') }} then 'input'
            end
    end as token_part,
    case
        when {{ provider_id }} = 'aws_bedrock' then coalesce({{ usage_type }} like '%-batch-%', false)
        when {{ provider_id }} in ('azure_openai', 'gcp_vertex_ai')
            then coalesce({{ regexp_matches(meter_key, '(^|-)batch(-|$)') }}, false)
        else false
    end as is_batch,
    case
        when {{ provider_id }} in ('azure_openai', 'gcp_vertex_ai')
            and {{ regexp_matches(meter_key, '(^|-)(provisioned|ptu|gsu)(-|$)') }}
            then 'provisioned'
        when {{ provider_id }} in ('aws_bedrock', 'azure_openai', 'gcp_vertex_ai')
            and {{ unit_size }} is not null then 'tokens'
    end as ai_charge_kind
{%- endmacro %}
