{#- How a model name as logged or billed becomes a catalog model. The organisation's hand alias
    (seeds/model_aliases.csv) wins: it names the model ('prod-gpt4o-eastus' -> 'gpt-4o'), and the
    name as logged is then never matched. genai-prices' matching (int_model_matches) resolves the
    alias's model, or the name as logged when there is no alias, to a catalog model id and the
    catalog provider whose list prices apply: the request's own provider, or the one genai-prices
    falls back to (Azure OpenAI -> OpenAI). A name neither knows stays as written and is unpriced
    unless the catalog (or an internal rate) has exactly that id.
    The caller joins: aliases on (provider_id, model_raw = alias), then matches on
    (provider_id, coalesce(aliases.model_id, model_raw) = matches.model_raw). -#}
{% macro resolved_model_columns(aliases, matches, names) -%}
coalesce({{ matches }}.model_id, {{ aliases }}.model_id, {{ names }}.model_raw) as model_id,
        coalesce({{ matches }}.price_provider_id, {{ names }}.provider_id) as price_provider_id,
        case
            when {{ aliases }}.model_id is not null then 'org_alias'
            when {{ matches }}.model_id is not null then 'genai_prices:' || {{ matches }}.matched_by
            when {{ names }}.model_raw is not null then 'as_written'
        end as model_resolved_by
{%- endmacro %}

{#- The joins resolved_model_columns reads, written once: `names` is the relation (CTE) with
    provider_id and model_raw. -#}
{% macro resolved_model_joins(names) -%}
    left join {{ ref('model_aliases') }} as model_aliases
        on {{ names }}.provider_id = model_aliases.provider_id
        and {{ names }}.model_raw = model_aliases.alias
    left join {{ ref('int_model_matches') }} as model_matches
        on {{ names }}.provider_id is not distinct from model_matches.provider_id
        and coalesce(model_aliases.model_id, {{ names }}.model_raw) = model_matches.model_raw
{%- endmacro %}
